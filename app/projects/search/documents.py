"""What a search backend holds for a listed project (public tier only) and the weights both backends rank with."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session as PlainSession

from app.extensions import db
from app.projects.listing import ENUM_FACETS, FACETS, listed_clause
from app.projects.models import ENUM_FIELDS, PUBLIC_FIELDS, Project
from app.projects.search.analysis import normalise_text

# Word view: each public text field on its own, weighted (BM25F); the weights sum to one so that WORD_WEIGHT is
# the share of the word view whatever the number of fields. The name and 适用范围 count most.
_FIELD_BOOSTS = {"name": 3.0, "intended_use": 2.0, "public_summary": 1.0, "clinical_prospects": 1.0, "other": 1.0}
# the short fields share one word field (fewer postings to read per query word)
OTHER_FIELDS = ("stage_other", "department", "city")
WORD_FIELDS = {name: boost / sum(_FIELD_BOOSTS.values()) for name, boost in _FIELD_BOOSTS.items()}
LABEL_FIELDS = tuple(ENUM_FIELDS)   # project_type, device_class, stage, ip_exists, indexed as their words
FILTER_FIELDS = tuple(FACETS)       # city, department, project_type, device_class, stage: exact values

# Fusion, tuned on search-dev (bench/search_quality.py): a weighted sum of the word view (BM25F) and single
# characters (BM25); character pairs added nothing there (weight 0: 0.892 vs 0.891 with 0.1). Characters in more than MAX_CHAR_DF of the documents are left out
# of a query that has others (they cost the most postings and move no ranking).
WORD_WEIGHT = 0.4
CHAR_WEIGHT = 1.0
PAIR_WEIGHT = 0.0   # the PostgreSQL backend's pair view; Whoosh has none (tuned to 0 on search-dev)
SYNONYM_WEIGHT = 0.6
MAX_CHAR_DF = 0.2
# Words (in one field) held by more than MAX_WORD_DF of the documents are left out of a query that has rarer terms
# too, as common characters are: 用于 is in every 适用范围 and was ~3/4 of the postings a long query read at 100k,
# while its idf moves no ranking. A query of only common terms keeps them all.
MAX_WORD_DF = 0.2
MIN_DOCS_TO_PRUNE = 50   # a share of a handful of documents says nothing about a character
MAX_CHAR_TERMS = 12   # at most this many characters of a query, the rarest
VIEWS = (*WORD_FIELDS, "chars")   # what a term is counted in: each word field, then the characters
CHARS = len(VIEWS) - 1              # the character view's number
# Within the top of the ranking, documents holding every word, and those holding the exact phrase, are lifted:
# by this share of the best score each, or (None) strictly first
LIFT = None

assert set(WORD_FIELDS) - {"other"} | set(OTHER_FIELDS) <= set(PUBLIC_FIELDS) and set(LABEL_FIELDS) <= set(PUBLIC_FIELDS)
assert set(FILTER_FIELDS) <= set(PUBLIC_FIELDS)

# Roman class numerals: jieba drops a lone Ⅱ, the regulator's documents also write 二类
_ROMAN_CLASSES = str.maketrans({"Ⅰ": "一", "Ⅱ": "二", "Ⅲ": "三"})


@dataclass
class Ranking:
    """What a backend answers: the best (project id, score) pairs, the number of matches, all matched ids.

    A backend that keeps the analysed text may also answer texts(ids) (normalised public text and labels, for
    the all-words lift without reading the projects) and facets() ({filter field: {value: matches}} under the
    other filters, for the library's counts without asking for every matched id).
    """
    hits: list[tuple[int, float]]
    total: int
    all_ids: Callable[[], list[int]] = field(default=lambda: [], repr=False)
    texts: Callable[[list[int]], dict[int, str]] | None = field(default=None, repr=False)
    facets: Callable[[], dict[str, dict[str, int]]] | None = field(default=None, repr=False)


@lru_cache(maxsize=256)
def _label(member) -> str:
    with force_locale("zh"):  # the index speaks Chinese whatever the language of the request that saved
        return str(member.label).translate(_ROMAN_CLASSES)


def _label_text(project) -> str:
    return " ".join(_label(getattr(project, name)) for name in LABEL_FIELDS if getattr(project, name))


def _filter_value(project, name) -> str:
    value = getattr(project, name)
    if value is None:
        return ""
    return value.value if name in ENUM_FACETS else str(value)


def document(project: Project) -> dict:
    """A listed project's search document: its public fields as text, its filter values, nothing else."""
    texts = {name: str(getattr(project, name) or "") for name in WORD_FIELDS if name != "other"}
    texts["other"] = " ".join(filter(None, (str(getattr(project, name) or "") for name in OTHER_FIELDS)))
    # the labels (有源, Ⅱ类医疗器械) are words to find, not characters: 器 of 器械 is in every project
    labels = _label_text(project)
    text = "\n".join(t for t in texts.values() if t)
    texts["other"] = " ".join(filter(None, (texts["other"], labels)))
    return {"id": project.id, "words": texts, "text": text, "labels": labels,
            "filters": {name: _filter_value(project, name) for name in FILTER_FIELDS}}


def public_text(project: Project) -> str:
    """The normalised public text of a project, labels included, as the all-words lift reads it."""
    key = (project.id, project.updated_at, project.status)
    text = _public_texts.get(key)
    if text is None:
        if len(_public_texts) >= 4096:   # a bounded memo: the same top results come back query after query
            _public_texts.clear()
        doc = document(project)
        text = _public_texts[key] = normalise_text(doc["text"] + "\n" + doc["labels"])
    return text


_public_texts: dict[tuple, str] = {}


def listed_documents(ids=None):
    """Documents of the listed projects (all, or among these ids), read in a session of their own."""
    query = select(Project).where(listed_clause()).order_by(Project.id)
    if ids is not None:
        query = query.where(Project.id.in_(sorted(int(i) for i in ids)))
    with PlainSession(db.engine) as session:
        for project in session.scalars(query.execution_options(yield_per=500)):
            yield document(project)


def word_terms(query) -> list[tuple[int, str, float]]:
    """(view, spelling, weight) of a query's loose words: each word and its curated synonyms, in each word field
    (quoted phrases are matched by their characters). Both backends rank these terms."""
    terms = []
    for term in query.terms:
        if term.exact:
            continue
        for spelling, weight in ((term.text, WORD_WEIGHT),
                                 *((s, WORD_WEIGHT * SYNONYM_WEIGHT) for s in term.synonyms)):
            for view, boost in enumerate(WORD_FIELDS.values()):
                terms.append((view, spelling, weight * boost))
    return terms


def chosen_words(loose: list[tuple], frequency, count: int, chars: list[str]) -> list[tuple]:
    """The query's word terms ((view, spelling, ...) tuples) that are ranked: those held by more than MAX_WORD_DF of
    the projects (`frequency[(view, spelling)]`) are left out when a rarer word or a chosen character is left."""
    common = MAX_WORD_DF * count if count >= MIN_DOCS_TO_PRUNE else count
    rare = [term for term in loose if 0 < frequency.get((term[0], term[1]), 0) <= common]
    return rare if rare or chars else loose


def chosen_chars(chars, frequency: dict[str, int], count: int, words: bool) -> list[str]:
    """The query's characters that are ranked: held by some project, not by more than MAX_CHAR_DF of them (unless
    nothing else is left: no word and no rarer character), the rarest MAX_CHAR_TERMS."""
    common = MAX_CHAR_DF * count if count >= MIN_DOCS_TO_PRUNE else count
    chosen = [c for c in chars if 0 < frequency[c] <= common]
    if not chosen and not words:   # only common characters, and no word: then they are all there is
        chosen = [c for c in chars if frequency[c]]
    return sorted(chosen, key=frequency.get)[:MAX_CHAR_TERMS]
