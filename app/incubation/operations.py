"""Incubation (产品培育): versioned assessments with weighted scores, and the milestone timeline."""
from __future__ import annotations

from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.accounts.rules import is_staff
from app.core import audit
from app.core.errors import ServiceError, TransitionError, require
from app.core.files import save_file
from app.core.links import path_for
from app.core.models import Setting
from app.core.notifications import notice, tell
from app.core.states import Transition, action_between, check, move
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.incubation import rules
from app.incubation.models import (DEFAULT_WEIGHTS, SCORE_MAX, SCORE_MIN, Assessment, AssessmentScore, AssessmentStatus,
                                   Indicator, Milestone, MilestoneEvidence, MilestoneKind, MilestoneStatus,
                                   Recommendation)
from app.projects import operations as project_service
from app.projects.models import Project, ProjectStatus

WEIGHTS_KEY = "assessment_weights"
DEFAULT_WEIGHT_KEYS = tuple(i.value for i in Indicator)
ASSESSABLE_STATES = TRACKED_STATES = rules.TRACKED_STATES

# An assessment version is open while staff score it, and completed once (a re-assessment is a new version).
ASSESSMENT = {
    "complete": Transition({AssessmentStatus.OPEN}, AssessmentStatus.COMPLETED, is_staff,
                           audit="complete_assessment", stamps=("completed_at",),
                           refusal=_l("只有服务站工作人员可以完成评估")),
}

M = MilestoneStatus

_TRACKERS = _l("只有项目负责人、签约企业和服务站可以更新里程碑")

# A milestone's state is the parties' progress record: any state may follow any other (they correct it),
# one action per target state; the dates and notes change without a move.
MILESTONE = {
    action: Transition(frozenset(M) - {target}, target, rules.may_update_milestone, audit="update_milestone",
                       refusal=_TRACKERS)
    for action, target in (("reset", M.NOT_STARTED), ("start", M.IN_PROGRESS), ("complete", M.DONE),
                           ("set_aside", M.NOT_APPLICABLE))
}


def beijing_today() -> date:
    """Today's date in Beijing, which is what 'overdue' means to the station."""
    return datetime.now(ZoneInfo("Asia/Shanghai")).date()


def assessment_weights() -> dict[str, int]:
    """The indicator weights in force (percent, summing to 100)."""
    setting = db.session.get(Setting, WEIGHTS_KEY)
    return dict(setting.value) if setting else dict(DEFAULT_WEIGHTS)


def set_assessment_weights(weights: dict[str, int], admin: User) -> None:
    """The task force changes the weights; they must cover the four indicators and sum to 100."""
    require(admin.is_admin, _("只有工作专班管理员可以修改评估权重"))
    clean = {i.value: int(weights.get(i.value, -1)) for i in Indicator}
    if any(w < 0 for w in clean.values()) or sum(clean.values()) != 100:
        raise ServiceError(_("四项指标的权重须为非负整数，且合计为 100"))
    setting = db.session.get(Setting, WEIGHTS_KEY) or Setting(key=WEIGHTS_KEY)
    previous = dict(setting.value or {}) if setting.value else dict(DEFAULT_WEIGHTS)
    setting.value = clean
    setting.updated_by_id = admin.id
    db.session.add(setting)
    audit.record("set_weights", actor=admin, subject=None, comment=f"{previous} → {clean}")


def assessments_of(project: Project) -> list[Assessment]:
    """Every version, newest first."""
    return db.session.scalars(db.select(Assessment).where(Assessment.project_id == project.id)
                              .order_by(Assessment.version.desc())).all()


def open_assessment(project: Project, staff: User) -> Assessment:
    """Start an assessment (or a re-assessment: a new version; earlier ones are kept as they were)."""
    require(staff.is_staff, _("只有服务站工作人员可以发起项目评估"))
    if project.status not in ASSESSABLE_STATES:
        raise TransitionError(_("只有已签约的项目可以评估"))
    versions = assessments_of(project)
    if versions and versions[0].status is AssessmentStatus.OPEN:
        raise ServiceError(_("该项目已有进行中的评估"))
    assessment = Assessment(project=project, version=(versions[0].version + 1) if versions else 1,
                            opened_by_id=staff.id, status=AssessmentStatus.OPEN)
    db.session.add(assessment)
    db.session.flush()
    audit.record("open_assessment", actor=staff, project=project, subject=assessment,
                 to_state=AssessmentStatus.OPEN.value, comment=f"v{assessment.version}")
    return assessment


def record_scores(assessment: Assessment, assessor: User, scores: dict[str, int], comments: dict[str, str]) -> AssessmentScore:
    """An assessor's four scores (0–100) with a comment each; scoring again replaces their earlier scores."""
    require(assessor.is_staff, _("只有服务站工作人员可以评分"))
    if assessment.status is not AssessmentStatus.OPEN:
        raise TransitionError(_("评估已完成，不能再评分；如需重新评估请发起新版本"))
    row = db.session.scalar(db.select(AssessmentScore).where(AssessmentScore.assessment_id == assessment.id,
                                                             AssessmentScore.assessor_id == assessor.id))
    row = row or AssessmentScore(assessment=assessment, assessor_id=assessor.id)
    for indicator in Indicator:
        value = scores.get(indicator.value)
        if value is None or not (SCORE_MIN <= int(value) <= SCORE_MAX):
            raise ServiceError(_("%(indicator)s 的分数须在 %(low)d–%(high)d 之间", indicator=indicator.label,
                                 low=SCORE_MIN, high=SCORE_MAX))
        setattr(row, indicator.value, int(value))
        setattr(row, indicator.value + "_comment", (comments.get(indicator.value) or "").strip())
    db.session.add(row)
    db.session.flush()
    audit.record("score_assessment", actor=assessor, project=assessment.project, subject=row,
                 comment=", ".join(f"{i.label} {row.score(i)}" for i in Indicator))
    return row


def indicator_means(assessment: Assessment) -> dict[str, Decimal]:
    """Each indicator's mean over the assessors."""
    scores = assessment.scores
    if not scores:
        return {}
    return {i.value: Decimal(sum(s.score(i) for s in scores)) / len(scores) for i in Indicator}


def weighted_total(means: dict[str, Decimal], weights: dict[str, int]) -> Decimal:
    """Σ weight × mean / 100, rounded half-up to two places (a 0–100 total)."""
    total = sum(Decimal(weights[k]) * means[k] for k in means) / Decimal(100)
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def complete_assessment(assessment: Assessment, staff: User, recommendations: list[str], support_plan: str,
                        responsible: User | None, next_review_on: date | None) -> None:
    """Close the assessment with its total, recommendations and 一企一策 plan; the project is now incubating."""
    check(assessment, ASSESSMENT, "complete", staff)
    if not assessment.scores:
        raise ServiceError(_("至少需要一位评估人评分"))
    if not support_plan.strip():
        raise ServiceError(_("请填写一企一策帮扶方案"))
    valid = {r.value for r in Recommendation}
    if any(r not in valid for r in recommendations):
        raise ServiceError(_("推荐事项无效"))
    if responsible is not None and not responsible.is_staff:
        raise ServiceError(_("责任人须为服务站工作人员"))
    weights = assessment_weights()
    assessment.weights = weights
    assessment.total_score = weighted_total(indicator_means(assessment), weights)
    assessment.recommendations = list(recommendations)
    assessment.support_plan = support_plan.strip()
    assessment.responsible_id = responsible.id if responsible else None
    assessment.next_review_on = next_review_on
    move(assessment, ASSESSMENT, "complete", staff,
         comment=f"v{assessment.version} {assessment.total_score} "
                 + "、".join(Recommendation(r).label for r in recommendations))
    project = assessment.project
    if project.status is ProjectStatus.SIGNED:
        project_service.start_incubation(project, staff, comment=_("项目评估完成"))
    ensure_milestones(project)
    tell(_parties(project), "assessment_completed", path_for("incubation.project", project_id=project.id),
         project=project.display_name)


def ensure_milestones(project: Project) -> list[Milestone]:
    """The project's nine milestones, created (not started) the first time they are needed."""
    existing = {m.kind: m for m in db.session.scalars(db.select(Milestone).where(Milestone.project_id == project.id))}
    for position, kind in enumerate(MilestoneKind):
        if kind not in existing:
            existing[kind] = Milestone(project_id=project.id, kind=kind, position=position)
            db.session.add(existing[kind])
    db.session.flush()
    return sorted(existing.values(), key=lambda m: m.position)


def milestones_of(project: Project) -> list[Milestone]:
    """The nine milestones in order, stored ones and unsaved placeholders (id None) for those not created yet."""
    existing = {m.kind: m for m in db.session.scalars(db.select(Milestone).where(Milestone.project_id == project.id))}
    return [existing.get(kind) or Milestone(project_id=project.id, kind=kind, position=position, notes="",
                                            status=MilestoneStatus.NOT_STARTED)
            for position, kind in enumerate(MilestoneKind)]


def start_tracking(project: Project, actor: User) -> list[Milestone]:
    """Those who keep the timeline create its nine milestones (completing an assessment also does)."""
    require(can_update_milestones(project, actor), _("只有项目负责人、签约企业和服务站可以更新里程碑"))
    return ensure_milestones(project)


def signing_interest(project: Project) -> Interest | None:
    return db.session.scalar(db.select(Interest).where(Interest.project_id == project.id,
                                                       Interest.status == InterestStatus.SIGNED))


def can_update_milestones(project: Project, user) -> bool:
    """The clinician, the signing organisation's members and staff keep the timeline."""
    return rules.may_update_milestones(user, project)


def can_view_incubation(project: Project, user) -> bool:
    return can_update_milestones(project, user)


def update_milestone(milestone: Milestone, actor: User, status: MilestoneStatus, planned_on: date | None,
                     actual_on: date | None, notes: str) -> None:
    """Record progress on one milestone; reaching 获批上市 launches the project."""
    project = milestone.project
    require(can_update_milestones(project, actor), str(_TRACKERS))
    if status is MilestoneStatus.DONE and actual_on is None:
        raise ServiceError(_("标记为已完成时请填写实际完成日期"))
    if actual_on is not None and actual_on > beijing_today():
        raise ServiceError(_("实际完成日期不能晚于今天"))
    milestone.planned_on, milestone.actual_on = planned_on, actual_on
    milestone.notes = (notes or "").strip()
    milestone.updated_by_id = actor.id
    comment = f"{milestone.kind.label} {planned_on or ''} {actual_on or ''}".strip()
    action = action_between(MILESTONE, milestone.status, status)
    if action is None:  # the same state: only the dates or notes changed
        audit.record("update_milestone", actor=actor, project=project, subject=milestone,
                     from_state=status.value, to_state=status.value, comment=comment)
    else:
        move(milestone, MILESTONE, action, actor, comment=comment)
    if milestone.kind is MilestoneKind.APPROVED and status is MilestoneStatus.DONE and \
            project.status in (ProjectStatus.SIGNED, ProjectStatus.INCUBATING):
        project_service.launch_project(project, actor, comment=_("获批上市"))
        tell(_parties(project), "launched", path_for("incubation.project", project_id=project.id),
             project=project.display_name)


def add_evidence(milestone: Milestone, actor: User, upload) -> MilestoneEvidence:
    """Attach a proof (test report, approval letter…) to a milestone."""
    require(can_update_milestones(milestone.project, actor), _("只有项目负责人、签约企业和服务站可以上传佐证材料"))
    stored, original, content_type, size = save_file(upload, f"milestones/{milestone.id}")
    evidence = MilestoneEvidence(milestone=milestone, original_name=original, stored_name=stored,
                                 content_type=content_type, size=size, uploaded_by_id=actor.id)
    db.session.add(evidence)
    db.session.flush()
    audit.record("milestone_evidence", actor=actor, project=milestone.project, subject=evidence, comment=original)
    return evidence


def overdue_milestones(today: date | None = None) -> list[Milestone]:
    """Every milestone past its planned date and not done, the longest overdue first."""
    today = today or beijing_today()
    rows = db.session.scalars(
        db.select(Milestone).join(Project, Milestone.project_id == Project.id)
        .where(Milestone.planned_on < today, Project.status.in_(TRACKED_STATES),
               Milestone.status.in_((MilestoneStatus.NOT_STARTED, MilestoneStatus.IN_PROGRESS)))
        .order_by(Milestone.planned_on, Milestone.id)).all()
    return rows


def tracked_projects() -> list[Project]:
    """Signed, incubating and launched projects, most recently changed first."""
    return db.session.scalars(db.select(Project).where(Project.status.in_(TRACKED_STATES))
                              .order_by(Project.status_changed_at.desc())).all()


notice("assessment_completed", _l("项目评估已完成：%(project)s"), _l("服务站已完成项目评估并制定一企一策帮扶方案。"),
       group="incubation")
notice("launched", _l("获批上市：%(project)s"), _l("恭喜！项目产品已获批上市。"), group="incubation")


def _parties(project: Project) -> list[User]:
    people = [project.owner]
    interest = signing_interest(project)
    if interest:
        people += [u for u in interest.organisation.members if u.active]
    return people
