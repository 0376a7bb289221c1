"""The PostgreSQL backend (CLINBRIDGE_SEARCH=postgres): full-text search in the database every app server shares.

Each listed project has one row of project_search: three tsvectors in the 'simple' configuration, made of the
same analysis as the Whoosh index (jieba words of the public fields, weighted A for the name, B for 适用范围, C
for the rest; single characters; character pairs, in order so that a quoted phrase is a <-> chain), each with
a GIN index. Ranking: ts_rank_cd of each view, summed with the Whoosh weights. Filters and the listed check are
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

    def _char_df(self, connection) -> tuple[dict[str, int], int]:
        """Document frequency of every character (refreshed every few minutes: it only prunes the commonest)."""
        if time.monotonic() - self._df_at > self.DF_REFRESH:
            self._df = dict(connection.execute(text("SELECT word, ndoc FROM ts_stat('SELECT chars FROM project_search')")).all())
            self._df_total = connection.scalar(text("SELECT count(*) FROM project_search")) or 0
            self._df_at = time.monotonic()
        return self._df, self._df_total

    def rank(self, query: ParsedQuery, filters: dict[str, str], limit: int) -> Ranking:
        if not query:
            return Ranking([], 0)
        with self.engine.connect() as connection:
            df, total_docs = self._char_df(connection)
            word_terms = {s for t in query.terms if not t.exact for s in t.spellings}
            synonyms = {s for t in query.terms if not t.exact for s in t.synonyms}
            common = MAX_CHAR_DF * total_docs if total_docs >= MIN_DOCS_TO_PRUNE else total_docs
            chars = [c for c in query.chars if 0 < df.get(c, 0) <= common]
            chars = sorted(chars, key=lambda c: df.get(c, 0))[:MAX_CHAR_TERMS]
            if not chars and not word_terms:   # only common characters, and no word: they are all there is
                chars = [c for c in query.chars if df.get(c, 0)] or list(query.chars)
            params: dict = {"limit": int(limit)}
            parts = []
            if word_terms - synonyms:
                params["qw"] = " | ".join(_quote(w) for w in sorted(word_terms - synonyms))
                parts.append(("words", "qw", WORD_WEIGHT))
            if synonyms:
                params["qs"] = " | ".join(_quote(w) for w in sorted(synonyms))
                parts.append(("words", "qs", WORD_WEIGHT * SYNONYM_WEIGHT))
            if chars:
                params["qc"] = " | ".join(_quote(c) for c in chars)
                parts.append(("chars", "qc", CHAR_WEIGHT))
            if query.pairs and PAIR_WEIGHT:
                params["qp"] = " | ".join(_quote(p) for p in query.pairs)
                parts.append(("pairs", "qp", PAIR_WEIGHT))
            required = []
            for i, term in enumerate(query.exact):   # a quoted phrase: its characters in a row
                params[f"qx{i}"] = " <-> ".join(_quote(c) for c in term.text)
                required.append(f"s.chars @@ to_tsquery('simple', :qx{i})")
            if not parts and not required:
                return Ranking([], 0)
            match = " AND ".join(required) if required else " OR ".join(
                f"s.{column} @@ to_tsquery('simple', :{name})" for column, name, _w in parts)
            score = " + ".join(f"{weight} * ts_rank_cd('{{0.1, 0.2, 0.4, 1.0}}', s.{column}, "
                               f"to_tsquery('simple', :{name}), 1)" for column, name, weight in parts) or "1.0"
            where = [f"({match})"]
            for name, value in filters.items():
                if name in FILTER_FIELDS:
                    params[f"f_{name}"] = value
                    where.append(f"p.{name} = :f_{name}")
            base = f"FROM project_search s JOIN project p ON p.id = s.project_id WHERE {' AND '.join(where)}"
            rows = connection.execute(text(f"SELECT s.project_id, {score} AS score {base} "
                                           f"ORDER BY score DESC, s.project_id LIMIT :limit"), params).all()
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
