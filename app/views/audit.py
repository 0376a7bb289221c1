"""The audit trail for the task force (工作专班): every row, filtered, paged, exportable. Admin only."""
from __future__ import annotations

import io

from flask import Blueprint, abort, render_template, request, send_file
from flask_login import current_user

from app.exports.report import XLSX_MIMETYPE
from app.extensions import db
from app.models import Role, utcnow
from app.permissions import role_required
from app.services import audit
from app.services import audit_log  # importing it also installs the append-only guard
from app.templating import beijing_time

bp = Blueprint("audit", __name__)
PER_PAGE = 50


@bp.route("/")
@role_required(Role.ADMIN)
def index():
    filters = audit_log.AuditFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    result = audit_log.audit_page(filters, page=page, per_page=PER_PAGE)
    return render_template("audit/index.html", result=result, filters=filters, actions=audit_log.action_choices(),
                           names=audit_log.project_names(result.items), audit_log=audit_log)


@bp.route("/export.<kind>")
@role_required(Role.ADMIN)
def export(kind):
    if kind not in ("xlsx", "csv"):
        abort(404)
    filters = audit_log.AuditFilters.from_args(request.args)
    rows = audit_log.export_rows(filters)
    data = audit_log.audit_xlsx(rows) if kind == "xlsx" else audit_log.audit_csv(rows)
    audit.record("audit_export", actor=current_user, subject=current_user,
                 comment=f"{kind}，{len(rows)} 行，筛选：{filters.as_args() or '无'}")
    db.session.commit()
    name = f"审计日志-{beijing_time(utcnow(), '%Y%m%d-%H%M')}.{kind}"
    response = send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE if kind == "xlsx" else "text/csv; charset=utf-8",
                         as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response
