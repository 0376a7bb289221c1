"""Notifications: an in-app row for every event, and an e-mail after commit when mail is configured."""
from __future__ import annotations

from app.accounts.models import STAFF_ROLES, User
from app.core import mail
from app.core.links import absolute_url
from app.core.models import Notification, utcnow
from app.extensions import db


def notify(user: User, kind: str, title: str, body: str = "", link: str = "") -> Notification:
    """Tell one user about an event (in the caller's transaction); mail leaves only after commit."""
    notification = Notification(user_id=user.id, kind=kind, title=title, body=body, link=link)
    db.session.add(notification)
    if user.active:
        text = body + (f"\n\n{absolute_url(link)}" if link else "")
        mail.send_after_commit(user.email, f"[ClinBridge] {title}", text)
    return notification


def notify_many(users, kind: str, title: str, body: str = "", link: str = "") -> None:
    """The same event for several users, each once."""
    seen = set()
    for user in users:
        if user.id not in seen:
            seen.add(user.id)
            notify(user, kind, title, body, link)


def notify_staff(kind: str, title: str, body: str = "", link: str = "") -> None:
    """Every active station staff member and admin."""
    staff = db.session.scalars(db.select(User).where(User.role.in_(STAFF_ROLES), User.active.is_(True))).all()
    notify_many(staff, kind, title, body, link)


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


def unread_here(user: User, path: str) -> bool:
    """Whether the user has unread notifications that point to this page (the page then asks to mark them read)."""
    first = db.session.scalar(db.select(Notification.id).where(
        Notification.user_id == user.id, Notification.read_at.is_(None), Notification.link == path).limit(1))
    return first is not None


def mark_read_on_arrival(user_id: int, path: str) -> int:
    """Arriving at the page a notification points to counts as reading it; returns how many were marked.

    Called by the small POST the page sends once it is shown (notifications.arrived), never by the GET itself.
    """
    result = db.session.execute(db.update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None), Notification.link == path)
        .values(read_at=utcnow()))
    return result.rowcount or 0
