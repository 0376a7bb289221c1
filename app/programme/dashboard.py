"""Figures of the service requests for the programme dashboard: by kind and state, times, outcomes, overdue."""
from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from app.extensions import db
from app.programme.kinds import MONEY_KINDS
from app.programme.models import RequestKind, RequestStatus, SupportRequest
from app.programme.requests import overdue_requests


@dataclass(frozen=True)
class OverdueRequest:
    request_id: int
    project_name: str
    kind: str
    status: str
    due_on: date
    days_overdue: int
    assignee: str


@dataclass
class RequestFigures:
    kinds: list[RequestKind]
    states: list[RequestStatus]
    counts: dict[tuple[str, str], int]            # (kind value, state value) → requests
    median_days_to_accept: float | None
    median_days_to_close: float | None
    accepted: int                                 # accepted in the period (the population of the median)
    closed: int
    granted_wan: Decimal                          # subsidies and awards granted (万元), closed in the period
    granted_by_kind: dict[str, Decimal]
    decisions: Counter = field(default_factory=Counter)   # (kind, decision) of 特别审查 / 优先审批
    refused: list[tuple[str, str]] = field(default_factory=list)   # (kind label, reason)
    overdue: list[OverdueRequest] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def count(self, kind: RequestKind, state: RequestStatus) -> int:
        return self.counts.get((kind.value, state.value), 0)

    def kind_total(self, kind: RequestKind) -> int:
        return sum(self.count(kind, s) for s in self.states)

    def state_total(self, state: RequestStatus) -> int:
        return sum(self.count(k, state) for k in self.kinds)

    def state_total_for(self, kind: RequestKind, state_value: str) -> int:
        return self.counts.get((kind.value, state_value), 0)


def _days(later: datetime, earlier: datetime) -> float:
    return (later - earlier).total_seconds() / 86400


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def request_figures(contains: Callable[[datetime | None], bool], today: date) -> RequestFigures:
    """The requests sent in the period (contains: a moment in the period?) and what came of them."""
    rows = db.session.scalars(db.select(SupportRequest).where(SupportRequest.status != RequestStatus.DRAFT)).all()
    sent = [r for r in rows if contains(r.submitted_at)]
    counts = Counter((r.kind.value, r.status.value) for r in sent)
    to_accept = [_days(r.accepted_at, r.submitted_at) for r in rows
                 if r.accepted_at and r.submitted_at and contains(r.accepted_at)]
    closed = [r for r in rows if r.status is RequestStatus.CLOSED and r.closed_at and contains(r.closed_at)]
    to_close = [_days(r.closed_at, r.submitted_at) for r in closed if r.submitted_at]
    granted_by_kind: dict[str, Decimal] = {}
    for r in closed:
        if r.kind in MONEY_KINDS and r.granted_wan is not None:
            granted_by_kind[r.kind.value] = granted_by_kind.get(r.kind.value, Decimal("0")) + r.granted_wan
    decisions = Counter((r.kind.value, r.decision.value) for r in closed if r.decision is not None)
    refused = [(r.kind.label, r.refusal_reason) for r in rows
               if r.status is RequestStatus.REFUSED and contains(r.closed_at)]
    overdue = [OverdueRequest(r.id, r.project.display_name, r.kind.label, r.status.label, r.due_on,
                              (today - r.due_on).days, r.assignee.name if r.assignee else "")
               for r in overdue_requests(today)]
    return RequestFigures(
        kinds=list(RequestKind), states=[s for s in RequestStatus if s is not RequestStatus.DRAFT], counts=dict(counts),
        median_days_to_accept=_median(to_accept), median_days_to_close=_median(to_close), accepted=len(to_accept),
        closed=len(closed), granted_wan=sum(granted_by_kind.values(), Decimal("0")), granted_by_kind=granted_by_kind,
        decisions=decisions, refused=refused, overdue=overdue)
