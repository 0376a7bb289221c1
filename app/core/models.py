"""Shared model types (labelled enums, UTC timestamps, enum columns, stored files) and the shared tables: audit events, notifications, settings."""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.translation import translate
from app.extensions import db

if TYPE_CHECKING:  # relationships name these as strings
    from app.accounts.models import User

_LABELS: dict[enum.Enum, object] = {}
_BADGES: dict[enum.Enum, str] = {}


def utcnow() -> datetime:
    """The current time in UTC; templates show it in Beijing time."""
    return datetime.now(timezone.utc)


class LabeledEnum(enum.Enum):
    """An enum whose members carry a translated label (and optionally a badge colour)."""

    @property
    def label(self) -> str:
        return translate(_LABELS.get(self, self.value))

    @property
    def badge(self) -> str:
        return _BADGES.get(self, "secondary")

    @classmethod
    def choices(cls) -> list[tuple[str, object]]:
        """(value, label) pairs whose labels translate when rendered (form classes are built at import)."""
        return [(m.value, _LABELS.get(m, m.value)) for m in cls]

    @classmethod
    def coerce(cls, value):
        """Turn a submitted value (or an existing member) into a member, or None."""
        if value in (None, ""):
            return None
        if isinstance(value, cls):
            return value
        return cls(value)


def set_labels(enum_cls, labels: dict, badges: dict | None = None) -> None:
    """Attach labels (lazy translations) and badge colours to an enum's members."""
    for member in enum_cls:
        _LABELS[member] = labels[member]
    for member, colour in (badges or {}).items():
        _BADGES[member] = colour


def enum_column(enum_cls, **kwargs):
    """An Enum column stored as its values in a VARCHAR (portable across SQLite and PostgreSQL)."""
    return db.Enum(
        enum_cls,
        values_callable=lambda e: [m.value for m in e],
        native_enum=False,
        length=32,
        validate_strings=True,
        **kwargs,
    )


class UTCDateTime(db.TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the zone otherwise)."""

    impl = db.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                value = value.replace(tzinfo=timezone.utc)
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class StoredFile:
    """Columns of an uploaded file kept under the instance folder with a generated name."""

    original_name: Mapped[str] = mapped_column(db.String(255))
    stored_name: Mapped[str] = mapped_column(db.String(255), unique=True)
    content_type: Mapped[str] = mapped_column(db.String(100))
    size: Mapped[int] = mapped_column()
    uploaded_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def render_migration_item(type_, obj, autogen_context):
    """Write UTCDateTime into migrations as a plain timezone-aware DateTime (no app import needed)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


class AuditEvent(db.Model):
    """Who did what to which object, when, from which state to which, and why."""

    __tablename__ = "audit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"), index=True)
    action: Mapped[str] = mapped_column(db.String(50), index=True)
    project_id: Mapped[int | None] = mapped_column(db.ForeignKey("project.id"), index=True)
    subject_type: Mapped[str] = mapped_column(db.String(50), default="project")
    subject_id: Mapped[int | None] = mapped_column()
    from_state: Mapped[str] = mapped_column(db.String(32), default="")
    to_state: Mapped[str] = mapped_column(db.String(32), default="")
    comment: Mapped[str] = mapped_column(db.Text, default="")

    actor: Mapped["User | None"] = relationship(foreign_keys=[actor_id])  # noqa: F821


class Notification(db.Model):
    """An in-app notification; e-mail goes out too when mail is configured."""

    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    kind: Mapped[str] = mapped_column(db.String(50))
    title: Mapped[str] = mapped_column(db.String(200))
    body: Mapped[str] = mapped_column(db.Text, default="")
    link: Mapped[str] = mapped_column(db.String(300), default="")
    # A coded notice (core/notifications.py) keeps its parameters and reads in the reader's language when shown;
    # title and body then hold the Chinese text for old readers. Rows without params show title and body as stored.
    params: Mapped[dict | None] = mapped_column(db.JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    mailed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # e-mailed on its own or in a digest

    # every signed-in page counts the reader's unread notices; a user with thousands read would read them all
    # (a partial index WHERE read_at IS NULL is smaller, but SQLite's planner picks ix_notification_user_id over it)
    __table_args__ = (db.Index("ix_notification_unread", "user_id", "read_at", "link"),)


class Setting(db.Model):
    """A programme setting changed by the task force (e.g. the assessment weights)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(db.String(100), primary_key=True)
    value: Mapped[dict] = mapped_column(db.JSON)
    updated_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class SubmissionKey(db.Model):
    """A form's one-time key (app/core/idempotency.py): what its first submission created, for a retry."""

    __tablename__ = "submission_key"

    key: Mapped[str] = mapped_column(db.String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"), index=True)
    path: Mapped[str] = mapped_column(db.String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
