"""One-time keys for forms that create things: a retried submission creates nothing new.

When a worker is killed after the commit, the browser sees a connection error and the user (or the browser)
posts again. Each creating form carries a hidden random key (forms.base.OnceForm); the view asks `done(key, user)`
first and, if the key was used, redirects to what its first submission created; after creating, it calls
`remember(key, user, path)` in the same transaction, so the key is stored exactly when the thing is.

Two submissions of one key at the same moment (a double click, a retry racing the first) both pass done();
remember() therefore writes the key at once, so the second waits on the first's row and is refused with a 409
(DuplicateSubmission) when the first commits, instead of failing at its own commit with a 500.
"""
from __future__ import annotations

import re
from datetime import timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.core.errors import TransitionError
from app.core.models import SubmissionKey, utcnow
from app.extensions import db

KEY_FORMAT = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP_DAYS = 7  # a retry comes within minutes; older keys are dropped as new ones are stored

DUPLICATE = _l("这份表单已经提交过（可能点击了两次），本次提交没有重复保存。请刷新页面查看第一次提交的结果。")


class DuplicateSubmission(TransitionError):
    """The key was used by a submission that committed while this one ran (409: reload to see its result)."""

    def __init__(self):
        super().__init__(str(DUPLICATE))


def _valid(key) -> bool:
    return isinstance(key, str) and KEY_FORMAT.match(key) is not None


def done(key, user) -> str | None:
    """The path the key's first submission led to, when this user already used it; else None."""
    if not _valid(key):
        return None
    row = db.session.get(SubmissionKey, key)
    return row.path if row is not None and row.user_id == user.id else None


def remember(key, user, path: str) -> None:
    """Store the key with what it created (in the caller's transaction, written now); a missing or foreign key is
    skipped; the user's own key already stored (a simultaneous submission won) raises DuplicateSubmission."""
    if not _valid(key):
        return
    existing = db.session.get(SubmissionKey, key)
    if existing is not None:
        if existing.user_id == user.id:
            raise DuplicateSubmission()
        return
    db.session.execute(db.delete(SubmissionKey).where(SubmissionKey.user_id == user.id,
                                                      SubmissionKey.created_at < utcnow() - timedelta(days=KEEP_DAYS)))
    db.session.add(SubmissionKey(key=key, user_id=user.id, path=path))
    try:
        db.session.flush()  # PostgreSQL: waits here on a simultaneous insert of the key; SQLite: on its write lock
    except IntegrityError as error:
        if "submission_key" not in str(error.orig):
            raise
        # The request is refused as a whole: refused() rolls the session back before anything else reads it.
        raise DuplicateSubmission() from error
