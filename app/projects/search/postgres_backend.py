"""The PostgreSQL backend (CLINBRIDGE_SEARCH=postgres): full-text search in the database every app server shares.

Each listed project has one row of project_search: three tsvectors in the 'simple' configuration, made of the
same analysis as the Whoosh index (jieba words of the public fields, weighted A for the name, B for 适用范围, C
for the rest; single characters; character pairs, in order so that a quoted phrase is a <-> chain), each with
a GIN index. Ranking: BM25 per query term (idf from the rows' document frequencies, ts_rank_cd as the weighted
term frequency), summed with the Whoosh weights. Filters and the listed check are
a join with the project table: the database is the truth. Writes are ordinary transactions: no single writer.
"""
from __future__ import annotations

import time

from sqlalchemy import ForeignKey, Index, Text, text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from app.extensions import db
from app.projects.search.analysis import ParsedQuery, text_bigrams, unigrams, words
from app.projects.search.documents import (CHAR_WEIGHT, FILTER_FIELDS, MAX_CHAR_DF, MAX_CHAR_TERMS,
                                           MIN_DOCS_TO_PRUNE, PAIR_WEIGHT, SYNONYM_WEIGHT,
                                           WORD_WEIGHT, Ranking, listed_documents)
from app.projects.search.scorer import B, K1, idf

_WORD_CLASS = {"name": "A", "intended_use": "B"}   # everything else public: C


class SearchVector(TypeDecorator):
    """tsvector on PostgreSQL; text elsewhere (the table exists everywhere, only PostgreSQL fills it)."""
    impl = Text
    cache_ok = True

    def load_dialect_impl(self, dialect):
        return dialect.type_descriptor(TSVECTOR() if dialect.name == "postgresql" else Text())


class ProjectSearch(db.Model):
    """A listed project's search document for the PostgreSQL backend (public tier only)."""
    __tablename__ = "project_search"
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), primary_key=True)
    words: Mapped[str] = mapped_column(SearchVector(), nullable=False)
    chars: Mapped[str] = mapped_column(SearchVector(), nullable=False)
    pairs: Mapped[str] = mapped_column(SearchVector(), nullable=False)

    __table_args__ = (Index("ix_project_search_words", "words", postgresql_using="gin"),
                      Index("ix_project_search_chars", "chars", postgresql_using="gin"),
                      Index("ix_project_search_pairs", "pairs", postgresql_using="gin"))


def _lexemes(tokens) -> str:
    return " ".join(tokens)


def _row(doc: dict) -> dict:
    """Space-separated tokens per view and weight class: PostgreSQL's parser keeps each as one lexeme."""
    classes = {"A": [], "B": [], "C": []}
    for name, value in doc["words"].items():
        classes[_WORD_CLASS.get(name, "C")].extend(words(value))
    pairs = [pair for run in text_bigrams(doc["text"]) for pair in run]
    return {"id": doc["id"], "wa": _lexemes(classes["A"]), "wb": _lexemes(classes["B"]),
            "wc": _lexemes(classes["C"]), "chars": _lexemes(unigrams(doc["text"])), "pairs": _lexemes(pairs)}


_UPSERT = text("""
INSERT INTO project_search (project_id, words, chars, pairs)
VALUES (:id, setweight(to_tsvector('simple', :wa), 'A') || setweight(to_tsvector('simple', :wb), 'B')
             || setweight(to_tsvector('simple', :wc), 'C'),
        to_tsvector('simple', :chars), to_tsvector('simple', :pairs))
ON CONFLICT (project_id) DO UPDATE SET words = excluded.words, chars = excluded.chars, pairs = excluded.pairs
""")


# ts_rank_cd's weights of the classes D, C, B, A: the word view's A (name), B (适用范围), C (the rest) as the Whoosh
# backend's field weights 3 : 2 : 1; the character and pair views are unweighted (class D), counted as 1 each
CLASS_WEIGHTS = {"words": "{0.1, 0.33, 0.67, 1.0}", "chars": "{1, 1, 1, 1}", "pairs": "{1, 1, 1, 1}"}


def _ranked_sql(terms, base: str) -> str:
    """The ranking statement: each term's weighted frequency computed once per matching row (an inner query
    the planner keeps apart, OFFSET 0), each query parsed once (a one-row CTE), then BM25 summed over the terms.

    Its cost is one ts_rank_cd per term and matching row (each call reads the row's vector again): a query
    whose terms are all common scores nearly every row.
    """
    if not terms:
        return f"SELECT s.project_id, 1.0 AS score {base} ORDER BY score DESC, s.project_id LIMIT :limit"
    parsed = ", ".join(f"to_tsquery('simple', :{name}) AS {name}" for _column, name, _w, _a in terms)
    frequencies = ", ".join(f"ts_rank_cd('{CLASS_WEIGHTS[column]}', s.{column}, q.{name}, 0) AS f{i}"
                            for i, (column, name, _w, _a) in enumerate(terms))
    lengths = ", ".join(f"length(s.{column}) AS l_{column}" for column in sorted({t[0] for t in terms}))
    score = " + ".join(f"{weight:.6f} * f{i} * {K1 + 1} / (f{i} + {K1} * ({1 - B} + {B} * l_{column} / "
                       f"{max(average, 1e-9):.6f}))" for i, (column, _name, weight, average) in enumerate(terms))
    # only our own column names, generated parameter names and formatted floats are spliced in; every query
    # text reaches PostgreSQL as a bound parameter
    return (f"WITH q AS MATERIALIZED (SELECT {parsed}) "  # nosec B608
            f"SELECT x.project_id, {score} AS score FROM (SELECT s.project_id, {frequencies}, {lengths} "
            f"{base.replace('FROM project_search s', 'FROM q, project_search s', 1)} OFFSET 0) x "
            f"ORDER BY score DESC, x.project_id LIMIT :limit")


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


class PostgresBackend:
    """project_search in the application's PostgreSQL database."""

    name = "postgres"
    DF_REFRESH = 300.0   # seconds a process keeps its character document frequencies

    def __init__(self, engine, documents=listed_documents):
        self.engine = engine
        self.documents = documents   # callable(ids or None) -> iterable of documents from the database
        self._df: dict[str, int] = {}
        self._df_total, self._df_at = 0, 0.0
        self._avg, self._word_df = (1.0, 1.0), {}

    def open(self, fill: bool = True):
        return self

    def reindex(self) -> int:
        count = 0
        with self.engine.begin() as connection:
            connection.execute(text("LOCK TABLE project_search IN EXCLUSIVE MODE"))
            connection.execute(text("DELETE FROM project_search"))
            batch = []
            for doc in self.documents(None):
                batch.append(_row(doc))
                if len(batch) >= 500:
                    connection.execute(_UPSERT, batch)
                    count, batch = count + len(batch), []
            if batch:
                connection.execute(_UPSERT, batch)
                count += len(batch)
        self._df_at = 0.0
        return count

    def update(self, ids: set[int]) -> None:
        """Replace or drop these projects' rows; a row lock per project orders two workers writing the same one."""
        with self.engine.begin() as connection:
            connection.execute(text("SELECT id FROM project WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"),
                               {"ids": sorted(ids)})
            listed = {doc["id"]: doc for doc in self.documents(ids)}
            gone = sorted(ids - set(listed))
            if gone:
                connection.execute(text("DELETE FROM project_search WHERE project_id = ANY(:ids)"), {"ids": gone})
            if listed:
                connection.execute(_UPSERT, [_row(doc) for doc in listed.values()])

    def indexed_ids(self) -> set[int]:
        with self.engine.connect() as connection:
            return set(connection.scalars(text("SELECT project_id FROM project_search")))

    def terms(self) -> set[str]:
        with self.engine.connect() as connection:
            return set(connection.scalars(text(
                "SELECT word FROM ts_stat('SELECT words FROM project_search') UNION "
                "SELECT word FROM ts_stat('SELECT chars FROM project_search') UNION "
                "SELECT word FROM ts_stat('SELECT pairs FROM project_search')")))

    def _statistics(self, connection) -> tuple[dict[str, int], int, float, float]:
        """Character document frequencies, the number of rows and the views' average lengths (refreshed every
        few minutes: they weigh terms, a publish moves them by a hair)."""
        if time.monotonic() - self._df_at > self.DF_REFRESH:
            self._df = dict(connection.execute(text("SELECT word, ndoc FROM ts_stat('SELECT chars FROM project_search')")).all())
            count, words_avg, chars_avg = connection.execute(text(
                "SELECT count(*), avg(length(words)), avg(length(chars)) FROM project_search")).one()
            self._df_total, self._avg = int(count or 0), (float(words_avg or 1.0), float(chars_avg or 1.0))
            self._word_df = {}
            self._df_at = time.monotonic()
        return self._df, self._df_total, *self._avg

    def _word_frequencies(self, connection, spellings) -> dict[str, int]:
        """Documents holding each word (a GIN count per word not yet asked since the last refresh)."""
        missing = sorted(set(spellings) - set(self._word_df))
        if missing:   # the words reach PostgreSQL as bound parameters; only their numbers are spliced in
            columns = ", ".join(f"count(*) FILTER (WHERE words @@ to_tsquery('simple', :w{i}))"
                                for i in range(len(missing)))
            counts = connection.execute(text(f"SELECT {columns} FROM project_search WHERE words @@ "  # nosec B608
                                             "to_tsquery('simple', :any)"),
                                        {"any": " | ".join(_quote(w) for w in missing),
                                         **{f"w{i}": _quote(w) for i, w in enumerate(missing)}}).one()
            self._word_df.update(zip(missing, (int(n) for n in counts)))
        return self._word_df

    def rank(self, query: ParsedQuery, filters: dict[str, str], limit: int) -> Ranking:
        """BM25 per term, as the Whoosh backend ranks: inverse document frequency times a saturated term frequency.

        ts_rank_cd of a one-term query (no length normalisation) is the term's weighted frequency in the row (the
        weight classes give the name and 适用范围 more, as BM25F's field weights do); `length()` is the row's
        number of distinct lexemes, against the view's average. The rows are found by the GIN indexes (any term).
        """
        if not query:
            return Ranking([], 0)
        with self.engine.connect() as connection:
            df, total_docs, words_avg, chars_avg = self._statistics(connection)
            word_terms = {s for t in query.terms if not t.exact for s in t.spellings}
            synonyms = {s for t in query.terms if not t.exact for s in t.synonyms}
            common = MAX_CHAR_DF * total_docs if total_docs >= MIN_DOCS_TO_PRUNE else total_docs
            chars = [c for c in query.chars if 0 < df.get(c, 0) <= common]
            chars = sorted(chars, key=lambda c: df.get(c, 0))[:MAX_CHAR_TERMS]
            if not chars and not word_terms:   # only common characters, and no word: they are all there is
                chars = [c for c in query.chars if df.get(c, 0)] or list(query.chars)
            word_df = self._word_frequencies(connection, word_terms) if word_terms else {}
            params: dict = {"limit": int(limit)}
            terms = []   # (view, parameter, weight × idf, the view's average length)
            typed = {t.text for t in query.terms}
            for i, word in enumerate(sorted(word_terms)):
                params[f"tw{i}"] = _quote(word)
                weight = WORD_WEIGHT * (SYNONYM_WEIGHT if word in synonyms and word not in typed else 1.0)
                terms.append(("words", f"tw{i}", weight * idf(word_df.get(word, 0), total_docs), words_avg))
            for i, char in enumerate(chars):
                params[f"tc{i}"] = _quote(char)
                terms.append(("chars", f"tc{i}", CHAR_WEIGHT * idf(df.get(char, 0), total_docs), chars_avg))
            parts = []
            if word_terms:
                params["qw"] = " | ".join(_quote(w) for w in sorted(word_terms))
                parts.append(("words", "qw"))
            if chars:
                params["qc"] = " | ".join(_quote(c) for c in chars)
                parts.append(("chars", "qc"))
            if query.pairs and PAIR_WEIGHT:
                params["qp"] = " | ".join(_quote(p) for p in query.pairs)
                parts.append(("pairs", "qp"))
                terms.append(("pairs", "qp", PAIR_WEIGHT, 1.0))
            required = []
            for i, term in enumerate(query.exact):   # a quoted phrase: its characters in a row
                params[f"qx{i}"] = " <-> ".join(_quote(c) for c in term.text)
                required.append(f"s.chars @@ to_tsquery('simple', :qx{i})")
            if not parts and not required:
                return Ranking([], 0)
            match = " AND ".join(required) if required else " OR ".join(
                f"s.{column} @@ to_tsquery('simple', :{name})" for column, name in parts)
            where = [f"({match})"]
            for name, value in filters.items():
                if name in FILTER_FIELDS:
                    params[f"f_{name}"] = value
                    where.append(f"p.{name} = :f_{name}")
            base = f"FROM project_search s JOIN project p ON p.id = s.project_id WHERE {' AND '.join(where)}"
            rows = connection.execute(text(_ranked_sql(terms, base)), params).all()
            hits = [(int(pid), float(value)) for pid, value in rows]
            total = len(hits) if len(hits) < limit else connection.scalar(text(f"SELECT count(*) {base}"), params)
        unfiltered = f"FROM project_search s WHERE ({match})"
        text_params = {k: v for k, v in params.items() if not k.startswith("f_")}

        def all_ids() -> list[int]:
            with self.engine.connect() as connection:
                return list(connection.scalars(text(f"SELECT s.project_id {unfiltered}"), text_params))
        return Ranking(hits, int(total or 0), all_ids)

    def wait_for(self, project_id: int, timeout: float = 5.0) -> float:
        start = time.perf_counter()
        while time.perf_counter() - start < timeout:
            with self.engine.connect() as connection:
                if connection.scalar(text("SELECT 1 FROM project_search WHERE project_id = :id"), {"id": project_id}):
                    return time.perf_counter() - start
            time.sleep(0.005)
        return float("inf")
