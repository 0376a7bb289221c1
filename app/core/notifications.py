"""Notifications: an in-app row for every event, read in the reader's language, and e-mail as each user chose.

A notice is stored as its kind (a code) and parameters; the sentence is made when it is shown, in the language
of whoever reads it (the page's language in the app, the user's mail language in e-mail). Each area declares
its kinds with `notice(kind, title, body, group=...)` at import, and tells users with `tell(users, kind, link,
**params)`. Rows written before codes existed (params NULL) keep their finished title and body.

E-mail leaves after commit through the job queue (core/mail.py, with retries). Users pick which groups of notices
they get by e-mail, and either one mail per notice or one daily digest (accounts/jobs.py sends it).
"""
from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import timedelta

from flask import g
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l

from app.accounts.models import STAFF_ROLES, User
from app.core import mail
from app.core.links import absolute_url
from app.core.models import Notification, utcnow
from app.extensions import db

# The groups a user chooses from for e-mail, in the order the settings page lists them.
MAIL_GROUPS = {
    "review": _l("项目审核结果"),
    "deals": _l("合作意向、洽谈与签约"),
    "matching": _l("服务站推荐与保存的搜索"),
    "incubation": _l("项目培育与里程碑"),
    "organisation": _l("机构认证"),
    "staff": _l("服务站待办事项"),
}


@dataclass(frozen=True)
class Notice:
    """How one kind of notification reads: a title and body lines (msgids with %(name)s), and its mail group.

    A body line whose parameters are all empty is left out (a review comment that was not given); labels name
    the parameters that hold an enum's value, shown as that enum's label in the reader's language (or that are
    turned into text by a function of the stored value, also called in the reader's language).
    """
    kind: str
    title: object
    body: tuple = ()
    group: str = "deals"
    labels: dict = field(default_factory=dict)


NOTICES: dict[str, Notice] = {}


def notice(kind: str, title, *body, group: str = "deals", **labels) -> Notice:
    """Declare a kind of notification (at import of the area that sends it)."""
    if group not in MAIL_GROUPS:
        raise ValueError(f"unknown mail group {group!r}")
    declared = Notice(kind, title, tuple(body), group, labels)
    NOTICES[kind] = declared
    return declared


class _Params(dict):
    def __missing__(self, key):
        return ""


_PLACEHOLDER = re.compile(r"%\((\w+)\)")


def _filled(template: str, params: _Params) -> str:
    return template % params if _PLACEHOLDER.search(template) else template


def render(notification: Notification) -> tuple[str, str]:
    """(title, body) of a notification in the current language; old rows and unknown kinds as stored."""
    declared = NOTICES.get(notification.kind)
    if notification.params is None or declared is None:
        return notification.title, notification.body
    params = _Params(notification.params)
    for name, label in declared.labels.items():
        try:
            if isinstance(label, type) and issubclass(label, enum.Enum):
                params[name] = label(params[name]).label if params.get(name) else ""
            else:  # a function of the stored value, called in the reader's language
                params[name] = label(params.get(name))
        except (TypeError, ValueError, KeyError):
            pass  # a value that no longer fits: shown as stored
    try:
        title = _filled(str(declared.title), params)
        lines = [_filled(str(line), params) for line in declared.body
                 if all(params.get(name) not in (None, "") for name in _PLACEHOLDER.findall(str(line)))]
    except (TypeError, ValueError):  # parameters that no longer fit the sentence
        return notification.title, notification.body
    return title, "\n".join(lines)


def rendered(notifications) -> list[tuple[Notification, str, str]]:
    """(notification, title, body) for a list shown to the current reader."""
    return [(n, *render(n)) for n in notifications]


def _plain(value):
    """Parameters are stored as JSON: enums by value, other objects as text."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def tell(users, kind: str, link: str = "", **params) -> list[Notification]:
    """Tell each user (once) about an event of a declared kind, in the caller's transaction."""
    if kind not in NOTICES:
        raise KeyError(f"notification kind {kind!r} is not declared")
    missing = set(_PLACEHOLDER.findall(str(NOTICES[kind].title))) - set(params)
    if missing:  # a title is never left with a hole in it
        raise KeyError(f"notification {kind!r} needs {', '.join(sorted(missing))}")
    if isinstance(users, User):
        users = [users]
    params = {name: _plain(value) for name, value in params.items()}
    made, seen = [], set()
    for user in users:
        if user is None or user.id in seen:
            continue
        seen.add(user.id)
        made.append(_store(user, kind, link, params))
    return made


def tell_staff(kind: str, link: str = "", **params) -> list[Notification]:
    """Every active station staff member and admin."""
    return tell(_active_staff(), kind, link, **params)


def _store(user: User, kind: str, link: str, params: dict) -> Notification:
    notification = Notification(user_id=user.id, kind=kind, link=link, params=params)
    with force_locale("zh"):  # the stored text, for readers that predate codes
        title, body = render(notification)
    notification.title, notification.body = title[:200], body
    db.session.add(notification)
    if wants_mail(user, kind) and not user.mail_digest:
        _mail_now(user, notification)
    return notification


def mail_group(kind: str) -> str:
    declared = NOTICES.get(kind)
    return declared.group if declared else "deals"


def wants_mail(user: User, kind: str) -> bool:
    """Whether this user gets this kind of notice by e-mail (at once or in the digest)."""
    if not user.active or not user.email:
        return False
    return user.mail_groups is None or mail_group(kind) in user.mail_groups


def _mail_now(user: User, notification: Notification) -> None:
    with force_locale(user.language or "zh"):
        title, body = render(notification)
    text = body + (f"\n\n{absolute_url(notification.link)}" if notification.link else "")
    mail.send_after_commit(user.email, f"[ClinBridge] {title}", text)
    if mail.mail_configured():
        notification.mailed_at = utcnow()


def digest_for(user: User, since_days: int = 2) -> list[Notification]:
    """The user's unread notices of the chosen groups not yet e-mailed (recent ones only)."""
    since = utcnow() - timedelta(days=since_days)
    rows = db.session.scalars(db.select(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), Notification.mailed_at.is_(None),
        Notification.created_at >= since).order_by(Notification.created_at, Notification.id)).all()
    return [n for n in rows if wants_mail(user, n.kind)]


def send_digests() -> int:
    """One e-mail per digest user with their new unread notices; returns how many mails were queued."""
    users = db.session.scalars(db.select(User).where(User.mail_digest.is_(True), User.active.is_(True))).all()
    sent = 0
    for user in users:
        items = digest_for(user)
        if not items:
            continue
        with force_locale(user.language or "zh"):
            parts = []
            for item in items:
                title, body = render(item)
                link = f"\n{absolute_url(item.link)}" if item.link else ""
                parts.append(f"■ {title}\n{body}{link}".rstrip())
            subject = "[ClinBridge] " + str(_l("每日消息摘要（%(n)d 条）")) % {"n": len(items)}
            text = "\n\n".join(parts) + "\n\n" + str(_l("在“消息通知”页可更改邮件设置。"))
        mail.send_after_commit(user.email, subject, text)
        now = utcnow()
        for item in items:
            item.mailed_at = now
        sent += 1
    return sent


def save_mail_preferences(user: User, groups: list[str], digest: bool, language: str) -> None:
    """The user's choice of e-mailed notice groups, digest or not, and the mail language."""
    user.mail_groups = [g for g in MAIL_GROUPS if g in groups]
    user.mail_digest = bool(digest)
    user.language = language if language in ("zh", "en") else "zh"


def _active_staff() -> list[User]:
    return db.session.scalars(db.select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True))).all()


def unread_count(user: User) -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Notification)
                             .where(Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def notifications_of(user: User, limit: int = 200) -> list[Notification]:
    """The user's notifications, newest first."""
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id)
                              .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)).all()


def mark_read(user: User, notification_id: int | None = None) -> None:
    """Mark one (or, with no id, every) notification of the user as read."""
    query = db.update(Notification).where(Notification.user_id == user.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    db.session.execute(query.values(read_at=utcnow()))


BADGE_CAP = 99  # the navigation's badge says "99+" above this; the notifications page counts them all


def unread_summary(user: User, path: str) -> tuple[int, bool]:
    """The user's unread notifications up to BADGE_CAP + 1, and whether some point to this page (the page then
    asks to mark them read). Every signed-in page asks, so it is one statement whose cost does not grow with
    the unread (a reader of many saved searches may have thousands), over ix_notification_unread, on the
    session's connection (two numbers: the ORM's handling of a statement costs more than the statement), built
    once (a statement object keeps its cache key: building it per request cost more than running it).

    A page view (a GET) has it already: the user loader asks for it in the statement that loads the user
    (unread_columns), and a GET changes nothing that could move it before the page is rendered."""
    known = g.get(_KNOWN_UNREAD)
    if known is not None and known[0] == (user.id, path):
        return known[1]
    count, here = db.session.connection().execute(_UNREAD_SUMMARY, {"user_id": user.id, "path": path}).one()
    return int(count or 0), bool(here)


def note_unread_summary(user_id: int, path: str, count, here) -> None:
    """What the user loader read of unread_columns for this request's user and page."""
    setattr(g, _KNOWN_UNREAD, ((user_id, path), (int(count or 0), bool(here))))


_KNOWN_UNREAD = "_clinbridge_unread_summary"


def unread_columns():
    """The unread summary as two columns of another statement, with the same parameters (user_id, path)."""
    unread = (Notification.user_id == db.bindparam("user_id"), Notification.read_at.is_(None))
    first = db.select(Notification.id).where(*unread).limit(BADGE_CAP + 1).subquery()
    return (db.select(db.func.count()).select_from(first).scalar_subquery(),
            db.select(Notification.id).where(*unread, Notification.link == db.bindparam("path")).exists())


def _unread_summary_statement():
    return db.select(*unread_columns())


_UNREAD_SUMMARY = _unread_summary_statement()


def mark_read_on_arrival(user_id: int, path: str) -> int:
    """Arriving at the page a notification points to counts as reading it; returns how many were marked.

    Called by the small POST the page sends once it is shown (notifications.arrived), never by the GET itself.
    """
    result = db.session.execute(db.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), Notification.link == path)
        .values(read_at=utcnow()))
    return result.rowcount or 0
