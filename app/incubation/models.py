"""After signing: incubation assessments (项目评估) with their scores, milestones (全流程跟踪) with evidence."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import LabeledEnum, StoredFile, UTCDateTime, enum_column, set_labels, utcnow
from app.extensions import db

if TYPE_CHECKING:  # relationships name these as strings
    from app.accounts.models import User
    from app.projects.models import Project


class Indicator(LabeledEnum):
    """The four assessment indicators of the Fujian plan (产品培育阶段)."""

    TECHNOLOGY = "technology"
    FINALISATION = "finalisation"
    CLINICAL_POTENTIAL = "clinical_potential"
    PARTNER_CAPABILITY = "partner_capability"


set_labels(Indicator, {Indicator.TECHNOLOGY: _l("技术先进性"), Indicator.FINALISATION: _l("产品定型程度"),
                       Indicator.CLINICAL_POTENTIAL: _l("临床应用潜力"),
                       Indicator.PARTNER_CAPABILITY: _l("合作企业能力")})

SCORE_MIN, SCORE_MAX = 0, 100  # 百分制 per indicator

DEFAULT_WEIGHTS = {Indicator.TECHNOLOGY.value: 30, Indicator.FINALISATION.value: 20,
                   Indicator.CLINICAL_POTENTIAL.value: 30, Indicator.PARTNER_CAPABILITY.value: 20}


class Recommendation(LabeledEnum):
    PRE_REVIEW = "pre_review"
    INNOVATION_SPECIAL = "innovation_special"
    KEY_SUPPORT = "key_support"
    PRIORITY_APPROVAL = "priority_approval"


set_labels(Recommendation, {Recommendation.PRE_REVIEW: _l("审评前置"),
                            Recommendation.INNOVATION_SPECIAL: _l("创新医疗器械特别审查"),
                            Recommendation.KEY_SUPPORT: _l("省局重点帮扶"),
                            Recommendation.PRIORITY_APPROVAL: _l("优先审批")})


class AssessmentStatus(LabeledEnum):
    OPEN = "open"
    COMPLETED = "completed"


set_labels(AssessmentStatus, {AssessmentStatus.OPEN: _l("评估中"), AssessmentStatus.COMPLETED: _l("已完成")},
           {AssessmentStatus.OPEN: "warning", AssessmentStatus.COMPLETED: "success"})


class Assessment(db.Model):
    """One version of a signed project's incubation assessment; a re-assessment adds a new version."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    version: Mapped[int] = mapped_column()
    status: Mapped[AssessmentStatus] = mapped_column(enum_column(AssessmentStatus), default=AssessmentStatus.OPEN)
    opened_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    weights: Mapped[dict] = mapped_column(db.JSON, default=dict)          # the weights in force when completed
    total_score: Mapped[Decimal | None] = mapped_column(db.Numeric(6, 2))
    recommendations: Mapped[list] = mapped_column(db.JSON, default=list)  # Recommendation values
    support_plan: Mapped[str] = mapped_column(db.Text, default="")         # 一企一策
    responsible_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    next_review_on: Mapped[date | None] = mapped_column(db.Date)

    project: Mapped["Project"] = relationship()  # noqa: F821
    opened_by: Mapped["User"] = relationship(foreign_keys=[opened_by_id])  # noqa: F821
    responsible: Mapped["User | None"] = relationship(foreign_keys=[responsible_id])  # noqa: F821
    scores: Mapped[list["AssessmentScore"]] = relationship(back_populates="assessment",
                                                           order_by="AssessmentScore.id")

    __table_args__ = (db.UniqueConstraint("project_id", "version"),)


class AssessmentScore(db.Model):
    """One assessor's scores (0–100) and comments on the four indicators."""

    __tablename__ = "assessment_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    assessment_id: Mapped[int] = mapped_column(db.ForeignKey("assessment.id"), index=True)
    assessor_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    technology: Mapped[int] = mapped_column()
    technology_comment: Mapped[str] = mapped_column(db.Text, default="")
    finalisation: Mapped[int] = mapped_column()
    finalisation_comment: Mapped[str] = mapped_column(db.Text, default="")
    clinical_potential: Mapped[int] = mapped_column()
    clinical_potential_comment: Mapped[str] = mapped_column(db.Text, default="")
    partner_capability: Mapped[int] = mapped_column()
    partner_capability_comment: Mapped[str] = mapped_column(db.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    assessment: Mapped[Assessment] = relationship(back_populates="scores")
    assessor: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (db.UniqueConstraint("assessment_id", "assessor_id"),)

    def score(self, indicator: Indicator) -> int:
        return getattr(self, indicator.value)

    def comment(self, indicator: Indicator) -> str:
        return getattr(self, indicator.value + "_comment")


class MilestoneKind(LabeledEnum):
    """全流程跟踪: from product finalisation to hospital use (Beijing 000/002, Shanghai 001)."""

    FINALISATION = "finalisation"
    REGISTRATION_TESTING = "registration_testing"
    TRIAL_START = "trial_start"
    TRIAL_DONE = "trial_done"
    REGISTRATION_FILED = "registration_filed"
    APPROVED = "approved"
    PRODUCTION_LICENCE = "production_licence"
    PRICING_INSURANCE = "pricing_insurance"
    HOSPITAL_USE = "hospital_use"


set_labels(MilestoneKind, {
    MilestoneKind.FINALISATION: _l("产品定型"), MilestoneKind.REGISTRATION_TESTING: _l("注册检验"),
    MilestoneKind.TRIAL_START: _l("临床试验启动"), MilestoneKind.TRIAL_DONE: _l("临床试验完成"),
    MilestoneKind.REGISTRATION_FILED: _l("注册申报"), MilestoneKind.APPROVED: _l("获批上市"),
    MilestoneKind.PRODUCTION_LICENCE: _l("生产许可/合规生产"),
    MilestoneKind.PRICING_INSURANCE: _l("挂网与医保（新增医疗服务价格项目、医保支付）"),
    MilestoneKind.HOSPITAL_USE: _l("入院应用"),
})


class MilestoneStatus(LabeledEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    NOT_APPLICABLE = "not_applicable"


set_labels(MilestoneStatus, {MilestoneStatus.NOT_STARTED: _l("未开始"), MilestoneStatus.IN_PROGRESS: _l("进行中"),
                             MilestoneStatus.DONE: _l("已完成"), MilestoneStatus.NOT_APPLICABLE: _l("不适用")},
           {MilestoneStatus.NOT_STARTED: "secondary", MilestoneStatus.IN_PROGRESS: "info",
            MilestoneStatus.DONE: "success", MilestoneStatus.NOT_APPLICABLE: "light"})


class Milestone(db.Model):
    """One step of a signed project's road to market, with planned and actual dates."""

    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    kind: Mapped[MilestoneKind] = mapped_column(enum_column(MilestoneKind))
    position: Mapped[int] = mapped_column()
    status: Mapped[MilestoneStatus] = mapped_column(enum_column(MilestoneStatus),
                                                    default=MilestoneStatus.NOT_STARTED)
    planned_on: Mapped[date | None] = mapped_column(db.Date, index=True)
    actual_on: Mapped[date | None] = mapped_column(db.Date)
    notes: Mapped[str] = mapped_column(db.Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    project: Mapped["Project"] = relationship()  # noqa: F821
    evidence: Mapped[list["MilestoneEvidence"]] = relationship(back_populates="milestone",
                                                               order_by="MilestoneEvidence.id")

    __table_args__ = (db.UniqueConstraint("project_id", "kind"),)

    def is_overdue(self, today: date) -> bool:
        """Planned date passed and the step is neither done nor set aside."""
        return (self.planned_on is not None and self.planned_on < today
                and self.status in (MilestoneStatus.NOT_STARTED, MilestoneStatus.IN_PROGRESS))


class MilestoneEvidence(StoredFile, db.Model):
    """A file proving a milestone (test report, approval, contract…)."""

    __tablename__ = "milestone_evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    milestone_id: Mapped[int] = mapped_column(db.ForeignKey("milestone.id"), index=True)

    milestone: Mapped[Milestone] = relationship(back_populates="evidence")
