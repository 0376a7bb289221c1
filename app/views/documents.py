"""Printable official forms: 附件1 for the project's owner and staff, 附件2 for the signing organisation and staff."""
from __future__ import annotations

import io
import re

from flask import Blueprint, abort, send_file
from flask_login import current_user, login_required

from app.exports import docking_form_docx, project_form_docx
from app.extensions import db
from app.models import DockingForm, Project
from app.services import audit

bp = Blueprint("documents", __name__)

DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
PROJECT_FORM_NAME = "附件1-医疗机构临床研究成果转化项目需求表-{}.docx"
DOCKING_FORM_NAME = "附件2-企业意向临床研究成果转化项目对接表-{}.docx"
_UNSAFE_IN_NAME = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')


def download_name(template: str, name: str) -> str:
    """The Chinese download name, with characters Windows refuses in file names replaced."""
    cleaned = _UNSAFE_IN_NAME.sub("_", name or "").strip(" .") or "未命名"
    return template.format(cleaned[:80])


def _send_docx(data: bytes, name: str):
    response = send_file(io.BytesIO(data), mimetype=DOCX_MIMETYPE, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"  # confidential tiers: keep out of shared caches
    return response


@bp.route("/projects/<int:project_id>/form.docx")
@login_required
def project_form(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.can_view_private(current_user):
        abort(403 if project.can_view_public(current_user) else 404)
    data = project_form_docx(project)
    if current_user.is_staff:
        audit.record("export_docx", actor=current_user, project=project, comment="附件1")
        db.session.commit()
    return _send_docx(data, download_name(PROJECT_FORM_NAME, project.name))


@bp.route("/docking/<int:form_id>/form.docx")
@login_required
def docking_form(form_id):
    form = db.get_or_404(DockingForm, form_id)
    if not form.can_view(current_user):
        abort(404)
    data = docking_form_docx(form)
    if current_user.is_staff:
        # Not tied to the project: the project's history is shown to its owner, who may not see 附件2.
        audit.record("export_docx", actor=current_user, subject=form, comment="附件2")
        db.session.commit()
    return _send_docx(data, download_name(DOCKING_FORM_NAME, form.company_name))
