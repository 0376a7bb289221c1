"""Accounts: registration, sign-in throttling, passwords and resets, organisation verification and profiles."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from app.accounts.models import ORGANISATION_ROLES, Organisation, OrgStatus, Role, User
from app.accounts import rules
from app.accounts.rules import is_member
from app.core import audit, mail
from app.core.errors import ServiceError, TransitionError, ValidationError, require
from app.core.links import absolute_url, path_for
from app.core.models import utcnow
from app.core.states import Transition, any_of, move
from app.deals.models import Specialised
from app.extensions import db
from app.suggestions.jobs import request_refresh


def find_user(email: str) -> User | None:
    return db.session.scalar(db.select(User).where(User.email == normalise_email(email)))


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def register_clinician(email: str, password: str, name: str, phone: str, institution: str,
                       department: str) -> User:
    """Create a clinician account (医务人员), or claim an inactive one made by a bulk import."""
    existing = find_user(email)
    if existing is not None:
        raise ServiceError(_("该邮箱已注册，请直接登录或找回密码"))
    user = User(email=normalise_email(email), name=name.strip(), phone=phone.strip(),
                role=Role.CLINICIAN, institution=institution.strip(), department=department.strip())
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("register", actor=user, subject=user, to_state=Role.CLINICIAN.value)
    return user


def register_organisation_member(email: str, password: str, name: str, phone: str, role: Role,
                                 organisation_name: str, uscc: str) -> User:
    """Create an enterprise/investor account; a new organisation waits for staff verification."""
    if role not in ORGANISATION_ROLES:
        raise ValidationError(_("只能注册为企业或投资人"))
    if find_user(email) is not None:
        raise ServiceError(_("该邮箱已注册，请直接登录或找回密码"))
    uscc = uscc.strip().upper()
    organisation = db.session.scalar(db.select(Organisation).where(Organisation.uscc == uscc))
    if organisation is None:
        organisation = Organisation(kind=role, name=organisation_name.strip(), uscc=uscc,
                                    status=OrgStatus.PENDING)
        db.session.add(organisation)
    user = User(email=normalise_email(email), name=name.strip(), phone=phone.strip(), role=role,
                organisation=organisation)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("register", actor=user, subject=user, to_state=role.value,
                 comment=f"{organisation.name} {organisation.uscc}")
    return user


def create_staff(email: str, password: str, name: str, role: Role = Role.STAFF, actor=None) -> User:
    """Create a station staff or task-force admin account (by an admin or the CLI)."""
    if role not in (Role.STAFF, Role.ADMIN):
        raise ValidationError(_("只能创建服务站或工作专班账号"))
    require(actor is None or actor.is_admin, _("只有工作专班管理员可以创建工作人员账号"))
    if find_user(email) is not None:
        raise ServiceError(_("该邮箱已注册"))
    user = User(email=normalise_email(email), name=name.strip(), role=role)
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("create_staff", actor=actor or user, subject=user, to_state=role.value)
    return user


def authenticate(email: str, password: str) -> User:
    """Check a sign-in; lock the account for a while after repeated failures."""
    config = current_app.config
    user = find_user(email)
    failure = ServiceError(_("邮箱或密码不正确"))
    if user is None:
        raise failure
    now = utcnow()
    if user.locked_until and user.locked_until > now:
        minutes = max(1, int((user.locked_until - now).total_seconds() // 60) + 1)
        raise ServiceError(_("连续登录失败次数过多，请 %(minutes)d 分钟后再试，或找回密码", minutes=minutes))
    if not user.check_password(password):
        user.failed_logins += 1
        if user.failed_logins >= config["LOGIN_MAX_FAILURES"]:
            user.locked_until = now + timedelta(minutes=config["LOGIN_LOCK_MINUTES"])
            user.failed_logins = 0
        _keep_failed_login(user)
        raise failure
    if not user.active:
        raise ServiceError(_("该账号尚未激活，请通过“忘记密码”设置密码以激活"))
    user.failed_logins = 0
    user.locked_until = None
    user.last_login_at = now
    return user


def _keep_failed_login(user: User) -> None:
    """A refused sign-in still counts: stored in a transaction of its own, as the refusal rolls the request back."""
    with db.engine.begin() as connection:
        connection.execute(db.update(User).where(User.id == user.id)
                           .values(failed_logins=user.failed_logins, locked_until=user.locked_until))


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one."""
    if not user.check_password(current):
        raise ServiceError(_("当前密码不正确"))
    user.set_password(new)
    audit.record("change_password", actor=user, subject=user)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _resettable(user: User) -> bool:
    """An inactive staff account (such as the import's system account) is never claimed by a reset."""
    return not (user.is_staff and not user.active)


def reset_token(user: User) -> str:
    """A signed, expiring token bound to the current password (so it works once)."""
    return _serializer().dumps({"uid": user.id, "pw": user.password_hash[-12:]})


def reset_url(user: User) -> str:
    return absolute_url(path_for("auth.reset_password", token=reset_token(user)))


def user_for_reset_token(token: str) -> User:
    """The user a reset token is for; refuses expired, forged or already-used tokens."""
    max_age = current_app.config["PASSWORD_RESET_HOURS"] * 3600
    try:
        data = _serializer().loads(token, max_age=max_age)
    except SignatureExpired:
        raise ServiceError(_("重置链接已过期，请重新申请"))
    except BadSignature:
        raise ServiceError(_("重置链接无效"))
    user = db.session.get(User, data.get("uid"))
    if user is None or user.password_hash[-12:] != data.get("pw") or not _resettable(user):
        raise ServiceError(_("重置链接已使用或无效，请重新申请"))
    return user


def request_password_reset(email: str) -> bool:
    """E-mail a reset link when mail is configured; True if a message was queued."""
    user = find_user(email)
    if user is None or not mail.mail_configured() or not _resettable(user):
        return False
    mail.send_after_commit(user.email, _("ClinBridge 密码重置"),
                           _("请在 %(hours)d 小时内打开以下链接设置新密码：\n%(url)s",
                             hours=current_app.config["PASSWORD_RESET_HOURS"], url=reset_url(user)))
    audit.record("request_reset", actor=user, subject=user)
    return True


def issue_reset_link(user: User, staff: User) -> str:
    """Staff hand a reset link to a user when no mail server is configured."""
    require(staff.is_staff, _("只有工作人员可以生成重置链接"))
    if not _resettable(user):
        raise TransitionError(_("停用的工作人员账号不能通过重置链接启用"))
    audit.record("issue_reset_link", actor=staff, subject=user)
    return reset_url(user)


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset link; this also activates an imported account."""
    user.set_password(new)
    user.active = True
    user.failed_logins = 0
    user.locked_until = None
    audit.record("reset_password", actor=user, subject=user)


O = OrgStatus

_STAFF_ONLY = _l("只有服务站工作人员可以认证机构")

# An organisation's verification by the station (DESIGN.md: verified by staff before its members may act).
# A rejected organisation is verified only after it is back in the queue: its member corrects the profile
# (update_profile reopens it) or staff reopen it.
VERIFICATION = {
    "verify": Transition({O.PENDING}, O.VERIFIED, rules.is_staff, audit="verify_organisation",
                         stamps=("verified_at",), refusal=_STAFF_ONLY),
    "reject": Transition({O.PENDING}, O.REJECTED, rules.is_staff, audit="reject_organisation", refusal=_STAFF_ONLY,
                         reason=_l("请填写不通过的理由")),
    "reopen": Transition({O.REJECTED}, O.PENDING, any_of(rules.is_member_of, rules.is_staff),
                         audit="reopen_organisation", refusal=_l("只有本机构成员或服务站工作人员可以重新提交认证")),
}


def verify_organisation(organisation: Organisation, staff: User) -> None:
    """Staff confirm a pending organisation: its members may now see the library and act."""
    move(organisation, VERIFICATION, "verify", staff)
    organisation.status_reason = ""
    organisation.verified_by_id = staff.id
    request_refresh()
    for member in organisation.members:
        mail.send_after_commit(member.email, _("机构认证已通过"),
                               _("%(org)s 已通过创新服务站认证，现在可以浏览入选项目库。", org=organisation.name))


def reject_organisation(organisation: Organisation, staff: User, reason: str) -> None:
    """Staff refuse a pending organisation, with the reason its members read."""
    move(organisation, VERIFICATION, "reject", staff, comment=reason)
    organisation.status_reason = reason.strip()


def reopen_organisation(organisation: Organisation, actor: User, comment: str = "") -> None:
    """A rejected organisation goes back to the verification queue (a member corrected it, or staff reopen it)."""
    move(organisation, VERIFICATION, "reopen", actor, comment=comment)


PROFILE_FIELDS = ("name", "address", "uscc", "field", "legal_rep", "registered_capital_wan", "registered_on",
                  "high_tech", "specialised", "contact_name", "contact_phone", "overview", "region")

# What any signed-in verified user may see of an organisation; contact details, legal representative and
# address stay with staff and the organisation's own members.
PUBLIC_PROFILE_FIELDS = ("name", "kind", "uscc", "field", "region", "overview", "high_tech", "specialised")

# IVD reagents sit outside the 22 first-level categories (catalog 6840); the matching module knows the code.
IVD_REAGENT = {"code": "6840", "name": "体外诊断试剂"}


@lru_cache(maxsize=1)
def nmpa_first_level() -> tuple[dict, ...]:
    """The NMPA first-level categories (code, name) in catalog order, then IVD reagents."""
    from matching.knowledge import load_catalog  # a JSON file, read once per process
    return tuple({"code": c["code"], "name": c["name"]} for c in load_catalog()["l1_categories"]) + (IVD_REAGENT,)


def field_names() -> list[str]:
    """The 所属领域 choices: first-level category names."""
    return [c["name"] for c in nmpa_first_level()]


def field_labels() -> dict[str, str]:
    """First-level code → "code name", for an intent's 领域."""
    return {c["code"]: f"{c['code']} {_(c['name'])}" for c in nmpa_first_level()}


class UsccTaken(ServiceError):
    """Another organisation already registered this 统一社会信用代码."""


def public_profile(organisation: Organisation) -> SimpleNamespace:
    """Only the public part of a profile: what pages for other users are allowed to render."""
    view = SimpleNamespace(id=organisation.id, is_verified=organisation.is_verified)
    for name in PUBLIC_PROFILE_FIELDS:
        setattr(view, name, getattr(organisation, name))
    view.specialised = Specialised.coerce(organisation.specialised)
    return view


def update_profile(organisation: Organisation, actor, values: dict) -> list[str]:
    """Save the profile; the USCC may change only before verification. Returns the changed field names."""
    require(is_member(organisation, actor), _("只有本机构成员可以修改机构资料"))
    values = dict(values)
    uscc = values.pop("uscc", None)
    notes = []
    if uscc is not None and uscc != organisation.uscc:
        if organisation.status is OrgStatus.VERIFIED:
            raise ValidationError(_("机构已认证，统一社会信用代码不能修改；如确需变更请联系创新服务站"))
        taken = db.session.scalar(db.select(Organisation.id).where(Organisation.uscc == uscc,
                                                                   Organisation.id != organisation.id))
        if taken is not None:
            raise UsccTaken(_("该统一社会信用代码已被其他机构注册，请核对或联系创新服务站"))
        values["uscc"] = uscc
        notes.append(f"uscc {organisation.uscc} → {uscc}")  # staff verify against the code: keep the old one
    if values.get("specialised") not in (None, *(m.value for m in Specialised)):
        raise ServiceError(_("专精特新企业的取值不正确"))
    if values.get("field") and values["field"] not in field_names():
        raise ServiceError(_("所属领域须为医疗器械分类目录的一级类别"))
    capital = values.get("registered_capital_wan")
    if capital is not None and capital < 0:
        raise ServiceError(_("注册资金不能为负数"))
    if organisation.is_verified and values.get("name") and values["name"] != organisation.name:
        notes.append(f"name {organisation.name} → {values['name']}")
    changed = []
    for name in PROFILE_FIELDS:
        if name in values and _differs(getattr(organisation, name), values[name]):
            setattr(organisation, name, values[name])
            changed.append(name)
    audit.record("update_profile", actor=actor, subject=organisation, comment="; ".join([", ".join(changed), *notes]))
    if changed and organisation.status is OrgStatus.REJECTED:
        reopen_organisation(organisation, actor, comment=_("修改机构资料后重新提交认证"))
    return changed


def _differs(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (None if old is None else Decimal(old)) != (None if new is None else Decimal(new))
    return (old if old is not None else "") != (new if new is not None else "")
