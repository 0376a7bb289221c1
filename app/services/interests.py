"""Expressions of interest (意向): their own small life, and what it does to the project."""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app, url_for
from flask_babel import gettext as _

from app.extensions import db
from app.models import DeclineReason, Interest, InterestStatus, Project, ProjectStatus, User, utcnow
from app.services import ServiceError, TransitionError, require
from app.services import audit
from app.services import projects as project_service
from app.services.notify import notify, notify_many

I = InterestStatus
# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset, InterestStatus]] = {
    "accept": (frozenset({I.PENDING}), I.ACCEPTED),
    "decline": (frozenset({I.PENDING}), I.DECLINED),
    "withdraw": (frozenset({I.PENDING}), I.WITHDRAWN),
    "expire": (frozenset({I.PENDING}), I.EXPIRED),
    "sign": (frozenset({I.ACCEPTED}), I.SIGNED),
    "fail": (frozenset({I.ACCEPTED}), I.FAILED),
}


def move_interest(interest: Interest, action: str, actor: User | None, comment: str = "") -> None:
    """Check the interest transition table, set the state, add the audit row."""
    sources, to = TRANSITIONS[action]
    if interest.status not in sources:
        raise TransitionError(_("意向当前为“%(state)s”，不能执行此操作", state=interest.status.label))
    from_state = interest.status
    interest.status = to
    now = utcnow()
    if action in ("accept", "decline"):
        interest.responded_at = now
    if to not in (I.PENDING, I.ACCEPTED):
        interest.closed_at = now
    audit.record("interest_" + action, actor=actor, project=interest.project, subject=interest,
                 from_state=from_state.value, to_state=to.value, comment=comment)


def _link(interest: Interest) -> str:
    return url_for("deals.thread", interest_id=interest.id)


def _board_link(project: Project) -> str:
    return url_for("deals.board", project_id=project.id)


def open_interest_of(project: Project, organisation_id: int) -> Interest | None:
    return db.session.scalar(db.select(Interest).where(
        Interest.project_id == project.id, Interest.organisation_id == organisation_id,
        Interest.status.in_((I.PENDING, I.ACCEPTED))))


def express_interest(project: Project, user: User, message: str, cooperation_modes: list[str],
                     amount_wan: Decimal | None = None, timeline: str = "", intent_id: int | None = None) -> Interest:
    """A verified organisation's member states interest in a listed project."""
    require(user.is_organisation_member and user.is_verified, _("只有经认证的企业或投资人可以表达合作意向"))
    require(project.is_listed(), _("该项目当前不接受合作意向"))
    if open_interest_of(project, user.organisation_id) is not None:
        raise ServiceError(_("贵机构对该项目已有进行中的意向，请在“我的意向”中查看"))
    days = current_app.config["INTEREST_EXPIRY_DAYS"]
    interest = Interest(project=project, organisation_id=user.organisation_id, created_by=user, intent_id=intent_id,
                        message=message.strip(), cooperation_modes=list(cooperation_modes), amount_wan=amount_wan,
                        timeline=timeline.strip(), status=I.PENDING, expires_at=utcnow() + timedelta(days=days))
    db.session.add(interest)
    db.session.flush()
    audit.record("interest_express", actor=user, project=project, subject=interest, to_state=I.PENDING.value,
                 comment=message[:200])
    notify(project.owner, "new_interest", _("新的合作意向：%(project)s", project=project.display_name),
           _("%(org)s 对您的项目表达了合作意向，请在 %(days)d 天内回复。", org=user.organisation.name, days=days),
           _board_link(project))
    return interest


def accept_interest(interest: Interest, owner: User) -> None:
    """The project owner accepts: the partner tier opens to that organisation and talks begin."""
    require(interest.can_respond(owner), _("只有项目负责人可以回复待处理的意向"))
    move_interest(interest, "accept", owner)
    project = interest.project
    if project.status is ProjectStatus.PUBLISHED:
        project_service.start_negotiation(project, owner)
    notify_many(_members(interest), "interest_accepted", _("意向已被接受：%(project)s", project=project.display_name),
                _("项目负责人接受了贵机构的合作意向，现在可以查看项目详细资料并开始合作洽谈。"), _link(interest))


def decline_interest(interest: Interest, owner: User, reason: DeclineReason, note: str = "") -> None:
    """The owner declines, with a reason code the organisation sees."""
    require(interest.can_respond(owner), _("只有项目负责人可以回复待处理的意向"))
    if reason is None:
        raise ServiceError(_("请选择婉拒原因"))
    if reason is DeclineReason.OTHER and not note.strip():
        raise ServiceError(_("选择“其他”时请说明原因"))
    interest.decline_reason = reason
    interest.decline_note = note.strip()
    move_interest(interest, "decline", owner, comment=f"{reason.label} {note}".strip())
    notify_many(_members(interest), "interest_declined",
                _("意向未被接受：%(project)s", project=interest.project.display_name),
                _("原因：%(reason)s。%(note)s", reason=reason.label, note=interest.decline_note), _link(interest))


def withdraw_interest(interest: Interest, member: User) -> None:
    """The organisation takes back a pending interest."""
    require(interest.can_withdraw(member), _("只有意向方可以撤回待回复的意向"))
    move_interest(interest, "withdraw", member)


def end_negotiation(interest: Interest, actor: User, reason: str) -> None:
    """Either side ends the talks without signing; the project returns to the library if no talks remain."""
    require(interest.can_end(actor), _("只有洽谈双方可以终止洽谈"))
    if not reason.strip():
        raise ServiceError(_("请说明终止洽谈的原因"))
    interest.end_reason = reason.strip()
    move_interest(interest, "fail", actor, comment=reason)
    project = interest.project
    others = db.session.scalar(db.select(db.func.count()).select_from(Interest).where(
        Interest.project_id == project.id, Interest.status == I.ACCEPTED))
    if project.status is ProjectStatus.NEGOTIATING and not others:
        project_service.end_negotiation(project, actor)
    other_side = [project.owner] if interest.is_member(actor) else _members(interest)
    notify_many(other_side, "negotiation_ended", _("洽谈已终止：%(project)s", project=project.display_name),
                _("原因：%(reason)s", reason=interest.end_reason), _link(interest))


def expire_interests(now: datetime | None = None) -> tuple[int, int]:
    """Expire pending interests past their date and remind owners halfway; returns (expired, reminded)."""
    now = now or utcnow()
    days = current_app.config["INTEREST_EXPIRY_DAYS"]
    pending = db.session.scalars(db.select(Interest).where(Interest.status == I.PENDING)).all()
    expired = reminded = 0
    for interest in pending:
        if interest.expires_at is None:
            continue
        project = interest.project
        if interest.expires_at <= now:
            move_interest(interest, "expire", None, comment=_("超过 %(days)d 天未回复", days=days))
            notify_many([project.owner, *_members(interest)], "interest_expired",
                        _("意向已过期：%(project)s", project=project.display_name),
                        _("该意向在 %(days)d 天内未获回复，已自动过期。", days=days), _board_link(project))
            expired += 1
        elif interest.reminded_at is None and interest.expires_at - now <= timedelta(days=days) / 2:
            interest.reminded_at = now
            notify(project.owner, "interest_expiring", _("意向即将过期：%(project)s", project=project.display_name),
                   _("%(org)s 的合作意向将于 %(date)s 过期，请尽快回复。", org=interest.organisation.name,
                     date=interest.expires_at.strftime("%Y-%m-%d")), _board_link(project))
            reminded += 1
    return expired, reminded


def _members(interest: Interest) -> list[User]:
    return [u for u in interest.organisation.members if u.active]


def interests_for_project(project: Project) -> list[Interest]:
    return db.session.scalars(db.select(Interest).where(Interest.project_id == project.id)
                              .order_by(Interest.created_at.desc())).all()


def interests_of_user(user: User) -> list[Interest]:
    """The interests a user takes part in: their organisation's, or those on their projects."""
    query = db.select(Interest).order_by(Interest.created_at.desc())
    if user.is_organisation_member:
        query = query.where(Interest.organisation_id == user.organisation_id)
    else:
        query = query.join(Project, Interest.project_id == Project.id).where(Project.owner_id == user.id)
    return db.session.scalars(query).all()
