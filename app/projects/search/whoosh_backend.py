"""The default search backend: a Whoosh index per instance folder as the store, a numpy scorer per process.

Each listed project is one Whoosh document holding what ranking needs, analysed once when it is written: the
jieba words of each public field (so BM25F weighs the name and 适用范围 above the rest), its normalised public
text (the character view, quoted phrases, the all-words lift) and its filter values. Whoosh keeps them, gives
one writer at a time (its file lock) and marks generations; ranking is done by scorer.py over the same tokens
as sparse columns (no Whoosh postings are read or written). Nothing but the public tier is stored.
"""
from __future__ import annotations

import hashlib
import itertools
import logging
import multiprocessing
import os
import threading
import time
from functools import lru_cache
from pathlib import Path

from whoosh import index as wi
from whoosh.fields import ID, STORED, Schema
from whoosh.filedb.filestore import FileStorage
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.writing import CLEAR

from app.projects.search import analysis
from app.projects.search.analysis import ParsedQuery, field_tokens, normalise_text, segmenter
from app.projects.search.documents import WORD_FIELDS, Ranking
from app.projects.search.scorer import Scorer, prune_block_files
from matching import jieba_words

log = logging.getLogger(__name__)
SCHEMA_VERSION = "6"  # bump when the schema or the analysis changes: the index is rebuilt on open
_VERSION_FILE = "clinbridge-schema-version"
WRITE_TIMEOUT = 30.0  # seconds to wait for another process's writer; then the job fails and the queue retries
SMALL_SEGMENT = 1000  # segments below this many documents are merged together once there are MAX_SMALL of them
MAX_SMALL = 6
MAX_DELETED_SHARE = 0.5  # a segment that lost more than this share of its documents is rewritten


def storage(directory: str) -> FileStorage:
    """The index folder's storage, read and written without mmap.

    Whoosh maps each compound segment file it opens; a reader closed while something still refers to its
    buffers leaves the mapping (and the descriptor) alive, so a job worker writing the index hundreds of times
    kept every deleted segment mapped (RSS 135 MB to 1 GB over 120 index jobs). The scorer reads a segment's
    stored fields once to build its block, so plain reads cost nothing measurable and release the file on close.
    """
    return FileStorage(directory, supports_mmap=False)


def schema():
    # only stored fields (and the id term for updates): the scorer ranks, Whoosh stores
    return Schema(id=ID(stored=True, unique=True), tokens=STORED(), keys=STORED(), text=STORED(),
                  labels=STORED(), filters=STORED())


@lru_cache(maxsize=1)
def analyser_version() -> str:
    """A fingerprint of everything a field's jieba words depend on: the analysis code, jieba and its dictionary.

    Stored tokens are reused by a re-index only under the same fingerprint, so a change to the analysis, the
    device dictionary (matching/data/nmpa) or jieba re-segments every text.
    """
    import jieba
    digest = hashlib.blake2b(f"{SCHEMA_VERSION}|{getattr(jieba, '__version__', '')}|{analysis._HMM}|"
                          f"{analysis._USER_WORD_FREQ}".encode(), digest_size=8)
    sources = [Path(analysis.__file__), Path(analysis.NMPA_DIR) / "classification_catalog.json",
               Path(analysis.NMPA_DIR) / "determinations_2018_2020.jsonl",
               Path(__file__).resolve().parents[3] / "matching" / "jieba_words.py"]
    for source in sources:
        try:
            digest.update(source.read_bytes())
        except OSError:
            digest.update(b"-")
    return digest.hexdigest()[:16]


def field_key(text: str) -> str:
    """The cache key of one field's text: its hash under the analyser version."""
    return hashlib.blake2b(f"{analyser_version()}\x1f{text}".encode(), digest_size=12).hexdigest()


def whoosh_document(doc: dict, cached: dict[str, str] | None = None) -> dict:
    """The Whoosh fields of an indexed document (see documents.document): analysed here, once.

    `cached` maps field keys to the stored tokens of an earlier analysis (a re-index of unchanged texts):
    only fields whose text (or the analyser) changed are segmented again.
    """
    tokens, keys = {}, {}
    for name in WORD_FIELDS:
        text = doc["words"].get(name, "")
        key = keys[name] = field_key(text)
        found = cached.get(key) if cached else None
        tokens[name] = found if found is not None else " ".join(field_tokens(text))
    return dict(id=str(doc["id"]), tokens=tokens, keys=keys, text=normalise_text(doc["text"]),
                labels=normalise_text(doc["labels"]), filters=dict(doc["filters"]))


def stored_tokens(ix) -> dict[str, str]:
    """{field key: tokens} of every word field stored in the index (what a re-index may reuse)."""
    cache: dict[str, str] = {}
    try:
        reader = ix.reader()
    except Exception:  # noqa: BLE001 — no usable index: everything is analysed
        return cache
    try:
        for fields in reader.all_stored_fields():
            keys, tokens = fields.get("keys"), fields.get("tokens")
            if isinstance(keys, dict) and isinstance(tokens, dict):
                for name, key in keys.items():
                    if name in tokens:
                        cache[key] = tokens[name]
    finally:
        reader.close()
    return cache


def _reusable(doc: dict, cached: dict[str, str]) -> tuple[dict[str, str], bool]:
    """The cached tokens of a document's word fields ({key: tokens}), and whether every field was found."""
    found, complete = {}, True
    for name in WORD_FIELDS:
        key = field_key(doc["words"].get(name, ""))
        if key in cached:
            found[key] = cached[key]
        else:
            complete = False
    return found, complete


REINDEX_PROCS = 2          # jieba analysis of a full re-index in this many processes (forked, 2-core machines)
PARALLEL_FROM = 2000       # documents: below this a re-index analyses in this process


def _analyse_chunk(docs: list[tuple[dict, dict]]) -> list[dict]:
    return [whoosh_document(doc, found) for doc, found in docs]


def _analysis_child() -> None:
    """A re-index's analysis process: its tokenizer on a plain dictionary (faster; the child is short-lived)."""
    jieba_words.flatten(segmenter())


def _chunks(docs, size: int = 250):
    chunk = []
    for doc in docs:
        chunk.append(doc)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def analysed(docs, cached: dict[str, str] | None = None):
    """Whoosh documents of these documents, analysed by REINDEX_PROCS forked processes for a large re-index.

    Documents whose word fields are all in `cached` (unchanged texts of the index being rebuilt) are built here
    from the stored tokens, without jieba; the rest are segmented, in the children when there are many. The
    children only segment text (jieba, loaded before the fork so its dictionary pages are shared); the
    database is read and the index written here.
    """
    if cached:   # the unchanged first; the others keep the tokens of their unchanged fields
        pending = []
        for doc in docs:
            found, complete = _reusable(doc, cached)
            if complete:
                yield whoosh_document(doc, found)
            else:
                pending.append((doc, found))
        docs = iter(pending)
    else:
        docs = ((doc, None) for doc in docs)
    head = list(itertools.islice(docs, PARALLEL_FROM))
    if len(head) < PARALLEL_FROM or REINDEX_PROCS < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (whoosh_document(doc, found) for doc, found in itertools.chain(head, docs))
        return
    segmenter()
    analyser_version()   # once, before the fork
    pool = multiprocessing.get_context("fork").Pool(REINDEX_PROCS, initializer=_analysis_child)
    try:
        for chunk in pool.imap(_analyse_chunk, _chunks(itertools.chain(head, docs))):
            yield from chunk
        pool.close()
    except BaseException:
        pool.terminate()
        raise
    finally:
        pool.join()


def merge_small(writer, segments):
    """Merge the small segments (publishes add one each) once there are several; never rewrite the big ones.

    A merged segment is rebuilt by the scorer from its stored tokens, so merges stay small and cheap. Two
    exceptions keep deletions from piling up: a segment whose documents are all deleted is dropped, and one
    that has lost more than half of them (a batch re-index after an import replaces every row of the first
    fill) is rewritten with its live documents (otherwise every process would keep its dead rows' postings).
    """
    keep, merge = [], []
    for segment in segments:
        total, live = segment.doc_count_all(), segment.doc_count()
        if live == 0:
            continue
        (merge if total - live > total * MAX_DELETED_SHARE else keep).append(segment)
    small = [s for s in keep if s.doc_count_all() < SMALL_SEGMENT]
    if len(small) >= MAX_SMALL:
        merge += small
        keep = [s for s in keep if s.doc_count_all() >= SMALL_SEGMENT]
    for segment in merge:
        reader = SegmentReader(writer.storage, writer.schema, segment)
        writer.add_reader(reader)   # copies the live documents only
        reader.close()
    return keep


_open_lock = threading.Lock()
_scorer_lock = threading.Lock()
_write_lock = threading.Lock()   # threads of one process write in turn; Whoosh's file lock covers processes
_indexes: dict[str, object] = {}
_scorers: dict[str, Scorer] = {}
_pid = os.getpid()


def _forget_after_fork() -> None:
    global _pid
    if _pid != os.getpid():  # a forked worker must not share the parent's open files
        _pid = os.getpid()
        _indexes.clear()
        _scorers.clear()


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
                    return storage(directory).open_index(schema=schema())
                except Exception:  # noqa: BLE001 — an unreadable index is rebuilt, not fatal
                    log.exception("search index in %s unreadable; rebuilding", directory)
            ix = storage(directory).create_index(schema())
            if fill:
                self._rebuild(ix)
            version_file.write_text(SCHEMA_VERSION)
            return ix
        finally:
            lock.release()

    def searcher(self):
        """This process's view of the index (a scorer snapshot), replaced when a writer committed.

        Checking the generation on disk is one directory listing, so a new document is seen by the next search
        in every process, without reopening the index on every request.
        """
        return self._snapshot(self.open())

    def _snapshot(self, ix):
        scorer = _scorers.get(self.directory)
        if scorer is None:
            with _scorer_lock:
                scorer = _scorers.setdefault(self.directory, Scorer(self.directory))
        return scorer.current(ix)

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
                # read under the writer lock: nobody changes the segments between reading and clearing them
                cached = stored_tokens(ix)
                for fields in analysed(self.documents(None), cached):
                    writer.add_document(**fields)
                    count += 1
            except Exception:
                writer.cancel()
                raise
            writer.commit(mergetype=CLEAR)
            self._after_commit(ix)
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
                for doc in listed.values():   # an edit segments its text afresh (no cache: one document)
                    writer.update_document(**whoosh_document(doc))
            except Exception:
                writer.cancel()
                raise
            writer.commit(mergetype=merge_small)
            self._after_commit(ix)

    def _after_commit(self, ix) -> None:
        """Build (and save for the other processes) the blocks of the new segments; drop the files of old ones."""
        snapshot = self._snapshot(ix)   # not searcher(): the first fill runs while the index is being opened
        prune_block_files(self.directory, {part.segid for part in snapshot.parts})

    def indexed_ids(self) -> set[int]:
        return self.searcher().ids()

    def terms(self) -> set[str]:
        """Every token of every view (for the confidentiality tests)."""
        return self.searcher().vocabulary()

    # --- queries ---------------------------------------------------------------------------------
    def rank(self, query: ParsedQuery, filters: dict[str, str], limit: int) -> Ranking:
        """The best `limit` matches under the filters, how many match in all, and (lazily) the rest."""
        snapshot = self.searcher()
        if not query or snapshot.count == 0:
            return Ranking([], 0)
        scores = snapshot.scores(query)
        hits, total = snapshot.top(scores, snapshot.filter_masks(filters), limit)
        return Ranking(hits, total, lambda: snapshot.matched_ids(scores), texts=snapshot.texts,
                       facets=lambda: snapshot.facet_counts(scores, filters))

    def wait_for(self, project_id: int, timeout: float = 5.0) -> float:
        """Seconds until this process's searcher sees the project (for the speed bench)."""
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            if project_id in self.searcher().ids():
                return time.perf_counter() - start
            time.sleep(0.005)
        return float("inf")
