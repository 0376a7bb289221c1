"""Jobs of the suggestions area: the debounced incremental refresh, and which changes ask for one.

A change that can move a suggestion notes what changed (a RefreshRequest row, in the change's own
transaction) and asks for the refresh job after commit: a project entering or leaving the library or a
listed project's matching fields (that project is ranked against the active intents alone), an active
intent or one becoming or ceasing to be active, an organisation's verification (that organisation's
intents are ranked against the listed projects alone). A draft save asks for none. Requests during
the wait join the waiting run (app/core/jobs.py, debounce), which ranks everything noted in one go, in
the job consumer, never in a web worker. A full recompute runs only from the CLI (`flask matching
recompute`) or when the knowledge base changed since the last one (its fingerprint is kept).
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from app.accounts.models import OrgStatus
from app.core import jobs
from app.core.exchange import EXCHANGE_KEYS
from app.deals.models import IntentStatus
from app.extensions import db
from app.suggestions.models import RefreshRequest
from app.suggestions.operations import _engine, knowledge_changed, recompute_all, refresh_changed

REFRESH_DELAY = 10  # seconds a refresh waits in the queue, so that a burst of changes runs it once


MATCHING_FIELDS = frozenset(EXCHANGE_KEYS) - {"id"}  # what the edge hands the engine of a project


@jobs.task(debounce=REFRESH_DELAY)
def refresh_suggestions() -> None:
    """Rank again what changed since the last run (or everything, once the knowledge base changed).

    The ranking runs in a child process forked for it (SUGGESTIONS_REFRESH_CHILD, on outside the tests):
    jieba, the knowledge base, scikit-learn and the corpus's matrices (~1 GB for a full recompute of 10k
    projects) live and die with it, so the consumer, or a web worker in immediate mode, keeps none of them.
    """
    jobs.apart(_refresh, "SUGGESTIONS_REFRESH_CHILD")


@jobs.task(debounce=2)
def fit_knowledge_base() -> None:
    """Fit and save the knowledge base (参考分类 asked for it before it was saved), in a child process as above."""
    def fit():
        from matching.knowledge import knowledge_base
        _engine()  # the instance's cache folder
        knowledge_base()
    jobs.apart(fit, "SUGGESTIONS_REFRESH_CHILD")


def _refresh() -> None:
    requests = db.session.scalars(db.select(RefreshRequest).order_by(RefreshRequest.id)).all()
    if knowledge_changed():
        current_app.logger.info("knowledge base changed: full recompute, %d stored", recompute_all())
    elif requests:
        projects = {r.project_id for r in requests if r.project_id is not None}
        organisations = {r.organisation_id for r in requests if r.organisation_id is not None}
        stored = refresh_changed(projects, organisations)
        current_app.logger.info("suggestions refreshed for %d projects, %d organisations: %d stored",
                                len(projects), len(organisations), stored)
    if requests:  # requests noted while this ran stay for the next run
        db.session.execute(db.delete(RefreshRequest).where(RefreshRequest.id <= requests[-1].id))


def request_refresh(*, project=None, organisation=None) -> None:
    """Note what changed and refresh once this transaction commits (unless SUGGESTIONS_REFRESH is off)."""
    if not current_app.config["SUGGESTIONS_REFRESH"]:
        return
    if (project is not None and project.id is None) or (organisation is not None and organisation.id is None):
        db.session.flush()
    db.session.add(RefreshRequest(project_id=project.id if project is not None else None,
                                  organisation_id=organisation.id if organisation is not None else None))
    jobs.after_commit(refresh_suggestions)


def refresh_for_project(project, was_listed: bool, changed: Iterable[str] = ()) -> None:
    """After a project changed: a refresh if it entered or left the library, or a listed one changed a matching field."""
    listed = project.is_listed()
    if listed != was_listed or (listed and not MATCHING_FIELDS.isdisjoint(changed)):
        request_refresh(project=project)


def refresh_for_intent(intent, previous_status: IntentStatus | None = None) -> None:
    """After an intent changed: a refresh if it is active or was, and its organisation is verified."""
    if IntentStatus.ACTIVE in (intent.status, previous_status) and intent.organisation.status is OrgStatus.VERIFIED:
        request_refresh(organisation=intent.organisation)
