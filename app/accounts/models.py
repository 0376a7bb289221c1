"""People, roles and the organisations they act for."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from app.core.models import LabeledEnum, UTCDateTime, enum_column, set_labels, utcnow
from app.extensions import db


class Role(LabeledEnum):
    CLINICIAN = "clinician"
    ENTERPRISE = "enterprise"
    INVESTOR = "investor"
    STAFF = "staff"
    ADMIN = "admin"
    INSTITUTION = "institution"   # a hospital's 成果转化 officer (科研处/成果转化办公室)


set_labels(Role, {
    Role.CLINICIAN: _l("医务人员"),
    Role.ENTERPRISE: _l("医疗器械企业"),
    Role.INVESTOR: _l("投资人/投资机构"),
    Role.STAFF: _l("创新服务站"),
    Role.ADMIN: _l("工作专班"),
    Role.INSTITUTION: _l("医疗机构成果转化管理员"),
})

ORGANISATION_ROLES = (Role.ENTERPRISE, Role.INVESTOR)
STAFF_ROLES = (Role.STAFF, Role.ADMIN)


class OrgStatus(LabeledEnum):
    PENDING = "pending"
    VERIFIED = "verified"
    REJECTED = "rejected"


set_labels(OrgStatus, {
    OrgStatus.PENDING: _l("待审核"),
    OrgStatus.VERIFIED: _l("已认证"),
    OrgStatus.REJECTED: _l("未通过"),
}, {OrgStatus.PENDING: "warning", OrgStatus.VERIFIED: "success", OrgStatus.REJECTED: "danger"})


class Organisation(db.Model):
    """An enterprise or investor, verified by station staff before its members may act."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[Role] = mapped_column(enum_column(Role))
    name: Mapped[str] = mapped_column(db.String(200))
    uscc: Mapped[str] = mapped_column(db.String(18), unique=True)
    status: Mapped[OrgStatus] = mapped_column(enum_column(OrgStatus), default=OrgStatus.PENDING)
    status_reason: Mapped[str] = mapped_column(db.Text, default="")
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id", use_alter=True))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # 附件2 company block, kept on the profile and copied into each docking form
    address: Mapped[str] = mapped_column(db.String(300), default="")
    field: Mapped[str] = mapped_column(db.String(100), default="")          # NMPA first-level category name
    legal_rep: Mapped[str] = mapped_column(db.String(100), default="")
    registered_capital_wan: Mapped[Decimal | None] = mapped_column(db.Numeric(14, 2))
    registered_on: Mapped[date | None] = mapped_column(db.Date)
    high_tech: Mapped[bool | None] = mapped_column()
    specialised: Mapped[str | None] = mapped_column(db.String(32))          # Specialised value
    contact_name: Mapped[str] = mapped_column(db.String(100), default="")
    contact_phone: Mapped[str] = mapped_column(db.String(30), default="")
    overview: Mapped[str] = mapped_column(db.Text, default="")
    region: Mapped[str] = mapped_column(db.String(50), default="")          # province, e.g. 福建省
    # The business licence (营业执照) a member uploads for verification: a stored file (app/core/files.py), read
    # only by the organisation's members and staff.
    licence_stored_name: Mapped[str | None] = mapped_column(db.String(300))
    licence_filename: Mapped[str | None] = mapped_column(db.String(255))
    licence_content_type: Mapped[str | None] = mapped_column(db.String(100))
    licence_size: Mapped[int | None] = mapped_column()
    licence_uploaded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # moves on every write to one of its suggested pairings (suggestions/models.py): 为您推荐's shared copy is keyed by it
    suggestions_version: Mapped[int] = mapped_column(default=0, server_default="0")

    members: Mapped[list["User"]] = relationship(back_populates="organisation", foreign_keys="User.organisation_id")

    @property
    def is_verified(self) -> bool:
        return self.status is OrgStatus.VERIFIED

    @property
    def has_licence(self) -> bool:
        return bool(self.licence_stored_name)


class MemberRole(LabeledEnum):
    """A member's role in the organisation: the admin member approves, invites and removes members."""
    ADMIN = "admin"
    MEMBER = "member"


set_labels(MemberRole, {MemberRole.ADMIN: _l("机构管理员"), MemberRole.MEMBER: _l("成员")},
           {MemberRole.ADMIN: "primary", MemberRole.MEMBER: "secondary"})


class MembershipKind(LabeledEnum):
    REQUEST = "request"        # someone registered with the organisation's 统一社会信用代码
    INVITATION = "invitation"  # the organisation's admin member invited an e-mail address


set_labels(MembershipKind, {MembershipKind.REQUEST: _l("加入申请"), MembershipKind.INVITATION: _l("邀请")})


class MembershipStatus(LabeledEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"


set_labels(MembershipStatus, {
    MembershipStatus.PENDING: _l("待处理"),
    MembershipStatus.APPROVED: _l("已加入"),
    MembershipStatus.DECLINED: _l("未通过"),
    MembershipStatus.CANCELLED: _l("已撤销"),
}, {MembershipStatus.PENDING: "warning", MembershipStatus.APPROVED: "success",
    MembershipStatus.DECLINED: "danger", MembershipStatus.CANCELLED: "secondary"})


class Membership(db.Model):
    """A way into an organisation that someone must approve: a join request, or an invitation by e-mail.

    Until it is approved the person is not a member (User.organisation_id stays empty), so every check that
    keys on the organisation (threads, contracts, 附件2, partner-tier text) keeps them out.
    """

    __tablename__ = "membership"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(db.ForeignKey("organisation.id"), index=True)
    kind: Mapped[MembershipKind] = mapped_column(enum_column(MembershipKind))
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus), default=MembershipStatus.PENDING)
    email: Mapped[str] = mapped_column(db.String(254), index=True)
    user_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"), index=True)   # the person joining
    created_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation] = relationship(foreign_keys=[organisation_id])
    user: Mapped["User | None"] = relationship(foreign_keys=[user_id])
    created_by: Mapped["User | None"] = relationship(foreign_keys=[created_by_id])


class User(UserMixin, db.Model):
    """A person with one role; enterprise and investor users belong to an organisation."""

    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(db.String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(db.String(256), default="")
    name: Mapped[str] = mapped_column(db.String(100))
    phone: Mapped[str] = mapped_column(db.String(30), default="")
    role: Mapped[Role] = mapped_column(enum_column(Role))
    institution: Mapped[str] = mapped_column(db.String(200), default="")
    department: Mapped[str] = mapped_column(db.String(100), default="")
    organisation_id: Mapped[int | None] = mapped_column(db.ForeignKey("organisation.id"))
    member_role: Mapped[MemberRole | None] = mapped_column(enum_column(MemberRole))  # in the organisation
    active: Mapped[bool] = mapped_column(default=True)
    # Set when the task force deactivates the account (an imported account is inactive without it, until its reset).
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    failed_logins: Mapped[int] = mapped_column(default=0)  # since the last sign-in; throttling is app/core/throttle.py
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # In the session and the remember-me cookie (get_id); bumping it signs the user out everywhere.
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # E-mail preferences: the notice groups mailed (None: all), one daily digest instead of a mail per notice,
    # and the language mails are written in.
    mail_groups: Mapped[list | None] = mapped_column(db.JSON)
    mail_digest: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    language: Mapped[str] = mapped_column(db.String(5), default="zh", server_default="zh")

    organisation: Mapped[Organisation | None] = relationship(back_populates="members", foreign_keys=[organisation_id])

    def get_id(self) -> str:
        """Flask-Login's alternative id: "<id>:<session version>", so old sessions and cookies stop working."""
        return f"{self.id}:{self.session_version}"

    def revoke_sessions(self) -> None:
        """Every session and remember-me cookie issued so far stops working (at their next request)."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str) -> None:
        method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMIN

    @property
    def is_clinician(self) -> bool:
        return self.role is Role.CLINICIAN

    @property
    def is_organisation_admin(self) -> bool:
        """The organisation's admin member: approves join requests, invites and removes members."""
        return self.organisation_id is not None and self.member_role is MemberRole.ADMIN

    @property
    def is_organisation_member(self) -> bool:
        return self.role in ORGANISATION_ROLES

    @property
    def is_institution_officer(self) -> bool:
        return self.role is Role.INSTITUTION

    @property
    def is_verified(self) -> bool:
        """Staff by their account; organisations by staff; clinicians and officers by their hospital tie."""
        if self.is_organisation_member:
            return self.organisation is not None and self.organisation.is_verified
        if self.role in (Role.CLINICIAN, Role.INSTITUTION):
            return self.affiliation is not None and self.affiliation.is_confirmed
        return True


class InstitutionLevel(LabeledEnum):
    """The hospital grade (医院等级) as the health commission assigns it."""

    GRADE_3A = "3a"
    GRADE_3B = "3b"
    GRADE_3C = "3c"
    GRADE_2A = "2a"
    GRADE_2B = "2b"
    GRADE_2C = "2c"
    GRADE_1 = "1"
    UNGRADED = "ungraded"


set_labels(InstitutionLevel, {
    InstitutionLevel.GRADE_3A: _l("三级甲等"),
    InstitutionLevel.GRADE_3B: _l("三级乙等"),
    InstitutionLevel.GRADE_3C: _l("三级丙等"),
    InstitutionLevel.GRADE_2A: _l("二级甲等"),
    InstitutionLevel.GRADE_2B: _l("二级乙等"),
    InstitutionLevel.GRADE_2C: _l("二级丙等"),
    InstitutionLevel.GRADE_1: _l("一级"),
    InstitutionLevel.UNGRADED: _l("未定级"),
})


class InstitutionCodeKind(LabeledEnum):
    """Which registration number identifies the hospital."""

    USCC = "uscc"          # 统一社会信用代码 (18 characters, GB 32100-2015)
    LICENCE = "licence"    # 医疗机构执业许可证 登记号


set_labels(InstitutionCodeKind, {InstitutionCodeKind.USCC: _l("统一社会信用代码"),
                                 InstitutionCodeKind.LICENCE: _l("医疗机构执业许可证登记号")})


class Institution(db.Model):
    """A hospital (医疗机构): kept by staff, chosen by clinicians, represented by its officers."""

    __tablename__ = "institution"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(db.String(200), unique=True)
    code_kind: Mapped[InstitutionCodeKind] = mapped_column(enum_column(InstitutionCodeKind),
                                                           default=InstitutionCodeKind.USCC)
    code: Mapped[str] = mapped_column(db.String(40), unique=True)
    city: Mapped[str] = mapped_column(db.String(50), default="")
    level: Mapped[InstitutionLevel] = mapped_column(enum_column(InstitutionLevel), default=InstitutionLevel.UNGRADED)
    # 院内审核: the officer's setting; submitted projects go to the officer before station review
    internal_review: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    affiliations: Mapped[list["Affiliation"]] = relationship(back_populates="institution")

    @property
    def officers(self) -> list["User"]:
        """The hospital's active officer accounts."""
        return [a.user for a in self.affiliations
                if a.user.role is Role.INSTITUTION and a.user.active and a.is_confirmed]


class AffiliationStatus(LabeledEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


set_labels(AffiliationStatus, {
    AffiliationStatus.PENDING: _l("待确认"),
    AffiliationStatus.CONFIRMED: _l("已确认"),
    AffiliationStatus.REJECTED: _l("未通过"),
}, {AffiliationStatus.PENDING: "warning", AffiliationStatus.CONFIRMED: "success",
    AffiliationStatus.REJECTED: "danger"})


class Affiliation(db.Model):
    """A person's tie to a hospital: a clinician's is confirmed by its officer (or staff); an officer's by staff.

    `institution` is empty while the clinician's hospital is not listed: `institution_name` is what they
    typed, and staff resolve it to a record.
    """

    __tablename__ = "affiliation"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), unique=True)
    institution_id: Mapped[int | None] = mapped_column(db.ForeignKey("institution.id"), index=True)
    institution_name: Mapped[str] = mapped_column(db.String(200), default="")
    status: Mapped[AffiliationStatus] = mapped_column(enum_column(AffiliationStatus),
                                                      default=AffiliationStatus.PENDING, index=True)
    status_reason: Mapped[str] = mapped_column(db.Text, default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id],
                                      backref=db.backref("affiliation", uselist=False, lazy="joined"))
    institution: Mapped[Institution | None] = relationship(back_populates="affiliations")

    @property
    def is_confirmed(self) -> bool:
        return self.status is AffiliationStatus.CONFIRMED

    @property
    def hospital_name(self) -> str:
        """The record's name, or what the clinician typed when the hospital is not listed."""
        return self.institution.name if self.institution else self.institution_name
