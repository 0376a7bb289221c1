"""The per-process BM25 scorer: the analysed tokens of the index as sparse columns, scored with numpy.

Whoosh stays the store (one document per listed project: its analysed tokens, its normalised text, its filter
values) and the writer lock; ranking no longer reads Whoosh postings in pure Python. Each Whoosh segment becomes
one Block: for every view (the jieba words of each public field, and the single characters of all the public
text) a column-compressed matrix of term frequencies (rows = the segment's document numbers), the rows' field
lengths and their filter values as small integer codes. A block is built once from the segment's stored tokens
(no re-analysis) and saved beside the index (segments are immutable), so other processes load it instead of
building it; deletions are a live-row mask read from the segment. When the index generation changes, only new
segments are built: a publish is a one-document segment, seen by the next search of every process.

A query reads only its own columns (a slice per term and block), scores them with BM25 (global document
frequencies and average lengths over the live rows), sums the views with their weights, applies the filters
as masks, and returns the top of the ranking plus the number of matches; nothing is materialised per match.
"""
from __future__ import annotations

import logging
import math
import os
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.projects.search.analysis import ParsedQuery, unigrams
from app.projects.search.documents import (CHAR_WEIGHT, CHARS, FILTER_FIELDS, VIEWS, chosen_chars,
                                           chosen_words, word_terms)

log = logging.getLogger(__name__)
K1, B = 1.2, 0.75
BLOCK_PREFIX = "clinbridge-block-"
SAVE_MIN_ROWS = 200                      # smaller segments are rebuilt from their stored tokens (milliseconds)
BLOCK_FORMAT = "3"


class View:
    """One view of one block: vocabulary → column, and the columns as CSC arrays (row numbers, term frequencies)."""
    __slots__ = ("vocab", "indptr", "rows", "tfs")

    def __init__(self, vocab: dict[str, int], indptr, rows, tfs):
        self.vocab, self.indptr, self.rows, self.tfs = vocab, indptr, rows, tfs

    def column(self, token: str):
        col = self.vocab.get(token)
        if col is None:
            return None
        start, end = self.indptr[col], self.indptr[col + 1]
        return self.rows[start:end], self.tfs[start:end]


def _view_from_triples(vocab: dict[str, int], cols: list[int], rows: list[int], tfs: list[int]) -> View:
    cols_a = np.asarray(cols, dtype=np.int32)
    order = np.argsort(cols_a, kind="stable")
    indptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(cols_a, minlength=len(vocab)), out=indptr[1:])
    return View(vocab, indptr, np.asarray(rows, dtype=np.int32)[order], np.asarray(tfs, dtype=np.float32)[order])


class Block:
    """The scorer's copy of one Whoosh segment (see the module's docstring)."""

    def __init__(self, ids, lengths, views: list[View], codes, values: list[list[str]], text, offsets):
        self.text = text             # uint8: every row's normalised public text + "\n" + labels, UTF-8, end to end
        self.offsets = offsets       # int64 rows + 1: row r's text is text[offsets[r]:offsets[r + 1]]
        self.ids = ids               # int64 project id per row (-1: an unreadable row)
        self.lengths = lengths       # float32 rows × views: tokens per view (BM25's field length)
        self.views = views
        self.codes = codes           # int32 rows × filters: index into values[f]
        self.values = values         # per filter field, the distinct values of this block
        self.value_codes = [{v: i for i, v in enumerate(vals)} for vals in values]
        self.n = len(ids)

    @classmethod
    def build(cls, stored: list[dict | None]) -> "Block":
        """From the stored fields of a segment's documents, in document-number order (None: nothing stored)."""
        n = len(stored)
        ids = np.full(n, -1, dtype=np.int64)
        lengths = np.zeros((n, len(VIEWS)), dtype=np.float32)
        triples = [([], [], []) for _ in VIEWS]
        vocabs: list[dict[str, int]] = [{} for _ in VIEWS]
        codes = np.zeros((n, len(FILTER_FIELDS)), dtype=np.int32)
        values: list[dict[str, int]] = [{} for _ in FILTER_FIELDS]
        texts: list[bytes] = []
        for row, fields in enumerate(stored):
            texts.append(((fields.get("text", "") + "\n" + fields.get("labels", "")) if fields else "").encode())
            if not fields:
                continue
            ids[row] = int(fields["id"])
            tokens = fields.get("tokens") or {}
            for v, name in enumerate(VIEWS):
                toks = unigrams(fields.get("text", "")) if v == CHARS else (tokens.get(name) or "").split()
                lengths[row, v] = len(toks)
                vocab, (cols, rows, tfs) = vocabs[v], triples[v]
                for tok, tf in Counter(toks).items():
                    col = vocab.get(tok)
                    if col is None:
                        col = vocab[tok] = len(vocab)
                    cols.append(col)
                    rows.append(row)
                    tfs.append(tf)
            filters = fields.get("filters") or {}
            for f, name in enumerate(FILTER_FIELDS):
                value = filters.get(name) or ""
                codes[row, f] = values[f].setdefault(value, len(values[f]))
        views = [_view_from_triples(vocabs[v], *triples[v]) for v in range(len(VIEWS))]
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum([len(t) for t in texts], out=offsets[1:])
        text = np.frombuffer(b"".join(texts), dtype=np.uint8)
        return cls(ids, lengths, views, codes, [list(vals) for vals in values], text, offsets)

    def text_of(self, row: int) -> str:
        return self.text[self.offsets[row]:self.offsets[row + 1]].tobytes().decode()

    # --- persistence: a block file per segment, beside the index ------------------------------------------
    # path (.npz): the small arrays and the vocabularies; beside it, plain .npy files that readers memory-map:
    # the rows' text and every view's postings (row numbers, term frequencies) end to end. Mapped pages stay in
    # the page cache, one copy for every worker, and a query touches only its own terms' columns.
    MAPPED = ("text", "rows", "tfs")

    def save(self, path: Path) -> None:
        starts = np.zeros(len(self.views) + 1, dtype=np.int64)
        np.cumsum([len(view.rows) for view in self.views], out=starts[1:])
        arrays = {"format": np.array(BLOCK_FORMAT), "ids": self.ids, "lengths": self.lengths, "codes": self.codes,
                  "offsets": self.offsets, "starts": starts,
                  "values": np.array("\x1e".join("\x1f".join(vals) for vals in self.values))}
        for v, view in enumerate(self.views):
            keys = sorted(view.vocab, key=view.vocab.get)
            arrays[f"vocab{v}"] = np.array("\n".join(keys))
            arrays[f"indptr{v}"] = view.indptr
        mapped = {"text": self.text,
                  "rows": np.concatenate([np.asarray(view.rows, dtype=np.int32) for view in self.views]),
                  "tfs": np.concatenate([np.asarray(view.tfs, dtype=np.float32) for view in self.views])}
        writes = [(mapped_path(path, name), lambda out, a=array: np.save(out, a)) for name, array in mapped.items()]
        writes.append((path, lambda out: np.savez(out, **arrays)))   # last: its presence says the rest is there
        for target, write in writes:
            tmp = target.with_name(f".{target.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            with open(tmp, "wb") as out:
                write(out)
            os.replace(tmp, target)        # readers see a whole file or none

    @classmethod
    def load(cls, path: Path) -> "Block":
        with np.load(path, allow_pickle=False) as data:
            if str(data["format"]) != BLOCK_FORMAT:
                raise ValueError("old block format")
            mapped = {name: np.load(mapped_path(path, name), mmap_mode="r", allow_pickle=False)
                      for name in cls.MAPPED}
            starts = data["starts"]
            if len(mapped["text"]) != int(data["offsets"][-1]) or not (
                    len(mapped["rows"]) == len(mapped["tfs"]) == int(starts[-1])):
                raise ValueError("mapped files of another block")
            views = []
            for v in range(len(VIEWS)):
                text = str(data[f"vocab{v}"])
                keys = text.split("\n") if text else []
                span = slice(int(starts[v]), int(starts[v + 1]))
                views.append(View(dict(zip(keys, range(len(keys)))), data[f"indptr{v}"], mapped["rows"][span],
                                  mapped["tfs"][span]))
            raw = str(data["values"]).split("\x1e")
            values = [part.split("\x1f") for part in raw]
            if len(values) != len(FILTER_FIELDS):
                raise ValueError("filter fields changed")
            return cls(data["ids"], data["lengths"], views, data["codes"], values, mapped["text"], data["offsets"])


def idf(df: int, total: int) -> float:
    """Whoosh's inverse document frequency (as the index ranked before the scorer); both backends use it."""
    return math.log(max(1, total) / (df + 1)) + 1.0


def mapped_path(path: Path, name: str) -> Path:
    """The memory-mapped file `name` of the block saved at `path` (clinbridge-block-<segment>.<name>.npy)."""
    return path.with_suffix(f".{name}.npy")


@dataclass
class _Part:
    """A block in one generation of the index: its live rows (a segment's deletions change between commits)."""
    block: Block
    live: np.ndarray          # bool per row
    segid: str                # (no Whoosh reader is kept: a closed reader still pins its segment's file)


class Snapshot:
    """The index as of one generation: the blocks, their live rows and the global BM25 statistics."""

    def __init__(self, generation: int, parts: list[_Part], reader):
        self.generation, self.parts, self.reader = generation, parts, reader
        self.count = int(sum(p.live.sum() for p in parts))
        sums = sum((p.block.lengths[p.live].sum(axis=0) for p in parts), np.zeros(len(VIEWS), dtype=np.float64))
        self.avg = np.maximum(sums / max(1, self.count), 1e-9)

    def close(self) -> None:
        """Nothing held open (the Whoosh reader is closed once the blocks are read)."""

    # --- statistics ------------------------------------------------------------------------------------------
    def _columns(self, view: int, token: str):
        """Per part, the live (rows, tfs) of a token in a view, and its document frequency over live rows."""
        found, df = [], 0
        for i, part in enumerate(self.parts):
            col = part.block.views[view].column(token)
            if col is None:
                continue
            rows, tfs = col
            keep = part.live[rows]
            if not keep.all():
                rows, tfs = rows[keep], tfs[keep]
            if len(rows):
                found.append((i, rows, tfs))
                df += len(rows)
        return found, df

    def doc_frequency(self, view: int, token: str) -> int:
        return self._columns(view, token)[1]

    def _idf(self, df: int) -> float:
        return idf(df, self.count)

    # --- ranking ---------------------------------------------------------------------------------------------
    def terms(self, query: ParsedQuery) -> list[tuple[int, str, float]]:
        """(view, token, weight) of a query: each word in each field, the rarest characters (see _compose)."""
        loose = word_terms(query)
        frequency = {c: self.doc_frequency(CHARS, c) for c in query.chars}
        chars = chosen_chars(query.chars, frequency, self.count, bool(loose))
        words = chosen_words(loose, {(v, s): self.doc_frequency(v, s) for v, s, _w in loose}, self.count, chars)
        return words + [(CHARS, c, CHAR_WEIGHT) for c in chars]

    def scores(self, query: ParsedQuery) -> list[np.ndarray]:
        """Per part, the score of every row (0: no match; live rows only; quoted phrases required)."""
        contributions: list[list[tuple]] = [[] for _ in self.parts]
        for view, token, weight in self.terms(query):
            self._add(contributions, view, token, weight)
        required = [term.text for term in query.exact]
        phrase_rows = None
        if required:   # every character of every phrase, then the phrase itself in the stored text
            phrase_rows = [None] * len(self.parts)
            for text in required:
                for char in dict.fromkeys(text):
                    found = self._add(contributions, CHARS, char, CHAR_WEIGHT)
                    has = {i: rows for i, rows, _tfs in found}
                    for i in range(len(self.parts)):
                        rows = has.get(i, np.empty(0, dtype=np.int32))
                        phrase_rows[i] = rows if phrase_rows[i] is None else np.intersect1d(phrase_rows[i], rows)
        out = []
        for i, part in enumerate(self.parts):
            n = part.block.n
            if contributions[i]:
                rows = np.concatenate([r for r, _w in contributions[i]])
                weights = np.concatenate([w for _r, w in contributions[i]])
                score = np.bincount(rows, weights=weights, minlength=n)
            else:
                score = np.zeros(n)
            if phrase_rows is not None:
                keep = np.zeros(n, dtype=bool)
                candidates = phrase_rows[i]
                for r in candidates:
                    text = part.block.text_of(int(r))
                    keep[r] = all(p in text for p in required)
                score = np.where(keep, np.maximum(score, 1e-9), 0.0)
            out.append(score)
        return out

    def _add(self, contributions, view: int, token: str, weight: float):
        found, df = self._columns(view, token)
        if not found:
            return found
        idf = self._idf(df) * weight
        avg = self.avg[view]
        for i, rows, tfs in found:
            length = self.parts[i].block.lengths[rows, view]
            bm25 = idf * (tfs * (K1 + 1)) / (tfs + K1 * ((1 - B) + B * length / avg))
            contributions[i].append((rows, bm25))
        return found

    def filter_masks(self, filters: dict[str, str], skip: str | None = None) -> list[np.ndarray | None]:
        """Per part, the rows passing the filters (None: no filter), optionally ignoring one filter field."""
        wanted = [(f, value) for f, name in enumerate(FILTER_FIELDS)
                  if name != skip and (value := filters.get(name)) not in (None, "")]
        if not wanted:
            return [None] * len(self.parts)
        masks = []
        for part in self.parts:
            mask = np.ones(part.block.n, dtype=bool)
            for f, value in wanted:
                code = part.block.value_codes[f].get(str(value))
                if code is None:
                    mask[:] = False
                    break
                mask &= part.block.codes[:, f] == code
            masks.append(mask)
        return masks

    def top(self, scores: list[np.ndarray], masks, limit: int) -> tuple[list[tuple[int, float]], int]:
        """The best `limit` (project id, score) under the masks, best first (ties: lower id), and the count."""
        candidates_ids, candidates_scores, total = [], [], 0
        for part, score, mask in zip(self.parts, scores, masks):
            hit = score > 0
            if mask is not None:
                hit &= mask
            rows = np.flatnonzero(hit)
            total += len(rows)
            if not len(rows):
                continue
            values = score[rows]
            if len(rows) > limit:
                keep = np.argpartition(-values, limit - 1)[:limit]
                # include every row tied with the limit-th score, so ties resolve by id below
                cut = values[keep].min()
                keep = np.flatnonzero(values >= cut)
                rows, values = rows[keep], values[keep]
            candidates_ids.append(part.block.ids[rows])
            candidates_scores.append(values)
        if not candidates_ids:
            return [], total
        ids = np.concatenate(candidates_ids)
        values = np.concatenate(candidates_scores)
        order = np.lexsort((ids, -values))[:limit]
        return [(int(ids[k]), float(values[k])) for k in order], total

    def matched_ids(self, scores) -> list[int]:
        return [int(pid) for part, score in zip(self.parts, scores) for pid in part.block.ids[score > 0]]

    def facet_counts(self, scores, filters: dict[str, str]) -> dict[str, dict[str, int]]:
        """For each filter field, {value: matches} under the other filters (what a click on it yields)."""
        counts: dict[str, dict[str, int]] = {}
        for f, name in enumerate(FILTER_FIELDS):
            tally: Counter = Counter()
            for part, score, mask in zip(self.parts, scores, self.filter_masks(filters, skip=name)):
                hit = score > 0
                if mask is not None:
                    hit &= mask
                codes = part.block.codes[hit, f]
                for code, n in enumerate(np.bincount(codes, minlength=len(part.block.values[f]))):
                    if n and part.block.values[f][code]:
                        tally[part.block.values[f][code]] += int(n)
            counts[name] = dict(tally)
        return counts

    def texts(self, ids) -> dict[int, str]:
        """The stored normalised public text (labels included) of these project ids (the all-words lift)."""
        wanted = {int(i) for i in ids}
        found: dict[int, str] = {}
        for part in self.parts:
            rows = np.flatnonzero(np.isin(part.block.ids, list(wanted)) & part.live)
            for r in rows:
                found[int(part.block.ids[r])] = part.block.text_of(int(r))
        return found

    def ids(self) -> set[int]:
        return {int(pid) for part in self.parts for pid in part.block.ids[part.live]}

    def vocabulary(self) -> set[str]:
        return {token for part in self.parts for view in part.block.views for token in view.vocab}


class Scorer:
    """The snapshots of one index folder in this process: refreshed when the index generation changed."""

    def __init__(self, directory: str):
        self.directory = Path(directory)
        self.blocks: dict[str, Block] = {}      # by segment id: segments never change, only their deletions
        self.snapshot: Snapshot | None = None
        self.lock = threading.Lock()

    def current(self, ix) -> Snapshot:
        generation = ix.latest_generation()
        snapshot = self.snapshot
        if snapshot is not None and snapshot.generation == generation:
            return snapshot
        with self.lock:
            if self.snapshot is None or self.snapshot.generation != ix.latest_generation():
                old, self.snapshot = self.snapshot, self._load(ix)
                if old is not None:
                    old.close()
            return self.snapshot

    def _load(self, ix) -> Snapshot:
        reader = ix.reader()
        try:
            return self._read(ix, reader)
        finally:
            reader.close()   # everything a query needs is in the blocks now

    def _read(self, ix, reader) -> Snapshot:
        generation = reader.generation() if hasattr(reader, "generation") else ix.latest_generation()
        parts, seen = [], set()
        for segment_reader, _offset in reader.leaf_readers():
            segment = segment_reader.segment()
            if segment is None:   # an empty index reads as one empty reader
                continue
            segid = segment.segid
            seen.add(segid)
            block = self.blocks.get(segid) or self._block(segid, segment_reader)
            self.blocks[segid] = block
            live = np.ones(block.n, dtype=bool)
            if segment.has_deletions():
                deleted = [d for d in segment.deleted_docs() if d < block.n]
                live[deleted] = False
            live &= block.ids >= 0
            parts.append(_Part(block, live, segid))
        for segid in set(self.blocks) - seen:   # a merged-away segment's block (and its mapped text) is released
            del self.blocks[segid]
        return Snapshot(generation, parts, None)

    def _block(self, segid: str, segment_reader) -> Block:
        path = self.directory / f"{BLOCK_PREFIX}{segid}.npz"
        if path.exists():
            try:
                block = Block.load(path)
                if block.n == segment_reader.doc_count_all():
                    return block
            except Exception:  # noqa: BLE001 — a stale or broken block file is rebuilt
                log.warning("search block %s unreadable; rebuilding it", path.name)
        stored = [segment_reader.stored_fields(d) for d in range(segment_reader.doc_count_all())]
        block = Block.build(stored)
        if block.n >= SAVE_MIN_ROWS:
            try:
                block.save(path)
            except OSError:   # a read-only folder: every process builds its own
                log.warning("could not save search block %s", path.name)
            else:   # the writer too reads its postings from the mapped files (its built copy is freed)
                return Block.load(path)
        return block


def prune_block_files(directory, segids: set[str]) -> None:
    """Remove the block files of segments no longer in the index (after a writer's commit)."""
    for path in Path(directory).glob(f"{BLOCK_PREFIX}*.npz"):
        if path.name[len(BLOCK_PREFIX):-4] not in segids:
            for name in Block.MAPPED:
                mapped_path(path, name).unlink(missing_ok=True)
            try:
                path.unlink()
            except OSError:
                pass
