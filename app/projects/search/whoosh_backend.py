"""The default search backend: a Whoosh index per instance folder, one writer at a time, a searcher per thread.

Each listed project is one document: its public fields as jieba words (one field each, so BM25F weighs the name
and 适用范围 above the rest), all its public text as single characters (with positions), and its filter
values as exact terms (so the engine counts matches under the library's filters itself). Nothing else.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

from whoosh import index as wi
from whoosh import query as wq
from whoosh import scoring
from whoosh.fields import ID, TEXT, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.writing import CLEAR

from app.projects.search.analysis import CharTokenizer, ParsedQuery, analyzer
from app.projects.search.documents import (CHAR_WEIGHT, FILTER_FIELDS, MAX_CHAR_DF, MAX_CHAR_TERMS,
                                           MIN_DOCS_TO_PRUNE,
                                           SYNONYM_WEIGHT,
                                           WORD_FIELDS, WORD_WEIGHT, Ranking)

log = logging.getLogger(__name__)
SCHEMA_VERSION = "5"  # bump when the schema or the analysis changes: the index is rebuilt on open
_VERSION_FILE = "clinbridge-schema-version"
WRITE_TIMEOUT = 30.0  # seconds to wait for another process's writer; then the job fails and the queue retries
CHARS_FIELD = "chars"
_K1, _B = 1.2, 0.75


def schema():
    words = {name: TEXT(analyzer=analyzer(), phrase=False) for name in WORD_FIELDS}
    filters = {f"f_{name}": ID() for name in FILTER_FIELDS}
    # no character-pair view: on search-dev its tuned weight was 0 (bench/README.md), and a quoted phrase is a
    # phrase of single characters (positions kept)
    return Schema(id=ID(stored=True, unique=True, sortable=True),
                  chars=TEXT(analyzer=CharTokenizer(pairs=False)), **words, **filters)


def whoosh_document(doc: dict) -> dict:
    """The Whoosh fields of an indexed document (see documents.document)."""
    fields = {name: doc["words"].get(name, "") for name in WORD_FIELDS}
    fields.update({f"f_{name}": value for name, value in doc["filters"].items() if value})
    return dict(id=str(doc["id"]), chars=doc["text"], **fields)


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


class WhooshBackend:
    """The Whoosh index of one folder (instance/search-index by default)."""

    name = "whoosh"

    def __init__(self, directory: str, documents):
        self.directory = directory
        self.documents = documents   # callable(ids or None) -> iterable of documents from the database

    # --- the index -------------------------------------------------------------------------------
    def open(self, fill: bool = True):
        """This process's index for the folder; created (and filled from the database) on first use."""
        _forget_after_fork()
        ix = _indexes.get(self.directory)
        if ix is None:
            with _open_lock:
                ix = _indexes.get(self.directory) or self._load_or_create(fill)
                _indexes[self.directory] = ix
        return ix

    def _load_or_create(self, fill: bool):
        directory = self.directory
        Path(directory).mkdir(parents=True, exist_ok=True)
        version_file = Path(directory) / _VERSION_FILE
        lock = FileStorage(directory).lock("CLINBRIDGE_CREATE")  # two workers starting at once build it once
        lock.acquire(blocking=True)
        try:
            if (wi.exists_in(directory) and version_file.exists()
                    and version_file.read_text().strip() == SCHEMA_VERSION):
                try:
                    return wi.open_dir(directory, schema=schema())
                except Exception:  # noqa: BLE001 — an unreadable index is rebuilt, not fatal
                    log.exception("search index in %s unreadable; rebuilding", directory)
            ix = wi.create_in(directory, schema())
            if fill:
                self._rebuild(ix)
            version_file.write_text(SCHEMA_VERSION)
            return ix
        finally:
            lock.release()

    def searcher(self):
        """This thread's searcher, reopened when a writer committed (kept while nothing changed).

        up_to_date() only compares the generation on disk, so a new document is seen by the next search in
        every process, without reopening the index on every request.
        """
        ix = self.open()
        searchers = _local.__dict__.setdefault("searchers", {})
        current = searchers.get(self.directory)
        if current is not None and not current.up_to_date():
            # Not Searcher.refresh(): in whoosh-reloaded 2.7.5 it keeps superseded segments (duplicate and
            # deleted documents come back) and fails on an empty index.
            current.close()
            current = None
        if current is None:
            current = searchers[self.directory] = ix.searcher(weighting=scoring.BM25F(B=_B, K1=_K1))
        return current

    def _writer(self, ix):
        try:
            return ix.writer(timeout=WRITE_TIMEOUT, delay=0.02, limitmb=128)
        except LockError:
            raise LockError(f"search index {self.directory} busy for {WRITE_TIMEOUT:.0f} s") from None

    def _rebuild(self, ix) -> int:
        count = 0
        with _write_lock:
            writer = self._writer(ix)
            try:
                for doc in self.documents(None):
                    writer.add_document(**whoosh_document(doc))
                    count += 1
            except Exception:
                writer.cancel()
                raise
            writer.commit(mergetype=CLEAR)
        return count

    def reindex(self) -> int:
        return self._rebuild(self.open(fill=False))

    def update(self, ids: set[int]) -> None:
        """Add, replace or drop these projects, reading them from the database while holding the writer.

        Reading inside the lock is what keeps two workers publishing at once from losing an update: whoever
        writes second has read the database after the first one committed its change.
        """
        ix = self.open()
        with _write_lock:
            writer = self._writer(ix)
            try:
                listed = {doc["id"]: doc for doc in self.documents(ids)}
                for project_id in ids - set(listed):
                    writer.delete_by_term("id", str(project_id))
                for doc in listed.values():
                    writer.update_document(**whoosh_document(doc))
            except Exception:
                writer.cancel()
                raise
            writer.commit()

    def indexed_ids(self) -> set[int]:
        searcher = self.searcher()
        return {int(fields["id"]) for fields in searcher.all_stored_fields()}

    def terms(self) -> set[str]:
        """Every term of every field (for the confidentiality tests)."""
        reader = self.searcher().reader()
        return {text.decode() if isinstance(text, bytes) else text for _field, text in reader.all_terms()}

    # --- queries ---------------------------------------------------------------------------------
    def _compose(self, searcher, query: ParsedQuery):
        """Any part of the query: each word in each public field (BM25F), and each character and pair."""
        total = max(1, searcher.doc_count())
        loose = []
        for term in query.terms:
            if term.exact:
                continue
            for spelling, weight in ((term.text, WORD_WEIGHT),
                                     *((s, WORD_WEIGHT * SYNONYM_WEIGHT) for s in term.synonyms)):
                for name, boost in WORD_FIELDS.items():
                    loose.append(wq.Term(name, spelling, boost=weight * boost))
        frequency = {c: searcher.doc_frequency(CHARS_FIELD, c) for c in query.chars}
        common = MAX_CHAR_DF * total if total >= MIN_DOCS_TO_PRUNE else total
        chars = [c for c in query.chars if 0 < frequency[c] <= common]
        if not chars and not loose:   # only common characters, and no word: then they are all there is
            chars = [c for c in query.chars if frequency[c]]
        # the rarest characters carry the ranking; the commonest cost the most postings to read
        chars = sorted(chars, key=frequency.get)[:MAX_CHAR_TERMS]
        for char in chars:
            loose.append(wq.Term(CHARS_FIELD, char, boost=CHAR_WEIGHT))
        exact = [wq.Phrase(CHARS_FIELD, list(term.text)) for term in query.exact]
        if exact:
            # quoted phrases must be there; the rest ranks (scored through the phrases' own weight when alone)
            required = wq.And(exact)
            return wq.AndMaybe(required, wq.Or(loose)) if loose else required
        return wq.Or(loose) if loose else wq.NullQuery

    @staticmethod
    def _filter(filters: dict[str, str]):
        terms = [wq.Term(f"f_{name}", value) for name, value in filters.items() if name in FILTER_FIELDS]
        return wq.And(terms) if terms else None

    def rank(self, query: ParsedQuery, filters: dict[str, str], limit: int) -> Ranking:
        """The best `limit` matches under the filters, and how many match in all."""
        searcher = self.searcher()
        if not query or searcher.doc_count() == 0:  # an empty index has no columns to read
            return Ranking([], 0)
        compiled = self._compose(searcher, query)
        if compiled is wq.NullQuery:
            return Ranking([], 0)
        results = searcher.search(compiled, limit=limit, filter=self._filter(filters))
        ids = searcher.reader().column_reader("id", translate=True)
        hits = [(int(ids[docnum]), score) for score, docnum in results.top_n]
        total = results.scored_length() if len(hits) < limit else len(results)
        return Ranking(hits, total, lambda: self._matched_ids(searcher, compiled))

    @staticmethod
    def _matched_ids(searcher, compiled) -> list[int]:
        ids = searcher.reader().column_reader("id", translate=True)
        return [int(ids[docnum]) for docnum in searcher.docs_for_query(compiled)]

    def wait_for(self, project_id: int, timeout: float = 5.0) -> float:
        """Seconds until this process's searcher sees the project (for the speed bench)."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if self.searcher().document_number(id=str(project_id)) is not None:
                return time.perf_counter() - start
            time.sleep(0.005)
        return float("inf")
