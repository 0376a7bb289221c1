"""The project library (入选项目库): public tier of listed projects."""
from flask import Blueprint, abort, current_app, render_template, request
from flask_login import current_user

from app.extensions import db
from app.models import Project
from app.models.project import PARTNER_FIELDS, FIELDS_BY_NAME
from app.permissions import verified_required
from app.services.library import LibraryFilters, library_page, public_view

bp = Blueprint("library", __name__)


@bp.route("/")
@verified_required
def index():
    filters = LibraryFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    result = library_page(filters, page=page, per_page=current_app.config["PER_PAGE"])
    return render_template("library/index.html", result=result, filters=filters)


@bp.route("/<int:project_id>")
@verified_required
def detail(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.is_listed() and not project.can_view_partner(current_user):
        abort(404)
    locked = [FIELDS_BY_NAME[name] for name in PARTNER_FIELDS]
    return render_template("library/detail.html", project=public_view(project), locked=locked,
                           full_access=project.can_view_private(current_user))
