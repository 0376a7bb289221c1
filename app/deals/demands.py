"""The demands list (企业需求): listed investment intents with filters and facet counts."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask_babel import gettext as _

from app.accounts.models import Organisation, OrgStatus
from app.accounts.operations import field_labels, public_profile
from app.core.errors import require
from app.deals.models import CooperationMode, Intent, IntentStatus
from app.extensions import db
from app.projects.models import DeviceClass

FACETS = ("field", "cooperation_mode", "device_class")
FACET_COLUMNS = {"field": "fields", "cooperation_mode": "cooperation_modes", "device_class": "device_classes"}


def listed_intent_clause():
    """Shown in 企业需求: active, and the organisation is verified (needs a join to Organisation)."""
    return db.and_(Intent.status == IntentStatus.ACTIVE, Organisation.status == OrgStatus.VERIFIED)


def is_listed(intent: Intent) -> bool:
    """The intent is shown in 企业需求."""
    return intent.status is IntentStatus.ACTIVE and intent.organisation.is_verified


@dataclass
class DemandFilters:
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> "DemandFilters":
        """Keep only known facets with known values; anything else is ignored, never an error."""
        known = {"field": set(field_labels()), "cooperation_mode": {m.value for m in CooperationMode},
                 "device_class": {m.value for m in DeviceClass}}
        values = {}
        for name in FACETS:
            value = (args.get(name) or "").strip()
            if value in known[name]:
                values[name] = value
        return cls(values)

    def matches(self, row, skip: str | None = None) -> bool:
        return all(value in (getattr(row, FACET_COLUMNS[name]) or [])
                   for name, value in self.values.items() if name != skip)

    def without(self, name: str) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k != name}


@dataclass
class DemandPage:
    items: list
    total: int
    page: int
    pages: int
    facets: dict[str, dict[str, int]]


def active_intents(filters: DemandFilters, page: int = 1, per_page: int = 20, viewer=None) -> DemandPage:
    """One page of listed intents (newest first) with their organisations' public profiles, and facet counts.

    The facets live in JSON lists, which SQLite and PostgreSQL query differently; the listed intents of a
    provincial programme are few, so their list columns are filtered and counted here instead.
    """
    require(viewer is None or (viewer.is_authenticated and viewer.is_verified), _("企业需求仅对认证用户开放"))
    rows = db.session.execute(
        db.select(Intent.id, Intent.fields, Intent.cooperation_modes, Intent.device_classes)
        .join(Organisation, Intent.organisation_id == Organisation.id)
        .where(listed_intent_clause())
        .order_by(Intent.updated_at.desc(), Intent.id.desc())).all()
    facets = {}
    for name in FACETS:
        counts: dict[str, int] = {}
        for row in rows:
            if filters.matches(row, skip=name):
                for value in set(getattr(row, FACET_COLUMNS[name]) or []):
                    counts[value] = counts.get(value, 0) + 1
        facets[name] = counts
    ids = [row.id for row in rows if filters.matches(row)]
    total = len(ids)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    page_ids = ids[(page - 1) * per_page: page * per_page]
    by_id = {i.id: i for i in db.session.scalars(db.select(Intent).where(Intent.id.in_(page_ids)))} if page_ids else {}
    items = [SimpleNamespace(intent=by_id[i], organisation=public_profile(by_id[i].organisation)) for i in page_ids]
    return DemandPage(items=items, total=total, page=page, pages=pages, facets=facets)
