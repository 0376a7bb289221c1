"""The private negotiation thread (合作洽谈) of an accepted interest: messages, attachments, unread counts."""
from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _

from app.extensions import db
from app.models import Interest, NegotiationMessage, ThreadRead, User
from app.services import ServiceError, require
from app.services import audit
from app.services.attachments import save_file
from app.services.notify import notify_many


def post_message(interest: Interest, sender: User, body: str, upload=None) -> NegotiationMessage:
    """Add a message (and optionally one attachment) and tell the other side."""
    require(interest.can_message(sender), _("只有洽谈双方可以在洽谈中发言"))
    body = (body or "").strip()
    has_file = upload is not None and getattr(upload, "filename", "")
    if not body and not has_file:
        raise ServiceError(_("请输入内容或选择附件"))
    message = NegotiationMessage(interest=interest, sender_id=sender.id, body=body)
    if has_file:
        stored, original, content_type, size = save_file(upload, f"negotiations/{interest.id}")
        message.attachment_stored_name = stored
        message.attachment_original_name = original
        message.attachment_content_type = content_type
        message.attachment_size = size
    db.session.add(message)
    db.session.flush()
    mark_read(interest, sender)
    other_side = [interest.project.owner] if interest.is_member(sender) else \
        [u for u in interest.organisation.members if u.active]
    notify_many(other_side, "new_message", _("洽谈新消息：%(project)s", project=interest.project.display_name),
                body[:100] or _("对方发送了附件"), url_for("deals.thread", interest_id=interest.id))
    return message


def mark_read(interest: Interest, user: User) -> None:
    """Remember the newest message the user has seen in this thread."""
    newest = db.session.scalar(db.select(db.func.max(NegotiationMessage.id))
                               .where(NegotiationMessage.interest_id == interest.id)) or 0
    mark = db.session.get(ThreadRead, (interest.id, user.id))
    if mark is None:
        db.session.add(ThreadRead(interest_id=interest.id, user_id=user.id, last_read_message_id=newest))
    elif mark.last_read_message_id < newest:
        mark.last_read_message_id = newest


def unread_counts(user: User, interest_ids) -> dict[int, int]:
    """Unread messages per thread for the user (messages of others after what the user last saw)."""
    interest_ids = list(interest_ids)
    if not interest_ids:
        return {}
    last_read = db.select(ThreadRead.interest_id, ThreadRead.last_read_message_id).where(
        ThreadRead.user_id == user.id).subquery()
    rows = db.session.execute(
        db.select(NegotiationMessage.interest_id, db.func.count())
        .outerjoin(last_read, last_read.c.interest_id == NegotiationMessage.interest_id)
        .where(NegotiationMessage.interest_id.in_(interest_ids), NegotiationMessage.sender_id != user.id,
               NegotiationMessage.id > db.func.coalesce(last_read.c.last_read_message_id, 0))
        .group_by(NegotiationMessage.interest_id)).all()
    return dict(rows)


def record_staff_reading(interest: Interest, staff: User) -> None:
    """Staff oversight reading of a thread is itself audited."""
    audit.record("view_negotiation", actor=staff, project=interest.project, subject=interest)
