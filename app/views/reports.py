"""Reporting to the national review centre's database (报送国家局器审中心): staff only."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.exports.report import JSONL_MIMETYPE, XLSX_MIMETYPE, columns
from app.extensions import db
from app.models import ReportBatch
from app.permissions import staff_required
from app.services import ServiceError
from app.services import reporting
from app.templating import beijing_time
from forms.project import ConfirmForm

bp = Blueprint("reports", __name__)

MIMETYPES = {"xlsx": XLSX_MIMETYPE, "jsonl": JSONL_MIMETYPE}


@bp.route("/")
@staff_required
def index():
    page = request.args.get("page", 1, type=int) or 1
    batches = reporting.batches_page(page, current_app.config["PER_PAGE"])
    return render_template("reports/index.html", batches=batches)


@bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    if request.method == "POST":
        filters = reporting.ReportFilters.from_args(request.form)
        if ConfirmForm().validate_on_submit():
            try:
                batch = reporting.create_batch(filters, current_user)
            except ServiceError as error:
                db.session.rollback()
                flash(str(error), "danger")
            else:
                db.session.commit()
                flash(_("已生成报送批次#%(id)d：%(n)d 个项目", id=batch.id, n=batch.project_count), "success")
                return redirect(url_for(".detail", batch_id=batch.id))
        else:
            flash(_("页面已过期，请重新提交"), "danger")
        return redirect(url_for(".new", **filters.as_args()))
    filters = reporting.ReportFilters.from_args(request.args)
    return render_template("reports/new.html", filters=filters, selection=reporting.select_projects(filters),
                           options=reporting.filter_options(), form=ConfirmForm())


@bp.route("/mapping")
@staff_required
def mapping():
    return render_template("reports/mapping.html", columns=columns())


@bp.route("/<int:batch_id>")
@staff_required
def detail(batch_id):
    batch = db.get_or_404(ReportBatch, batch_id)
    projects = reporting.batch_projects(batch)
    return render_template("reports/detail.html", batch=batch, projects=projects,
                           filters=reporting.ReportFilters.from_dict(batch.filters))


@bp.route("/<int:batch_id>/report.<kind>")
@staff_required
def download(batch_id, kind):
    if kind not in reporting.FILE_KINDS:
        abort(404)
    batch = db.get_or_404(ReportBatch, batch_id)
    path = reporting.batch_file(batch, kind)
    if not path.is_file():
        current_app.logger.error("report batch %s: stored file %s is missing", batch.id, path)
        abort(404)
    reporting.record_download(batch, current_user, kind)
    db.session.commit()
    name = f"报送国家局器审中心-批次{batch.id}-{beijing_time(batch.created_at, '%Y%m%d')}.{kind}"
    response = send_file(path, mimetype=MIMETYPES[kind], as_attachment=True, download_name=name)
    response.headers["Cache-Control"] = "private, no-store"  # partner-tier data: keep out of shared caches
    return response
