"""Programme services: articles of policy and guidance (宣贯) with events, service providers, support requests."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import LabeledEnum, StoredFile, UTCDateTime, enum_column, set_labels, utcnow
from app.extensions import db

if TYPE_CHECKING:  # relationships name these as strings
    from app.accounts.models import Organisation, User
    from app.projects.models import Project


# ---------------------------------------------------------------- policy and guidance (宣贯)

class ArticleCategory(LabeledEnum):
    POLICY = "policy"
    COOPERATION = "cooperation"
    REGISTRATION = "registration"
    NOTICE = "notice"
    FAQ = "faq"
    EVENT = "event"


set_labels(ArticleCategory, {
    ArticleCategory.POLICY: _l("政策文件"), ArticleCategory.COOPERATION: _l("院企合作模式"),
    ArticleCategory.REGISTRATION: _l("注册申报流程"), ArticleCategory.NOTICE: _l("通知公告"),
    ArticleCategory.FAQ: _l("常见问题"), ArticleCategory.EVENT: _l("活动"),
})


class ArticleStatus(LabeledEnum):
    """Draft until staff publish it; a published article with publish_at ahead is scheduled (read-time rule)."""

    DRAFT = "draft"
    PUBLISHED = "published"


set_labels(ArticleStatus, {ArticleStatus.DRAFT: _l("草稿"), ArticleStatus.PUBLISHED: _l("已发布")},
           {ArticleStatus.DRAFT: "secondary", ArticleStatus.PUBLISHED: "success"})


class Validity(LabeledEnum):
    IN_FORCE = "in_force"
    REPEALED = "repealed"


set_labels(Validity, {Validity.IN_FORCE: _l("有效"), Validity.REPEALED: _l("已废止")},
           {Validity.IN_FORCE: "success", Validity.REPEALED: "dark"})


class Article(db.Model):
    """A policy document, guide, notice, FAQ answer or 宣贯 event, written in Markdown."""

    __tablename__ = "article"

    id: Mapped[int] = mapped_column(primary_key=True)
    category: Mapped[ArticleCategory] = mapped_column(enum_column(ArticleCategory), index=True)
    title: Mapped[str] = mapped_column(db.String(200))
    summary: Mapped[str] = mapped_column(db.Text, default="")
    body: Mapped[str] = mapped_column(db.Text, default="")          # Markdown, rendered and sanitised
    issuing_body: Mapped[str] = mapped_column(db.String(200), default="")   # 发文机关
    document_number: Mapped[str] = mapped_column(db.String(100), default="")  # 文号
    issued_on: Mapped[date | None] = mapped_column(db.Date)                  # 发布/印发日期
    source_url: Mapped[str] = mapped_column(db.String(500), default="")
    validity: Mapped[Validity] = mapped_column(enum_column(Validity), default=Validity.IN_FORCE)
    tags: Mapped[list] = mapped_column(db.JSON, default=list)
    owner_unit: Mapped[str] = mapped_column(db.String(200), default="")      # 政策责任单位 (policy handbook)
    owner_contact: Mapped[str] = mapped_column(db.String(200), default="")   # 联系人及电话
    status: Mapped[ArticleStatus] = mapped_column(enum_column(ArticleStatus), default=ArticleStatus.DRAFT,
                                                  index=True)
    publish_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # events (活动: a 宣贯会)
    event_starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    event_place: Mapped[str] = mapped_column(db.String(200), default="")
    registration_open: Mapped[bool] = mapped_column(default=False)
    capacity: Mapped[int | None] = mapped_column()
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    attachments: Mapped[list["ArticleAttachment"]] = relationship(back_populates="article",
                                                                  order_by="ArticleAttachment.id")
    registrations: Mapped[list["EventRegistration"]] = relationship(back_populates="article",
                                                                    order_by="EventRegistration.id")

    def is_visible(self, now: datetime) -> bool:
        """Shown to the public: published, and its publication time has come."""
        return self.status is ArticleStatus.PUBLISHED and (self.publish_at is None or self.publish_at <= now)

    @property
    def is_event(self) -> bool:
        return self.category is ArticleCategory.EVENT


class ArticleAttachment(StoredFile, db.Model):
    """A PDF or Word file published with an article (the policy text itself, a form)."""

    __tablename__ = "article_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(db.ForeignKey("article.id"), index=True)

    article: Mapped[Article] = relationship(back_populates="attachments")


class EventRegistration(db.Model):
    """A signed-in user's registration (报名) for a 宣贯 event."""

    __tablename__ = "event_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(db.ForeignKey("article.id"), index=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    attendee_name: Mapped[str] = mapped_column(db.String(100))
    phone: Mapped[str] = mapped_column(db.String(30))
    unit: Mapped[str] = mapped_column(db.String(200), default="")   # 单位
    attendees: Mapped[int] = mapped_column(default=1)
    note: Mapped[str] = mapped_column(db.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    article: Mapped[Article] = relationship(back_populates="registrations")
    user: Mapped["User"] = relationship()  # noqa: F821

    __table_args__ = (db.UniqueConstraint("article_id", "user_id"),)


# ---------------------------------------------------------------- service resources (服务资源)

class ProviderKind(LabeledEnum):
    PROOF_OF_CONCEPT = "proof_of_concept"
    ENGINEERING = "engineering"
    ANIMAL = "animal"
    TESTING = "testing"
    CLINICAL_SITE = "clinical_site"
    CMO = "cmo"
    IP = "ip"
    REGULATORY = "regulatory"
    FINANCE = "finance"


set_labels(ProviderKind, {
    ProviderKind.PROOF_OF_CONCEPT: _l("概念验证"), ProviderKind.ENGINEERING: _l("工程化研发"),
    ProviderKind.ANIMAL: _l("动物实验"), ProviderKind.TESTING: _l("检验检测"),
    ProviderKind.CLINICAL_SITE: _l("临床试验机构"), ProviderKind.CMO: _l("委托生产（CMO/CDMO）"),
    ProviderKind.IP: _l("知识产权服务"), ProviderKind.REGULATORY: _l("注册申报咨询"), ProviderKind.FINANCE: _l("投融资"),
})


class Provider(db.Model):
    """A third-party service resource (第三方服务资源) the station coordinates; staff keep the directory.

    owner_organisation_id is empty today: a provider with an account of its own later belongs to an organisation.
    """

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(200))
    kind: Mapped[ProviderKind] = mapped_column(enum_column(ProviderKind), index=True)
    services: Mapped[str] = mapped_column(db.Text, default="")
    scope_types: Mapped[list] = mapped_column(db.JSON, default=list)   # ProjectType values covered (testing scope)
    qualifications: Mapped[str] = mapped_column(db.Text, default="")   # CMA/CNAS, GLP …
    filing_number: Mapped[str] = mapped_column(db.String(100), default="")  # NMPA 临床试验机构备案号
    region: Mapped[str] = mapped_column(db.String(100), default="")
    contact_name: Mapped[str] = mapped_column(db.String(100), default="")
    phone: Mapped[str] = mapped_column(db.String(50), default="")
    email: Mapped[str] = mapped_column(db.String(200), default="")
    address: Mapped[str] = mapped_column(db.String(300), default="")
    website: Mapped[str] = mapped_column(db.String(300), default="")
    turnaround: Mapped[str] = mapped_column(db.String(100), default="")   # 典型周期
    price_range: Mapped[str] = mapped_column(db.String(100), default="")  # 公开报价区间
    active: Mapped[bool] = mapped_column(default=True)
    owner_organisation_id: Mapped[int | None] = mapped_column(db.ForeignKey("organisation.id"), index=True)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    owner_organisation: Mapped["Organisation | None"] = relationship()  # noqa: F821


# ---------------------------------------------------------------- support and service requests (服务申请)

class RequestKind(LabeledEnum):
    PATENT = "patent"
    RD_SUBSIDY = "rd_subsidy"
    INDUSTRIALISATION_AWARD = "industrialisation_award"
    MARKET_SUPPORT = "market_support"
    PRE_REVIEW = "pre_review"
    STANDARD_GUIDANCE = "standard_guidance"
    TESTING = "testing"
    SPECIAL_REVIEW = "special_review"
    PRIORITY_APPROVAL = "priority_approval"
    KEY_SUPPORT = "key_support"
    GENETIC_RESOURCES = "genetic_resources"
    CONSULTATION = "consultation"


set_labels(RequestKind, {
    RequestKind.PATENT: _l("专利申报"), RequestKind.RD_SUBSIDY: _l("研发费用补助"),
    RequestKind.INDUSTRIALISATION_AWARD: _l("产业化奖励"), RequestKind.MARKET_SUPPORT: _l("市场推广支持"),
    RequestKind.PRE_REVIEW: _l("审评前置咨询"), RequestKind.STANDARD_GUIDANCE: _l("技术标准指导"),
    RequestKind.TESTING: _l("检验检测"), RequestKind.SPECIAL_REVIEW: _l("创新医疗器械特别审查申报"),
    RequestKind.PRIORITY_APPROVAL: _l("优先审批"), RequestKind.KEY_SUPPORT: _l("重点帮扶项目申报"),
    RequestKind.GENETIC_RESOURCES: _l("人类遗传资源申报辅导"), RequestKind.CONSULTATION: _l("预约咨询"),
})


class RequestStatus(LabeledEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"
    REFUSED = "refused"
    RETURNED = "returned"


set_labels(RequestStatus, {
    RequestStatus.DRAFT: _l("草稿"), RequestStatus.SUBMITTED: _l("已提交"), RequestStatus.ACCEPTED: _l("受理"),
    RequestStatus.IN_PROGRESS: _l("办理中"), RequestStatus.CLOSED: _l("已办结"), RequestStatus.REFUSED: _l("不予受理"),
    RequestStatus.RETURNED: _l("退回补充"),
}, {RequestStatus.DRAFT: "secondary", RequestStatus.SUBMITTED: "primary", RequestStatus.ACCEPTED: "info",
    RequestStatus.IN_PROGRESS: "info", RequestStatus.CLOSED: "success", RequestStatus.REFUSED: "dark",
    RequestStatus.RETURNED: "warning"})

OPEN_REQUEST_STATES = (RequestStatus.SUBMITTED, RequestStatus.ACCEPTED, RequestStatus.IN_PROGRESS)


class ReviewDecision(LabeledEnum):
    """A regulator's answer to a 特别审查 / 优先审批 application."""

    ACCEPTED = "accepted"
    REFUSED = "refused"


set_labels(ReviewDecision, {ReviewDecision.ACCEPTED: _l("同意进入"), ReviewDecision.REFUSED: _l("未同意")})


class SupportRequest(db.Model):
    """A request for support or a service on a project, worked through by staff (or a provider)."""

    __tablename__ = "support_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    kind: Mapped[RequestKind] = mapped_column(enum_column(RequestKind), index=True)
    status: Mapped[RequestStatus] = mapped_column(enum_column(RequestStatus), default=RequestStatus.DRAFT,
                                                  index=True)
    fields: Mapped[dict] = mapped_column(db.JSON, default=dict)      # the kind's own form fields
    opened_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    on_behalf: Mapped[bool] = mapped_column(default=False)           # staff opened it for the project's side
    provider_id: Mapped[int | None] = mapped_column(db.ForeignKey("provider.id"), index=True)
    assignee_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"), index=True)
    assessment_id: Mapped[int | None] = mapped_column(db.ForeignKey("assessment.id"))  # from a recommendation
    slot_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 预约咨询
    due_on: Mapped[date | None] = mapped_column(db.Date, index=True)
    reminded_on: Mapped[date | None] = mapped_column(db.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the outcome (办理结果)
    granted_wan: Mapped[Decimal | None] = mapped_column(db.Numeric(12, 2))
    patent_number: Mapped[str] = mapped_column(db.String(50), default="")
    decision: Mapped[ReviewDecision | None] = mapped_column(enum_column(ReviewDecision))
    outcome_note: Mapped[str] = mapped_column(db.Text, default="")
    refusal_reason: Mapped[str] = mapped_column(db.Text, default="")

    project: Mapped["Project"] = relationship()  # noqa: F821
    opened_by: Mapped["User"] = relationship(foreign_keys=[opened_by_id])  # noqa: F821
    assignee: Mapped["User | None"] = relationship(foreign_keys=[assignee_id])  # noqa: F821
    provider: Mapped[Provider | None] = relationship()
    documents: Mapped[list["RequestDocument"]] = relationship(back_populates="request", order_by="RequestDocument.id")
    comments: Mapped[list["RequestComment"]] = relationship(back_populates="request", order_by="RequestComment.id")

    def field(self, name: str, default=""):
        return (self.fields or {}).get(name, default)

    def is_overdue(self, today: date) -> bool:
        """Past its service-level date and still waiting on the station (a returned request waits on the party)."""
        return self.due_on is not None and self.due_on < today and self.status in OPEN_REQUEST_STATES


class RequestComment(db.Model):
    """A message on a request, from either side, optionally with files (RequestDocument.comment_id)."""

    __tablename__ = "request_comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(db.ForeignKey("support_request.id"), index=True)
    author_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(db.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    request: Mapped[SupportRequest] = relationship(back_populates="comments")
    author: Mapped["User"] = relationship()  # noqa: F821
    documents: Mapped[list["RequestDocument"]] = relationship(back_populates="comment", order_by="RequestDocument.id")


class RequestDocument(StoredFile, db.Model):
    """A file of a request: one of its kind's documents (requirement), a comment's attachment, or the outcome's."""

    __tablename__ = "request_document"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(db.ForeignKey("support_request.id"), index=True)
    requirement: Mapped[str] = mapped_column(db.String(50), default="")   # a DocumentSpec key, "outcome", or ""
    comment_id: Mapped[int | None] = mapped_column(db.ForeignKey("request_comment.id"))

    request: Mapped[SupportRequest] = relationship(back_populates="documents")
    comment: Mapped[RequestComment | None] = relationship(back_populates="documents")
