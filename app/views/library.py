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
    from forms.search import SavedSearchForm
    filters = LibraryFilters.from_args(request.args)
    page = request.args.get("page", 1, type=int) or 1
    result = library_page(filters, page=page, per_page=current_app.config["PER_PAGE"],
                          query=request.args.get("q", ""))
    save_form = SavedSearchForm(formdata=None, data=dict(filters.values, query=result.query))
    return render_template("library/index.html", result=result, filters=filters, save_form=save_form,
                           search_args={"q": result.query} if result.query else {})


def render_detail(project: Project, interest_form=None):
    """The library page of a project: public tier for all, partner tier once the owner accepted."""
    from app.models.project import Tier
    from app.services.access import partner_view, record_partner_view
    from app.services.interests import open_interest_of
    from forms.deal import InterestForm

    partner = project.can_view_partner(current_user) and not project.can_view_private(current_user)
    if partner:
        record_partner_view(project, current_user)
        db.session.commit()
    interest = open_interest_of(project, current_user.organisation_id) if current_user.is_organisation_member else None
    can_express = current_user.is_organisation_member and interest is None and project.is_listed()
    return render_template(
        "library/detail.html", project=partner_view(project) if partner else public_view(project),
        locked=[FIELDS_BY_NAME[name] for name in PARTNER_FIELDS], partner=partner, tiers={Tier.PUBLIC, Tier.PARTNER},
        full_access=project.can_view_private(current_user), interest=interest,
        interest_form=(interest_form or InterestForm(formdata=None)) if can_express else None)


@bp.route("/<int:project_id>")
@verified_required
def detail(project_id):
    project = db.get_or_404(Project, project_id)
    if not project.is_listed() and not project.can_view_partner(current_user):
        abort(404)
    return render_detail(project)
