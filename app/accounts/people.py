"""User and organisation management at a province's scale: search, filters, counts and pages; reactivating,
changing a staff account's role; the business licence (营业执照) an organisation uploads for its verification."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts import operations as accounts
from app.accounts import rules
from app.accounts.models import (ORGANISATION_ROLES, STAFF_ROLES, Affiliation, AffiliationStatus, Institution,
                                 Organisation, OrgStatus, Role, User)
from app.core import audit
from app.core.errors import TransitionError, ValidationError, require
from app.core.files import SCAN_TYPES, save_file
from app.core.models import utcnow
from app.extensions import db

# The official public registry where anyone looks a 统一社会信用代码 up (opened by the user, never fetched here).
GSXT_URL = "https://www.gsxt.gov.cn"

USER_STATES = {"active": _l("正常"), "pending": _l("待认证/待确认"), "inactive": _l("已停用")}


def _pattern(text: str) -> str:
    """A LIKE pattern matching text anywhere, with the wildcards in text taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _like(column, text: str):
    return column.ilike(_pattern(text), escape="\\")


@dataclass
class UserFilters:
    """The user list's search and filters, read from the query string (unknown values are ignored)."""

    q: str = ""
    role: Role | None = None
    state: str = ""
    org_status: OrgStatus | None = None
    city: str = ""

    @classmethod
    def from_args(cls, args) -> "UserFilters":
        role = args.get("role", "")
        org_status = args.get("org_status", "")
        return cls(q=(args.get("q") or "").strip()[:100],
                   role=Role(role) if role in {r.value for r in Role} else None,
                   state=args.get("state", "") if args.get("state", "") in USER_STATES else "",
                   org_status=OrgStatus(org_status) if org_status in {s.value for s in OrgStatus} else None,
                   city=(args.get("city") or "").strip()[:50])

    def as_args(self, **overrides) -> dict[str, str]:
        values = {"q": self.q, "role": self.role.value if self.role else "", "state": self.state,
                  "org_status": self.org_status.value if self.org_status else "", "city": self.city} | overrides
        return {key: value for key, value in values.items() if value}

    @property
    def active_count(self) -> int:
        return sum(1 for value in (self.q, self.role, self.state, self.org_status, self.city) if value)


def _pending_clause():
    """Signed up but not yet able to act: organisation not verified (or not joined), hospital tie not confirmed."""
    waiting_organisation = db.and_(User.role.in_(ORGANISATION_ROLES),
                                   db.or_(User.organisation_id.is_(None), Organisation.status != OrgStatus.VERIFIED))
    waiting_hospital = db.and_(User.role.in_((Role.CLINICIAN, Role.INSTITUTION)),
                               db.or_(Affiliation.id.is_(None), Affiliation.status != AffiliationStatus.CONFIRMED))
    return db.and_(User.active.is_(True), db.or_(waiting_organisation, waiting_hospital))


def _state_clause(state: str):
    if state == "inactive":
        return User.active.is_(False)
    if state == "pending":
        return _pending_clause()
    return db.and_(User.active.is_(True), db.not_(_pending_clause()))


def _user_query(filters: UserFilters, with_state: bool = True):
    query = (db.select(User).outerjoin(Organisation, User.organisation_id == Organisation.id)
             .outerjoin(Affiliation, Affiliation.user_id == User.id)
             .outerjoin(Institution, Affiliation.institution_id == Institution.id))
    if filters.q:
        query = query.where(db.or_(*(_like(column, filters.q) for column in (
            User.name, User.email, User.phone, User.institution, Organisation.name, Organisation.uscc,
            Institution.name))))
    if filters.role:
        query = query.where(User.role == filters.role)
    if filters.org_status:
        query = query.where(Organisation.status == filters.org_status)
    if filters.city:
        query = query.where(db.or_(Institution.city == filters.city, _like(Organisation.address, filters.city)))
    if with_state and filters.state:
        query = query.where(_state_clause(filters.state))
    return query


@dataclass
class Page:
    """One page of a filtered list, with the total and the counts the filter tabs show."""

    items: list
    total: int
    page: int
    pages: int
    counts: dict = field(default_factory=dict)


def _count(query) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(query.order_by(None).subquery())) or 0


def _per_page() -> int:
    return int(current_app.config.get("PER_PAGE", 20))


def user_page(filters: UserFilters, page: int = 1) -> Page:
    """Users matching the filters, newest first, one page; counts per state under the other filters."""
    query = _user_query(filters)
    total = _count(query)
    pages = max(1, math.ceil(total / _per_page()))
    page = min(max(1, page), pages)
    items = db.session.scalars(query.order_by(User.created_at.desc(), User.id.desc())
                               .limit(_per_page()).offset((page - 1) * _per_page())).unique().all()
    base = _user_query(filters, with_state=False)
    counts = {state: _count(base.where(_state_clause(state))) for state in USER_STATES}
    return Page(items, total, page, pages, counts)


def user_cities() -> list[str]:
    """The cities the city filter offers: those of the listed hospitals."""
    return list(db.session.scalars(db.select(Institution.city).where(Institution.city != "").distinct()
                                   .order_by(Institution.city)))


@dataclass
class OrganisationFilters:
    """The organisation list's search and filters."""

    status: OrgStatus = OrgStatus.PENDING
    q: str = ""
    kind: Role | None = None
    city: str = ""
    licence: str = ""   # "yes" / "no": uploaded or not

    @classmethod
    def from_args(cls, args) -> "OrganisationFilters":
        status, kind = args.get("status", ""), args.get("kind", "")
        return cls(status=OrgStatus(status) if status in {s.value for s in OrgStatus} else OrgStatus.PENDING,
                   q=(args.get("q") or "").strip()[:100],
                   kind=Role(kind) if kind in {r.value for r in ORGANISATION_ROLES} else None,
                   city=(args.get("city") or "").strip()[:50],
                   licence=args.get("licence", "") if args.get("licence") in ("yes", "no") else "")

    def as_args(self, **overrides) -> dict[str, str]:
        values = {"status": self.status.value, "q": self.q, "kind": self.kind.value if self.kind else "",
                  "city": self.city, "licence": self.licence} | overrides
        return {key: value for key, value in values.items() if value}


def _organisation_query(filters: OrganisationFilters, with_status: bool = True):
    query = db.select(Organisation)
    if filters.q:
        members = db.select(User.organisation_id).where(db.or_(*(_like(column, filters.q) for column in (
            User.name, User.email, User.phone))))
        query = query.where(db.or_(_like(Organisation.name, filters.q), _like(Organisation.uscc, filters.q),
                                   _like(Organisation.contact_name, filters.q),
                                   _like(Organisation.contact_phone, filters.q), Organisation.id.in_(members)))
    if filters.kind:
        query = query.where(Organisation.kind == filters.kind)
    if filters.city:
        query = query.where(_like(Organisation.address, filters.city))
    if filters.licence == "yes":
        query = query.where(Organisation.licence_stored_name.is_not(None))
    elif filters.licence == "no":
        query = query.where(Organisation.licence_stored_name.is_(None))
    if with_status:
        query = query.where(Organisation.status == filters.status)
    return query


def organisation_page(filters: OrganisationFilters, page: int = 1) -> Page:
    """Organisations in the chosen state matching the filters, oldest first (a queue), one page; counts per state."""
    query = _organisation_query(filters)
    total = _count(query)
    pages = max(1, math.ceil(total / _per_page()))
    page = min(max(1, page), pages)
    items = db.session.scalars(query.order_by(Organisation.created_at.asc(), Organisation.id.asc())
                               .limit(_per_page()).offset((page - 1) * _per_page())).all()
    base = _organisation_query(filters, with_status=False)
    counts = {status: _count(base.where(Organisation.status == status)) for status in OrgStatus}
    return Page(items, total, page, pages, counts)


# -- accounts ---------------------------------------------------------------------------------

def _active_admins() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(User)
                             .where(User.role == Role.ADMIN, User.active.is_(True))) or 0


def reactivate_user(user: User, admin: User) -> None:
    """The task force opens a deactivated account again (its old sessions stay ended)."""
    require(rules.can_manage_account(admin, user), _("只有工作专班管理员可以启用其他账号"))
    if user.active:
        raise TransitionError(_("该账号已是正常状态"))
    user.active = True
    user.deactivated_at = None
    user.failed_logins = 0
    audit.record("reactivate_user", actor=admin, subject=user)


def deactivate_user(user: User, admin: User) -> None:
    """Close an account (accounts.deactivate_user), never the last active admin's."""
    require(rules.can_manage_account(admin, user), _("只有工作专班管理员可以停用其他账号"))
    if user.role is Role.ADMIN and user.active and _active_admins() <= 1:
        raise TransitionError(_("这是最后一个工作专班管理员账号，不能停用"))
    accounts.deactivate_user(user, admin)


ASSIGNABLE_ROLES = STAFF_ROLES  # DESIGN.md: a role change moves an account between 创新服务站 and 工作专班 only


def change_role(user: User, admin: User, role: Role) -> None:
    """The task force moves a station account between 创新服务站 and 工作专班, audited with both roles."""
    require(rules.can_manage_account(admin, user), _("只有工作专班管理员可以修改其他账号的角色"))
    if user.role not in ASSIGNABLE_ROLES or role not in ASSIGNABLE_ROLES:
        raise ValidationError(_("只能在创新服务站与工作专班之间调整角色"), field="role")
    if role is user.role:
        raise ValidationError(_("该账号已是此角色"), field="role")
    if user.role is Role.ADMIN and user.active and _active_admins() <= 1:
        raise TransitionError(_("这是最后一个工作专班管理员账号，不能改为其他角色"))
    old = user.role
    user.role = role
    user.revoke_sessions()  # pages and menus of the old role must not linger in open sessions
    audit.record("change_role", actor=admin, subject=user, comment=f"{old.value}→{role.value}")


def role_change_text(comment: str) -> str:
    """A change_role audit comment ("staff→admin") in words: 创新服务站 → 工作专班."""
    old, _sep, new = comment.partition("→")
    try:
        return f"{Role(old).label} → {Role(new).label}"
    except ValueError:
        return comment


# -- the business licence ---------------------------------------------------------------------

def upload_licence(organisation: Organisation, actor: User, storage) -> None:
    """A member files the organisation's 营业执照 (PDF or image, checked by content); a rejected one goes back to the queue."""
    require(rules.is_member_of(actor, organisation), _("只有本机构成员可以上传营业执照"))
    if storage is None or not getattr(storage, "filename", ""):
        raise ValidationError(_("请选择营业执照文件"), field="licence")
    try:
        stored_name, original, content_type, size = save_file(
            storage, f"licences/{organisation.id}", allowed=SCAN_TYPES, limit=current_app.config["LICENCE_MAX_BYTES"])
    except ValidationError as error:
        raise ValidationError(str(error), field="licence") from error
    organisation.licence_stored_name, organisation.licence_filename = stored_name, original
    organisation.licence_content_type, organisation.licence_size = content_type, size
    organisation.licence_uploaded_at = utcnow()
    audit.record("upload_licence", actor=actor, subject=organisation)
    if organisation.status is OrgStatus.REJECTED:
        accounts.reopen_organisation(organisation, actor, _("已上传营业执照"))



def approve_verification(organisation: Organisation, staff: User) -> None:
    """Staff verify a pending organisation, only once its 营业执照 is on file."""
    if organisation.status is OrgStatus.PENDING and not organisation.has_licence:
        raise ValidationError(_("%(name)s 尚未上传营业执照，不能认证通过。请联系该机构在“机构资料”页上传后再审核。",
                                name=organisation.name))
    accounts.verify_organisation(organisation, staff)
