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
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm.attributes import set_committed_value

from app.accounts.models import Organisation, OrgStatus, User
from app.accounts.rules import is_staff
from app.core import page_reads
from app.core.exchange import exchange_record
from app.core.links import path_for
from app.core.models import Setting, utcnow
from app.core.notifications import notice, tell
from app.core.states import Transition, move
from app.deals.models import Intent, IntentStatus, ProjectPass
from app.extensions import db
from app.projects.listing import as_library_version, library_version_columns
from app.projects.models import LIBRARY_STATES, PUBLIC_FIELDS, Project
from app.suggestions.models import MatchSuggestion, RefreshRequest, SuggestionStatus

K = 10


def min_score() -> int:
    """The lowest score (0–100) offered to users as a recommendation: the engine ranks everything, not only good pairs."""
    return int(current_app.config.get("SUGGESTION_MIN_SCORE", 15))


def offered(score: float) -> bool:
    """Whether a stored score (0–1) reaches the minimum for 为您推荐 and the owner's suggested partners."""
    return score * 100 >= min_score() - 1e-9

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


KNOWLEDGE_SETTING = "suggestions_knowledge"  # the knowledge base's fingerprint at the last full recompute


def _knowledge_fingerprint() -> str:
    from matching.cache import fingerprint
    return fingerprint("knowledge")


def knowledge_changed() -> bool:
    """Whether the knowledge base differs from the one of the last full recompute (or there was none)."""
    setting = db.session.get(Setting, KNOWLEDGE_SETTING)
    return setting is None or (setting.value or {}).get("fingerprint") != _knowledge_fingerprint()


def _remember_knowledge() -> None:
    setting = db.session.get(Setting, KNOWLEDGE_SETTING) or Setting(key=KNOWLEDGE_SETTING)
    setting.value = {"fingerprint": _knowledge_fingerprint()}
    db.session.add(setting)


def _records():
    projects, organisations, intents = _corpus()
    province = current_app.config["PLATFORM_PROVINCE"]
    project_records = {p.id: project_record(p, province) for p in projects}
    enterprise_records = {o.id: enterprise_record(o, intents.get(o.id, [])) for o in organisations}
    return projects, organisations, project_records, enterprise_records


def _suggestion_values(suggestion) -> dict:
    # The records carry public-tier fields only, so the owner's reasons could cite nothing more than the
    # public ones: both columns get the public reasons.
    return {"score": suggestion.score, "public": list(suggestion.reasons), "owner": list(suggestion.reasons)}


def recompute_all(progress: Callable[[int, int], None] | None = None) -> int:
    """Rank every listed project against every verified organisation, both directions; store the result.

    Changes noted for the incremental refresh before it started are covered by it, so they are dropped (a bulk
    import followed by `flask matching recompute` leaves no refresh of 10,000 projects behind it).
    """
    matching = _engine()
    covered = db.session.scalar(db.select(db.func.max(RefreshRequest.id)))

    projects, organisations, project_records, enterprise_records = _records()
    fresh: dict[tuple[int, int, int | None], dict] = {}
    total = len(projects) + len(organisations)
    if projects and organisations:
        index = matching.MatchIndex.build(list(project_records.values()), list(enterprise_records.values()))
        for n, project in enumerate(projects, 1):
            for suggestion in matching.rank_for_project(index, project_records[project.id], k=K, audience="public"):
                key = (project.id, int(suggestion.target_id), _int(suggestion.intent_id))
                fresh[key] = _suggestion_values(suggestion)
            if progress:
                progress(n, total)
        for n, organisation in enumerate(organisations, len(projects) + 1):
            record = enterprise_records[organisation.id]
            for intent_index in range(len(record["intents"])) or [None]:
                for suggestion in matching.rank_for_enterprise(index, record, k=K, intent_index=intent_index,
                                                               audience="public"):
                    key = (int(suggestion.target_id), organisation.id,
                           _int(record["intents"][intent_index]["id"]) if intent_index is not None else None)
                    fresh.setdefault(key, _suggestion_values(suggestion))
            if progress:
                progress(n, total)
    _remember_knowledge()
    if covered is not None:
        db.session.execute(db.delete(RefreshRequest).where(RefreshRequest.id <= covered))
    return _store(fresh)


def refresh_changed(project_ids: set[int], organisation_ids: set[int]) -> int:
    """Rank again only what changed: these projects against the active intents, these organisations' intents
    against the listed projects.

    A changed project gets what a full recompute would give it: its best organisations, and a place
    in each intent's list its score earns against the stored lists (the K-th score of the others).
    A changed organisation likewise: its intents' best projects, and a place in each project's
    list. Every project still feeds the text features (so scores are those of a full recompute), but
    only the ranked ones are encoded and have their categories guessed. A project that left the
    library, or an organisation no longer verified, just loses its plain suggestions.
    """
    matching = _engine()
    projects, organisations, project_records, enterprise_records = _records()
    ranked_projects = {i for i in project_ids if i in project_records}
    ranked_organisations = {i for i in organisation_ids if i in enterprise_records}
    fresh: dict[tuple[int, int, int | None], dict] = {}
    if project_records and enterprise_records and (ranked_projects or ranked_organisations):
        index = matching.MatchIndex.build(
            list(project_records.values()), list(enterprise_records.values()),
            ranked=None if ranked_organisations else [str(i) for i in ranked_projects])
        _rank_projects(matching, index, ranked_projects, project_records, fresh)
        _rank_organisations(matching, index, ranked_organisations, enterprise_records, ranked_projects, fresh)
    scope = db.or_(MatchSuggestion.project_id.in_(_literal_ids("scope_projects", project_ids)),
                   MatchSuggestion.organisation_id.in_(_literal_ids("scope_organisations", organisation_ids)))
    return _store(fresh, scope)


def _literal_ids(name: str, ids):
    """Ids inlined as literals: a bulk import notes more projects than a driver binds parameters."""
    return db.bindparam(name, sorted(int(i) for i in ids) or [0], expanding=True, literal_execute=True)


def _kth_slot_scores(excluded_projects: set[int]) -> dict[tuple[int, int | None], float]:
    """The K-th best stored score of each (organisation, intent) list among other projects (absent: fewer than K)."""
    rank = db.func.row_number().over(partition_by=(MatchSuggestion.organisation_id, MatchSuggestion.intent_id),
                                     order_by=(MatchSuggestion.score.desc(), MatchSuggestion.id)).label("rank")
    ranked = (db.select(MatchSuggestion.organisation_id, MatchSuggestion.intent_id, MatchSuggestion.score, rank)
              .where(MatchSuggestion.status != SuggestionStatus.DISMISSED,
                     MatchSuggestion.project_id.not_in(_literal_ids("excluded_projects", excluded_projects)))
              .subquery())
    rows = db.session.execute(db.select(ranked.c.organisation_id, ranked.c.intent_id, ranked.c.score)
                              .where(ranked.c.rank == K)).all()
    return {(o, i): s for o, i, s in rows}


def _kth_project_scores(excluded_organisations: set[int]) -> dict[int, float]:
    """The K-th best stored organisation score of each project, other organisations than these; absent: fewer than K."""
    best = (db.select(MatchSuggestion.project_id, MatchSuggestion.organisation_id,
                      db.func.max(MatchSuggestion.score).label("score"))
            .where(MatchSuggestion.status != SuggestionStatus.DISMISSED,
                   MatchSuggestion.organisation_id.not_in(_literal_ids("excluded_organisations",
                                                                      excluded_organisations)))
            .group_by(MatchSuggestion.project_id, MatchSuggestion.organisation_id).subquery())
    rank = db.func.row_number().over(partition_by=best.c.project_id,
                                     order_by=(best.c.score.desc(), best.c.organisation_id)).label("rank")
    ranked = db.select(best.c.project_id, best.c.score, rank).subquery()
    return dict(db.session.execute(db.select(ranked.c.project_id, ranked.c.score).where(ranked.c.rank == K)).all())


def _rank_projects(matching, index, project_ids: set[int], project_records: dict, fresh: dict) -> None:
    import numpy as np

    if not project_ids or not index.slots:
        return
    thresholds = _kth_slot_scores(project_ids)
    all_slots = np.arange(len(index.slots))
    for project_id in sorted(project_ids):
        record = project_records[project_id]
        for suggestion in matching.rank_for_project(index, record, k=K, audience="public"):
            fresh[(project_id, int(suggestion.target_id), _int(suggestion.intent_id))] = _suggestion_values(suggestion)
        side, row = index.project_view(record)
        scores = index.pair_scores(side, np.array([row]), all_slots)[0]
        for slot, score in enumerate(scores):
            score = round(float(score), 4)
            e_row, intent_index = index.slots[slot]
            enterprise = index.enterprises[e_row]
            intent_id = _int(enterprise["intents"][intent_index]["id"]) if intent_index is not None else None
            key = (project_id, int(enterprise["id"]), intent_id)
            threshold = thresholds.get((key[1], intent_id))
            if key in fresh or score <= 0 or (threshold is not None and score < threshold):
                continue
            fresh[key] = {"score": score, "public": list(index.reasons(record, side, row, slot, "public"))}
            fresh[key]["owner"] = fresh[key]["public"]


def _rank_organisations(matching, index, organisation_ids: set[int], enterprise_records: dict,
                        skip_projects: set[int], fresh: dict) -> None:
    import numpy as np

    if not organisation_ids or not index.projects:
        return
    thresholds = _kth_project_scores(organisation_ids)
    for organisation_id in sorted(organisation_ids):
        record = enterprise_records[organisation_id]
        for intent_index in range(len(record["intents"])) or [None]:
            intent_id = _int(record["intents"][intent_index]["id"]) if intent_index is not None else None
            for suggestion in matching.rank_for_enterprise(index, record, k=K, intent_index=intent_index,
                                                           audience="public"):
                fresh.setdefault((int(suggestion.target_id), organisation_id, intent_id),
                                 _suggestion_values(suggestion))
        # The project side: does this organisation now earn a place among a project's best ones?
        slot_rows, owner = index.slot_rows_of(record, None)
        scores = owner.pair_scores(index.project_side, None, slot_rows)
        best = np.argmax(scores, axis=1)
        for row, project in enumerate(index.projects):
            project_id = int(project["id"])
            score = round(float(scores[row, best[row]]), 4)
            threshold = thresholds.get(project_id)
            if project_id in skip_projects or score <= 0 or (threshold is not None and score < threshold):
                continue
            slot = int(slot_rows[best[row]])
            intent_index = owner.slots[slot][1]
            intent_id = _int(record["intents"][intent_index]["id"]) if intent_index is not None else None
            key = (project_id, organisation_id, intent_id)
            reasons = list(owner.reasons(project, index.project_side, row, slot, "public"))
            fresh[key] = {"score": score, "public": reasons, "owner": reasons}


def _int(value) -> int | None:
    return int(value) if value not in (None, "") else None


def _store(fresh: dict, scope=None) -> int:
    """Replace the plain suggestions (of the scope, else all) with the fresh ones.

    Staff decisions are kept, and a dismissed pair is never suggested again.
    """
    query = db.select(MatchSuggestion)
    if scope is not None:
        query = query.where(scope)
    existing = {(s.project_id, s.organisation_id, s.intent_id): s for s in db.session.scalars(query)}
    pairs = {key[:2] for key in fresh}
    dismissed = {(s.project_id, s.organisation_id) for s in existing.values()
                 if s.status is SuggestionStatus.DISMISSED}
    if scope is not None and pairs:  # a pair's dismissal may sit on a row outside the scope
        dismissed |= set(db.session.execute(
            db.select(MatchSuggestion.project_id, MatchSuggestion.organisation_id).distinct()
            .where(MatchSuggestion.status == SuggestionStatus.DISMISSED,
                   MatchSuggestion.project_id.in_(_literal_ids("pair_projects", {p for p, _ in pairs})),
                   MatchSuggestion.organisation_id.in_(_literal_ids("pair_organisations", {o for _, o in pairs}))))
            .all())
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
                       db.or_(MatchSuggestion.score >= min_score() / 100, MatchSuggestion.status == SuggestionStatus.APPROVED))


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


def _best_pairs(query, limit: int) -> list[MatchSuggestion]:
    """The best row of each (project, organisation) in `query`, staff-recommended first, then by score: at most `limit`.

    The database walks the rows in score order (ix_match_suggestion_org_rank / _intent_rank / _project_rank)
    and stops after a LIMIT of as many rows as pairs are shown. A pair has one row per intent of the
    organisation, so when rows of one pair fill the window (and more rows exist) it grows, by the
    pairs still missing times four. Rows of pairs never shown are never read.
    """
    if limit <= 0:
        return []
    best: dict[tuple[int, int], MatchSuggestion] = {}
    for visible in (query.where(MatchSuggestion.status == SuggestionStatus.APPROVED),
                    query.where(MatchSuggestion.status == SuggestionStatus.SUGGESTED,
                                MatchSuggestion.score >= min_score() / 100)):
        found: dict[tuple[int, int], MatchSuggestion] = {}
        window = limit - len(best)
        while True:
            rows = db.session.scalars(visible.order_by(MatchSuggestion.score.desc(), MatchSuggestion.id)
                                      .limit(window)).all()
            for row in rows:
                key = (row.project_id, row.organisation_id)
                if key not in best:
                    found.setdefault(key, row)
            if len(best) + len(found) >= limit or len(rows) < window:
                break
            window += 4 * (limit - len(best) - len(found))
        best.update(found)
        if len(best) >= limit:
            break
    return list(best.values())[:limit]


def _listed_for(query):
    return query.join(Project, MatchSuggestion.project_id == Project.id).where(
        Project.status.in_(LIBRARY_STATES), Project.publish_consent.is_(True))


def suggestions_for_organisation(organisation_id: int, intent_id: int | None = None, limit: int = 10):
    """Listed projects suggested to an organisation (or one of its intents)."""
    query = _listed_for(db.select(MatchSuggestion).where(MatchSuggestion.organisation_id == organisation_id))
    if intent_id is not None:
        query = query.where(MatchSuggestion.intent_id == intent_id)
    return _with_projects(_best_pairs(query, limit))


def for_you(organisation_id: int, intent_ids: list[int], limit: int = 10, per_intent: int = 5):
    """为您推荐 in one go: the organisation's best pairings, and those of each active intent.

    Every list reads its rows in score order with a LIMIT; the projects of all lists are loaded
    together afterwards (one query), not row by row while the page renders.
    """
    base = _listed_for(db.select(MatchSuggestion).where(MatchSuggestion.organisation_id == organisation_id))
    overall = _best_pairs(base, limit)
    lists = {intent_id: _best_pairs(base.where(MatchSuggestion.intent_id == intent_id), per_intent)
             for intent_id in intent_ids}
    _with_projects(overall + [row for rows in lists.values() for row in rows])
    return overall, lists


def for_you_version(organisation: Organisation) -> tuple:
    """Everything 为您推荐 shows: the organisation's suggested pairings (its suggestions_version, moved by every
    write to them), its intents and its passes, and the projects (the library's version); one statement, or none
    when the page read it with its reader (for_you_version_columns, for the reader's own organisation)."""
    read = page_reads.answered(for_you_version_columns)   # led by the organisation it was read for
    if read is None or read[0] != organisation.id:
        read = (organisation.id, *db.session.connection().execute(_FOR_YOU_VERSION,
                                                                   {"organisation_id": organisation.id}).one())
    _organisation_id, *row, newest, last = read
    return (organisation.suggestions_version, str(row[0]), *row[1:], min_score(), as_library_version(newest, last))


def _version_columns(organisation_id) -> tuple:
    intents, passes = Intent.organisation_id == organisation_id, ProjectPass.organisation_id == organisation_id
    return (*(db.select(value).where(where).scalar_subquery() for value, where in (
        (db.func.max(Intent.updated_at), intents), (db.func.count(Intent.id), intents),
        (db.func.max(ProjectPass.id), passes), (db.func.count(ProjectPass.id), passes))),
        *library_version_columns())


def for_you_version_columns() -> tuple:
    """for_you_version's look-ups for the reader's own organisation, as columns of the reader's statement
    (app/core/page_reads.py), led by the organisation they are for."""
    return (User.organisation_id, *_version_columns(User.organisation_id))


def _for_you_version_statement():
    """Built once: every 为您推荐 asks, and a statement object keeps its cache key (building it cost more than running it)."""
    return db.select(*_version_columns(db.bindparam("organisation_id")))


_FOR_YOU_VERSION = _for_you_version_statement()


def _with_projects(rows: list[MatchSuggestion]) -> list[MatchSuggestion]:
    """Load the rows' projects in one query and hand each row its own (the pages show each row's project).

    The rows hold them: the session's identity map keeps objects only while something refers to them, so
    loading them and letting go would leave every row to load its project again, one query each.
    """
    wanted = {row.project_id for row in rows if "project" not in row.__dict__}
    if wanted:
        projects = {p.id: p for p in db.session.scalars(db.select(Project).where(Project.id.in_(wanted)))}
        for row in rows:
            if row.project_id in projects:
                set_committed_value(row, "project", projects[row.project_id])
    return rows


def suggestions_for_project(project: Project, limit: int = 10):
    """Organisations suggested for a project (its owner and staff read these)."""
    query = (db.select(MatchSuggestion).join(Organisation)
             .where(MatchSuggestion.project_id == project.id, Organisation.status == OrgStatus.VERIFIED))
    return _best_pairs(query, limit)


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


class KnowledgeNotReady(Exception):
    """The knowledge base is not fitted and saved yet (the fit_knowledge_base job makes it)."""


def classification_for(values: dict) -> dict:
    """The likely 管理类别 and NMPA category of a (draft) project, with similar past determinations.

    The knowledge base is loaded memory-mapped from its saved file, never fitted here (a web worker would
    grow by ~1 GB for minutes): KnowledgeNotReady until the job has saved it.
    """
    matching = _engine()
    from matching.cache import release_pages
    from matching.knowledge import saved_knowledge_base

    knowledge = saved_knowledge_base()
    if knowledge is None:
        raise KnowledgeNotReady
    record = {key: values.get(key) or "" for key in ("name", "structure", "principle", "intended_use",
                                                     "project_type", "clinical_prospects")}
    try:
        result = matching.classify_project(record, k=5, knowledge=knowledge)
    finally:
        release_pages(knowledge)  # the weights it read stay shared in the page cache, not in this worker
    return {
        "device_class": [{"label": c["label"], "name": CLASS_NAMES.get(c["label"], c["label"]),
                          "p": round(c["p"], 3)} for c in _shown_alternatives(result["device_class"])],
        "category": [{"code": c["code"], "name": category_name(c["code"]), "p": round(c["p"], 3)}
                     for c in _shown_alternatives(result["category"])],
        "similar": [{"product_name": d["product_name"], "code": d.get("code") or "",
                     "class_name": CLASS_NAMES.get(d["class_label"], d["class_label"]), "year": d.get("year")}
                    for d in result["similar"][:5]],
    }
