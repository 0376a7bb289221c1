"""Accounts: registration, sign-in throttling, passwords and resets, organisation verification and profiles."""
from __future__ import annotations

import secrets
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.security import check_password_hash, generate_password_hash

from app.accounts.models import (ORGANISATION_ROLES, MemberRole, Membership, MembershipKind, MembershipStatus,
                                 Organisation, OrgStatus, Role, User)
from app.accounts import rules
from app.accounts.rules import is_member
from app.core import audit, mail
from app.core.errors import ServiceError, TransitionError, ValidationError, require
from app.core.links import absolute_url, path_for
from app.core.models import Setting, utcnow
from app.core.notifications import notice, tell
from app.core.states import Transition, any_of, move
from app.core.templating import beijing_time
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
    """Create an enterprise/investor account. A new organisation waits for staff verification and its first
    registrant is its admin member; a code already registered is never a way in: it files a join request that
    the organisation's admin member (or staff) approves, unless the address was invited."""
    if role not in ORGANISATION_ROLES:
        raise ValidationError(_("只能注册为企业或投资人"))
    if find_user(email) is not None:
        raise ServiceError(_("该邮箱已注册，请直接登录或找回密码"))
    uscc = uscc.strip().upper()
    organisation = db.session.scalar(db.select(Organisation).where(Organisation.uscc == uscc))
    user = User(email=normalise_email(email), name=name.strip(), phone=phone.strip(),
                role=organisation.kind if organisation is not None else role)
    user.set_password(password)
    if organisation is None:
        organisation = Organisation(kind=role, name=organisation_name.strip(), uscc=uscc, status=OrgStatus.PENDING)
        db.session.add(organisation)
        user.organisation, user.member_role = organisation, MemberRole.ADMIN
    db.session.add(user)
    db.session.flush()
    audit.record("register", actor=user, subject=user, to_state=user.role.value,
                 comment=f"{organisation.name} {organisation.uscc}")
    if user.organisation_id is None:
        invitation = open_invitation(organisation, user.email)
        if invitation is not None:
            accept_invitation(invitation, user)
        else:
            request_membership(organisation, user)
    return user


def open_invitation(organisation: Organisation, email: str) -> Membership | None:
    return db.session.scalar(db.select(Membership).where(
        Membership.organisation_id == organisation.id, Membership.kind == MembershipKind.INVITATION,
        Membership.status == MembershipStatus.PENDING, Membership.email == normalise_email(email)))


def pending_request_of(user: User) -> Membership | None:
    """The user's join request waiting for a decision, if any."""
    return db.session.scalar(db.select(Membership).where(
        Membership.user_id == user.id, Membership.kind == MembershipKind.REQUEST,
        Membership.status == MembershipStatus.PENDING))


M = MembershipStatus
_MANAGERS_ONLY = _l("只有本机构管理员或创新服务站工作人员可以处理")

# A way into an organisation. A join request (someone registered with its code; until approved they are not a
# member) is approved or declined by its admin member or staff, or withdrawn by the requester; an invitation by
# e-mail from the admin member is accepted by the invitee or cancelled. The rules check the kind.
MEMBERSHIP = {
    "approve": Transition({M.PENDING}, M.APPROVED, any_of(rules.is_admin_of_request, rules.is_staff_on_request),
                          audit="approve_membership", stamps=("decided_at",), refusal=_MANAGERS_ONLY),
    "decline": Transition({M.PENDING}, M.DECLINED, any_of(rules.is_admin_of_request, rules.is_staff_on_request),
                          audit="decline_membership", stamps=("decided_at",), refusal=_MANAGERS_ONLY),
    "withdraw": Transition({M.PENDING}, M.CANCELLED, rules.is_requester, audit="withdraw_membership",
                           stamps=("decided_at",), refusal=_l("只有申请人本人可以撤回申请")),
    "accept": Transition({M.PENDING}, M.APPROVED, rules.is_invitee, audit="accept_invitation",
                         stamps=("decided_at",), refusal=_l("此邀请不是发给您当前登录的账号的")),
    "cancel": Transition({M.PENDING}, M.CANCELLED, any_of(rules.is_admin_of_invitation, rules.is_staff_on_invitation),
                         audit="cancel_invitation", stamps=("decided_at",), refusal=_MANAGERS_ONLY),
}


def _managers(organisation: Organisation) -> list[User]:
    admins = [m for m in organisation.members if m.is_organisation_admin and m.active]
    if admins:
        return admins
    return list(db.session.scalars(db.select(User).where(User.role.in_((Role.STAFF, Role.ADMIN)),
                                                         User.active.is_(True))))


def request_membership(organisation: Organisation, user: User) -> Membership:
    """File a join request; the organisation's admin member (or, without one, staff) is told."""
    membership = Membership(organisation=organisation, kind=MembershipKind.REQUEST, email=user.email, user=user,
                            created_by_id=user.id, status=MembershipStatus.PENDING)
    db.session.add(membership)
    db.session.flush()
    audit.record("request_membership", actor=user, subject=membership, to_state=M.PENDING.value,
                 comment=organisation.name)
    tell(_managers(organisation), "membership_requested", path_for("organisation.members"), name=user.name,
         email=user.email, org=organisation.name)
    return membership


def _join(user: User, organisation: Organisation, role: MemberRole = None) -> None:
    user.organisation = organisation
    user.role = organisation.kind
    user.member_role = role or MemberRole.MEMBER


def approve_membership(membership: Membership, actor: User) -> None:
    """The organisation's admin member (or staff) lets a join request in."""
    move(membership, MEMBERSHIP, "approve", actor)
    membership.decided_by_id = actor.id
    _join(membership.user, membership.organisation)
    request_refresh()
    tell(membership.user, "membership_approved", path_for("main.index"), org=membership.organisation.name)


def decline_membership(membership: Membership, actor: User, reason: str = "") -> None:
    move(membership, MEMBERSHIP, "decline", actor, comment=reason)
    membership.decided_by_id = actor.id
    tell(membership.user, "membership_declined", org=membership.organisation.name, reason=(reason or "").strip())


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="organisation-invitation")


INVITATION_DAYS = 14


def invitation_token(membership: Membership) -> str:
    return _invitation_serializer().dumps({"m": membership.id, "e": membership.email})


def invitation_for_token(token: str) -> Membership:
    """The open invitation a link is for; refuses expired, forged or used links."""
    try:
        data = _invitation_serializer().loads(token, max_age=INVITATION_DAYS * 86400)
    except SignatureExpired:
        raise ServiceError(_("邀请链接已过期，请联系该机构管理员重新邀请"))
    except BadSignature:
        raise ServiceError(_("邀请链接无效"))
    membership = db.session.get(Membership, data.get("m"))
    if membership is None or membership.email != data.get("e") or membership.status is not M.PENDING:
        raise ServiceError(_("邀请已使用或已撤销"))
    return membership


def invite_member(organisation: Organisation, actor: User, email: str) -> Membership:
    """The admin member invites an address; the link lets that person join once signed in (or registered)."""
    require(rules.can_manage_members(organisation, actor), str(_MANAGERS_ONLY))
    email = normalise_email(email)
    if any(m.email == email for m in organisation.members):
        raise ValidationError(_("该邮箱已是本机构成员"), field="email")
    if open_invitation(organisation, email) is not None:
        raise ValidationError(_("已向该邮箱发出邀请，等待对方接受"), field="email")
    membership = Membership(organisation=organisation, kind=MembershipKind.INVITATION, email=email,
                            created_by_id=actor.id, status=M.PENDING)
    db.session.add(membership)
    db.session.flush()
    audit.record("invite_member", actor=actor, subject=membership, to_state=M.PENDING.value, comment=email)
    link = absolute_url(path_for("organisation.join", token=invitation_token(membership)))
    existing = find_user(email)
    if existing is not None:
        tell(existing, "organisation_invitation", name=actor.name, org=organisation.name, days=INVITATION_DAYS,
             url=link)
    else:
        body = _("%(name)s 邀请您加入 %(org)s（ClinBridge 临床研究成果转化对接平台）。请在 %(days)d 天内打开以下链接；"
                 "如尚未注册，请先用本邮箱注册并填写该机构的统一社会信用代码：\n%(url)s",
                 name=actor.name, org=organisation.name, days=INVITATION_DAYS, url=link)
        mail.send_after_commit(email, _("[ClinBridge] 机构成员邀请"), body)
    return membership


def accept_invitation(membership: Membership, user: User) -> None:
    """The invitee joins the organisation."""
    move(membership, MEMBERSHIP, "accept", user)
    membership.user = user
    membership.decided_by_id = user.id
    _join(user, membership.organisation)
    request = pending_request_of(user)
    if request is not None:  # superseded by the invitation
        move(request, MEMBERSHIP, "withdraw", user, comment=_("已接受邀请"))
    request_refresh()
    tell([m for m in membership.organisation.members if m.is_organisation_admin and m.id != user.id],
         "invitation_accepted", path_for("organisation.members"), name=user.name)


def cancel_invitation(membership: Membership, actor: User) -> None:
    move(membership, MEMBERSHIP, "cancel", actor)
    membership.decided_by_id = actor.id


def remove_member(organisation: Organisation, actor: User, member: User) -> None:
    """The admin member (or staff) removes a member; the last admin member cannot be removed."""
    require(rules.can_manage_members(organisation, actor), str(_MANAGERS_ONLY))
    if member.organisation_id != organisation.id:
        raise ValidationError(_("该用户不是本机构成员"))
    if member.is_organisation_admin and _admin_count(organisation) <= 1:
        raise TransitionError(_("不能移除机构唯一的管理员；请先指定另一位管理员"))
    member.organisation_id = None
    member.organisation = None
    member.member_role = None
    member.revoke_sessions()  # pages already open with the organisation's data stop working
    audit.record("remove_member", actor=actor, subject=member, comment=organisation.name)
    tell(member, "membership_removed", org=organisation.name)


def set_member_role(organisation: Organisation, actor: User, member: User, role: MemberRole) -> None:
    """Make a member an admin member, or back; an organisation always keeps one admin member."""
    require(rules.can_manage_members(organisation, actor), str(_MANAGERS_ONLY))
    if member.organisation_id != organisation.id:
        raise ValidationError(_("该用户不是本机构成员"))
    if member.member_role is MemberRole.ADMIN and role is not MemberRole.ADMIN and _admin_count(organisation) <= 1:
        raise TransitionError(_("机构至少需要一位管理员"))
    previous = member.member_role
    member.member_role = role
    audit.record("set_member_role", actor=actor, subject=member, from_state=previous.value if previous else "",
                 to_state=role.value, comment=organisation.name)


def _admin_count(organisation: Organisation) -> int:
    return sum(1 for m in organisation.members if m.is_organisation_admin)


def pending_requests(organisation: Organisation | None = None) -> list[Membership]:
    """Join requests waiting for a decision (of one organisation, or all of them for staff)."""
    query = db.select(Membership).where(Membership.kind == MembershipKind.REQUEST, Membership.status == M.PENDING)
    if organisation is not None:
        query = query.where(Membership.organisation_id == organisation.id)
    return list(db.session.scalars(query.order_by(Membership.created_at)))


def open_invitations(organisation: Organisation) -> list[Membership]:
    return list(db.session.scalars(db.select(Membership).where(
        Membership.organisation_id == organisation.id, Membership.kind == MembershipKind.INVITATION,
        Membership.status == M.PENDING).order_by(Membership.created_at)))


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
    """Check a sign-in. Throttling is per address and per account (app/core/throttle.py), not a lock-out
    that anyone could trigger; an unknown address costs the same hashing as a known one and reads the same."""
    user = find_user(email)
    failure = ServiceError(_("邮箱或密码不正确"))
    if user is None:
        check_password_hash(_dummy_hash(), password or "")  # the same time as a real account's check
        raise failure
    if not user.check_password(password):
        user.failed_logins += 1
        _keep_failed_login(user)
        raise failure
    if user.deactivated_at is not None:
        raise ServiceError(_("该账号已被停用，如有疑问请联系创新服务站"))
    if not user.active:
        raise ServiceError(_("该账号尚未激活，请通过“忘记密码”设置密码以激活"))
    user.failed_logins = 0
    user.last_login_at = utcnow()
    return user


@lru_cache(maxsize=4)
def _dummy_hash_for(method: str) -> str:
    return generate_password_hash(secrets.token_hex(16), method=method)


def _dummy_hash() -> str:
    return _dummy_hash_for(current_app.config.get("PASSWORD_HASH_METHOD", "scrypt"))


def _keep_failed_login(user: User) -> None:
    """A refused sign-in still counts: stored in a transaction of its own, as the refusal rolls the request back."""
    with db.engine.begin() as connection:
        connection.execute(db.update(User).where(User.id == user.id)
                           .values(failed_logins=user.failed_logins))


def change_password(user: User, current: str, new: str) -> None:
    """Replace the password after checking the current one."""
    if not user.check_password(current):
        raise ServiceError(_("当前密码不正确"))
    user.set_password(new)
    user.revoke_sessions()  # a stolen cookie dies with the old password; the view signs this browser in again
    audit.record("change_password", actor=user, subject=user)


def sign_out(user: User) -> None:
    """Signing out ends this session and every other one, remember-me cookies included."""
    user.revoke_sessions()


def sign_out_everywhere(user: User) -> None:
    """The account page's "sign out everywhere": every session and remember-me cookie stops working."""
    user.revoke_sessions()
    audit.record("sign_out_everywhere", actor=user, subject=user)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _resettable(user: User) -> bool:
    """An inactive staff account (such as the import's system account) is never claimed by a reset, nor is an
    account the task force deactivated (a reset activates imported accounts; it must not undo a deactivation)."""
    return not (user.is_staff and not user.active) and user.deactivated_at is None


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
    require(rules.can_issue_reset_link(staff, user),
            _("工作人员和管理员账号的重置链接只能由另一位工作专班管理员生成"))
    audit.record("issue_reset_link", actor=staff, subject=user)
    tell(user, "reset_link_issued", staff=staff.name, role=staff.role, when=beijing_time(utcnow()))
    return reset_url(user)


def deactivate_user(user: User, admin: User) -> None:
    """The task force closes an account: it cannot sign in, and every session and remember-me cookie ends."""
    require(admin.is_admin and admin.id != user.id, _("只有工作专班管理员可以停用其他账号"))
    if not user.active:
        raise TransitionError(_("该账号已停用"))
    user.active = False
    user.deactivated_at = utcnow()
    user.revoke_sessions()
    audit.record("deactivate_user", actor=admin, subject=user)


def reset_password(user: User, new: str) -> None:
    """Set a new password from a reset link; this also activates an imported account."""
    user.set_password(new)
    user.revoke_sessions()
    user.active = True
    user.failed_logins = 0
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


notice("membership_requested", _l("有人申请加入本机构"),
       _l("%(name)s（%(email)s）使用本机构统一社会信用代码注册并申请加入 %(org)s。请核实后批准或拒绝；"
          "批准前对方看不到本机构的任何信息。"), group="organisation")
notice("membership_approved", _l("加入机构申请已通过"), _l("您已成为 %(org)s 的成员。"), group="organisation")
notice("membership_declined", _l("加入机构申请未通过"), _l("您加入 %(org)s 的申请未获批准。"), _l("理由：%(reason)s"),
       _l("如有疑问请联系该机构或创新服务站。"), group="organisation")
notice("organisation_invitation", _l("机构成员邀请"),
       _l("%(name)s 邀请您加入 %(org)s（ClinBridge 临床研究成果转化对接平台）。请在 %(days)d 天内打开以下链接；"
          "如尚未注册，请先用本邮箱注册并填写该机构的统一社会信用代码："), "%(url)s", group="organisation")
notice("invitation_accepted", _l("受邀成员已加入"), _l("%(name)s 已接受邀请加入本机构。"), group="organisation")
notice("membership_removed", _l("您已被移出机构"), _l("%(org)s 的管理员已将您移出该机构，您不再能查看该机构的对接信息。"),
       group="organisation")
notice("reset_link_issued", _l("已为您的账号生成密码重置链接"),
       _l("%(staff)s（%(role)s）于 %(when)s 为您的账号生成了密码重置链接。如非您本人申请，请立即联系创新服务站。"),
       group="organisation", role=Role)
notice("organisation_verified", _l("机构认证已通过：%(org)s"),
       _l("%(org)s 已通过创新服务站认证，现在可以浏览入选项目库并表达合作意向。"), group="organisation")
notice("organisation_rejected", _l("机构认证未通过：%(org)s"),
       _l("%(org)s 未通过创新服务站认证，请按理由修改机构资料后重新提交。"), _l("理由：%(reason)s"),
       group="organisation")


def verify_organisation(organisation: Organisation, staff: User) -> None:
    """Staff confirm a pending organisation: its members may now see the library and act."""
    move(organisation, VERIFICATION, "verify", staff)
    organisation.status_reason = ""
    organisation.verified_by_id = staff.id
    request_refresh(organisation=organisation)
    tell(organisation.members, "organisation_verified", path_for("organisation.profile"), org=organisation.name)


def reject_organisation(organisation: Organisation, staff: User, reason: str) -> None:
    """Staff refuse a pending organisation, with the reason its members read."""
    move(organisation, VERIFICATION, "reject", staff, comment=reason)
    organisation.status_reason = reason.strip()
    tell(organisation.members, "organisation_rejected", path_for("organisation.profile"), org=organisation.name,
         reason=organisation.status_reason)


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


STATION_CONTACT_KEY = "station_contact"
STATION_CONTACT_FIELDS = ("name", "phone", "email", "address", "hours")


def station_contact() -> dict:
    """The innovation service station's contact details that pages saying "请联系创新服务站" show (admin setting)."""
    setting = db.session.get(Setting, STATION_CONTACT_KEY)
    stored = dict(setting.value) if setting and setting.value else {}
    contact = {key: (stored.get(key) or "").strip() for key in STATION_CONTACT_FIELDS}
    contact["name"] = contact["name"] or str(_l("医疗器械创新服务站"))
    contact["configured"] = any(contact[key] for key in ("phone", "email", "address"))
    return contact


def set_station_contact(values: dict, admin: User) -> None:
    """The task force sets the station's contact details (audited)."""
    require(admin.is_admin, _("只有工作专班管理员可以修改平台设置"))
    clean = {key: (values.get(key) or "").strip() for key in STATION_CONTACT_FIELDS}
    setting = db.session.get(Setting, STATION_CONTACT_KEY) or Setting(key=STATION_CONTACT_KEY)
    previous = dict(setting.value or {})
    setting.value = clean
    setting.updated_by_id = admin.id
    db.session.add(setting)
    changed = [key for key in STATION_CONTACT_FIELDS if previous.get(key, "") != clean[key]]
    audit.record("set_station_contact", actor=admin, comment=", ".join(changed))
