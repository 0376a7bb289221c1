"""Blueprints for hospitals: the officer's workbench and 院内审核 (institution), hospital records and officer
accounts kept by staff (institutions).

What an officer sees of a project (DESIGN.md: "see the hospital's projects"): every project of the hospital's
confirmed clinicians (or with the hospital as 项目申请单位) except drafts, with its state, dates and public
fields; the whole 附件1 only while the project waits in the hospital's 院内审核, which needs it. Partner-tier
text and attachments stay with the owner, staff and partners otherwise.
"""
from __future__ import annotations

from types import SimpleNamespace

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.accounts import institutions as service
from app.accounts.models import Affiliation, Institution, Role, User
from app.core import audit
from app.core.errors import ServiceError
from app.core.permissions import role_required, staff_required
from app.extensions import db
from app.projects import operations as project_service
from app.projects.models import Project, ProjectStatus, Tier
from app.projects.rules import is_hospital_officer
from forms.institutions import (DecideAffiliationForm, InstitutionApproveForm, InstitutionForm, InstitutionReturnForm,
                                InternalReviewForm, OfficerForm, ResolveAffiliationForm)

institution_bp = Blueprint("institution", __name__, url_prefix="/institution")
institutions_bp = Blueprint("institutions", __name__, url_prefix="/admin/institutions")

officer_required = role_required(Role.INSTITUTION)


def _hospital() -> Institution:
    institution = service.officer_institution(current_user)
    if institution is None:
        abort(403)
    return institution


def hospital_projects(institution: Institution) -> list[Project]:
    """The hospital's projects an officer may list: its confirmed clinicians' or its own as 项目申请单位; no drafts."""
    owners = db.select(Affiliation.user_id).where(Affiliation.institution_id == institution.id,
                                                  Affiliation.status == service.A.CONFIRMED)
    return db.session.scalars(
        db.select(Project).where(db.or_(Project.owner_id.in_(owners), Project.applicant_institution_id == institution.id),
                                 Project.status != ProjectStatus.DRAFT)
        .order_by(Project.status_changed_at.desc(), Project.id.desc())).all()


@institution_bp.route("/", endpoint="dashboard")
@officer_required
def dashboard():
    return _render_dashboard()


def _render_dashboard(status: int = 200):
    institution = _hospital()
    projects = hospital_projects(institution)
    counts = {status: 0 for status in ProjectStatus if status is not ProjectStatus.DRAFT}
    for project in projects:
        counts[project.status] += 1
    return render_template("institution/dashboard.html", institution=institution,
                           clinicians=service.clinicians_of(institution), projects=projects, counts=counts,
                           decide_form=DecideAffiliationForm(formdata=None),
                           settings_form=InternalReviewForm(formdata=None, internal_review=institution.internal_review)
                           ), status


@institution_bp.route("/settings", methods=["POST"])
@officer_required
def settings():
    institution = _hospital()
    form = InternalReviewForm()
    if form.validate_on_submit():
        service.set_internal_review(institution, current_user, form.internal_review.data)
        flash(_("已开启院内审核：本院提交的项目将先由您审核") if form.internal_review.data
              else _("已关闭院内审核：本院提交的项目直接报送创新服务站"), "success")
    return redirect(url_for(".dashboard"))


def _after_decision():
    return redirect(url_for("institutions.affiliations") if current_user.is_staff else url_for(".dashboard"))


def _refused_decision():
    """The page the decision was taken on, with the flashed message, as a 400."""
    return _render_affiliations(400) if current_user.is_staff else _render_dashboard(400)


@institution_bp.route("/affiliations/<int:affiliation_id>/confirm", methods=["POST"])
@role_required(Role.INSTITUTION, Role.STAFF)
def confirm(affiliation_id):
    affiliation = db.get_or_404(Affiliation, affiliation_id)
    if not service.may_decide(current_user, affiliation):
        abort(403)
    if DecideAffiliationForm().validate_on_submit():
        try:
            service.confirm_affiliation(affiliation, current_user)
        except ServiceError as error:
            flash(str(error), "danger")
            return _refused_decision()
        flash(_("已确认 %(name)s 为本院人员", name=affiliation.user.name), "success")
    return _after_decision()


@institution_bp.route("/affiliations/<int:affiliation_id>/reject", methods=["POST"])
@role_required(Role.INSTITUTION, Role.STAFF)
def reject(affiliation_id):
    affiliation = db.get_or_404(Affiliation, affiliation_id)
    if not service.may_decide(current_user, affiliation):
        abort(403)
    form = DecideAffiliationForm()
    if form.validate_on_submit():
        try:
            service.reject_affiliation(affiliation, current_user, form.comment.data or "")
        except ServiceError as error:
            flash(str(error), "danger")
            return _refused_decision()
        flash(_("已告知 %(name)s 未予确认及理由", name=affiliation.user.name), "success")
    return _after_decision()


def _hospital_project(project_id: int) -> Project:
    project = db.get_or_404(Project, project_id)
    if project.status is ProjectStatus.DRAFT or not is_hospital_officer(current_user, project):
        abort(404)
    return project


# The hospital's own decisions keep their comments in the history an officer reads; the station's review
# comments and the owner's notes are owner/staff tier (DESIGN.md), so other rows show without them.
OFFICER_COMMENTS = ("submit_to_institution", "institution_approve", "institution_return")


def officer_history(project: Project) -> list[SimpleNamespace]:
    """The project's history as an officer may read it (copies: audit rows are never changed)."""
    return [SimpleNamespace(created_at=e.created_at, actor=e.actor, action=e.action, subject_type=e.subject_type,
                            from_state=e.from_state, to_state=e.to_state,
                            comment=e.comment if e.action in OFFICER_COMMENTS else "")
            for e in audit.project_history(project)]


def _render_project(project: Project, status: int = 200, **forms):
    reviewing = project.status is ProjectStatus.INSTITUTION_REVIEW
    forms.setdefault("approve_form", InstitutionApproveForm(formdata=None, prefix="approve"))
    forms.setdefault("return_form", InstitutionReturnForm(formdata=None, prefix="return"))
    tiers = {Tier.PUBLIC, Tier.PARTNER, Tier.PRIVATE} if reviewing else {Tier.PUBLIC}
    return render_template("institution/project.html", project=project, tiers=tiers, reviewing=reviewing,
                           history=officer_history(project),
                           review_comment="", **forms), status


@institution_bp.route("/projects/<int:project_id>", endpoint="review")
@officer_required
def project_page(project_id):
    return _render_project(_hospital_project(project_id))


@institution_bp.route("/projects/<int:project_id>/approve", methods=["POST"])
@officer_required
def approve(project_id):
    project = _hospital_project(project_id)
    form = InstitutionApproveForm(prefix="approve")
    if form.validate_on_submit():
        project_service.institution_approve_project(project, current_user, form.comment.data or "")
        flash(_("已通过院内审核，本院作为项目申请单位报送创新服务站初核"), "success")
        return redirect(url_for(".dashboard"))
    return _render_project(project, 400, approve_form=form)


@institution_bp.route("/projects/<int:project_id>/return", methods=["POST"])
@officer_required
def send_back(project_id):
    project = _hospital_project(project_id)
    form = InstitutionReturnForm(prefix="return")
    if form.validate_on_submit():
        project_service.institution_return_project(project, current_user, form.comment.data)
        flash(_("已退回修改，项目负责人将看到您的意见"), "success")
        return redirect(url_for(".dashboard"))
    flash("；".join(str(e) for errors in form.errors.values() for e in errors), "danger")
    return _render_project(project, 400, return_form=form)


# --- staff: hospital records, officers, clinicians waiting on the station

@institutions_bp.route("/", endpoint="index")
@staff_required
def institutions_index():
    return render_template("institutions/index.html", institutions=service.institutions(),
                           waiting=len(service.staff_queue()))


def _form_values(form: InstitutionForm) -> dict:
    return {name: getattr(form, name).data for name in service.INSTITUTION_FIELDS}


def _save_institution(form: InstitutionForm, institution: Institution | None):
    try:
        if institution is None:
            institution = service.create_institution(current_user, _form_values(form))
        else:
            service.update_institution(institution, current_user, _form_values(form))
    except ServiceError as error:
        field = getattr(error, "field", None)
        (form[field].errors if field in form else form.name.errors).append(str(error))
        return None
    return institution


@institutions_bp.route("/new", methods=["GET", "POST"])
@staff_required
def new():
    form = InstitutionForm()
    if form.validate_on_submit():
        institution = _save_institution(form, None)
        if institution is not None:
            flash(_("已登记医疗机构 %(name)s", name=institution.name), "success")
            return redirect(url_for(".index"))
    return render_template("institutions/form.html", form=form, institution=None), 400 if form.errors else 200


@institutions_bp.route("/<int:institution_id>/edit", methods=["GET", "POST"])
@staff_required
def edit(institution_id):
    institution = db.get_or_404(Institution, institution_id)
    form = InstitutionForm(obj=None if request.method == "POST" else institution,
                           data=None if request.method == "POST" else {
                               "code_kind": institution.code_kind.value, "level": institution.level.value})
    if form.validate_on_submit() and _save_institution(form, institution) is not None:
        flash(_("已保存 %(name)s", name=institution.name), "success")
        return redirect(url_for(".index"))
    return render_template("institutions/form.html", form=form, institution=institution,
                           officer_form=OfficerForm(formdata=None)), 400 if form.errors else 200


@institutions_bp.route("/<int:institution_id>/officers", methods=["POST"])
@staff_required
def new_officer(institution_id):
    institution = db.get_or_404(Institution, institution_id)
    form = OfficerForm()
    if form.validate_on_submit():
        try:
            officer = service.create_officer(institution, current_user, form.email.data, form.password.data,
                                             form.name.data, form.phone.data or "")
        except ServiceError as error:
            form.email.errors.append(str(error))
        else:
            flash(_("已为 %(hospital)s 创建管理员账号 %(email)s，请将初始密码告知本人并提醒其登录后修改",
                    hospital=institution.name, email=officer.email), "success")
            return redirect(url_for(".edit", institution_id=institution.id))
    return render_template("institutions/form.html", form=InstitutionForm(obj=institution), institution=institution,
                           officer_form=form), 400


@institutions_bp.route("/clinicians", endpoint="affiliations")
@staff_required
def affiliations():
    return _render_affiliations()


def _render_affiliations(status: int = 200):
    return render_template("institutions/affiliations.html", waiting=service.staff_queue(),
                           choices=service.institutions(), decide_form=DecideAffiliationForm(formdata=None)), status


@institutions_bp.route("/clinicians/<int:user_id>/resolve", methods=["POST"])
@staff_required
def resolve(user_id):
    user = db.get_or_404(User, user_id)
    if not user.is_clinician:
        abort(404)
    form = ResolveAffiliationForm()
    form.institution_id.choices = [(i.id, i.name) for i in service.institutions()]
    if form.validate_on_submit():
        institution = db.get_or_404(Institution, form.institution_id.data)
        try:
            service.resolve_affiliation(user, current_user, institution)
        except ServiceError as error:
            flash(str(error), "danger")
            return _render_affiliations(409)
        flash(_("已将 %(name)s 的医疗机构指定为 %(hospital)s", name=user.name, hospital=institution.name), "success")
        return redirect(url_for(".affiliations"))
    flash(_("请选择医疗机构"), "danger")
    return _render_affiliations(400)


BLUEPRINTS = (institution_bp, institutions_bp)
