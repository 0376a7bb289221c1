"""Blueprints of the reporting area: the programme dashboard and 总结评估 downloads (dashboard), national report batches (reports), the audit viewer (audit)."""
from __future__ import annotations

import io

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts.models import Role
from app.core import audit
from app.core.docx import DOCX_MIMETYPE
from app.core.models import utcnow
from app.core.permissions import role_required, staff_required
from app.core.templating import beijing_time
from app.extensions import db
from app.incubation.operations import beijing_today
from app.meetings.operations import programme_figures as meeting_figures
from app.programme.dashboard import request_figures
from app.reporting import audit_viewer as audit_log
from app.reporting import improvements
from app.reporting import batches as reporting
from app.reporting.dashboard import Period, PeriodError, dashboard_figures, parse_period, this_year
from app.reporting.exports import JSONL_MIMETYPE, XLSX_MIMETYPE, columns
from app.reporting.models import ReportBatch
from app.reporting.summary import REPORT_TITLE, summary_docx, summary_xlsx
from forms.programme import ImprovementsForm
from forms.projects import ConfirmForm

dashboard_bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


def _period() -> tuple[Period, str]:
    """The period asked for in the query string, or all time and the reason it was not understood."""
    try:
        return parse_period(request.args.get("from"), request.args.get("to")), ""
    except PeriodError as error:
        return Period(), str(error)


def _page(period: Period, error: str = "", improvements_form=None):
    today = beijing_today()
    figures, requests = dashboard_figures(period, today), request_figures(period.contains, today)
    text, edited = improvements.current(period.label, figures, requests)
    improvements_form = improvements_form or ImprovementsForm(formdata=None, text=text)
    return render_template("dashboard/index.html", figures=figures, period=period,
                           error=error, this_year=this_year(today), requests=requests, meetings=meeting_figures(),
                           improvements_form=improvements_form, improvements_edited=edited,
                           form_from=request.args.get("from", ""), form_to=request.args.get("to", "")), \
        400 if error or improvements_form.errors else 200


@dashboard_bp.route("/")
@staff_required
def index():
    period, error = _period()
    return _page(period, error)


def _download(build, extension: str, mimetype: str):
    period, error = _period()
    if error:
        return _page(period, error)
    with force_locale("zh"):  # the evaluation is filed in Chinese, whatever the interface language
        today = beijing_today()
        figures, requests = dashboard_figures(period, today), request_figures(period.contains, today)
        data = build(figures) if build is summary_xlsx else build(
            figures, requests=requests, improvements=improvements.current(period.label, figures, requests)[0])
        name = f"{REPORT_TITLE}-{period.label.replace(' ', '')}.{extension}"
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@dashboard_bp.route("/summary.xlsx")
@staff_required
def summary_workbook():
    return _download(summary_xlsx, "xlsx", XLSX_MIMETYPE)


@dashboard_bp.route("/improvements", methods=["POST"])
@staff_required
def save_improvements():
    """Staff edit the drafted 问题分析与改进建议 before the report is exported."""
    period, error = _period()
    form = ImprovementsForm()
    if error or not form.validate_on_submit():
        return _page(period, error, form)
    improvements.save(period.label, form.text.data, current_user)
    flash(_("问题分析与改进建议已保存，导出的 Word 报告将使用此内容"), "success")
    return redirect(url_for(".index", **period.query_args()) + "#block-improvements")


@dashboard_bp.route("/summary.docx")
@staff_required
def summary_report():
    return _download(summary_docx, "docx", DOCX_MIMETYPE)


reports_bp = Blueprint("reports", __name__, url_prefix="/reports")
MIMETYPES = {"xlsx": XLSX_MIMETYPE, "jsonl": JSONL_MIMETYPE}


@reports_bp.route("/", endpoint="index")
@staff_required
def reports_index():
    page = request.args.get("page", 1, type=int) or 1
    batches = reporting.batches_page(page, current_app.config["PER_PAGE"])
    return render_template("reports/index.html", batches=batches)


@reports_bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    if request.method == "POST":
        filters = reporting.ReportFilters.from_args(request.form)
        if request.form.get("scope") == "selected":  # 导出所选: the ticked projects of the list, within the filters
            filters = reporting.ReportFilters.picked(request.form, request.form.getlist("project_ids"))
            if not filters.project_ids:
                flash(_("请先在列表中勾选要导出的项目"), "warning")
                return redirect(url_for(".new", **filters.as_args()))
        if ConfirmForm().validate_on_submit():
            batch = reporting.create_batch(filters, current_user)
            flash(_("已生成报送批次#%(id)d：%(n)d 个项目", id=batch.id, n=batch.project_count), "success")
            return redirect(url_for(".detail", batch_id=batch.id))
        else:
            flash(_("页面已过期，请重新提交"), "danger")
        return redirect(url_for(".new", **filters.as_args()))
    filters = reporting.ReportFilters.from_args(request.args)
    return render_template("reports/new.html", filters=filters, selection=reporting.select_projects(filters),
                           options=reporting.filter_options(), form=ConfirmForm())


@reports_bp.route("/mapping")
@staff_required
def mapping():
    return render_template("reports/mapping.html", columns=columns())


@reports_bp.route("/<int:batch_id>")
@staff_required
def detail(batch_id):
    batch = db.get_or_404(ReportBatch, batch_id)
    projects = reporting.batch_projects(batch)
    return render_template("reports/detail.html", batch=batch, projects=projects,
                           filters=reporting.ReportFilters.from_dict(batch.filters))


@reports_bp.route("/<int:batch_id>/report.<kind>")
@staff_required
def download(batch_id, kind):
    if kind not in reporting.FILE_KINDS:
        abort(404)
    batch = db.get_or_404(ReportBatch, batch_id)
    path = reporting.batch_file(batch, kind)
    if not path.is_file():
        current_app.logger.error("report batch %s: stored file %s is missing", batch.id, path)
        abort(404)
    reporting.record_download(batch, current_user, kind)  # a record of reading: the one write a GET may make
    name = f"报送国家局器审中心-批次{batch.id}-{beijing_time(batch.created_at, '%Y%m%d')}.{kind}"
    response = send_file(path, mimetype=MIMETYPES[kind], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"  # partner-tier data: keep out of shared caches
    return response


audit_bp = Blueprint("audit", __name__, url_prefix="/admin/audit")
PER_PAGE = 50


@audit_bp.route("/", endpoint="index")
@role_required(Role.ADMIN)
def audit_index():
    filters = audit_log.AuditFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    result = audit_log.audit_page(filters, page=page, per_page=PER_PAGE)
    return render_template("audit/index.html", result=result, filters=filters, actions=audit_log.action_choices(),
                           names=audit_log.project_names(result.items), audit_log=audit_log)


@audit_bp.route("/export.<kind>")
@role_required(Role.ADMIN)
def export(kind):
    if kind not in ("xlsx", "csv"):
        abort(404)
    filters = audit_log.AuditFilters.from_args(request.args)
    rows = audit_log.export_rows(filters)
    data = audit_log.audit_xlsx(rows) if kind == "xlsx" else audit_log.audit_csv(rows)
    audit.record("audit_export", actor=current_user, subject=current_user,
                 comment=f"{kind}，{len(rows)} 行，筛选：{filters.as_args() or '无'}")  # a record of reading
    name = f"审计日志-{beijing_time(utcnow(), '%Y%m%d-%H%M')}.{kind}"
    response = send_file(io.BytesIO(data), mimetype=XLSX_MIMETYPE if kind == "xlsx" else "text/csv",  # text/*: werkzeug adds the charset
                         as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


BLUEPRINTS = (dashboard_bp, reports_bp, audit_bp,)
