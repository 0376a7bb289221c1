"""The programme dashboard (工作专班) and the 总结评估 downloads, for station staff and the task force."""
from __future__ import annotations

import io

from flask import Blueprint, render_template, request, send_file
from flask_babel import force_locale

from app.exports.summary import REPORT_TITLE, summary_docx, summary_xlsx
from app.permissions import staff_required
from app.services.dashboard import Period, PeriodError, dashboard_figures, parse_period, this_year
from app.services.incubation import beijing_today

bp = Blueprint("dashboard", __name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX_MIMETYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _period() -> tuple[Period, str]:
    """The period asked for in the query string, or all time and the reason it was not understood."""
    try:
        return parse_period(request.args.get("from"), request.args.get("to")), ""
    except PeriodError as error:
        return Period(), str(error)


def _page(period: Period, error: str = ""):
    today = beijing_today()
    return render_template("dashboard/index.html", figures=dashboard_figures(period, today), period=period,
                           error=error, this_year=this_year(today),
                           form_from=request.args.get("from", ""), form_to=request.args.get("to", "")), \
        400 if error else 200


@bp.route("/")
@staff_required
def index():
    period, error = _period()
    return _page(period, error)


def _download(build, extension: str, mimetype: str):
    period, error = _period()
    if error:
        return _page(period, error)
    with force_locale("zh"):  # the evaluation is filed in Chinese, whatever the interface language
        data = build(dashboard_figures(period, beijing_today()))
        name = f"{REPORT_TITLE}-{period.label.replace(' ', '')}.{extension}"
    response = send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/summary.xlsx")
@staff_required
def summary_workbook():
    return _download(summary_xlsx, "xlsx", XLSX_MIMETYPE)


@bp.route("/summary.docx")
@staff_required
def summary_report():
    return _download(summary_docx, "docx", DOCX_MIMETYPE)
