"""The project library (入选项目库): listed projects, public tier only, with filters, their counts and search; the partner view."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

from app.extensions import db
from app.projects import search
from app.projects.models import LIBRARY_STATES, PUBLIC_FIELDS, DeviceClass, Project, ProjectType, Stage

ENUM_FACETS = {"project_type": ProjectType, "device_class": DeviceClass, "stage": Stage}
TEXT_FACETS = ("city", "department")
FACETS = tuple(ENUM_FACETS) + TEXT_FACETS


def listed_clause():
    """Published (or in talks) and the owner agreed to publication (是否愿意在平台发布 = 是)."""
    return db.and_(Project.status.in_(LIBRARY_STATES), Project.publish_consent.is_(True))


def public_view(project: Project) -> SimpleNamespace:
    """Only the public tier of a project: what library pages are allowed to render."""
    view = SimpleNamespace(id=project.id, status=project.status, published_at=project.published_at,
                           stage_text=project.stage_text, display_name=project.display_name)
    for name in PUBLIC_FIELDS:
        setattr(view, name, getattr(project, name))
    return view


@dataclass
class LibraryFilters:
    values: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> "LibraryFilters":
        """Keep only known facets with acceptable values (anything else is ignored, never an error)."""
        values = {}
        for name in FACETS:
            value = (args.get(name) or "").strip()[:100]
            if not value:
                continue
            if name in ENUM_FACETS and value not in {m.value for m in ENUM_FACETS[name]}:
                continue
            values[name] = value
        return cls(values)

    def clauses(self, skip: str | None = None) -> list:
        clauses = []
        for name, value in self.values.items():
            if name == skip:
                continue
            column = getattr(Project, name)
            clauses.append(column == (ENUM_FACETS[name](value) if name in ENUM_FACETS else value))
        return clauses

    def without(self, name: str) -> dict[str, str]:
        return {k: v for k, v in self.values.items() if k != name}

    def matches(self, project: Project) -> bool:
        """Would the project pass these filters (as clauses() would select it)?"""
        for name, value in self.values.items():
            current = getattr(project, name)
            if (current.value if name in ENUM_FACETS and current is not None else current) != value:
                return False
        return True

    def labels(self) -> list[tuple[str, str]]:
        """(facet, value label) pairs, for showing a saved search's filters."""
        return [(name, ENUM_FACETS[name](value).label if name in ENUM_FACETS else value)
                for name, value in self.values.items()]


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


def ids_clause(ids):
    """Project.id among these ids, inlined as literals: a search may match more ids than a driver binds."""
    return Project.id.in_(db.bindparam("search_ids", [int(i) for i in ids], expanding=True, literal_execute=True))


def listed_ids(ids, filters: "LibraryFilters") -> set[int]:
    """Which of these projects are listed and pass the filters (the database is the truth, not the index)."""
    if not ids:
        return set()
    return set(db.session.scalars(db.select(Project.id).where(listed_clause(), *filters.clauses(), ids_clause(ids))))


def facet_counts(filters: LibraryFilters, extra_clauses=()) -> dict[str, list[tuple[str, str, int]]]:
    """For each facet, (value, label, count) under the other filters, so counts say what a click yields."""
    facets = {}
    for name in FACETS:
        column = getattr(Project, name)
        rows = db.session.execute(
            db.select(column, db.func.count()).where(listed_clause(), *filters.clauses(skip=name),
                                                     *extra_clauses)
            .group_by(column)).all()
        counts = {value: n for value, n in rows if value not in (None, "")}
        if name in ENUM_FACETS:
            facets[name] = [(m.value, m.label, counts.get(m, 0)) for m in ENUM_FACETS[name]]
        else:
            facets[name] = sorted(((v, v, n) for v, n in counts.items()), key=lambda t: (-t[2], t[0]))
    return facets


def library_page(filters: LibraryFilters, page: int = 1, per_page: int = 20, query: str = "") -> LibraryPage:
    """One page of listed projects as public views: newest first, or by relevance when there is a query."""
    query = search.normalise_query(query)
    if query:
        return _search_page(filters, page, per_page, query)
    where = [listed_clause(), *filters.clauses()]
    total = db.session.scalar(db.select(db.func.count()).select_from(Project).where(*where)) or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, page), pages)
    projects = db.session.scalars(
        db.select(Project).where(*where)
        .order_by(Project.published_at.desc().nulls_last(), Project.id.desc())
        .limit(per_page).offset((page - 1) * per_page)).all()
    return LibraryPage(items=[public_view(p) for p in projects], total=total, page=page, pages=pages,
                       per_page=per_page, facets=facet_counts(filters))


def _search_page(filters: LibraryFilters, page: int, per_page: int, query: str) -> LibraryPage:
    found = search.search_projects(query, filters, page=page, per_page=per_page)
    projects = {p.id: p for p in db.session.scalars(
        db.select(Project).where(Project.id.in_([hit.project_id for hit in found.hits])))}
    items = []
    for hit in found.hits:
        view = public_view(projects[hit.project_id])
        view.snippet = hit.snippet
        items.append(view)
    # counts over the search's matches under the other filters, as without a query
    facets = facet_counts(filters, extra_clauses=[ids_clause(found.matched_ids)])
    return LibraryPage(items=items, total=found.total, page=found.page, pages=found.pages, per_page=per_page,
                       facets=facets, query=query, loosened=found.loosened, unavailable=found.unavailable)


def result_count(filters: LibraryFilters, query: str = "") -> int:
    """How many listed projects the query and filters find (a saved search's count)."""
    query = search.normalise_query(query)
    if query:
        return search.search_projects(query, filters, per_page=1).total
    return db.session.scalar(db.select(db.func.count()).select_from(Project)
                             .where(listed_clause(), *filters.clauses())) or 0


def listed_project_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Project).where(listed_clause())) or 0


__all__ = ["FACETS", "LibraryFilters", "LibraryPage", "ids_clause", "library_page", "listed_clause", "listed_ids",
           "public_view", "result_count"]


def partner_view(project):
    """Public and partner tiers of a project (never the owner/staff tier), for an accepted partner."""
    from types import SimpleNamespace

    from app.projects.models import PARTNER_FIELDS, PUBLIC_FIELDS
    view = SimpleNamespace(id=project.id, status=project.status, published_at=project.published_at,
                           stage_text=project.stage_text, display_name=project.display_name,
                           attachments=list(project.attachments))
    for name in PUBLIC_FIELDS + PARTNER_FIELDS:
        setattr(view, name, getattr(project, name))
    return view


def record_partner_view(project, user) -> None:
    """Every view of partner-tier content by someone other than the owner is audited."""
    from app.core import audit
    if not project.is_owner(user):
        audit.record("view_partner", actor=user, project=project)
