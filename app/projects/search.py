"""Full-text search of the project library: Whoosh with jieba word segmentation, public tier only.

The rest of the app uses this module's functions (update_projects, which the index_project job of
app/projects/jobs.py calls after a commit; reindex, search_projects, ProjectProbe); a search engine may
replace Whoosh behind them later (DESIGN.md). Only listed projects are indexed, and only their public
fields: a public search can never match on partner-tier text.
The database stays the truth: results are re-checked against it (listed, filters) before they are shown.
"""
from __future__ import annotations

import logging
import math
import os
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from uuid import uuid4

from flask import current_app
from flask_babel import force_locale
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import Session as PlainSession
from whoosh import index as wi
from whoosh import query as wq
from whoosh.analysis import Token, Tokenizer
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage, RamStorage
from whoosh.index import LockError
from whoosh.writing import CLEAR, AsyncWriter

from app.extensions import db
from app.projects.listing import LibraryFilters, listed_clause, listed_ids, public_view
from app.projects.models import ENUM_FIELDS, PUBLIC_FIELDS, Project

log = logging.getLogger(__name__)
SCHEMA_VERSION = "1"  # bump when the schema or the analysis changes: the index is rebuilt on open
_VERSION_FILE = "clinbridge-schema-version"
MAX_QUERY_CHARS = 200
MAX_TERMS = 32
SNIPPET_CHARS = 120
WRITE_TIMEOUT = 3.0  # seconds to wait for another worker's writer before handing over to a background one

# Indexed text fields (public tier only) and their query-time boosts: the name and 适用范围 count most.
FIELD_BOOSTS = {"name": 3.0, "intended_use": 2.0, "public_summary": 1.0, "clinical_prospects": 1.0,
                "stage_other": 1.0, "department": 1.0, "city": 1.0, "labels": 1.0}

LABEL_FIELDS = tuple(ENUM_FIELDS)   # project_type, device_class, stage, ip_exists, indexed as their words
GRAMS_FIELD, GRAMS_BOOST = "grams", 0.5

# Where a snippet may come from, in order of preference; all public, read from the public view.
SNIPPET_FIELDS = ("intended_use", "public_summary", "clinical_prospects", "stage_other", "name", "department",
                  "city")

assert set(FIELD_BOOSTS) - {"labels"} <= set(PUBLIC_FIELDS) and set(LABEL_FIELDS) <= set(PUBLIC_FIELDS)
assert set(SNIPPET_FIELDS) <= set(PUBLIC_FIELDS)
_HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")

# Single characters that carry no meaning in a query (jieba keeps them as words).
_QUERY_STOP_CHARS = frozenset("的了和与及或在是对于为等之其个把被也就都而且")

# jieba drops a lone Ⅱ; the regulator's documents also write 二类: index and query the latter.
_ROMAN_CLASSES = str.maketrans({"Ⅰ": "一", "Ⅱ": "二", "Ⅲ": "三"})


class ChineseBigramTokenizer(Tokenizer):
    """Overlapping character pairs of each run of Chinese characters.

    jieba segments the same characters differently in context (套扎器, 套/扎), so a word query also
    looks for its character pairs in a row: 套扎 then finds 套扎器 and 的套扎治疗.
    """

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        pos = start_pos
        for run in _HAN_RUN.finditer(value):
            text = run.group()
            for i in range(len(text) - 1):
                token.text = text[i:i + 2]
                token.boost = 1.0
                token.stopped = False
                if keeporiginal:
                    token.original = token.text
                if positions:
                    token.pos = pos
                if chars:
                    token.startchar = start_char + run.start() + i
                    token.endchar = token.startchar + 2
                pos += 1
                yield token
            pos += 2  # a gap, so that a phrase never spans two runs (or two fields)


def bigrams(word: str) -> list[str]:
    """The character pairs of an all-Chinese word of two or more characters (else none)."""
    if len(word) < 2 or not _HAN_RUN.fullmatch(word):
        return []
    return [word[i:i + 2] for i in range(len(word) - 1)]


@lru_cache(maxsize=1)
def analyzer():
    """jieba's analyzer for Whoosh, built once per process (loading jieba costs ~1 s and ~100 MB)."""
    import jieba
    jieba.setLogLevel(logging.WARNING)
    from jieba.analyse import ChineseAnalyzer
    jieba.initialize()
    return ChineseAnalyzer()


@lru_cache(maxsize=1)
def schema():
    fields = {name: TEXT(analyzer=analyzer()) for name in FIELD_BOOSTS}
    return Schema(id=ID(stored=True, unique=True, sortable=True),
                  grams=TEXT(analyzer=ChineseBigramTokenizer()), **fields)


def _label_text(project) -> str:
    with force_locale("zh"):  # the index speaks Chinese whatever the language of the request that saved
        text = " ".join(str(getattr(project, name).label) for name in LABEL_FIELDS if getattr(project, name))
    return text.translate(_ROMAN_CLASSES)


def document(project: Project) -> dict:
    """What the index holds for a listed project: its public fields as text, nothing else."""
    texts = {name: str(getattr(project, name) or "") for name in FIELD_BOOSTS if name != "labels"}
    texts["labels"] = _label_text(project)
    return dict(id=str(project.id), grams="\n".join(texts.values()), **texts)


@dataclass(frozen=True)
class QueryTerm:
    text: str              # as indexed (lower case, stemmed)
    original: str          # as typed: for character pairs and highlighting
    exact: bool = False    # from "quotes": only the exact character sequence matches


def normalise_query(text) -> str:
    """The query as we use it: whitespace collapsed, control characters dropped, at most 200 characters."""
    text = "".join(ch if ch.isprintable() else " " for ch in str(text or ""))
    return " ".join(text.split())[:MAX_QUERY_CHARS]


@lru_cache(maxsize=1024)
def parse_query(text: str) -> tuple[QueryTerm, ...]:
    """Words of a query: no syntax at all (operators, field:value, wildcards are plain text); "…" is exact."""
    text = normalise_query(text)
    terms: dict[str, QueryTerm] = {}
    parts = re.split(r'"([^"]+)"', text)
    for i, part in enumerate(parts):
        compact = re.sub(r"\s+", "", part)
        if i % 2 and len(compact) >= 2 and _HAN_RUN.fullmatch(compact):
            terms.setdefault("\x00" + compact, QueryTerm(compact, compact, exact=True))
            continue
        for token in analyzer()(part.translate(_ROMAN_CLASSES)):
            if len(token.original) == 1 and token.original in _QUERY_STOP_CHARS:
                continue
            terms.setdefault(token.text, QueryTerm(token.text, token.original))
    # single characters add little when there are real words; keep them only when alone
    words = [t for t in terms.values() if len(t.original) > 1] or list(terms.values())
    return tuple(words[:MAX_TERMS])


def _term_query(term: QueryTerm):
    pairs = bigrams(term.original)
    if term.exact:
        return wq.Phrase(GRAMS_FIELD, pairs) if len(pairs) > 1 else wq.Term(GRAMS_FIELD, pairs[0])
    alternatives = [wq.Term(name, term.text, boost=boost) for name, boost in FIELD_BOOSTS.items()]
    if len(pairs) == 1:
        alternatives.append(wq.Term(GRAMS_FIELD, pairs[0], boost=GRAMS_BOOST))
    elif pairs:
        alternatives.append(wq.Phrase(GRAMS_FIELD, pairs, boost=GRAMS_BOOST))
    return wq.Or(alternatives)


def compose(terms, conjunction: bool = True):
    """Every word (AND) or any word (OR); each word in any public field, or as characters in a row."""
    parts = [_term_query(t) for t in terms]
    return (wq.And if conjunction else wq.Or)(parts)


_open_lock = threading.Lock()
_write_lock = threading.Lock()   # threads of one process write in turn; Whoosh's file lock covers processes
_indexes: dict[str, object] = {}
_local = threading.local()
_pid = os.getpid()


def _forget_after_fork() -> None:
    global _pid, _local
    if _pid != os.getpid():  # a forked worker must not share the parent's open files
        _pid = os.getpid()
        _indexes.clear()
        _local = threading.local()


def index_dir() -> str:
    return current_app.config["SEARCH_INDEX_DIR"]


def open_index(directory: str | None = None, fill: bool = True):
    """This process's index for the directory; created (and filled from the database) on first use."""
    _forget_after_fork()
    directory = directory or index_dir()
    ix = _indexes.get(directory)
    if ix is None:
        with _open_lock:
            ix = _indexes.get(directory) or _load_or_create(directory, fill)
            _indexes[directory] = ix
    return ix


def _load_or_create(directory: str, fill: bool):

    Path(directory).mkdir(parents=True, exist_ok=True)
    version_file = Path(directory) / _VERSION_FILE
    lock = FileStorage(directory).lock("CLINBRIDGE_CREATE")  # two workers starting at once build it once
    lock.acquire(blocking=True)
    try:
        if wi.exists_in(directory) and version_file.exists() and version_file.read_text().strip() == SCHEMA_VERSION:
            try:
                return wi.open_dir(directory, schema=schema())
            except Exception:  # noqa: BLE001 — an unreadable index is rebuilt, not fatal
                log.exception("search index in %s unreadable; rebuilding", directory)
        ix = wi.create_in(directory, schema())
        if fill:
            _rebuild(ix)
        version_file.write_text(SCHEMA_VERSION)
        return ix
    finally:
        lock.release()


def _searcher(ix):
    """This thread's searcher, reopened when another writer committed (kept while nothing changed)."""
    searchers = _local.__dict__.setdefault("searchers", {})
    key = id(ix)
    current = searchers.get(key)
    if current is not None and not current.up_to_date():
        # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps superseded segments (duplicate and
        # deleted documents come back, index.py _reader) and fails on an empty index.
        current.close()
        current = None
    if current is None:
        current = searchers[key] = ix.searcher()
    return current


def _writer(ix):
    try:
        return ix.writer(timeout=WRITE_TIMEOUT, delay=0.05)
    except LockError:  # another worker is writing for long: finish in the background once it is done
        log.warning("search index busy; writing in the background")
        return AsyncWriter(ix)


def _listed_documents(session, ids=None):
    query = select(Project).where(listed_clause()).order_by(Project.id)
    if ids is not None:
        query = query.where(Project.id.in_(list(ids)))
    for project in session.scalars(query.execution_options(yield_per=500)):
        yield project.id, document(project)


def _rebuild(ix) -> int:
    count = 0
    with _write_lock, PlainSession(db.engine) as session:
        writer = _writer(ix)
        try:
            for _id, doc in _listed_documents(session):
                writer.add_document(**doc)
                count += 1
        except Exception:
            writer.cancel()
            raise
        writer.commit(mergetype=CLEAR)
    return count


def reindex() -> int:
    """Rebuild the index from the database; returns how many listed projects it holds."""
    return _rebuild(open_index(fill=False))


def update_projects(ids) -> None:
    """Bring the index in line with the database for these projects: add, update or remove them."""
    ids = {int(i) for i in ids}
    ix = open_index()
    with PlainSession(db.engine) as session:  # a session of its own, for reading only
        listed = dict(_listed_documents(session, ids))
    searcher = _searcher(ix)
    gone = {i for i in ids - set(listed) if searcher.document_number(id=str(i)) is not None}
    if not listed and not gone:
        return
    with _write_lock:
        writer = _writer(ix)
        for project_id in gone:
            writer.delete_by_term("id", str(project_id))
        for doc in listed.values():
            writer.update_document(**doc)
        writer.commit()


@dataclass
class SearchHit:
    project_id: int
    score: float
    snippet: Markup

    def to_dict(self) -> dict:
        return {"project_id": self.project_id, "score": self.score, "snippet": str(self.snippet)}


@dataclass
class SearchResults:
    query: str
    hits: list[SearchHit]
    total: int
    page: int
    pages: int
    per_page: int
    matched_ids: list[int] = field(default_factory=list)  # every text match before filters, best first
    loosened: bool = False     # no project had every word: these have any of them
    unavailable: bool = False  # the index failed; logged, shown as a notice

    def to_dict(self) -> dict:
        return {"query": self.query, "total": self.total, "page": self.page, "pages": self.pages,
                "per_page": self.per_page, "loosened": self.loosened,
                "hits": [hit.to_dict() for hit in self.hits]}


def rank(terms) -> tuple[list[tuple[int, float]], bool]:
    """(project id, score) of every indexed text match, best first; any-word matches if no all-word one."""
    if not terms:
        return [], False
    searcher = _searcher(open_index())
    if searcher.doc_count() == 0:  # an empty index has no columns to read
        return [], False
    ids = searcher.reader().column_reader("id", translate=True)
    for conjunction in (True, False):
        if not conjunction and len(terms) == 1:
            break
        results = searcher.search(compose(terms, conjunction), limit=None)
        found = [(int(ids[docnum]), score) for docnum, score in results.items()]
        if found:
            return found, not conjunction
    return [], False


def search_projects(query, filters=None, page: int = 1, per_page: int = 20) -> SearchResults:
    """Listed projects matching the query under the library filters: one page, best first, with snippets."""
    if not isinstance(filters, LibraryFilters):
        filters = LibraryFilters.from_args(filters or {})
    text = normalise_query(query)
    terms = parse_query(text)
    unavailable = False
    try:
        ranked, loosened = rank(terms)
    except Exception:  # noqa: BLE001 — a broken index shows a notice, never an error page
        current_app.logger.exception("search failed for %r", text)
        ranked, loosened, unavailable = [], False, True
    allowed = listed_ids([pid for pid, _score in ranked], filters)  # the database decides what is listed
    kept = [(pid, score) for pid, score in ranked if pid in allowed]
    per_page = max(1, int(per_page))
    pages = max(1, math.ceil(len(kept) / per_page))
    page = min(max(1, int(page or 1)), pages)
    window = kept[(page - 1) * per_page:page * per_page]
    projects = {p.id: p for p in db.session.scalars(select(Project).where(Project.id.in_([i for i, _ in window])))}
    hits = [SearchHit(pid, round(score, 4), snippet(public_view(projects[pid]), terms))
            for pid, score in window if pid in projects]
    return SearchResults(query=text, hits=hits, total=len(kept), page=page, pages=pages, per_page=per_page,
                         matched_ids=[pid for pid, _score in ranked], loosened=loosened, unavailable=unavailable)


def snippet(view, terms, width: int = SNIPPET_CHARS) -> Markup:
    """A piece of public text around the query's words, HTML-escaped, the words in <mark>…</mark>."""
    words = sorted({t.original for t in terms if t.original.strip()}, key=len, reverse=True)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE) if words else None
    best = None
    for name in SNIPPET_FIELDS:
        text = str(getattr(view, name, "") or "")
        if not text or pattern is None:
            continue
        found = list(pattern.finditer(text))
        distinct = len({m.group().lower() for m in found})
        if found and (best is None or distinct > best[0]):
            best = (distinct, text, found)
    if best is None:
        text = str(view.public_summary or view.intended_use or "")
        return Markup(escape(text[:width]) + ("…" if len(text) > width else ""))  # escaped  # nosec B704
    _distinct, text, found = best
    start = max(0, found[0].start() - width // 4)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))
    spans: list[list[int]] = []
    for match in found:
        if match.start() < start or match.end() > end:
            continue
        if spans and match.start() <= spans[-1][1]:  # adjacent words (一次性|使用) share one mark
            spans[-1][1] = max(spans[-1][1], match.end())
        else:
            spans.append([match.start(), match.end()])
    pieces, cursor = [], start
    for left, right in spans:
        pieces.append(escape(text[cursor:left]))
        pieces.append(Markup("<mark>%s</mark>") % text[left:right])
        cursor = right
    pieces.append(escape(text[cursor:end]))
    # every piece is escape()d text or the <mark> template with %-escaped text
    return Markup(("…" if start > 0 else "") + "".join(pieces) + ("…" if end < len(text) else ""))  # nosec B704


class ProjectProbe:
    """One project's public text in a throwaway in-memory index: would a saved query find it?"""

    def __init__(self, project: Project):
        self._document = document(project)
        self._searcher = None

    def matches(self, query) -> bool:
        """Every word of the query is in the project's public text (an empty query matches)."""
        text = normalise_query(query)
        if not text:
            return True
        terms = parse_query(text)
        if not terms:
            return False
        return not self._open().search(compose(terms, conjunction=True), limit=1).is_empty()

    def _open(self):
        if self._searcher is None:


            # A RamStorage writer still spills to <tmp>/<indexname>.tmp: a unique name keeps
            # concurrent processes (several workers, parallel test runs) out of each other's files.
            ix = RamStorage().create_index(schema(), indexname=f"probe{uuid4().hex}")
            with ix.writer() as writer:
                writer.add_document(**self._document)
            self._searcher = ix.searcher()
        return self._searcher

    def close(self) -> None:
        if self._searcher is not None:
            self._searcher.close()
            self._searcher = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
