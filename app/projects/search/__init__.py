"""Full-text search of the project library, public tier only: the adapter in front of two backends.

The rest of the app uses these functions (update_projects, which the index_project job of app/projects/jobs.py
calls after a commit; reindex, search_projects, ProjectProbe). Whoosh (whoosh_backend.py) is the default;
CLINBRIDGE_SEARCH=postgres selects PostgreSQL full-text search (postgres_backend.py) for deployments with
several app servers. Only listed projects are indexed, and only their public fields: a public search can never
match on partner-tier text. The database stays the truth: the page shown is re-checked against it.

Ranking (both backends): every document matching any part of the query, scored by BM25F over jieba words per
public field plus BM25 over single characters and character pairs (a weighted sum, tuned on search-dev); at the
top of the ranking, documents holding every word come first, those holding the exact phrase next.
"""
from __future__ import annotations

import math
import os
import threading
from typing import Callable

from flask import current_app
from markupsafe import Markup, escape
from sqlalchemy import select

from app.extensions import db
from app.projects.listing import LibraryFilters, listed_clause
from app.projects.models import Project
from app.projects.search import documents
from app.projects.search.analysis import (MAX_QUERY_CHARS, ParsedQuery, QueryTerm, analyzer, bigrams, covers,
                                          normalise_query, normalise_text, parse_query)
from app.projects.search.documents import Ranking, document, public_text
from app.projects.search.postgres_backend import PostgresBackend, ProjectSearch
from app.projects.search.whoosh_backend import _VERSION_FILE, SCHEMA_VERSION, WhooshBackend, schema

SNIPPET_CHARS = 120
LIFT_DEPTH = 100   # how far down the ranking all-word and exact-phrase matches are lifted
SNIPPET_FIELDS = ("intended_use", "public_summary", "clinical_prospects", "stage_other", "name", "department",
                  "city")

_backends: dict[tuple, object] = {}
_backends_lock = threading.Lock()


def backend_name() -> str:
    """'whoosh' (default) or 'postgres': CLINBRIDGE_SEARCH in the environment, else the SEARCH_BACKEND setting."""
    name = os.environ.get("CLINBRIDGE_SEARCH") or current_app.config.get("SEARCH_BACKEND") or "whoosh"
    return name.strip().lower()


def backend():
    """The search backend of this application (one per process and configuration)."""
    name = backend_name()
    if name == "postgres":
        key = (name, str(db.engine.url))
        factory: Callable = lambda: PostgresBackend(db.engine)  # noqa: E731
    else:
        directory = current_app.config["SEARCH_INDEX_DIR"]
        key = ("whoosh", directory)
        factory = lambda: WhooshBackend(directory, documents.listed_documents)  # noqa: E731
    found = _backends.get(key)
    if found is None:
        with _backends_lock:
            found = _backends.setdefault(key, factory())
    return found


def index_dir() -> str:
    return current_app.config["SEARCH_INDEX_DIR"]


def open_index(directory: str | None = None, fill: bool = True):
    """This process's index: a Whoosh index, or the PostgreSQL backend (created and filled from the database on
    first use)."""
    if directory:
        return WhooshBackend(directory, documents.listed_documents).open(fill)
    return backend().open(fill)


def reindex() -> int:
    """Rebuild the index from the database; returns how many listed projects it holds."""
    return backend().reindex()


def update_projects(ids) -> None:
    """Bring the index in line with the database for these projects: add, update or remove them."""
    ids = {int(i) for i in ids}
    if ids:
        backend().update(ids)


def rank(query: ParsedQuery, filters: dict | None = None, limit: int = LIFT_DEPTH) -> Ranking:
    """The backend's best matches of a parsed query under filter values, and how many match in all."""
    return backend().rank(query, dict(filters or {}), limit)


class SearchHit:
    """One project on a page of results."""

    def __init__(self, project_id: int, score: float, snippet: Markup, all_words: bool = False):
        self.project_id, self.score, self.snippet, self.all_words = project_id, score, snippet, all_words

    def __repr__(self):
        return f"SearchHit({self.project_id}, {self.score})"

    def to_dict(self) -> dict:
        return {"project_id": self.project_id, "score": self.score, "snippet": str(self.snippet)}


class SearchResults:
    """One page of results, the total under the filters, and (computed only when asked) every text match."""

    def __init__(self, query: str, hits: list[SearchHit], total: int, page: int, pages: int, per_page: int,
                 all_ids: Callable[[], list[int]] = lambda: [], loosened: bool = False, unavailable: bool = False,
                 facets: Callable[[], dict] | None = None, projects: dict | None = None):
        self.query, self.hits, self.total, self.page, self.pages, self.per_page = (query, hits, total, page,
                                                                                  pages, per_page)
        self.loosened = loosened        # no project had every word: these have some of them
        self.unavailable = unavailable  # the index failed; logged, shown as a notice
        self._all_ids, self._matched = all_ids, None
        self.facets = facets            # {filter field: {value: count}} from the engine, when it can tell
        self.projects = projects or {}  # the page's projects, already read

    @property
    def matched_ids(self) -> list[int]:
        """Every text match before the filters (for the facet counts): asked of the engine only when needed."""
        if self._matched is None:
            self._matched = list(self._all_ids())
        return self._matched

    def to_dict(self) -> dict:
        return {"query": self.query, "total": self.total, "page": self.page, "pages": self.pages,
                "per_page": self.per_page, "loosened": self.loosened,
                "hits": [hit.to_dict() for hit in self.hits]}


def _empty(text, per_page, unavailable=False) -> SearchResults:
    return SearchResults(query=text, hits=[], total=0, page=1, pages=1, per_page=per_page, unavailable=unavailable)


def search_projects(query, filters=None, page: int = 1, per_page: int = 20) -> SearchResults:
    """Listed projects matching the query under the library filters: one page, best first, with snippets."""
    if not isinstance(filters, LibraryFilters):
        filters = LibraryFilters.from_args(filters or {})
    text = normalise_query(query)
    parsed = parse_query(text)
    per_page = max(1, int(per_page))
    page = max(1, int(page or 1))
    if not parsed:
        return _empty(text, per_page)
    try:
        ranking = rank(parsed, filters.values, max(LIFT_DEPTH, page * per_page))
        pages = max(1, math.ceil(ranking.total / per_page))
        if page > pages:
            page = pages
    except Exception:  # noqa: BLE001 — a broken index shows a notice, never an error page
        current_app.logger.exception("search failed for %r", text)
        return _empty(text, per_page, unavailable=True)
    ordered, dropped = _lift(ranking, parsed, filters)
    total = max(0, ranking.total - dropped)
    pages = max(1, math.ceil(total / per_page))
    page = min(page, pages)
    window = ordered[(page - 1) * per_page:page * per_page]
    wanted = [pid for pid, _score, _all in window]
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_(wanted)))} if wanted else {}
    # snippet() reads only public fields (SNIPPET_FIELDS) of the project
    hits = [SearchHit(pid, round(score, 4), snippet(projects[pid], parsed), all_words)
            for pid, score, all_words in window if pid in projects]
    loosened = len(parsed.terms) > 1 and bool(ordered) and not any(all_words for _p, _s, all_words in ordered)
    return SearchResults(query=text, hits=hits, total=total, page=page, pages=pages, per_page=per_page,
                         all_ids=ranking.all_ids, loosened=loosened, facets=ranking.facets, projects=projects)


def _lift(ranking: Ranking, parsed: ParsedQuery, filters: LibraryFilters):
    """Re-check the top of the ranking against the database, then lift all-word and exact-phrase matches.

    Returns (pid, score, has every word) best first, and how many hits the database refused. The texts the
    lift reads come from the engine when it keeps them (no project is loaded), else from the database.
    """
    hits = ranking.hits
    allowed = _still_listed([pid for pid, _score in hits], filters)
    head = [pid for pid, _score in hits[:LIFT_DEPTH] if pid in allowed]
    if ranking.texts is not None:
        texts = ranking.texts(head) if head else {}
    else:
        texts = {p.id: public_text(p) for p in db.session.scalars(
            select(Project).where(Project.id.in_(head)))} if head else {}
    top, rest = [], []
    for index, (pid, score) in enumerate(hits):
        if pid not in allowed:
            continue
        if index < LIFT_DEPTH and pid in texts:
            all_words, phrase = covers(texts[pid], parsed)
            top.append((pid, score, all_words, phrase))
        else:
            rest.append((pid, score, False))
    if documents.LIFT is None:
        top.sort(key=lambda t: (not t[2], not t[3], -t[1]))
    elif top:
        best = max(t[1] for t in top)
        top.sort(key=lambda t: -(t[1] + documents.LIFT * best * (t[2] + t[3])))
    ordered = [(pid, score, all_words) for pid, score, all_words, _phrase in top] + rest
    return ordered, len(hits) - len(ordered)


def _still_listed(ids: list[int], filters: LibraryFilters) -> set[int]:
    """Which of the ranking's top ids the database still lists under the filters (a few hundred at most)."""
    if not ids:
        return set()
    return set(db.session.scalars(select(Project.id).where(listed_clause(), *filters.clauses(),
                                                           Project.id.in_(ids))))


def _highlight_words(parsed: ParsedQuery) -> list[str]:
    words = {w for term in parsed.terms for w in (term.original.lower(), *term.spellings) if w.strip()}
    words.update(parsed.pairs)                              # character matches: pairs in a row, merged below
    words.update(c for c in parsed.chars if len(c) > 1)   # latin words of the character view (ct, mri)
    if not words:
        words.update(parsed.chars)
    return sorted(words, key=len, reverse=True)


def _matches(text: str, words: list[str]) -> list[tuple[int, int, str]]:
    """Every occurrence of every word, overlaps included (术后 inside 手术后), in order."""
    found = []
    for word in words:
        start = text.find(word)
        while start >= 0:
            found.append((start, start + len(word), word))
            start = text.find(word, start + 1)
    return sorted(found)


def snippet(view, terms, width: int = SNIPPET_CHARS) -> Markup:
    """A piece of public text around the query's words and character pairs, HTML-escaped, matches in <mark>."""
    parsed = terms if isinstance(terms, ParsedQuery) else ParsedQuery(tuple(terms), (), (), "")
    words = _highlight_words(parsed)
    best = None
    # first the text as it is (lower case): normalising every field of every hit is the costly part; only when
    # nothing is found that way are variants (繁體, full width) normalised, keeping the offsets
    for normalise in (False, True):
        for name in SNIPPET_FIELDS:
            text = str(getattr(view, name, "") or "")
            if not text or not words:
                continue
            if normalise:
                normal = normalise_text(text)
                searched = normal if len(normal) == len(text) else text.lower()  # same offsets: variants match
            else:
                searched = text.lower()
            found = _matches(searched, words)
            distinct = len({word for _start, _end, word in found})
            if found and (best is None or distinct > best[0]):
                best = (distinct, text, found)
        if best is not None:
            break
    if best is None:
        text = str(view.public_summary or view.intended_use or "")
        return Markup(escape(text[:width]) + ("…" if len(text) > width else ""))  # escaped  # nosec B704
    _distinct, text, found = best
    start = max(0, found[0][0] - width // 4)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    spans: list[list[int]] = []
    for left, right, _word in found:
        if left < start or right > end:
            continue
        if spans and left <= spans[-1][1]:  # adjacent or overlapping matches (手术|术后, 一次性|使用) share one mark
            spans[-1][1] = max(spans[-1][1], right)
        else:
            spans.append([left, right])
    pieces, cursor = [], start
    for left, right in spans:
        pieces.append(escape(text[cursor:left]))
        pieces.append(Markup("<mark>%s</mark>") % text[left:right])
        cursor = right
    pieces.append(escape(text[cursor:end]))
    # every piece is escape()d text or the <mark> template with %-escaped text
    return Markup(("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else ""))  # nosec B704


class ProjectProbe:
    """One project's public text: would a saved query find it? (every word, as the library's all-word matches)."""

    def __init__(self, project: Project):
        doc = document(project)
        self._text = normalise_text(doc["text"] + "\n" + doc["labels"])

    def matches(self, query) -> bool:
        """Every word of the query is in the project's public text (an empty query matches)."""
        text = normalise_query(query)
        if not text:
            return True
        parsed = parse_query(text)
        if not parsed.terms:
            return False
        exact_ok = all(term.text in self._text for term in parsed.exact)
        return exact_ok and covers(self._text, parsed)[0]

    def close(self) -> None:
        """Nothing to release (kept for callers written for the index-backed probe)."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


__all__ = ["LIFT_DEPTH", "MAX_QUERY_CHARS", "ParsedQuery", "ProjectProbe", "ProjectSearch", "QueryTerm", "Ranking", "SCHEMA_VERSION",
           "SearchHit", "SearchResults", "analyzer", "backend", "backend_name", "bigrams", "document",
           "normalise_query", "open_index", "parse_query", "rank", "reindex", "schema", "search_projects",
           "snippet", "update_projects", "_VERSION_FILE"]
