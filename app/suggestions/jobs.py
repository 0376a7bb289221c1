"""Jobs of the suggestions area: the debounced refresh, and which changes ask for one.

A refresh ranks everything again (recompute_all), so it runs only for a change that can move a
suggestion: a project entering or leaving the library, a listed project's matching fields, an
active intent (or one becoming or ceasing to be active), an organisation's verification. A draft
save asks for none. Requests during the wait join the waiting run (app/core/jobs.py, debounce).
"""
from __future__ import annotations

from collections.abc import Iterable

from flask import current_app

from app.accounts.models import OrgStatus
from app.core import jobs
from app.core.exchange import EXCHANGE_KEYS
from app.deals.models import IntentStatus
from app.suggestions.operations import recompute_all

REFRESH_DELAY = 10  # seconds a refresh waits in the queue, so that a burst of changes runs it once


MATCHING_FIELDS = frozenset(EXCHANGE_KEYS) - {"id"}  # what the edge hands the engine of a project


@jobs.task(debounce=REFRESH_DELAY)
def refresh_suggestions() -> None:
    """Rank every listed project against every verified organisation again and store the suggestions."""
    current_app.logger.info("suggestions refreshed: %d stored", recompute_all())


def request_refresh() -> None:
    """Refresh the suggestions once this transaction commits (unless SUGGESTIONS_REFRESH is off)."""
    if current_app.config["SUGGESTIONS_REFRESH"]:
        jobs.after_commit(refresh_suggestions)


def refresh_for_project(project, was_listed: bool, changed: Iterable[str] = ()) -> None:
    """After a project changed: a refresh if it entered or left the library, or a listed one changed a matching field."""
    listed = project.is_listed()
    if listed != was_listed or (listed and not MATCHING_FIELDS.isdisjoint(changed)):
        request_refresh()


def refresh_for_intent(intent, previous_status: IntentStatus | None = None) -> None:
    """After an intent changed: a refresh if it is active or was, and its organisation is verified."""
    if IntentStatus.ACTIVE in (intent.status, previous_status) and intent.organisation.status is OrgStatus.VERIFIED:
        request_refresh()
