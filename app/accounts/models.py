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


set_labels(Role, {
    Role.CLINICIAN: _l("医务人员"),
    Role.ENTERPRISE: _l("医疗器械企业"),
    Role.INVESTOR: _l("投资人/投资机构"),
    Role.STAFF: _l("创新服务站"),
    Role.ADMIN: _l("工作专班"),
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

    members: Mapped[list["User"]] = relationship(back_populates="organisation", foreign_keys="User.organisation_id")

    @property
    def is_verified(self) -> bool:
        return self.status is OrgStatus.VERIFIED


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
    active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # E-mail preferences: the notice groups mailed (None: all), one daily digest instead of a mail per notice,
    # and the language mails are written in.
    mail_groups: Mapped[list | None] = mapped_column(db.JSON)
    mail_digest: Mapped[bool] = mapped_column(default=False, server_default=db.false())
    language: Mapped[str] = mapped_column(db.String(5), default="zh", server_default="zh")

    organisation: Mapped[Organisation | None] = relationship(back_populates="members", foreign_keys=[organisation_id])

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
    def is_organisation_member(self) -> bool:
        return self.role in ORGANISATION_ROLES

    @property
    def is_verified(self) -> bool:
        """Clinicians and staff are verified by their account; organisations by staff."""
        if self.is_organisation_member:
            return self.organisation is not None and self.organisation.is_verified
        return True
