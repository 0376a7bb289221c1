"""The PostgreSQL backend (CLINBRIDGE_SEARCH=postgres): full-text search in the database every app server shares.

Two tables, filled from the same analysis as the Whoosh index (whoosh_document: the jieba words of each public
field, the normalised public text and labels), public tier only:

- project_search_posting: one row per (view, lexeme, project) with the term frequency and the length of that
  view in that project. Views 0–4 are the word fields of documents.WORD_FIELDS (name, 适用范围, summary,
  prospects, other), view 5 the single characters. Its primary key (view, lexeme, project_id) INCLUDE (tf,
  len) is the inverted index: a query reads only its own terms' postings, index-only; an index on project_id
  finds a project's postings when it is written again or leaves the library.
- project_search: one row per listed project: its normalised text (the quoted-phrase check and the all-words
  lift, read without loading projects), the stored jieba words of each field under their analyser keys (a
  re-index of unchanged texts reuses them, as Whoosh does) and the views' lengths (their averages).

Ranking is the Whoosh backend's (scorer.py), term for term: BM25 per (view, term) with the same idf, K1, B,
field weights, WORD_WEIGHT / CHAR_WEIGHT / SYNONYM_WEIGHT, the MAX_CHAR_DF / MAX_CHAR_TERMS choice of
characters, summed in one GROUP BY project_id over the terms' postings, ORDER BY score LIMIT k; the number of
matches comes with it (a window count). A quoted phrase requires all its characters (counted per project) and
the phrase itself in the stored text. Document frequencies are counted from the postings (an index-only count
per term), kept per process and forgotten every DF_REFRESH seconds or when this process writes; a term counted
as absent is counted again. Filters are a join with the project table (the database is the truth); the
library's facet counts on a search page are one GROUPING SETS query over the matched projects.

Writes are ordinary transactions: an update locks its projects' rows (two writers of one project take turns)
and replaces their rows and postings; a re-index builds a new postings table and swaps it in at commit.
A test checks that both backends return the same ranking, scores, totals and facet counts.
"""
from __future__ import annotations

import json
import re
import time
from collections import Counter

from sqlalchemy import (ForeignKey, Index, Integer, PrimaryKeyConstraint, SmallInteger, Text, and_, func, select,
                        text, true)
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.projects.listing import ENUM_FACETS, LibraryFilters, listed_clause
from app.projects.models import Project
from app.projects.search.analysis import ParsedQuery, unigrams
from app.projects.search.documents import (CHAR_WEIGHT, CHARS, FILTER_FIELDS, VIEWS, WORD_FIELDS, Ranking,
                                           chosen_chars, chosen_words, listed_documents, word_terms)
from app.projects.search.scorer import B, K1, idf
# the documents' analysis (jieba words per field, parallel for a re-index) is the Whoosh backend's, shared
from app.projects.search.whoosh_backend import analysed, whoosh_document

LENGTH_COLUMNS = tuple(f"{view}_len" for view in VIEWS)
WORK_MEM = "64MB"                     # for the ranking statement (its hash of the matched projects)
BATCH = 500                           # documents analysed and written per round of a re-index


# byte order: equality is all a posting is looked up by, and the "C" collation compares without the locale
LEXEME = Text().with_variant(Text(collation="C"), "postgresql")


class ProjectSearch(db.Model):
    """A listed project's search document for the PostgreSQL backend (public tier only)."""
    __tablename__ = "project_search"
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)      # normalised public text + "\n" + labels
    tokens: Mapped[str] = mapped_column(Text, nullable=False)    # JSON {"keys": {field: key}, "tokens": {…}}
    name_len: Mapped[int] = mapped_column(Integer, nullable=False)
    intended_use_len: Mapped[int] = mapped_column(Integer, nullable=False)
    public_summary_len: Mapped[int] = mapped_column(Integer, nullable=False)
    clinical_prospects_len: Mapped[int] = mapped_column(Integer, nullable=False)
    other_len: Mapped[int] = mapped_column(Integer, nullable=False)
    chars_len: Mapped[int] = mapped_column(Integer, nullable=False)


class ProjectSearchPosting(db.Model):
    """One term of one view of a listed project: the inverted index of the PostgreSQL backend.

    No foreign key: a check per posting would double a re-index, and a cascade would scan the postings per
    project; the backend deletes a project's postings with its row (projects themselves are never deleted).
    """
    __tablename__ = "project_search_posting"
    view: Mapped[int] = mapped_column(SmallInteger, nullable=False)
    lexeme: Mapped[str] = mapped_column(LEXEME, nullable=False)
    project_id: Mapped[int] = mapped_column(Integer, nullable=False)
    tf: Mapped[int] = mapped_column(Integer, nullable=False)     # occurrences of the lexeme in the view
    len: Mapped[int] = mapped_column(Integer, nullable=False)    # tokens of the view in the project

    __table_args__ = (PrimaryKeyConstraint("view", "lexeme", "project_id", name="pk_project_search_posting",
                                           postgresql_include=["tf", "len"]),
                      Index("ix_project_search_posting_project_id", "project_id"))


assert LENGTH_COLUMNS == tuple(c for c in ProjectSearch.__table__.columns.keys() if c.endswith("_len"))

_ROW = text(f"INSERT INTO project_search (project_id, text, tokens, {', '.join(LENGTH_COLUMNS)}) "  # nosec B608
            f"VALUES (:id, :text, :tokens, {', '.join(':' + c for c in LENGTH_COLUMNS)})")
# the statement above splices only our own column names; every value is a bound parameter
_COPY = "COPY {table} (view, lexeme, project_id, tf, len) FROM STDIN"


def _analysed(fields: dict) -> tuple[dict, list[tuple]]:
    """The project_search row and the postings of one analysed document (whoosh_document's fields)."""
    project_id = int(fields["id"])
    views = [(fields["tokens"].get(name) or "").split() for name in WORD_FIELDS] + [unigrams(fields["text"])]
    postings = []
    for view, tokens in enumerate(views):
        length = len(tokens)
        postings.extend((view, lexeme, project_id, tf, length) for lexeme, tf in Counter(tokens).items())
    row = {"id": project_id, "text": fields["text"] + "\n" + fields["labels"],
           "tokens": json.dumps({"keys": fields["keys"], "tokens": fields["tokens"]}, ensure_ascii=False),
           **{column: len(tokens) for column, tokens in zip(LENGTH_COLUMNS, views)}}
    return row, postings


def _write(connection, documents, table: str = "project_search_posting") -> int:
    """Insert the rows and postings of these analysed documents (their old rows already deleted)."""
    count, batch = 0, []
    for fields in documents:
        batch.append(_analysed(fields))
        if len(batch) >= BATCH:
            count += _write_batch(connection, batch, table)
            batch = []
    if batch:
        count += _write_batch(connection, batch, table)
    return count


def _write_batch(connection, batch, table: str) -> int:
    cursor = connection.connection.driver_connection.cursor()   # COPY: the postings are most of a re-index
    try:
        # FREEZE: a table created in this transaction (a re-index) is written all-visible, ready for index-only scans
        statement = _COPY.format(table=table) + (" WITH (FREEZE)" if table == _NEW else "")
        with cursor.copy(statement) as copy:
            for _row, postings in batch:
                for posting in postings:
                    copy.write_row(posting)
    finally:
        cursor.close()
    connection.execute(_ROW, [row for row, _postings in batch])
    return len(batch)


def _delete(connection, ids) -> None:
    ids = sorted(int(i) for i in ids)
    connection.execute(text("DELETE FROM project_search_posting WHERE project_id = ANY(:ids)"), {"ids": ids})
    connection.execute(text("DELETE FROM project_search WHERE project_id = ANY(:ids)"), {"ids": ids})


# A re-index's new postings table, and what makes it the table: the constraint and index of the migration
_NEW = "project_search_posting_new"
_SWAP = (f"ALTER TABLE {_NEW} ADD CONSTRAINT pk_project_search_posting_new "
         "PRIMARY KEY (view, lexeme, project_id) INCLUDE (tf, len)",
         f"CREATE INDEX ix_project_search_posting_project_id_new ON {_NEW} (project_id)",
         f"ANALYZE {_NEW}",
         "DROP TABLE project_search_posting",
         f"ALTER TABLE {_NEW} RENAME TO project_search_posting",
         "ALTER TABLE project_search_posting RENAME CONSTRAINT pk_project_search_posting_new "
         "TO pk_project_search_posting",
         "ALTER INDEX ix_project_search_posting_project_id_new RENAME TO ix_project_search_posting_project_id")

# Document frequencies of (view, lexeme) pairs: one index-only count per pair
_FREQUENCIES = text("""
SELECT q.view, q.lexeme, (SELECT count(*) FROM project_search_posting p WHERE p.view = q.view AND p.lexeme = q.lexeme)
FROM unnest(CAST(:views AS smallint[]), CAST(:lexemes AS text[])) AS q(view, lexeme)
""")
_STATISTICS = text(f"SELECT count(*), {', '.join(f'avg({c})' for c in LENGTH_COLUMNS)} "  # nosec B608
                   "FROM project_search")   # our own column names only

# BM25 of every term over its postings, summed per project: weight × idf × (K1 + 1) × tf / (tf + c0 + c1 × len),
# with c0 = K1 (1 - B) and c1 = K1 B / the view's average length, all float8 (numeric arithmetic per posting
# cost half the time of a query). `need` is 1 for the first term of each quoted phrase's character, 0 for the
# rest: a project must hold them all (need = :full). The sum is rounded to a real: the order in which a
# project's terms are added moves its last digits, and equal documents must tie (then: by id).
# {join} and {where} below are built from our own column names (filters) and fixed text; every value is a bound
# parameter.
_TERMS = ("unnest(CAST(:views AS smallint[]), CAST(:lexemes AS text[]), CAST(:weights AS float8[]), "
          "CAST(:c1s AS float8[]), CAST(:needs AS int[])) AS q(view, lexeme, weight, c1, need)")
_POSTINGS = f"FROM {_TERMS} JOIN project_search_posting p ON p.view = q.view AND p.lexeme = q.lexeme"
_SCORE = "CAST(sum(q.weight * p.tf / (p.tf + CAST(:c0 AS float8) + q.c1 * p.len)) AS real) AS score"


def _scored_sql(phrases: int) -> str:
    need = ", sum(q.need) AS need" if phrases else ""
    return f"SELECT p.project_id, {_SCORE}{need} {_POSTINGS} GROUP BY p.project_id"


_PHRASE_JOIN = "JOIN project_search s ON s.project_id = g.project_id"


def _phrase_checks(phrases: int) -> list[str]:
    """A scored project `g` holds every phrase character (need) and each quoted phrase as typed, in its text `s`."""
    return ["g.need = :full", *(f"strpos(s.text, :phrase{i}) > 0" for i in range(phrases))]


def _ranked_sql(filters: list[str], phrases: int) -> str:
    join, where = [], []
    if phrases:
        join.append(_PHRASE_JOIN)
        where.extend(_phrase_checks(phrases))
    if filters:
        join.append("JOIN project pr ON pr.id = g.project_id")
        where.extend(f"pr.{name} = :f_{name}" for name in filters)
    clause = f"WHERE {' AND '.join(where)}" if where else ""
    # only our own column names and generated parameter names are spliced in (see _TERMS); the count of the
    # matches reads the materialised matches again (cheaper than a window count over them, 10% at 100k)
    return (f"WITH g AS MATERIALIZED ({_scored_sql(phrases)}), "  # nosec B608
            f"m AS MATERIALIZED (SELECT g.project_id, g.score FROM g {' '.join(join)} {clause}) "
            "SELECT m.project_id, m.score, (SELECT count(*) FROM m) AS total FROM m "
            "ORDER BY m.score DESC, m.project_id LIMIT :limit")


def _matched_sql(phrases: int) -> str:
    if not phrases:
        return f"SELECT DISTINCT p.project_id {_POSTINGS}"  # nosec B608
    return (f"SELECT g.project_id FROM ({_scored_sql(phrases)}) g {_PHRASE_JOIN} "  # nosec B608
            f"WHERE {' AND '.join(_phrase_checks(phrases))}")


class PostgresBackend:
    """project_search and its postings in the application's PostgreSQL database."""

    name = "postgres"
    DF_REFRESH = 300.0   # seconds a process keeps its document frequencies and average lengths

    def __init__(self, engine, documents=listed_documents):
        self.engine = engine
        self.documents = documents   # callable(ids or None) -> iterable of documents from the database
        self._opened = False
        self._forget()

    def _forget(self) -> None:
        self._df: dict[tuple[int, str], int] = {}
        self._count, self._avg, self._at = 0, [1.0] * len(VIEWS), 0.0

    def open(self, fill: bool = True):
        """Filled from the database on first use in this process, as the Whoosh backend's folder is: tables left
        empty (a fresh deployment, or the upgrade to search_0002, which starts them empty) are re-indexed once, by
        whichever process asks first (with nothing listed, that is a cheap no-op)."""
        if fill and not self._opened:
            with self.engine.connect() as connection:
                empty = connection.scalar(text("SELECT NOT EXISTS (SELECT 1 FROM project_search)"))
            if empty:
                self.reindex(only_if_empty=True)
            self._opened = True
        return self

    # --- writing -----------------------------------------------------------------------------------
    def reindex(self, only_if_empty: bool = False) -> int:
        """Rebuild both tables from the database in one transaction; searches read the old ones meanwhile.

        The postings are written into a new table (COPY FREEZE, no index yet), indexed in one sorted build, and
        swapped for the old table at commit: a re-index leaves no dead postings and a compact index. Writers
        (update) wait for the EXCLUSIVE lock and then write into the new table. `only_if_empty`: nothing when
        another process filled the tables while this one waited for the lock (two workers' first searches).
        """
        with self.engine.begin() as connection:
            connection.execute(text("LOCK TABLE project_search, project_search_posting IN EXCLUSIVE MODE"))
            if only_if_empty and connection.scalar(text("SELECT EXISTS (SELECT 1 FROM project_search)")):
                return 0
            cached = {}
            for (stored,) in connection.execute(text("SELECT tokens FROM project_search")):
                found = json.loads(stored)
                cached.update((found["keys"][name], tokens) for name, tokens in found["tokens"].items()
                              if name in found.get("keys", {}))
            connection.execute(text("DELETE FROM project_search"))
            connection.execute(text(f"CREATE TABLE {_NEW} (LIKE project_search_posting)"))
            count = _write(connection, analysed(self.documents(None), cached), _NEW)
            for statement in _SWAP:
                connection.execute(text(statement))
        self._forget()
        return count

    def update(self, ids: set[int]) -> None:
        """Replace or drop these projects' rows; a row lock per project orders two workers writing the same one.

        NO KEY UPDATE: it orders two writers all the same, and does not block the key-share lock that a
        re-index's inserts into project_search take on the project (its foreign key), which would deadlock
        with this update waiting for the re-index's table lock.
        """
        with self.engine.begin() as connection:
            connection.execute(text("SELECT id FROM project WHERE id = ANY(:ids) ORDER BY id FOR NO KEY UPDATE"),
                               {"ids": sorted(ids)})
            listed = list(self.documents(ids))   # read after the lock: a second writer sees the first's commit
            _delete(connection, ids)
            if listed:
                _write(connection, (whoosh_document(doc) for doc in listed))
        self._forget()

    # --- reading -----------------------------------------------------------------------------------
    def indexed_ids(self) -> set[int]:
        with self.engine.connect() as connection:
            return set(connection.scalars(text("SELECT project_id FROM project_search")))

    def terms(self) -> set[str]:
        """Every lexeme of every view (for the confidentiality tests)."""
        with self.engine.connect() as connection:
            return set(connection.scalars(text("SELECT DISTINCT lexeme FROM project_search_posting")))

    def _statistics(self, connection) -> tuple[int, list[float]]:
        """The number of indexed projects and the views' average lengths (refreshed every few minutes: they
        weigh terms, a publish moves them by a hair), and the document frequencies forgotten with them."""
        if time.monotonic() - self._at > self.DF_REFRESH or not self._count:
            count, *averages = connection.execute(_STATISTICS).one()
            self._df = {}
            self._count = int(count or 0)
            self._avg = [max(float(a or 0.0), 1e-9) for a in averages]
            self._at = time.monotonic()
        return self._count, self._avg

    def _frequencies(self, connection, keys) -> dict[tuple[int, str], int]:
        """Projects holding each (view, lexeme): counted once per process, or again while counted as none."""
        missing = sorted({key for key in keys if not self._df.get(key)})
        if missing:
            rows = connection.execute(_FREQUENCIES, {"views": [v for v, _l in missing],
                                                     "lexemes": [lexeme for _v, lexeme in missing]})
            self._df.update(((int(view), lexeme), int(n)) for view, lexeme, n in rows)
        return self._df

    def _terms(self, connection, query: ParsedQuery):
        """(view, lexeme, weight × idf, need) of a query, chosen as scorer.Snapshot.terms chooses them."""
        count, _avg = self._statistics(connection)
        loose = [(view, spelling, weight, 0) for view, spelling, weight in word_terms(query)]
        phrase_chars = [c for term in query.exact for c in dict.fromkeys(term.text)]
        df = self._frequencies(connection, [(v, s) for v, s, _w, _n in loose]
                               + [(CHARS, c) for c in (*query.chars, *phrase_chars)])
        frequency = {c: df.get((CHARS, c), 0) for c in query.chars}
        chars = chosen_chars(query.chars, frequency, count, bool(loose))
        terms = chosen_words(loose, df, count, chars) + [(CHARS, c, CHAR_WEIGHT, 0) for c in chars]
        required = set()
        for term in query.exact:   # every character of every phrase; a project must hold each of them
            for char in dict.fromkeys(term.text):
                terms.append((CHARS, char, CHAR_WEIGHT, 0 if char in required else 1))
                required.add(char)
        if any(not df.get((CHARS, c), 0) for c in required):
            return [], 0, True        # a phrase character no project has: nothing can match
        out = [(v, s, w * idf(df.get((v, s), 0), count), n) for v, s, w, n in terms if df.get((v, s), 0)]
        return out, len(required), False

    def rank(self, query: ParsedQuery, filters: dict[str, str], limit: int) -> Ranking:
        """The best `limit` matches under the filters, how many match in all, and (lazily) every matched id."""
        if not query:
            return Ranking([], 0)
        self.open()
        with self.engine.connect() as connection:
            terms, full, impossible = self._terms(connection, query)
            if impossible or not terms:
                return Ranking([], 0)
            _count, avg = self._statistics(connection)
            params = {"views": [t[0] for t in terms], "lexemes": [t[1] for t in terms],
                      "weights": [t[2] * (K1 + 1) for t in terms], "c1s": [K1 * B / avg[t[0]] for t in terms],
                      "needs": [t[3] for t in terms], "c0": K1 * (1 - B), "full": full, "limit": int(limit)}
            phrases = [term.text for term in query.exact]
            params.update((f"phrase{i}", phrase) for i, phrase in enumerate(phrases))
            wanted = [name for name in FILTER_FIELDS if filters.get(name) not in (None, "")]
            params.update((f"f_{name}", str(filters[name])) for name in wanted)
            # a query of common terms groups every project: at 100k the default 4 MB spills to disk
            connection.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
            rows = connection.execute(text(_ranked_sql(wanted, len(phrases))), params).all()
        hits = [(int(pid), float(score)) for pid, score, _total in rows]
        total = int(rows[0][2]) if rows else 0
        matched = text(_matched_sql(len(phrases)))
        unfiltered = {k: v for k, v in params.items() if not k.startswith("f_")}

        def all_ids() -> list[int]:
            with self.engine.connect() as connection:
                return list(connection.scalars(matched, unfiltered))

        def texts(ids: list[int]) -> dict[int, str]:
            with self.engine.connect() as connection:
                return dict(connection.execute(text("SELECT project_id, text FROM project_search "
                                                    "WHERE project_id = ANY(:ids)"), {"ids": list(ids)}).all())
        def facets() -> dict[str, dict[str, int]]:
            return self._facets(matched, unfiltered, filters)
        return Ranking(hits, total, all_ids, texts=texts, facets=facets)

    def _facets(self, matched, params: dict, filters: dict[str, str]) -> dict[str, dict[str, int]]:
        """For each filter field, {value: matches} under the other filters: one pass over the matched projects
        joined to the project table (GROUPING SETS, a count per field with the other fields' filters)."""
        wanted = LibraryFilters.from_args(filters)
        used = {name: params[name] for name in re.findall(r"(?<!:):(\w+)", matched.text)}
        found = matched.bindparams(**used).columns(project_id=Integer).subquery("m")
        columns = [getattr(Project, name) for name in FILTER_FIELDS]
        counts = [func.count().filter(and_(true(), *wanted.clauses(skip=name))) for name in FILTER_FIELDS]
        statement = (select(*(func.grouping(column) for column in columns), *columns, *counts)
                     .select_from(found.join(Project, Project.id == found.c.project_id))
                     .where(listed_clause()).group_by(func.grouping_sets(*columns)))
        out: dict[str, dict[str, int]] = {name: {} for name in FILTER_FIELDS}
        n = len(FILTER_FIELDS)
        with self.engine.connect() as connection:
            for row in connection.execute(statement):
                field = next(i for i in range(n) if row[i] == 0)
                value, count = row[n + field], row[2 * n + field]
                name = FILTER_FIELDS[field]
                if name in ENUM_FACETS and value is not None:
                    value = value.value
                if count and value not in (None, ""):
                    out[name][str(value)] = int(count)
        return out

    def wait_for(self, project_id: int, timeout: float = 5.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            with self.engine.connect() as connection:
                if connection.scalar(text("SELECT 1 FROM project_search WHERE project_id = :id"), {"id": project_id}):
                    return time.perf_counter() - start
            time.sleep(0.005)
        return float("inf")
