"""National report batches (报送批次) and the projects in each."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:  # relationships name these as strings
    from app.accounts.models import User
    from app.projects.models import Project


class ReportBatch(db.Model):
    """One export to the national review centre's clinical translation database (报送国家局器审中心)."""

    __tablename__ = "report_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int] = mapped_column(db.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    filters: Mapped[dict] = mapped_column(db.JSON, default=dict)
    xlsx_stored_name: Mapped[str] = mapped_column(db.String(255))
    jsonl_stored_name: Mapped[str] = mapped_column(db.String(255))
    project_count: Mapped[int] = mapped_column(default=0)
    excluded: Mapped[list] = mapped_column(db.JSON, default=list)   # [{"project_id", "name", "reason"}]

    created_by: Mapped["User"] = relationship()  # noqa: F821
    items: Mapped[list["ReportBatchItem"]] = relationship(back_populates="batch")


class ReportBatchItem(db.Model):
    """A project included in a report batch."""

    __tablename__ = "report_batch_item"

    batch_id: Mapped[int] = mapped_column(db.ForeignKey("report_batch.id"), primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), primary_key=True, index=True)

    batch: Mapped[ReportBatch] = relationship(back_populates="items")
    project: Mapped["Project"] = relationship()  # noqa: F821
