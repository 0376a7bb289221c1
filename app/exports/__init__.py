"""Generated documents: the official forms as .docx (附件1, 附件2)."""
from app.exports.docx import docking_form_docx, project_form_docx

__all__ = ["docking_form_docx", "project_form_docx"]
