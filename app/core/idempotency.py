"""One-time keys for forms that create things: a retried submission creates nothing new.

When a worker is killed after the commit, the browser sees a connection error and the user (or the browser)
posts again. Each creating form carries a hidden random key (forms.base.OnceForm); the view asks `done(key, user)`
first and, if the key was used, redirects to what its first submission created; after creating, it calls
`remember(key, user, path)` in the same transaction, so the key is stored exactly when the thing is.
"""
from __future__ import annotations

import re
from datetime import timedelta

from app.core.models import SubmissionKey, utcnow
from app.extensions import db

KEY_FORMAT = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
KEEP_DAYS = 7  # a retry comes within minutes; older keys are dropped as new ones are stored


def _valid(key) -> bool:
    return isinstance(key, str) and KEY_FORMAT.match(key) is not None


def done(key, user) -> str | None:
    """The path the key's first submission led to, when this user already used it; else None."""
    if not _valid(key):
        return None
    row = db.session.get(SubmissionKey, key)
    return row.path if row is not None and row.user_id == user.id else None


def remember(key, user, path: str) -> None:
    """Store the key with what it created (in the caller's transaction); a missing or foreign key is skipped."""
    if not _valid(key) or db.session.get(SubmissionKey, key) is not None:
        return
    db.session.execute(db.delete(SubmissionKey).where(SubmissionKey.user_id == user.id,
                                                      SubmissionKey.created_at < utcnow() - timedelta(days=KEEP_DAYS)))
    db.session.add(SubmissionKey(key=key, user_id=user.id, path=path))
