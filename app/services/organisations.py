"""Organisation profiles (附件2 company block) and investment intents (投资意向), and the demands list."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from types import SimpleNamespace

from flask_babel import gettext as _

from app.extensions import db
from app.models import (CooperationMode, DeviceClass, Intent, IntentStatus, Organisation, OrgStatus,
                        RegionPreference, Specialised, Stage)
from app.models.user import ORGANISATION_ROLES
from app.services import ServiceError, TransitionError, require
from app.services import audit

PROFILE_FIELDS = ("name", "address", "uscc", "field", "legal_rep", "registered_capital_wan", "registered_on",
                  "high_tech", "specialised", "contact_name", "contact_phone", "overview", "region")
# What any signed-in verified user may see of an organisation; contact details, legal representative and
# address stay with staff and the organisation's own members.
PUBLIC_PROFILE_FIELDS = ("name", "kind", "uscc", "field", "region", "overview", "high_tech", "specialised")
INTENT_FIELDS = ("title", "description", "keywords", "fields", "device_classes", "stages", "cooperation_modes",
                 "budget_min_wan", "budget_max_wan", "region_preference")
INTENT_TRANSITIONS = {
    (IntentStatus.ACTIVE, IntentStatus.PAUSED): "intent_paused",
    (IntentStatus.PAUSED, IntentStatus.ACTIVE): "intent_resumed",
    (IntentStatus.ACTIVE, IntentStatus.CLOSED): "intent_closed",
    (IntentStatus.PAUSED, IntentStatus.CLOSED): "intent_closed",
}
EDITABLE_INTENT_STATES = (IntentStatus.ACTIVE, IntentStatus.PAUSED)
INTENT_ENUM_LISTS = {"device_classes": DeviceClass, "stages": Stage, "cooperation_modes": CooperationMode}
# IVD reagents sit outside the 22 first-level categories (catalog 6840); the matching module knows the code.
IVD_REAGENT = {"code": "6840", "name": "体外诊断试剂"}


@lru_cache(maxsize=1)
def nmpa_first_level() -> tuple[dict, ...]:
    """The NMPA first-level categories (code, name) in catalog order, then IVD reagents."""
    from matching.knowledge import load_catalog  # a JSON file, read once per process
    return tuple({"code": c["code"], "name": c["name"]} for c in load_catalog()["l1_categories"]) + (IVD_REAGENT,)


def field_names() -> list[str]:
    """The 所属领域 choices: first-level category names."""
    return [c["name"] for c in nmpa_first_level()]


def field_labels() -> dict[str, str]:
    """First-level code → "code name", for an intent's 领域."""
    return {c["code"]: f"{c['code']} {c['name']}" for c in nmpa_first_level()}


class UsccTaken(ServiceError):
    """Another organisation already registered this 统一社会信用代码."""


def is_member(organisation: Organisation, user) -> bool:
    """The user is an enterprise/investor account of this organisation (verified or not)."""
    return bool(user and user.is_authenticated and user.role in ORGANISATION_ROLES
                and user.organisation_id == organisation.id)


def may_manage_intents(organisation: Organisation, user) -> bool:
    """Members of a verified organisation post and edit its intents."""
    return is_member(organisation, user) and organisation.is_verified


def can_view_full_profile(organisation: Organisation, user) -> bool:
    """Address, legal representative and contact details: the organisation's members and staff."""
    return is_member(organisation, user) or bool(user and user.is_authenticated and user.is_staff)


def public_profile(organisation: Organisation) -> SimpleNamespace:
    """Only the public part of a profile: what pages for other users are allowed to render."""
    view = SimpleNamespace(id=organisation.id, is_verified=organisation.is_verified)
    for name in PUBLIC_PROFILE_FIELDS:
        setattr(view, name, getattr(organisation, name))
    view.specialised = Specialised.coerce(organisation.specialised)
    return view


def update_profile(organisation: Organisation, actor, values: dict) -> list[str]:
    """Save the profile; the USCC may change only before verification. Returns the changed field names."""
    require(is_member(organisation, actor), _("只有本机构成员可以修改机构资料"))
    values = dict(values)
    uscc = values.pop("uscc", None)
    notes = []
    if uscc is not None and uscc != organisation.uscc:
        require(organisation.status is not OrgStatus.VERIFIED,
                _("机构已认证，统一社会信用代码不能修改；如确需变更请联系创新服务站"))
        taken = db.session.scalar(db.select(Organisation.id).where(Organisation.uscc == uscc,
                                                                   Organisation.id != organisation.id))
        if taken is not None:
            raise UsccTaken(_("该统一社会信用代码已被其他机构注册，请核对或联系创新服务站"))
        values["uscc"] = uscc
        notes.append(f"uscc {organisation.uscc} → {uscc}")  # staff verify against the code: keep the old one
    if values.get("specialised") not in (None, *(m.value for m in Specialised)):
        raise ServiceError(_("专精特新企业的取值不正确"))
    if values.get("field") and values["field"] not in field_names():
        raise ServiceError(_("所属领域须为医疗器械分类目录的一级类别"))
    capital = values.get("registered_capital_wan")
    if capital is not None and capital < 0:
        raise ServiceError(_("注册资金不能为负数"))
    if organisation.is_verified and values.get("name") and values["name"] != organisation.name:
        notes.append(f"name {organisation.name} → {values['name']}")
    changed = []
    for name in PROFILE_FIELDS:
        if name in values and _differs(getattr(organisation, name), values[name]):
            setattr(organisation, name, values[name])
            changed.append(name)
    audit.record("update_profile", actor=actor, subject=organisation, comment="; ".join([", ".join(changed), *notes]))
    return changed


def _differs(old, new) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return (None if old is None else Decimal(old)) != (None if new is None else Decimal(new))
    return (old if old is not None else "") != (new if new is not None else "")


def intents_of(organisation: Organisation, status: IntentStatus | None = None) -> list[Intent]:
    """The organisation's intents, newest first (optionally only those in one status)."""
    query = db.select(Intent).where(Intent.organisation_id == organisation.id)
    if status is not None:
        query = query.where(Intent.status == status)
    return list(db.session.scalars(query.order_by(Intent.created_at.desc(), Intent.id.desc())))


def intent_counts(organisation: Organisation) -> dict[IntentStatus, int]:
    """How many of the organisation's intents are in each status (zeros included)."""
    rows = db.session.execute(db.select(Intent.status, db.func.count()).where(
        Intent.organisation_id == organisation.id).group_by(Intent.status)).all()
    return {s: 0 for s in IntentStatus} | dict(rows)


def intent_changed(intent: Intent) -> None:
    """An intent's content or status changed: suggestions are recomputed after the commit."""
    from app.services import matching
    matching.refresh_after_commit()


def _clean_intent_values(values: dict) -> dict:
    """Keep known fields, known enum values; refuse a budget whose lower bound exceeds the upper."""
    clean = {name: values[name] for name in INTENT_FIELDS if name in values}
    known = {name: [m.value for m in enum_cls] for name, enum_cls in INTENT_ENUM_LISTS.items()}
    known["fields"] = list(field_labels())
    for name, members in known.items():
        if name in clean:
            unknown = set(clean[name] or []) - set(members)
            if unknown:
                raise ServiceError(_("未知的选项：%(values)s", values="、".join(sorted(unknown))))
            clean[name] = [v for v in members if v in clean[name]]  # catalog order, no duplicates
    if "keywords" in clean:
        clean["keywords"] = list(dict.fromkeys(k.strip() for k in clean["keywords"] or [] if k.strip()))
    if "region_preference" in clean:
        clean["region_preference"] = RegionPreference(clean["region_preference"])
    if "title" in clean and not (clean["title"] or "").strip():
        raise ServiceError(_("请填写意向名称"))
    low, high = clean.get("budget_min_wan"), clean.get("budget_max_wan")
    for amount in (low, high):
        if amount is not None and amount < 0:
            raise ServiceError(_("预算不能为负数"))
    if low is not None and high is not None and low > high:
        raise ServiceError(_("预算上限不能低于下限"))
    return clean


def create_intent(organisation: Organisation, actor, values: dict) -> Intent:
    """Post a new active intent for a verified organisation."""
    require(may_manage_intents(organisation, actor), _("只有已认证机构的成员可以发布投资意向"))
    intent = Intent(organisation=organisation, status=IntentStatus.ACTIVE, **_clean_intent_values(values))
    db.session.add(intent)
    db.session.flush()
    audit.record("create_intent", actor=actor, subject=intent, to_state=IntentStatus.ACTIVE.value,
                 comment=intent.title)
    intent_changed(intent)
    return intent


def update_intent(intent: Intent, actor, values: dict) -> Intent:
    """Change an intent that is not closed."""
    require(intent.can_edit(actor), _("只有本机构已认证的成员可以修改投资意向"))
    if intent.status not in EDITABLE_INTENT_STATES:
        raise TransitionError(_("已关闭的投资意向不能修改"))
    for name, value in _clean_intent_values(values).items():
        setattr(intent, name, value)
    audit.record("update_intent", actor=actor, subject=intent, comment=intent.title)
    intent_changed(intent)
    return intent


def set_intent_status(intent: Intent, actor, status: IntentStatus) -> Intent:
    """Pause, resume or close an intent; closed is final."""
    require(intent.can_edit(actor), _("只有本机构已认证的成员可以变更投资意向状态"))
    action = INTENT_TRANSITIONS.get((intent.status, status))
    if action is None:
        raise TransitionError(_("投资意向当前为“%(state)s”，不能改为“%(target)s”",
                                state=intent.status.label, target=status.label))
    previous = intent.status
    intent.status = status
    audit.record(action, actor=actor, subject=intent, from_state=previous.value, to_state=status.value)
    intent_changed(intent)
    return intent


# The demands list (企业需求): active intents of verified organisations.

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


def listed_intent_count() -> int:
    """How many intents 企业需求 shows, e.g. for the home page."""
    return db.session.scalar(db.select(db.func.count()).select_from(Intent)
                             .join(Organisation, Intent.organisation_id == Organisation.id)
                             .where(listed_intent_clause())) or 0
