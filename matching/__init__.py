"""ClinBridge matching engine: plain exchange-format records in, ranked pairs with reasons out.

No Flask, no database. The app converts its rows to the exchange format of DESIGN.md at the
edge (app/suggestions/operations.py) and stores what comes back.

Stable public API::

    MatchIndex.build(projects: list[dict], enterprises: list[dict]) -> MatchIndex
        Fit once over the corpus (text features, NMPA category guesses of both sides). An
        enterprise whose declared `field` names NMPA first-level categories has each product
        line's category guess confined to those first levels.
    rank_for_project(index, project: dict, k=10, *, audience="public",
                     hard_constraints="penalise") -> list[Suggestion]
        Best enterprises for a project; Suggestion.intent_index/intent_id name the best intent.
    rank_for_enterprise(index, enterprise: dict, k=10, intent_index=None, *, audience="public",
                        hard_constraints="penalise") -> list[Suggestion]
        Best projects for an enterprise, or for one of its intents.
    rank_all(projects, enterprises, k=10, direction="project"|"enterprise", *, index=None,
             audience="public", hard_constraints="penalise") -> Iterator[dict]
        Output dicts {"project_id", "ranked": [{"enterprise_id", "score", "reasons",
        "intent_index", "intent_id"?}]} or the mirror {"enterprise_id", "ranked": [{"project_id", ...}]}.
    classify_project(project: dict, k=5) -> dict
        {"project_id", "device_class": [{"label", "p"}], "category": [{"code", "p"}],
         "first_level": [{"code", "p"}], "similar": [{"product_name", "code", "class_label", ...}]}.
    Suggestion(target_id: str, score: float, reasons: tuple[str, ...],
               intent_index: int | None = None, intent_id: str | None = None)   # frozen dataclass
    load_catalog() -> dict, load_determinations() -> list[dict]   (matching.knowledge)

audience="public" (default): shared-term reasons cite only the project's public-tier text
(name, intended use, clinical prospects, public summary, department); partner- and owner-tier
fields still feed the score, so a caller that shows scores to organisations passes records with
public-tier keys only (the platform does). audience="owner" is for the project's owner and staff.
hard_constraints="penalise" (default): a known project class or stage outside an intent's
lists multiplies that intent's enterprise-side fit by 0.3 and adds a "注意：" reason;
"exclude" drops such pairs.

The NMPA knowledge base (catalog + 2018–2020 determinations, CC BY 4.0, see
matching/data/nmpa/SOURCE.md) is fitted lazily once per process and cached; jieba is loaded
once per process with its logging silenced.
"""
from importlib import import_module

# Names resolved on first use (PEP 562): importing matching.schedule or matching.knowledge.load_catalog
# loads neither the ranking nor the fitted models' code, so a web worker that never ranks stays small.
_EXPORTS = {
    "MatchIndex": "rank", "Suggestion": "rank", "rank_for_project": "rank", "rank_for_enterprise": "rank",
    "rank_all": "rank", "classify_project": "classify", "classify_projects": "classify",
    "knowledge_base": "knowledge", "load_catalog": "knowledge", "load_determinations": "knowledge",
}
__all__ = list(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'matching' has no attribute {name!r}")
    value = getattr(import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_EXPORTS))
