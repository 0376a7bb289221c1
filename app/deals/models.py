"""The deal flow: investment intents, interests (意向), negotiation threads, signing, the docking form (附件2)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import LabeledEnum, UTCDateTime, enum_column, set_labels, utcnow
from app.core.punctuation import fw
from app.extensions import db

if TYPE_CHECKING:  # relationships name these as strings
    from app.accounts.models import Organisation, User
    from app.projects.models import Project


class CooperationMode(LabeledEnum):
    """合作方式, the six of 附件2."""

    TECH_TRANSFER = "tech_transfer"
    TECH_EQUITY = "tech_equity"
    JOINT_DEVELOPMENT = "joint_development"
    COMMISSIONED_RD = "commissioned_rd"
    LONG_TERM_SERVICE = "long_term_service"
    NEW_ENTITY = "new_entity"


set_labels(CooperationMode, {
    CooperationMode.TECH_TRANSFER: _l("技术转让"),
    CooperationMode.TECH_EQUITY: _l("技术入股"),
    CooperationMode.JOINT_DEVELOPMENT: _l("联合开发"),
    CooperationMode.COMMISSIONED_RD: _l("委托研发"),
    CooperationMode.LONG_TERM_SERVICE: _l("委托团队、专家长期技术服务"),
    CooperationMode.NEW_ENTITY: _l("共建新研发、生产实体"),
})


class Specialised(LabeledEnum):
    """专精特新企业 level."""

    NATIONAL = "national"
    PROVINCIAL = "provincial"
    MUNICIPAL = "municipal"
    NONE = "none"


set_labels(Specialised, {Specialised.NATIONAL: _l("国家级"), Specialised.PROVINCIAL: _l("省级"),
                         Specialised.MUNICIPAL: _l("市级"), Specialised.NONE: _l("否")})


class RegionPreference(LabeledEnum):
    IN_PROVINCE = "in_province"
    OUT_OF_PROVINCE = "out_of_province"
    ANY = "any"


set_labels(RegionPreference, {RegionPreference.IN_PROVINCE: _l("省内"),
                              RegionPreference.OUT_OF_PROVINCE: _l("省外"), RegionPreference.ANY: _l("不限")})


class IntentStatus(LabeledEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    CLOSED = "closed"


set_labels(IntentStatus, {IntentStatus.ACTIVE: _l("有效"), IntentStatus.PAUSED: _l("暂停"),
                          IntentStatus.CLOSED: _l("已关闭")},
           {IntentStatus.ACTIVE: "success", IntentStatus.PAUSED: "warning", IntentStatus.CLOSED: "secondary"})


class Intent(db.Model):
    """An organisation's investment intent (投资意向): what projects it is looking for."""

    __tablename__ = "intent"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(db.ForeignKey("organisation.id"), index=True)
    title: Mapped[str] = mapped_column(db.String(200))
    description: Mapped[str] = mapped_column(db.Text, default="")
    keywords: Mapped[list] = mapped_column(db.JSON, default=list)
    fields: Mapped[list] = mapped_column(db.JSON, default=list)              # NMPA first-level codes
    device_classes: Mapped[list] = mapped_column(db.JSON, default=list)      # DeviceClass values
    stages: Mapped[list] = mapped_column(db.JSON, default=list)              # Stage values
    cooperation_modes: Mapped[list] = mapped_column(db.JSON, default=list)   # CooperationMode values
    budget_min_wan: Mapped[Decimal | None] = mapped_column(db.Numeric(14, 2))
    budget_max_wan: Mapped[Decimal | None] = mapped_column(db.Numeric(14, 2))
    region_preference: Mapped[RegionPreference] = mapped_column(enum_column(RegionPreference),
                                                                default=RegionPreference.ANY)
    status: Mapped[IntentStatus] = mapped_column(enum_column(IntentStatus), default=IntentStatus.ACTIVE,
                                                 index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    organisation: Mapped["Organisation"] = relationship()  # noqa: F821

    def can_edit(self, user) -> bool:
        return bool(user and user.is_authenticated and user.organisation_id == self.organisation_id
                    and user.is_verified)


class InterestStatus(LabeledEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    SIGNED = "signed"
    FAILED = "failed"


set_labels(InterestStatus, {
    InterestStatus.PENDING: _l("待回复"), InterestStatus.ACCEPTED: _l("已接受·洽谈中"),
    InterestStatus.DECLINED: _l("已婉拒"), InterestStatus.WITHDRAWN: _l("已撤回"),
    InterestStatus.EXPIRED: _l("已过期"), InterestStatus.SIGNED: _l("已签约"), InterestStatus.FAILED: _l("洽谈终止"),
}, {
    InterestStatus.PENDING: "warning", InterestStatus.ACCEPTED: "info", InterestStatus.DECLINED: "secondary",
    InterestStatus.WITHDRAWN: "light", InterestStatus.EXPIRED: "light", InterestStatus.SIGNED: "success",
    InterestStatus.FAILED: "dark",
})

PARTNER_ACCESS_STATES = (InterestStatus.ACCEPTED, InterestStatus.SIGNED)


class DeclineReason(LabeledEnum):
    """Why the clinician declines an interest or ends talks: reasons from the clinician's side (DESIGN.md)."""
    MODE = "mode"
    BUDGET = "budget"
    HAS_PARTNER = "has_partner"
    CAPABILITY = "capability"
    OTHER = "other"


set_labels(DeclineReason, {DeclineReason.MODE: _l("合作方式不合适"), DeclineReason.BUDGET: _l("报价或预算不匹配"),
                           DeclineReason.HAS_PARTNER: _l("已有合作意向方"), DeclineReason.CAPABILITY: _l("企业能力不匹配"),
                           DeclineReason.OTHER: _l("其他")})


class PassReason(LabeledEnum):
    """Why an organisation ends talks or passes on a suggested project: reasons from its side (DESIGN.md)."""
    TOO_EARLY = "too_early"
    NOT_OUR_FIELD = "not_our_field"
    IP_UNCLEAR = "ip_unclear"
    BUDGET = "budget"
    OTHER = "other"


set_labels(PassReason, {PassReason.TOO_EARLY: _l("项目阶段过早"), PassReason.NOT_OUR_FIELD: _l("不属于我方领域"),
                        PassReason.IP_UNCLEAR: _l("知识产权不清晰"), PassReason.BUDGET: _l("预算不匹配"),
                        PassReason.OTHER: _l("其他")})


class Side(LabeledEnum):
    """Which side gave a reason."""
    CLINICIAN = "clinician"
    ORGANISATION = "organisation"


set_labels(Side, {Side.CLINICIAN: _l("医务人员一方"), Side.ORGANISATION: _l("企业/投资方一方")})


class Interest(db.Model):
    """An organisation's expression of interest (意向/竞价) in a published project."""

    __tablename__ = "interest"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(db.ForeignKey("organisation.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    intent_id: Mapped[int | None] = mapped_column(db.ForeignKey("intent.id"))
    message: Mapped[str] = mapped_column(db.Text, default="")
    cooperation_modes: Mapped[list] = mapped_column(db.JSON, default=list)
    amount_wan: Mapped[Decimal | None] = mapped_column(db.Numeric(14, 2))
    timeline: Mapped[str] = mapped_column(db.String(200), default="")
    status: Mapped[InterestStatus] = mapped_column(enum_column(InterestStatus), default=InterestStatus.PENDING,
                                                   index=True)
    decline_reason: Mapped[DeclineReason | None] = mapped_column(enum_column(DeclineReason))
    decline_note: Mapped[str] = mapped_column(db.Text, default="")
    end_reason: Mapped[str] = mapped_column(db.Text, default="")          # the note of whoever ended the talks
    ended_by_side: Mapped[Side | None] = mapped_column(enum_column(Side))
    end_reason_code: Mapped[str | None] = mapped_column(db.String(32))    # a DeclineReason or PassReason value
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    project: Mapped["Project"] = relationship()  # noqa: F821
    organisation: Mapped["Organisation"] = relationship()  # noqa: F821
    created_by: Mapped["User"] = relationship(foreign_keys=[created_by_id])  # noqa: F821
    messages: Mapped[list["NegotiationMessage"]] = relationship(back_populates="interest",
                                                                order_by="NegotiationMessage.id")
    agreement: Mapped["Agreement | None"] = relationship(back_populates="interest", uselist=False)
    docking_form: Mapped["DockingForm | None"] = relationship(back_populates="interest", uselist=False)

    @property
    def end_reason_label(self) -> str:
        """The coded reason the talks ended for, in the side's own list, with the note."""
        reasons = PassReason if self.ended_by_side is Side.ORGANISATION else DeclineReason
        label = ""
        if self.end_reason_code:
            try:
                label = reasons(self.end_reason_code).label
            except ValueError:
                label = self.end_reason_code
        note = self.end_reason if self.end_reason != label else ""
        return f"{label}{fw('（')}{note}{fw('）')}" if label and note else (label or note)

    def is_member(self, user) -> bool:
        """The user acts for the interested organisation."""
        return bool(user and user.is_authenticated and user.organisation_id == self.organisation_id
                    and user.is_verified)

    def is_project_owner(self, user) -> bool:
        return bool(user and user.is_authenticated and user.id == self.project.owner_id)

    def is_party(self, user) -> bool:
        return self.is_member(user) or self.is_project_owner(user)

    def can_view(self, user) -> bool:
        return self.is_party(user) or bool(user and user.is_authenticated and user.is_staff)

    def can_respond(self, user) -> bool:
        return self.is_project_owner(user) and self.status is InterestStatus.PENDING

    def can_accept(self, user) -> bool:
        """Only while the project is in the library (not while an edit waits in review)."""
        return self.can_respond(user) and self.project.status.value in ("published", "negotiating")

    def can_withdraw(self, user) -> bool:
        return self.is_member(user) and self.status is InterestStatus.PENDING

    def can_message(self, user) -> bool:
        return self.is_party(user) and self.status is InterestStatus.ACCEPTED

    def can_end(self, user) -> bool:
        return self.is_party(user) and self.status is InterestStatus.ACCEPTED

    def can_record_signing(self, user) -> bool:
        return self.is_party(user) and self.status is InterestStatus.ACCEPTED and (
            self.agreement is None or not self.agreement.is_confirmed)

    def can_file_docking_form(self, user) -> bool:
        return self.is_member(user) and self.status is InterestStatus.SIGNED


class NegotiationMessage(db.Model):
    """A message in the private thread (合作洽谈) of an accepted interest."""

    __tablename__ = "negotiation_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(db.ForeignKey("interest.id"), index=True)
    sender_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    body: Mapped[str] = mapped_column(db.Text, default="")
    attachment_stored_name: Mapped[str | None] = mapped_column(db.String(255))
    attachment_original_name: Mapped[str | None] = mapped_column(db.String(255))
    attachment_content_type: Mapped[str | None] = mapped_column(db.String(100))
    attachment_size: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interest: Mapped[Interest] = relationship(back_populates="messages")
    sender: Mapped["User"] = relationship()  # noqa: F821


class ThreadRead(db.Model):
    """How far a user has read a negotiation thread, for unread counts."""

    __tablename__ = "thread_read"

    interest_id: Mapped[int] = mapped_column(db.ForeignKey("interest.id"), primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), primary_key=True)
    last_read_message_id: Mapped[int] = mapped_column(default=0)


class AgreementStatus(LabeledEnum):
    AWAITING = "awaiting"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"


set_labels(AgreementStatus, {AgreementStatus.AWAITING: _l("待对方确认"), AgreementStatus.CONFIRMED: _l("双方已确认"),
                             AgreementStatus.DISPUTED: _l("对方未确认")},
           {AgreementStatus.AWAITING: "warning", AgreementStatus.CONFIRMED: "success",
            AgreementStatus.DISPUTED: "danger"})


class Agreement(db.Model):
    """The recorded cooperation (签约落地): recorded by one side, confirmed by the other."""

    __tablename__ = "agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(db.ForeignKey("interest.id"), unique=True)
    recorded_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    cooperation_modes: Mapped[list] = mapped_column(db.JSON, default=list)
    amount_wan: Mapped[Decimal | None] = mapped_column(db.Numeric(14, 2))
    signed_on: Mapped[date] = mapped_column(db.Date)
    summary: Mapped[str] = mapped_column(db.Text, default="")
    contract_stored_name: Mapped[str] = mapped_column(db.String(255))
    contract_original_name: Mapped[str] = mapped_column(db.String(255))
    status: Mapped[AgreementStatus] = mapped_column(enum_column(AgreementStatus), default=AgreementStatus.AWAITING)
    dispute_note: Mapped[str] = mapped_column(db.Text, default="")
    confirmed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    interest: Mapped[Interest] = relationship(back_populates="agreement")
    recorded_by: Mapped["User"] = relationship(foreign_keys=[recorded_by_id])  # noqa: F821

    @property
    def is_confirmed(self) -> bool:
        return self.status is AgreementStatus.CONFIRMED

    def recorded_by_owner_side(self) -> bool:
        return self.recorded_by_id == self.interest.project.owner_id

    @property
    def project(self) -> "Project":
        return self.interest.project

    def is_other_side(self, user) -> bool:
        """Not the recorder's side of the interest."""
        if self.recorded_by_owner_side():
            return self.interest.is_member(user)
        return self.interest.is_project_owner(user)

    def can_confirm(self, user) -> bool:
        """The other side confirms (or disputes) an agreement awaiting it, while the talks are on."""
        return (self.status is AgreementStatus.AWAITING and self.interest.status is InterestStatus.ACCEPTED
                and self.is_other_side(user))


class DockingStatus(LabeledEnum):
    """附件2: filled in, filed with the station, returned for correction or acknowledged (then locked)."""

    DRAFT = "draft"
    FILED = "filed"
    RETURNED = "returned"
    ACKNOWLEDGED = "acknowledged"


set_labels(DockingStatus, {DockingStatus.DRAFT: _l("填写中"), DockingStatus.FILED: _l("已报送，待确认"),
                           DockingStatus.RETURNED: _l("退回修改"), DockingStatus.ACKNOWLEDGED: _l("已确认")},
           {DockingStatus.DRAFT: "warning", DockingStatus.FILED: "info", DockingStatus.RETURNED: "danger",
            DockingStatus.ACKNOWLEDGED: "success"})


class DockingForm(db.Model):
    """附件2 企业意向临床研究成果转化项目对接表, filed by the signing enterprise."""

    __tablename__ = "docking_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    interest_id: Mapped[int] = mapped_column(db.ForeignKey("interest.id"), unique=True)
    status: Mapped[DockingStatus] = mapped_column(enum_column(DockingStatus), default=DockingStatus.DRAFT)
    filed_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    # 企业 block (copied from the profile when the form is started, editable on the form)
    company_name: Mapped[str] = mapped_column(db.String(200), default="")
    address: Mapped[str] = mapped_column(db.String(300), default="")
    uscc: Mapped[str] = mapped_column(db.String(18), default="")
    field: Mapped[str] = mapped_column(db.String(100), default="")
    legal_rep: Mapped[str] = mapped_column(db.String(100), default="")
    registered_capital_wan: Mapped[Decimal | None] = mapped_column(db.Numeric(14, 2))
    registered_on: Mapped[date | None] = mapped_column(db.Date)
    high_tech: Mapped[bool | None] = mapped_column()
    specialised: Mapped[Specialised | None] = mapped_column(enum_column(Specialised))
    contact_name: Mapped[str] = mapped_column(db.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(db.String(30), default="")
    overview: Mapped[str] = mapped_column(db.Text, default="")
    # 企业技术意向合作情况
    project_name: Mapped[str] = mapped_column(db.String(200), default="")
    applicant: Mapped[str] = mapped_column(db.String(300), default="")
    progress_work: Mapped[str] = mapped_column(db.Text, default="")
    progress_stage: Mapped[str] = mapped_column(db.Text, default="")
    progress_investment: Mapped[str] = mapped_column(db.Text, default="")
    progress_equipment: Mapped[str] = mapped_column(db.Text, default="")
    progress_production: Mapped[str] = mapped_column(db.Text, default="")
    progress_other: Mapped[str] = mapped_column(db.Text, default="")
    cooperation_modes: Mapped[list] = mapped_column(db.JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the station's answer: returned with a comment (shown to the filer), or acknowledged (the form is locked)
    return_comment: Mapped[str] = mapped_column(db.Text, default="")
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    returned_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    # the signed and stamped scan (盖章扫描件), one kept with the form; a new upload replaces it (audited)
    scan_stored_name: Mapped[str | None] = mapped_column(db.String(255))
    scan_original_name: Mapped[str | None] = mapped_column(db.String(255))
    scan_content_type: Mapped[str | None] = mapped_column(db.String(100))
    scan_size: Mapped[int | None] = mapped_column()
    scan_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scan_uploaded_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))

    interest: Mapped[Interest] = relationship(back_populates="docking_form")
    returned_by: Mapped["User | None"] = relationship(foreign_keys=[returned_by_id])  # noqa: F821
    acknowledged_by: Mapped["User | None"] = relationship(foreign_keys=[acknowledged_by_id])  # noqa: F821
    scan_uploaded_by: Mapped["User | None"] = relationship(foreign_keys=[scan_uploaded_by_id])  # noqa: F821

    @property
    def project(self) -> "Project":
        return self.interest.project

    @property
    def is_locked(self) -> bool:
        """Acknowledged by the station: nobody changes it any more (its scan included)."""
        return self.status is DockingStatus.ACKNOWLEDGED

    def can_edit(self, user) -> bool:
        return self.interest.is_member(user) and not self.is_locked

    def can_upload_scan(self, user) -> bool:
        """The filing organisation's members and staff, until the form is locked."""
        return self.id is not None and not self.is_locked and (
            self.interest.is_member(user) or bool(user and user.is_authenticated and user.is_staff))

    def can_view(self, user) -> bool:
        return self.interest.is_member(user) or bool(user and user.is_authenticated and user.is_staff)


class ProjectPass(db.Model):
    """An organisation passes on a suggested or 服务站推荐 project, with a reason from its side the owner reads."""

    __tablename__ = "project_pass"
    __table_args__ = (db.UniqueConstraint("project_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(db.ForeignKey("organisation.id"), index=True)
    passed_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    reason: Mapped[PassReason] = mapped_column(enum_column(PassReason))
    note: Mapped[str] = mapped_column(db.Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped["Project"] = relationship()  # noqa: F821
    organisation: Mapped["Organisation"] = relationship()  # noqa: F821
