"""Search of the published articles: its own Whoosh index under instance/, the library's Chinese analysis.

Only published articles are indexed (scheduled ones too: visibility is decided when reading, by the database).
Every hit is checked against the database before it is shown, including the article's creation stamp, so an
index left over from an earlier database can never show a different article under a reused id.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache
from pathlib import Path

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session as PlainSession
from whoosh import index as wi
from whoosh import query as wq
from whoosh.fields import ID, KEYWORD, TEXT, Schema
from whoosh.writing import CLEAR

from app.extensions import db
from app.programme.models import Article, ArticleStatus
from app.projects.search import analyzer

log = logging.getLogger(__name__)
SCHEMA_VERSION = "1"
_VERSION_FILE = "clinbridge-schema-version"
FIELD_BOOSTS = {"title": 3.0, "tags": 2.0, "summary": 1.5, "issuing_body": 1.0, "body": 1.0}
MAX_QUERY_CHARS = 100
_lock = threading.Lock()
_indexes: dict[str, object] = {}


@lru_cache(maxsize=1)
def schema() -> Schema:
    return Schema(id=ID(stored=True, unique=True), stamp=ID(stored=True), category=KEYWORD(stored=True),
                  **{name: TEXT(analyzer=analyzer()) for name in FIELD_BOOSTS})


def index_dir() -> str:
    return current_app.config.get("ARTICLE_INDEX_DIR") or str(Path(current_app.instance_path) / "article-index")


def stamp(article: Article) -> str:
    return article.created_at.isoformat() if article.created_at else ""


def document(article: Article) -> dict:
    return dict(id=str(article.id), stamp=stamp(article), category=article.category.value, title=article.title,
                tags=" ".join(article.tags or []), summary=article.summary or "",
                issuing_body=article.issuing_body or "", body=article.body or "")


def open_index():
    directory = index_dir()
    with _lock:
        ix = _indexes.get(directory)
        if ix is None:
            Path(directory).mkdir(parents=True, exist_ok=True)
            version = Path(directory) / _VERSION_FILE
            if wi.exists_in(directory) and version.exists() and version.read_text().strip() == SCHEMA_VERSION:
                ix = wi.open_dir(directory, schema=schema())
            else:
                ix = wi.create_in(directory, schema())
                _fill(ix)
                version.write_text(SCHEMA_VERSION)
            _indexes[directory] = ix
    return ix


def _published(session, ids=None):
    query = select(Article).where(Article.status == ArticleStatus.PUBLISHED).order_by(Article.id)
    if ids is not None:
        query = query.where(Article.id.in_(list(ids)))
    return session.scalars(query).all()


def _fill(ix) -> int:
    with PlainSession(db.engine) as session:
        articles = _published(session)
        writer = ix.writer(timeout=5.0)
        for article in articles:
            writer.add_document(**document(article))
        writer.commit(mergetype=CLEAR)
    return len(articles)


def reindex() -> int:
    """Rebuild the article index from the database; how many articles it holds."""
    return _fill(open_index())


def update_articles(ids) -> None:
    """Add, replace or drop these articles' documents to match the database."""
    ids = {int(i) for i in ids}
    ix = open_index()
    with PlainSession(db.engine) as session:
        published = {a.id: document(a) for a in _published(session, ids)}
    writer = ix.writer(timeout=5.0)
    for article_id in ids:
        if article_id in published:
            writer.update_document(**published[article_id])
        else:
            writer.delete_by_term("id", str(article_id))
    writer.commit()


def _terms(text: str) -> list[str]:
    seen = []
    for token in analyzer()(text):
        if token.text.strip() and token.text not in seen:
            seen.append(token.text)
    return seen


def search_ids(text: str, limit: int = 200) -> list[tuple[int, str]]:
    """(article id, stamp) of the published articles matching the words, best first (all words, else any)."""
    text = " ".join(str(text or "").split())[:MAX_QUERY_CHARS]
    terms = _terms(text)
    if not terms:
        return []
    ix = open_index()
    per_term = [wq.Or([wq.Term(name, term, boost=boost) for name, boost in FIELD_BOOSTS.items()]) for term in terms]
    with ix.searcher() as searcher:
        for query in (wq.And(per_term), wq.Or(per_term)):
            hits = searcher.search(query, limit=limit)
            if len(hits):
                return [(int(hit["id"]), hit["stamp"]) for hit in hits]
    return []
