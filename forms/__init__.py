"""WTForms classes, one module per area (project.py is 附件1)."""
