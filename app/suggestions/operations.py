"""The app's edge to the ranking module: rows to exchange records, stored suggestions, staff decisions.

`matching/` knows nothing of Flask or the database. Here listed projects and verified organisations
become exchange-format records, the engine ranks both directions, and the results are stored as
MatchSuggestion rows that pages read. Suggestions are recomputed by the refresh_suggestions job
(app/suggestions/jobs.py, after a change that can move them) and by `flask --app wsgi matching recompute`.
"""
from __future__ import annotations

import os
from typing import Callable

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Organisation, OrgStatus, User
from app.accounts.rules import is_staff
from app.core.exchange import exchange_record
from app.core.links import path_for
from app.core.models import utcnow
from app.core.notifications import notice, tell
from app.core.states import Transition, move
from app.deals.models import Intent, IntentStatus
from app.extensions import db
from app.projects.models import LIBRARY_STATES, PUBLIC_FIELDS, Project
from app.suggestions.models import MatchSuggestion, SuggestionStatus

K = 10
MIN_SCORE = 0.05  # below this a "suggestion" is noise: the engine ranks everything, not only good pairs

# The app's cooperation-mode codes and the engine's names for the same six modes of 附件2.
ENGINE_MODES = {"tech_transfer": "technology_transfer", "tech_equity": "equity",
                "joint_development": "joint_development", "commissioned_rd": "commissioned_rnd",
                "long_term_service": "expert_service", "new_entity": "new_entity"}


notice("match_recommended", _l("服务站推荐对接：%(org)s"), _l("创新服务站推荐贵项目与 %(org)s 对接，可在项目页查看推荐理由。"),
       group="matching")
notice("match_recommended_project", _l("服务站推荐项目：%(project)s"),
       _l("创新服务站向贵机构推荐该项目，欢迎在项目库查看并表达合作意向。"), group="matching")

def project_record(project: Project, province: str) -> dict:
    """A project as the engine may see it: the public-tier keys of its exchange record, plus the platform's province.

    Organisations are shown the stored scores, ranks and public reasons, so these are computed
    from public-tier fields only (DESIGN.md "What each side may see"): were a partner-tier word
    to move a score, the score would tell who has it. The tiers are the app's declaration
    (PUBLIC_FIELDS); the engine's own list of public text is checked against it in tests.
    """
    public = {key: value for key, value in exchange_record(project).items() if key in PUBLIC_FIELDS}
    return public | {"id": str(project.id), "province": province}


def enterprise_record(organisation: Organisation, intents: list[Intent]) -> dict:
    """An organisation with its active intents, in the exchange format."""
    return {
        "id": str(organisation.id), "name": organisation.name, "field": organisation.field,
        "overview": organisation.overview, "region": organisation.region,
        "intents": [{
            "id": str(intent.id),
            "description": "\n".join(filter(None, [intent.title, intent.description])),
            "keywords": list(intent.keywords or []), "device_classes": list(intent.device_classes or []),
            "stages": list(intent.stages or []),
            "cooperation_modes": [ENGINE_MODES.get(m, m) for m in intent.cooperation_modes or []],
            "budget_wan": float(intent.budget_max_wan) if intent.budget_max_wan is not None else None,
            "region_preference": intent.region_preference.value if intent.region_preference else None,
        } for intent in intents],
    }


def _corpus():
    projects = db.session.scalars(db.select(Project).where(Project.status.in_(LIBRARY_STATES),
                                                           Project.publish_consent.is_(True))
                                  .order_by(Project.id)).all()
    organisations = db.session.scalars(db.select(Organisation).where(Organisation.status == OrgStatus.VERIFIED)
                                       .order_by(Organisation.id)).all()
    intents = {}
    for intent in db.session.scalars(db.select(Intent).where(Intent.status == IntentStatus.ACTIVE)
                                     .order_by(Intent.id)):
        intents.setdefault(intent.organisation_id, []).append(intent)
    return projects, organisations, intents


def _engine():
    """The matching package, with its knowledge-base disk cache in the instance folder.

    MATCHING_CACHE_DIR overrides the folder, and so does the engine's own variable
    CLINBRIDGE_MATCHING_CACHE (a folder, or "off"); under testing the engine's default (the
    user's cache folder) is kept, so test sessions share one cached file instead of one each.
    """
    import matching
    from matching.cache import set_cache_dir

    folder = current_app.config.get("MATCHING_CACHE_DIR")
    if folder is None and not current_app.testing and not os.environ.get("CLINBRIDGE_MATCHING_CACHE"):
        folder = os.path.join(current_app.instance_path, "cache", "matching")
    if folder:
        set_cache_dir(folder)
    return matching


def recompute_all(progress: Callable[[int, int], None] | None = None) -> int:
    """Rank every listed project against every verified organisation, both directions; store the result."""
    matching = _engine()

    projects, organisations, intents = _corpus()
    province = current_app.config["PLATFORM_PROVINCE"]
    project_records = {p.id: project_record(p, province) for p in projects}
    enterprise_records = {o.id: enterprise_record(o, intents.get(o.id, [])) for o in organisations}
    fresh: dict[tuple[int, int, int | None], dict] = {}
    total = len(projects) + len(organisations)
    if projects and organisations:
        index = matching.MatchIndex.build(list(project_records.values()), list(enterprise_records.values()))
        for n, project in enumerate(projects, 1):
            # The records carry public-tier fields only, so the owner's reasons could cite nothing
            # more than the public ones: both columns get the public reasons.
            for suggestion in matching.rank_for_project(index, project_records[project.id], k=K, audience="public"):
                key = (project.id, int(suggestion.target_id), _int(suggestion.intent_id))
                fresh[key] = {"score": suggestion.score, "public": list(suggestion.reasons),
                              "owner": list(suggestion.reasons)}
            if progress:
                progress(n, total)
        for n, organisation in enumerate(organisations, len(projects) + 1):
            record = enterprise_records[organisation.id]
            for intent_index in range(len(record["intents"])) or [None]:
                for suggestion in matching.rank_for_enterprise(index, record, k=K, intent_index=intent_index,
                                                               audience="public"):
                    key = (int(suggestion.target_id), organisation.id,
                           _int(record["intents"][intent_index]["id"]) if intent_index is not None else None)
                    fresh.setdefault(key, {"score": suggestion.score, "public": list(suggestion.reasons),
                                           "owner": list(suggestion.reasons)})
            if progress:
                progress(n, total)
    return _store(fresh)


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None


def _store(fresh: dict) -> int:
    """Replace the plain suggestions with the fresh ones; keep staff decisions; never revive a dismissal."""
    existing = {(s.project_id, s.organisation_id, s.intent_id): s for s in db.session.scalars(db.select(MatchSuggestion))}
    dismissed = {(s.project_id, s.organisation_id) for s in existing.values()
                 if s.status is SuggestionStatus.DISMISSED}
    now = utcnow()
    for key, row in existing.items():
        if key not in fresh and row.status is SuggestionStatus.SUGGESTED:
            db.session.delete(row)
    stored = 0
    for key, values in fresh.items():
        if key[:2] in dismissed:
            continue
        row = existing.get(key) or MatchSuggestion(project_id=key[0], organisation_id=key[1], intent_id=key[2])
        row.score = round(float(values["score"]), 4)
        row.public_reasons, row.owner_reasons, row.computed_at = values["public"], values["owner"], now
        db.session.add(row)
        stored += 1
    db.session.flush()
    return stored


def _visible(query):
    return query.where(MatchSuggestion.status != SuggestionStatus.DISMISSED,
                       db.or_(MatchSuggestion.score >= MIN_SCORE, MatchSuggestion.status == SuggestionStatus.APPROVED))


def best_per_project(rows: list[MatchSuggestion]) -> list[MatchSuggestion]:
    """One row per (project, organisation): staff-recommended first, then by score."""
    best: dict[tuple[int, int], MatchSuggestion] = {}
    for row in rows:
        key = (row.project_id, row.organisation_id)
        if key not in best or _rank(row) > _rank(best[key]):
            best[key] = row
    return sorted(best.values(), key=_rank, reverse=True)


def _rank(row: MatchSuggestion):
    return (row.status is SuggestionStatus.APPROVED, row.score)


def suggestions_for_organisation(organisation_id: int, intent_id: int | None = None, limit: int = 10):
    """Listed projects suggested to an organisation (or one of its intents)."""
    query = _visible(db.select(MatchSuggestion).join(Project, MatchSuggestion.project_id == Project.id)
                     .where(MatchSuggestion.organisation_id == organisation_id,
                            Project.status.in_(LIBRARY_STATES), Project.publish_consent.is_(True)))
    if intent_id is not None:
        query = query.where(MatchSuggestion.intent_id == intent_id)
    return best_per_project(db.session.scalars(query).all())[:limit]


def suggestions_for_project(project: Project, limit: int = 10):
    """Organisations suggested for a project (its owner and staff read these)."""
    rows = db.session.scalars(_visible(db.select(MatchSuggestion).join(Organisation)
                                       .where(MatchSuggestion.project_id == project.id,
                                              Organisation.status == OrgStatus.VERIFIED))).all()
    return best_per_project(rows)[:limit]


def board(filters: dict, limit: int = 100):
    """The strongest pairings across the platform for the staff match board."""
    query = db.select(MatchSuggestion).join(Project, MatchSuggestion.project_id == Project.id).where(
        Project.status.in_(LIBRARY_STATES), Project.publish_consent.is_(True))
    status = filters.get("status") or "open"
    if status == "open":
        query = query.where(MatchSuggestion.status == SuggestionStatus.SUGGESTED)
    elif status in {s.value for s in SuggestionStatus}:
        query = query.where(MatchSuggestion.status == SuggestionStatus(status))
    if filters.get("organisation_id"):
        query = query.where(MatchSuggestion.organisation_id == filters["organisation_id"])
    if filters.get("project_type"):
        query = query.where(Project.project_type == filters["project_type"])
    if filters.get("min_score") is not None:
        query = query.where(MatchSuggestion.score >= filters["min_score"])
    return best_per_project(db.session.scalars(query).all())[:limit]


def board_counts() -> dict[SuggestionStatus, int]:
    """How many (project, organisation) pairings are in each state, as the board lists them."""
    rows = db.session.execute(db.select(MatchSuggestion.status, MatchSuggestion.project_id,
                                        MatchSuggestion.organisation_id).distinct()).all()
    counts = {status: 0 for status in SuggestionStatus}
    for status, _project, _organisation in rows:
        counts[status] += 1
    return counts


G = SuggestionStatus

# Staff decide on a suggested pairing: recommend it to both sides (once), or dismiss it for good. A decision
# covers the pairing, whichever of the organisation's intents it came through: the pair's rows move together.
DECISION = {
    "approve": Transition({G.SUGGESTED}, G.APPROVED, is_staff, audit="approve_match", stamps=("decided_at",),
                          refusal=_l("只有服务站工作人员可以推荐对接")),
    "dismiss": Transition({G.SUGGESTED, G.APPROVED}, G.DISMISSED, is_staff, audit="dismiss_match",
                          stamps=("decided_at",), refusal=_l("只有服务站工作人员可以忽略推荐")),
}


def _decide_pair(suggestion: MatchSuggestion, action: str, staff: User, comment: str) -> None:
    """Move the suggestion and the pair's other rows not yet there; one audit row records the decision."""
    target = DECISION[action].target
    rows = db.session.scalars(db.select(MatchSuggestion).where(
        MatchSuggestion.project_id == suggestion.project_id,
        MatchSuggestion.organisation_id == suggestion.organisation_id)).all()
    move(suggestion, DECISION, action, staff, comment, along=[r for r in rows if r.status is not target])
    for row in rows:
        row.decided_by_id = staff.id


def approve_suggestion(suggestion: MatchSuggestion, staff: User) -> None:
    """服务站推荐: both sides are told, and the pairing is highlighted for them."""
    project, organisation = suggestion.project, suggestion.organisation
    _decide_pair(suggestion, "approve", staff, organisation.name)
    tell(project.owner, "match_recommended", path_for("projects.detail", project_id=project.id),
         org=organisation.name)
    tell([u for u in organisation.members if u.active], "match_recommended_project",
         path_for("library.detail", project_id=project.id), project=project.display_name)


def dismiss_suggestion(suggestion: MatchSuggestion, staff: User) -> None:
    """Take the pairing off every list for good (all of the organisation's intents)."""
    _decide_pair(suggestion, "dismiss", staff, suggestion.organisation.name)


CLASS_NAMES = {"I": "Ⅰ类", "II": "Ⅱ类", "III": "Ⅲ类", "combination": "药械组合",
               "not_device": "不作为医疗器械管理", "not_separately": "不单独作为医疗器械管理"}


def category_name(code: str) -> str:
    """An NMPA category code in words: first level by name, second level by its catalogue items."""
    import matching
    if code == "6840":
        return "体外诊断试剂"
    catalog = matching.load_catalog()
    first = {c["code"]: c["name"] for c in catalog["l1_categories"]}
    if len(code) == 2:
        return first.get(code, code)
    items = [item["name"] for item in catalog["items"] if item.get("l2_code") == code][:3]
    return first.get(code[:2], "") + ("：" + "、".join(items) if items else "")


SHOWN_ALTERNATIVES = 3
ALTERNATIVE_MIN_SHARE = 0.01


def _shown_alternatives(ranked: list[dict]) -> list[dict]:
    """The most likely entry, then up to two more that hold at least 1% (a "0%" guess tells nothing)."""
    return ranked[:1] + [c for c in ranked[1:SHOWN_ALTERNATIVES] if c["p"] >= ALTERNATIVE_MIN_SHARE]


def classification_for(values: dict) -> dict:
    """The likely 管理类别 and NMPA category of a (draft) project, with similar past determinations."""
    matching = _engine()
    record = {key: values.get(key) or "" for key in ("name", "structure", "principle", "intended_use",
                                                     "project_type", "clinical_prospects")}
    result = matching.classify_project(record, k=5)
    return {
        "device_class": [{"label": c["label"], "name": CLASS_NAMES.get(c["label"], c["label"]),
                          "p": round(c["p"], 3)} for c in _shown_alternatives(result["device_class"])],
        "category": [{"code": c["code"], "name": category_name(c["code"]), "p": round(c["p"], 3)}
                     for c in _shown_alternatives(result["category"])],
        "similar": [{"product_name": d["product_name"], "code": d.get("code") or "",
                     "class_name": CLASS_NAMES.get(d["class_label"], d["class_label"]), "year": d.get("year")}
                    for d in result["similar"][:5]],
    }
