"""The project library (入选项目库): listed projects, public tier only, with filters, their counts and search; the partner view."""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import SimpleNamespace

from app.core import audit
from app.core.caching import cached
from app.extensions import db
from app.projects import search
from app.projects.listing import (FACETS, LibraryFilters, facet_values, labelled_facets, facet_counts, ids_clause,
                                  library_version, listed_clause, listed_count, listed_ids, listed_page_ids,
                                  projects_by_id, public_view)
from app.projects.models import PARTNER_FIELDS, PUBLIC_FIELDS, Project


@dataclass
class LibraryPage:
    items: list
    total: int
    page: int
    pages: int
    per_page: int
    facets: dict[str, list[tuple[str, str, int]]]
    query: str = ""            # the search words, when the page is a search (ranked by relevance)
    loosened: bool = False     # no project had every word: these have any of them
    unavailable: bool = False  # search failed (logged); the page says so


def library_page(filters: LibraryFilters, page: int = 1, per_page: int = 20, query: str = "") -> LibraryPage:
    """One page of listed projects as public views: newest first, or by relevance when there is a query."""
    query = search.normalise_query(query)
    if query:
        return _search_page(filters, page, per_page, query)
    version = library_version()
    total = listed_count(filters, version)
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    projects = projects_by_id(listed_page_ids(filters, (page - 1) * per_page, per_page))
    return LibraryPage(items=[public_view(p) for p in projects], total=total, page=page, pages=pages,
                       per_page=per_page, facets=facet_counts(filters, version=version))


def _search_page(filters: LibraryFilters, page: int, per_page: int, query: str) -> LibraryPage:
    found = search.search_projects(query, filters, page=page, per_page=per_page)
    projects = dict(found.projects)
    missing = [hit.project_id for hit in found.hits if hit.project_id not in projects]
    if missing:
        projects.update({p.id: p for p in db.session.scalars(db.select(Project).where(Project.id.in_(missing)))})
    items = []
    for hit in found.hits:
        view = public_view(projects[hit.project_id])
        view.snippet = hit.snippet
        items.append(view)
    return LibraryPage(items=items, total=found.total, page=found.page, pages=found.pages, per_page=per_page,
                       facets=_search_facets(filters, query, found), query=query, loosened=found.loosened,
                       unavailable=found.unavailable)


def _search_facets(filters: LibraryFilters, query: str, found) -> dict[str, list[tuple[str, str, int]]]:
    """Counts over the search's matches under the other filters, as without a query.

    The engine counts them itself when it holds the filter values (Whoosh: masks over its arrays, no id leaves
    it); otherwise the database counts them over the matched ids, asked of the engine only on a cache miss and
    cached under the library's version (any publish, withdrawal or edit moves it).
    """
    if found.unavailable or not found.total and not filters.values:
        return labelled_facets({name: {} for name in FACETS})
    if found.facets is not None:
        return labelled_facets(found.facets())
    key = ("search-facets", library_version(), query, tuple(sorted(filters.values.items())))
    return labelled_facets(cached(key, lambda: facet_values(filters, [ids_clause(found.matched_ids)])))


def result_count(filters: LibraryFilters, query: str = "") -> int:
    """How many listed projects the query and filters find (a saved search's count)."""
    query = search.normalise_query(query)
    if query:
        return search.search_projects(query, filters, per_page=1).total
    return listed_count(filters)


def listed_project_count() -> int:
    return listed_count(LibraryFilters())


__all__ = ["FACETS", "LibraryFilters", "LibraryPage", "ids_clause", "library_page", "listed_clause", "listed_ids",
           "public_view", "result_count"]


def partner_view(project):
    """Public and partner tiers of a project (never the owner/staff tier), for an accepted partner."""

    view = SimpleNamespace(id=project.id, status=project.status, published_at=project.published_at,
                           stage_text=project.stage_text, display_name=project.display_name,
                           attachments=list(project.attachments))
    for name in PUBLIC_FIELDS + PARTNER_FIELDS:
        setattr(view, name, getattr(project, name))
    return view


def record_partner_view(project, user) -> None:
    """Every view of partner-tier content by someone other than the owner is audited."""
    if not project.is_owner(user):
        audit.record("view_partner", actor=user, project=project)
