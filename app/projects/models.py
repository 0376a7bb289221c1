"""The clinician's project (附件1), its attachments, its states and confidentiality tiers; saved library searches."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import LabeledEnum, StoredFile, UTCDateTime, enum_column, set_labels, utcnow
from app.extensions import db
from app.projects.rules import has_partner_access

if TYPE_CHECKING:  # relationships name these as strings
    from app.accounts.models import Institution, User


class ProjectStatus(LabeledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    RETURNED = "returned"
    PUBLISHED = "published"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    NEGOTIATING = "negotiating"
    SIGNED = "signed"
    INCUBATING = "incubating"
    LAUNCHED = "launched"
    INSTITUTION_REVIEW = "institution_review"   # 院内审核: with the hospital's officer before station review


set_labels(ProjectStatus, {
    ProjectStatus.DRAFT: _l("草稿"),
    ProjectStatus.SUBMITTED: _l("待初核"),
    ProjectStatus.RETURNED: _l("退回修改"),
    ProjectStatus.PUBLISHED: _l("已入库发布"),
    ProjectStatus.REJECTED: _l("未通过"),
    ProjectStatus.WITHDRAWN: _l("已撤回"),
    ProjectStatus.NEGOTIATING: _l("合作洽谈"),
    ProjectStatus.SIGNED: _l("签约落地"),
    ProjectStatus.INCUBATING: _l("产品培育"),
    ProjectStatus.LAUNCHED: _l("获批上市"),
    ProjectStatus.INSTITUTION_REVIEW: _l("院内审核"),
}, {
    ProjectStatus.DRAFT: "secondary",
    ProjectStatus.SUBMITTED: "warning",
    ProjectStatus.RETURNED: "danger",
    ProjectStatus.PUBLISHED: "success",
    ProjectStatus.REJECTED: "dark",
    ProjectStatus.WITHDRAWN: "light",
    ProjectStatus.NEGOTIATING: "info",
    ProjectStatus.SIGNED: "primary",
    ProjectStatus.INCUBATING: "primary",
    ProjectStatus.LAUNCHED: "success",
    ProjectStatus.INSTITUTION_REVIEW: "warning",
})

# The life of a project as the step indicator shows it.
LIFE_STEPS = (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.PUBLISHED,
              ProjectStatus.NEGOTIATING, ProjectStatus.SIGNED, ProjectStatus.INCUBATING,
              ProjectStatus.LAUNCHED)

# States in which a project is shown in the library (入选项目库).
LIBRARY_STATES = (ProjectStatus.PUBLISHED, ProjectStatus.NEGOTIATING)
SUBMITTABLE_STATES = (ProjectStatus.DRAFT, ProjectStatus.RETURNED)
EDITABLE_STATES = (ProjectStatus.DRAFT, ProjectStatus.RETURNED, ProjectStatus.PUBLISHED)

WITHDRAWABLE_STATES = (ProjectStatus.DRAFT, ProjectStatus.SUBMITTED, ProjectStatus.RETURNED,
                       ProjectStatus.PUBLISHED, ProjectStatus.INSTITUTION_REVIEW)


class ProjectType(LabeledEnum):
    ACTIVE = "active"
    PASSIVE = "passive"
    IVD = "ivd"


set_labels(ProjectType, {ProjectType.ACTIVE: _l("有源"), ProjectType.PASSIVE: _l("无源"),
                         ProjectType.IVD: _l("体外诊断试剂")})


class DeviceClass(LabeledEnum):
    I = "I"  # noqa: E741 — the regulator's own name for the class
    II = "II"
    III = "III"
    COMBINATION = "combination"
    UNDETERMINED = "undetermined"


set_labels(DeviceClass, {DeviceClass.I: _l("Ⅰ类医疗器械"), DeviceClass.II: _l("Ⅱ类医疗器械"),
                         DeviceClass.III: _l("Ⅲ类医疗器械"), DeviceClass.COMBINATION: _l("药械组合"),
                         DeviceClass.UNDETERMINED: _l("待确定")})


class Stage(LabeledEnum):
    CONCEPT = "concept"
    SAMPLE = "sample"
    DESIGN_VERIFICATION = "design_verification"
    PRODUCTION_VERIFICATION = "production_verification"
    REGISTRATION_TESTING = "registration_testing"
    CLINICAL_TRIAL = "clinical_trial"
    OTHER = "other"


set_labels(Stage, {Stage.CONCEPT: _l("概念阶段"), Stage.SAMPLE: _l("样品阶段"),
                   Stage.DESIGN_VERIFICATION: _l("设计验证阶段"),
                   Stage.PRODUCTION_VERIFICATION: _l("生产验证阶段"),
                   Stage.REGISTRATION_TESTING: _l("注册检验阶段"),
                   Stage.CLINICAL_TRIAL: _l("临床试验阶段"), Stage.OTHER: _l("其他")})


class IpExists(LabeledEnum):
    """Whether IP exists: the only public fact about the 知识产权情况."""

    GRANTED = "granted"
    PENDING = "pending"
    NONE = "none"


set_labels(IpExists, {IpExists.GRANTED: _l("已授权"), IpExists.PENDING: _l("申请中"),
                      IpExists.NONE: _l("暂无")})


class Tier:
    """Who may see a field (DESIGN.md, 保守企业与研制机构的秘密)."""

    PUBLIC = "public"      # any signed-in verified user, published projects only
    PARTNER = "partner"    # owner, staff, an organisation whose interest the owner accepted
    PRIVATE = "private"    # owner and staff


@dataclass(frozen=True)
class ProjectField:
    name: str
    label: object
    tier: str
    hint: object = ""


# Every field of 附件1, in the form's order, with the seeds' wording and its confidentiality tier.
PROJECT_FIELDS: tuple[ProjectField, ...] = (
    ProjectField("name", _l("项目名称"), Tier.PUBLIC),
    ProjectField("city", _l("所在城市"), Tier.PUBLIC),
    ProjectField("lead_name", _l("项目负责人"), Tier.PARTNER),
    ProjectField("department", _l("所在部门（科室）"), Tier.PUBLIC),
    ProjectField("phone", _l("联系电话"), Tier.PARTNER),
    ProjectField("email", _l("电子邮箱"), Tier.PARTNER),
    ProjectField("project_type", _l("项目类型"), Tier.PUBLIC),
    ProjectField("device_class", _l("产品分类（Ⅰ/Ⅱ/Ⅲ类医疗器械，药械组合，待确定）"), Tier.PUBLIC),
    ProjectField("stage", _l("项目所处阶段"), Tier.PUBLIC),
    ProjectField("stage_other", _l("其他阶段说明"), Tier.PUBLIC),
    ProjectField("structure", _l("产品结构组成"), Tier.PARTNER),
    ProjectField("principle", _l("工作原理/作用机理"), Tier.PARTNER),
    ProjectField("intended_use", _l("适用范围/预期用途"), Tier.PUBLIC),
    ProjectField("clinical_prospects", _l("临床运用前景"), Tier.PUBLIC),
    ProjectField("market", _l("行业及市场情况"), Tier.PARTNER,
                 _l("相关行业或细分领域的情况（行业背景、需求状况、现状瓶颈、发展趋势等）；国内外同类已上市产品情况")),
    ProjectField("team", _l("研究团队情况"), Tier.PARTNER, _l("项目负责人及团队主要技术成员介绍")),
    ProjectField("ip_exists", _l("是否已有知识产权"), Tier.PUBLIC),
    ProjectField("ip_status", _l("知识产权情况"), Tier.PARTNER, _l("申请和授权情况、知识产权所有人")),
    ProjectField("funded_programs", _l("列入国家、省、市立项情况"), Tier.PARTNER),
    ProjectField("current_cooperation", _l("目前合作情况"), Tier.PARTNER),
    ProjectField("partners_in_province", _l("意向合作企业（省内）"), Tier.PRIVATE),
    ProjectField("partners_out_of_province", _l("意向合作企业（省外）"), Tier.PRIVATE),
    ProjectField("other_notes", _l("其他需说明的情况"), Tier.PARTNER),
    ProjectField("public_summary", _l("公开摘要"), Tier.PUBLIC,
                 _l("将在项目库中公开展示，请勿填写结构组成、工作原理、技术参数等保密内容")),
    ProjectField("commitment_agreed", _l("承诺书"), Tier.PRIVATE),
    ProjectField("publish_consent", _l("是否愿意在平台发布"), Tier.PRIVATE),
)

FIELDS_BY_NAME = {f.name: f for f in PROJECT_FIELDS}
PUBLIC_FIELDS = tuple(f.name for f in PROJECT_FIELDS if f.tier == Tier.PUBLIC)
PARTNER_FIELDS = tuple(f.name for f in PROJECT_FIELDS if f.tier == Tier.PARTNER)
PRIVATE_FIELDS = tuple(f.name for f in PROJECT_FIELDS if f.tier == Tier.PRIVATE)

ENUM_FIELDS = {"project_type": ProjectType, "device_class": DeviceClass, "stage": Stage,
               "ip_exists": IpExists}

COMMITMENT_TEXT = _l("我承诺填报项目信息真实可靠，知识产权清晰明确。如因第三方提出侵权等引起法律纠纷，由本人承担相关责任。")


class Project(db.Model):
    """A clinical research translation project as filed on 附件1."""

    __tablename__ = "project"
    # The library (app/projects/listing.py) reads these alone: the newest-first page walks the first one in
    # order (backwards on PostgreSQL: no sort, stops after a page), counts and facet counts are index-only
    # over the second; the newest change is the facet cache's version.
    __table_args__ = (
        db.Index("ix_project_listing_order", "published_at", "id", "status", "publish_consent", "city",
                 "department", "project_type", "device_class", "stage"),
        db.Index("ix_project_listing_facets", "status", "publish_consent", "city", "department", "project_type",
                 "device_class", "stage", "published_at", "id"),
        db.Index("ix_project_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    status: Mapped[ProjectStatus] = mapped_column(enum_column(ProjectStatus), default=ProjectStatus.DRAFT,
                                                  index=True)
    # 附件1, in order
    name: Mapped[str] = mapped_column(db.String(200), default="")
    city: Mapped[str] = mapped_column(db.String(50), default="")
    lead_name: Mapped[str] = mapped_column(db.String(100), default="")
    department: Mapped[str] = mapped_column(db.String(100), default="")
    phone: Mapped[str] = mapped_column(db.String(30), default="")
    email: Mapped[str] = mapped_column(db.String(254), default="")
    project_type: Mapped[ProjectType | None] = mapped_column(enum_column(ProjectType))
    device_class: Mapped[DeviceClass | None] = mapped_column(enum_column(DeviceClass))
    stage: Mapped[Stage | None] = mapped_column(enum_column(Stage))
    stage_other: Mapped[str] = mapped_column(db.String(200), default="")
    structure: Mapped[str] = mapped_column(db.Text, default="")
    principle: Mapped[str] = mapped_column(db.Text, default="")
    intended_use: Mapped[str] = mapped_column(db.Text, default="")
    clinical_prospects: Mapped[str] = mapped_column(db.Text, default="")
    market: Mapped[str] = mapped_column(db.Text, default="")
    team: Mapped[str] = mapped_column(db.Text, default="")
    ip_exists: Mapped[IpExists | None] = mapped_column(enum_column(IpExists))
    ip_status: Mapped[str] = mapped_column(db.Text, default="")
    funded_programs: Mapped[str] = mapped_column(db.Text, default="")
    current_cooperation: Mapped[str] = mapped_column(db.Text, default="")
    partners_in_province: Mapped[str] = mapped_column(db.Text, default="")
    partners_out_of_province: Mapped[str] = mapped_column(db.Text, default="")
    other_notes: Mapped[str] = mapped_column(db.Text, default="")
    public_summary: Mapped[str] = mapped_column(db.Text, default="")
    commitment_agreed: Mapped[bool] = mapped_column(default=False)
    publish_consent: Mapped[bool | None] = mapped_column()
    # bookkeeping
    import_key: Mapped[str | None] = mapped_column(db.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # 项目申请单位: the hospital that approved the project in 院内审核 and stands behind it
    applicant_institution_id: Mapped[int | None] = mapped_column(db.ForeignKey("institution.id"))

    owner: Mapped["User"] = relationship(foreign_keys=[owner_id])  # noqa: F821
    attachments: Mapped[list["ProjectAttachment"]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectAttachment.id")
    applicant_institution: Mapped["Institution"] = relationship()  # nullable, as its column

    @property
    def display_name(self) -> str:
        return self.name or str(_l("（未命名项目）"))

    @property
    def stage_text(self) -> str:
        if self.stage is Stage.OTHER and self.stage_other:
            return f"{self.stage.label}（{self.stage_other}）"
        return self.stage.label if self.stage else ""

    def is_owner(self, user) -> bool:
        return bool(user and user.is_authenticated and user.id == self.owner_id)

    def is_listed(self) -> bool:
        """In the library: published (or in talks) and the owner agreed to publication."""
        return self.status in LIBRARY_STATES and bool(self.publish_consent)

    def can_edit(self, user) -> bool:
        return self.is_owner(user) and self.status in EDITABLE_STATES

    def can_submit(self, user) -> bool:
        return self.is_owner(user) and self.status in SUBMITTABLE_STATES

    def can_withdraw(self, user) -> bool:
        return self.is_owner(user) and self.status in WITHDRAWABLE_STATES

    def can_review(self, user) -> bool:
        return bool(user and user.is_authenticated and user.is_staff) and self.status is ProjectStatus.SUBMITTED

    def can_view_private(self, user) -> bool:
        """Drafts, review comments, preferred partners and commitment: owner and staff."""
        return self.is_owner(user) or bool(user and user.is_authenticated and user.is_staff)

    def can_view_partner(self, user) -> bool:
        """Partner-tier fields and attachments: owner, staff, or an accepted interest's organisation."""
        if self.can_view_private(user):
            return True
        return has_partner_access(self, user)

    def can_view_public(self, user) -> bool:
        if self.can_view_partner(user):
            return True
        return bool(user and user.is_authenticated and user.is_verified) and self.is_listed()

    def visible_tiers(self, user) -> set[str]:
        tiers = set()
        if self.can_view_public(user):
            tiers.add(Tier.PUBLIC)
        if self.can_view_partner(user):
            tiers.add(Tier.PARTNER)
        if self.can_view_private(user):
            tiers.add(Tier.PRIVATE)
        return tiers


class ProjectAttachment(StoredFile, db.Model):
    """A file attached to 附件1 (此表可另附纸); partner tier."""

    __tablename__ = "project_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)

    project: Mapped[Project] = relationship(back_populates="attachments")


class SavedSearch(db.Model):
    """A saved library query and filters; a newly published match notifies its owner."""

    __tablename__ = "saved_search"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(db.String(100))
    query: Mapped[str] = mapped_column(db.String(500), default="")
    filters: Mapped[dict] = mapped_column(db.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ProjectSubmission(db.Model):
    """What 附件1 said each time it went to review, so that reviewers see what changed since the last time."""

    __tablename__ = "project_submission"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    values: Mapped[dict] = mapped_column(db.JSON, default=dict)


class ProjectReturn(db.Model):
    """A station 退回修改: the overall comment and comments on single 附件1 fields, kept after resubmission.

    Once the owner resubmits, the row is closed (resubmission_id, resubmitted_at) and records which fields the
    resubmission changed; the open return (resubmission_id NULL) is what the edit form shows.
    """

    __tablename__ = "project_return"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    audit_event_id: Mapped[int | None] = mapped_column(db.ForeignKey("audit_event.id"), nullable=True)
    reviewer_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    comment: Mapped[str] = mapped_column(db.Text, default="")
    field_comments: Mapped[dict] = mapped_column(db.JSON, default=dict)
    resubmission_id: Mapped[int | None] = mapped_column(db.ForeignKey("project_submission.id"), nullable=True)
    resubmitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    changed_fields: Mapped[list | None] = mapped_column(db.JSON, nullable=True)

    resubmission: Mapped["ProjectSubmission | None"] = relationship()
    audit_event: Mapped["AuditEvent | None"] = relationship()

    @property
    def commented(self) -> list[tuple[str, str, str]]:
        """(field name, official label, comment) in 附件1's order."""
        comments = self.field_comments or {}
        return [(f.name, str(f.label), comments[f.name]) for f in PROJECT_FIELDS if comments.get(f.name)]

    @property
    def addressed(self) -> set[str]:
        """The commented fields the resubmission changed."""
        return set(self.field_comments or {}) & set(self.changed_fields or [])


def field_comments_param(comments: dict) -> str:
    """A notice parameter for tell(): comments on 附件1 fields, in 附件1's order, as JSON of [[name, comment], ...]."""
    return json.dumps([[f.name, comments[f.name]] for f in PROJECT_FIELDS if comments.get(f.name)],
                      ensure_ascii=False) if comments else ""


def field_comments_text(value) -> str:
    """The parameter read back with each field's official label in the reader's language (core/notifications.py
    calls a declared parameter's reader); a ValueError for anything but a list of pairs."""
    items = json.loads(value) if isinstance(value, str) else value
    if not isinstance(items, list):
        raise ValueError("field comments are a list")
    return "\n".join(str(_l("· %(field)s：%(comment)s", field=FIELDS_BY_NAME[name].label, comment=comment))
                     if name in FIELDS_BY_NAME else f"· {name}: {comment}"
                     for name, comment in ((str(name), str(comment)) for name, comment in items))
