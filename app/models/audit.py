"""The audit trail: one row per transition, review, export or partner-tier view. Append only."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


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
