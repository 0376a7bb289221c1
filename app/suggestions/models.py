"""Stored suggestions of the ranking module (为您推荐), and staff decisions on them."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.accounts.models import Organisation
from app.core.models import LabeledEnum, UTCDateTime, enum_column, set_labels, utcnow
from app.extensions import db

if TYPE_CHECKING:  # relationships name these as strings
    from app.deals.models import Intent
    from app.projects.models import Project


class SuggestionStatus(LabeledEnum):
    SUGGESTED = "suggested"
    APPROVED = "approved"     # 服务站推荐: both sides notified, highlighted
    DISMISSED = "dismissed"   # never suggested again


set_labels(SuggestionStatus, {SuggestionStatus.SUGGESTED: _l("系统推荐"), SuggestionStatus.APPROVED: _l("服务站推荐"),
                              SuggestionStatus.DISMISSED: _l("已忽略")},
           {SuggestionStatus.SUGGESTED: "info", SuggestionStatus.APPROVED: "danger",
            SuggestionStatus.DISMISSED: "secondary"})


class MatchSuggestion(db.Model):
    """A suggested pairing of a listed project with an organisation (and its best-fitting intent)."""

    __tablename__ = "match_suggestion"
    # 为您推荐 and the owner's suggested partners walk these in score order and stop after a LIMIT
    # (operations._best_pairs): an organisation's rows, an intent's, a project's.
    __table_args__ = (
        db.Index("ix_match_suggestion_org_rank", "organisation_id", "status", "score", "id"),
        db.Index("ix_match_suggestion_intent_rank", "intent_id", "status", "score", "id"),
        db.Index("ix_match_suggestion_project_rank", "project_id", "status", "score", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(db.ForeignKey("project.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(db.ForeignKey("organisation.id"), index=True)
    intent_id: Mapped[int | None] = mapped_column(db.ForeignKey("intent.id"), index=True)
    score: Mapped[float] = mapped_column()
    public_reasons: Mapped[list] = mapped_column(db.JSON, default=list)   # cite public-tier text only
    owner_reasons: Mapped[list] = mapped_column(db.JSON, default=list)    # for the project's owner and staff
    status: Mapped[SuggestionStatus] = mapped_column(enum_column(SuggestionStatus),
                                                     default=SuggestionStatus.SUGGESTED, index=True)
    decided_by_id: Mapped[int | None] = mapped_column(db.ForeignKey("user.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped["Project"] = relationship()  # noqa: F821
    organisation: Mapped["Organisation"] = relationship()  # noqa: F821
    intent: Mapped["Intent | None"] = relationship()  # noqa: F821


class RefreshRequest(db.Model):
    """A change waiting for the refresh job: a project to rank again, or an organisation (its intents, its verification).

    Written in the transaction of the change (a rollback forgets it) and drained by refresh_suggestions,
    which ranks only what these rows name.
    """

    __tablename__ = "suggestion_refresh"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int | None] = mapped_column()
    organisation_id: Mapped[int | None] = mapped_column()
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


@event.listens_for(Session, "after_flush")
def _note_changed_organisations(session, flush_context) -> None:
    """Move `suggestions_version` of every organisation whose suggested pairings this flush wrote (a refresh,
    a staff decision, the demo), in the same transaction: whatever writes them, 为您推荐 shows it at once."""
    changed = {row.organisation_id for row in (*session.new, *session.deleted) if isinstance(row, MatchSuggestion)}
    changed |= {row.organisation_id for row in session.dirty
                if isinstance(row, MatchSuggestion) and session.is_modified(row, include_collections=False)}
    changed.discard(None)
    if changed:
        table = Organisation.__table__
        session.connection().execute(table.update().where(table.c.id.in_(sorted(changed)))
                                     .values(suggestions_version=table.c.suggestions_version + 1))
