"""After signing: assessments, the milestone timeline, overdue milestones."""

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from app.accounts.models import STAFF_ROLES, User
from app.core import files as attachments
from app.core.errors import ServiceError, ValidationError
from app.core.permissions import staff_required
from app.core.templating import value_label
from app.extensions import db
from app.incubation import operations as service
from app.incubation.models import Assessment, Indicator, Milestone, MilestoneEvidence, MilestoneStatus, Recommendation
from app.projects.models import Project
from forms.incubation import CompleteAssessmentForm, EvidenceForm, MilestoneForm, ScoreForm
from forms.projects import ConfirmForm

incubation_bp = Blueprint("incubation", __name__, url_prefix="/incubation")


@incubation_bp.app_template_global()
def recommendation_label(value: str) -> str:
    """A stored assessment recommendation in words."""
    return value_label(Recommendation, value)


@incubation_bp.route("/")
@staff_required
def index():
    today = service.beijing_today()
    projects = service.tracked_projects()
    overdue = service.overdue_milestones(today)
    latest = {p.id: (service.assessments_of(p) or [None])[0] for p in projects}
    return render_template("incubation/index.html", projects=projects, overdue=overdue, latest=latest, today=today)


def _complete_form(formdata=None):
    form = CompleteAssessmentForm(formdata=formdata) if formdata is not None else CompleteAssessmentForm()
    staff = db.session.scalars(db.select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True))
                               .order_by(User.name)).all()
    form.responsible_id.choices = [(u.id, u.name) for u in staff]
    return form


def _render_project(project, status=200, **forms):
    if not service.can_view_incubation(project, current_user):
        abort(404)
    milestones = service.milestones_of(project)  # unsaved placeholders until tracking starts: a GET writes nothing
    assessments = service.assessments_of(project)
    mine = next((s for s in assessments[0].scores if s.assessor_id == current_user.id), None) if assessments else None
    forms.setdefault("score_form", ScoreForm(formdata=None, obj=mine))  # an assessor revises their own scores
    forms.setdefault("complete_form", _complete_form(formdata={}))
    if not forms["complete_form"].is_submitted():
        forms["complete_form"].responsible_id.data = current_user.id
    return render_template(
        "incubation/project.html", project=project, assessments=assessments, milestones=milestones,
        today=service.beijing_today(), indicators=list(Indicator), means=service.indicator_means,
        weights=service.assessment_weights(), weighted_preview=service.weighted_total,
        editable=service.can_update_milestones(project, current_user), tracking=all(m.id for m in milestones),
        milestone_form=MilestoneForm, evidence_form=EvidenceForm(formdata=None), confirm_form=ConfirmForm(),
        **forms), status


@incubation_bp.route("/projects/<int:project_id>")
@login_required
def project(project_id):
    return _render_project(db.get_or_404(Project, project_id))


@incubation_bp.route("/projects/<int:project_id>/milestones", methods=["POST"])
@login_required
def start_tracking(project_id):
    """Create the nine milestones of a tracked project (the page shows them unsaved until then)."""
    project = db.get_or_404(Project, project_id)
    if not service.can_view_incubation(project, current_user):
        abort(404)
    if ConfirmForm().validate_on_submit():
        service.start_tracking(project, current_user)
        flash(_("已开始全流程跟踪，可以逐项更新里程碑"), "success")
    return redirect(url_for(".project", project_id=project.id) + "#milestones")


@incubation_bp.route("/projects/<int:project_id>/assessments", methods=["POST"])
@staff_required
def open_assessment(project_id):
    project = db.get_or_404(Project, project_id)
    assessment = service.open_assessment(project, current_user)
    flash(_("已发起第 %(v)d 版评估，请评估人打分", v=assessment.version), "success")
    return redirect(url_for(".project", project_id=project.id) + "#assessment")


@incubation_bp.route("/assessments/<int:assessment_id>/scores", methods=["POST"])
@staff_required
def score(assessment_id):
    assessment = db.get_or_404(Assessment, assessment_id)
    form = ScoreForm()
    if form.validate_on_submit():
        try:
            service.record_scores(assessment, current_user, form.scores(), form.comments())
        except ServiceError as error:  # the scores again, as typed (the 400 below rolls back)
            flash(str(error), "danger")
        else:
            flash(_("评分已保存。所有评估人打分后即可完成评估"), "success")
            return redirect(url_for(".project", project_id=assessment.project_id) + "#assessment")
    return _render_project(assessment.project, 400, score_form=form)


@incubation_bp.route("/assessments/<int:assessment_id>/complete", methods=["POST"])
@staff_required
def complete(assessment_id):
    assessment = db.get_or_404(Assessment, assessment_id)
    form = _complete_form()
    if form.validate_on_submit():
        try:
            service.complete_assessment(assessment, current_user, form.recommendations.data or [],
                                        form.support_plan.data, db.session.get(User, form.responsible_id.data),
                                        form.next_review_on.data)
        except ServiceError as error:  # the conclusion again, as typed (the 400 below rolls back)
            flash(str(error), "danger")
        else:
            flash(_("评估已完成，项目进入产品培育，项目双方已收到通知"), "success")
            return redirect(url_for(".project", project_id=assessment.project_id))
    return _render_project(assessment.project, 400, complete_form=form)


@incubation_bp.route("/milestones/<int:milestone_id>", methods=["POST"])
@login_required
def update_milestone(milestone_id):
    milestone = db.get_or_404(Milestone, milestone_id)
    if not service.can_view_incubation(milestone.project, current_user):
        abort(404)
    form = MilestoneForm(prefix=f"m{milestone.id}")
    if form.validate_on_submit():
        try:
            service.update_milestone(milestone, current_user, MilestoneStatus(form.status.data),
                                     form.planned_on.data, form.actual_on.data, form.notes.data)
        except ValidationError as error:  # beside its field, the milestone's form open as typed; the 400 rolls back
            field = getattr(error, "field", None)
            target = form[field] if field and field in form else form.status
            target.errors = [*target.errors, str(error)]
        else:
            flash(_("“%(kind)s”已更新", kind=milestone.kind.label), "success")
            return redirect(url_for(".project", project_id=milestone.project_id) + f"#milestone-{milestone.id}")
    # The errors stay next to their fields in the milestone's section, open, with what was typed.
    flash(_("“%(kind)s”未更新：请查看标红的字段，已填写的内容都保留着", kind=milestone.kind.label), "danger")
    return _render_project(milestone.project, 400, failed_milestone=form, failed_milestone_id=milestone.id)


@incubation_bp.route("/milestones/<int:milestone_id>/evidence", methods=["POST"])
@login_required
def upload_evidence(milestone_id):
    milestone = db.get_or_404(Milestone, milestone_id)
    if not service.can_view_incubation(milestone.project, current_user):
        abort(404)
    form = EvidenceForm()
    if form.validate_on_submit():
        service.add_evidence(milestone, current_user, form.file.data)
        flash(_("佐证材料已上传"), "success")
    else:
        flash(_("请选择文件"), "danger")
    return redirect(url_for(".project", project_id=milestone.project_id) + f"#milestone-{milestone.id}")


@incubation_bp.route("/evidence/<int:evidence_id>")
@login_required
def evidence(evidence_id):
    item = db.get_or_404(MilestoneEvidence, evidence_id)
    if not service.can_view_incubation(item.milestone.project, current_user):
        abort(404)
    return send_file(attachments.stored_path(item.stored_name), as_attachment=True, mimetype=item.content_type,
                     download_name=item.original_name)


BLUEPRINTS = (incubation_bp,)
