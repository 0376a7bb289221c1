"""What the library lists and how it is filtered: the listed clause, the library filters, the public view.

Both the library (app/projects/library.py) and the search adapter (app/projects/search.py) build on this module,
so the database decides what is listed whichever way a project is found.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from app.core import page_reads
from app.core.caching import cached
from app.extensions import db
from app.projects.models import LIBRARY_STATES, PUBLIC_FIELDS, DeviceClass, Project, ProjectType, Stage

ENUM_FACETS = {"project_type": ProjectType, "device_class": DeviceClass, "stage": Stage}
TEXT_FACETS = ("city", "department")
FACETS = tuple(ENUM_FACETS) + TEXT_FACETS


def listed_clause():
    """Published (or in talks) and the owner agreed to publication (是否愿意在平台发布 = 是).

    `= true`, not `IS TRUE`: the same rows (NULL is not agreement), but PostgreSQL can look only the
    former up in an index.
    """
    return db.and_(Project.status.in_(LIBRARY_STATES), Project.publish_consent == db.true())


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


def ids_clause(ids):
    """Project.id among these ids, inlined as literals: a search may match more ids than a driver binds."""
    return Project.id.in_(db.bindparam("search_ids", [int(i) for i in ids], expanding=True, literal_execute=True))


def listed_ids(ids, filters: LibraryFilters) -> set[int]:
    """Which of these projects are listed and pass the filters (the database is the truth, not the index)."""
    if not ids:
        return set()
    return set(db.session.scalars(db.select(Project.id).where(listed_clause(), *filters.clauses(), ids_clause(ids))))


# -- the library's listing and counts, from the indexes of Project.__table_args__ ------------------------

def library_version() -> tuple:
    """What the counts depend on: the newest change to any project and the newest project (two index look-ups).

    Every write to a project moves updated_at (publish, withdraw, an edit), so a cached count made
    before it is never used again, in this worker or any other: the cache is invalidated on publish
    without anyone having to tell it. (Projects are never deleted, only withdrawn; a count(*) here
    would read the whole table on SQLite.)
    """
    read = page_reads.answered(library_version_columns)   # the library's pages ask for it with their user
    return as_library_version(*(read or db.session.connection().execute(_LIBRARY_VERSION).one()))


def as_library_version(newest, last) -> tuple:
    """library_version from its two look-ups (library_version_columns, read in another statement)."""
    return (str(newest), last)


# two scalar subqueries (SQLite answers a lone max() from an index, but scans the table for max(a), max(b)), built
# once: every library page asks, and a statement object keeps its cache key
def library_version_columns() -> tuple:
    """library_version's two look-ups as columns of another statement (a page whose version includes it)."""
    return (db.select(db.func.max(Project.updated_at)).scalar_subquery(),
            db.select(db.func.max(Project.id)).scalar_subquery())


_LIBRARY_VERSION = db.select(*library_version_columns())


def facet_values(filters: LibraryFilters, extra_clauses=()) -> dict[str, dict]:
    """For each facet, {stored value: count} under the other filters (index-only GROUP BY queries)."""
    counts = {}
    for name in FACETS:
        column = getattr(Project, name)
        rows = db.session.execute(
            db.select(column, db.func.count()).where(listed_clause(), *filters.clauses(skip=name), *extra_clauses)
            .group_by(column)).all()
        counts[name] = {(value.value if name in ENUM_FACETS else value): n
                        for value, n in rows if value not in (None, "")}
    return counts


def labelled_facets(counts: dict[str, dict]) -> dict[str, list[tuple[str, str, int]]]:
    """Facet counts as (value, label, count) in the request's language: enum facets in their order, the others most
    frequent first."""
    facets = {}
    for name in FACETS:
        values = counts[name]
        if name in ENUM_FACETS:
            facets[name] = [(m.value, m.label, values.get(m.value, 0)) for m in ENUM_FACETS[name]]
        else:
            facets[name] = sorted(((v, v, n) for v, n in values.items()), key=lambda t: (-t[2], t[0]))
    return facets


def facet_counts(filters: LibraryFilters, extra_clauses=(), version: tuple | None = None
                 ) -> dict[str, list[tuple[str, str, int]]]:
    """For each facet, (value, label, count) under the other filters, so counts say what a click yields.

    Without extra clauses (a search's matches) the counts are cached per filter combination under the
    library's version; labels are added per request (they follow the request's language).
    """
    if extra_clauses:
        return labelled_facets(facet_values(filters, extra_clauses))
    key = ("facets", version or library_version(), tuple(sorted(filters.values.items())))
    return labelled_facets(cached(key, lambda: facet_values(filters)))


def listed_count(filters: LibraryFilters, version: tuple | None = None) -> int:
    """How many listed projects pass the filters (index-only count, cached under the library's version)."""
    key = ("count", version or library_version(), tuple(sorted(filters.values.items())))
    return cached(key, lambda: db.session.scalar(db.select(db.func.count()).select_from(Project)
                                                  .where(listed_clause(), *filters.clauses())) or 0)


def newest_order():
    """Newest first. Listed projects always carry published_at (approve stamps it), so the default NULL order
    of each database does not matter, and both walk ix_project_listing_order instead of sorting."""
    return (Project.published_at.desc(), Project.id.desc())


def listing_query(filters: LibraryFilters):
    """Ids of listed projects under the filters, newest first.

    Unfiltered, the page walks ix_project_listing_order backwards and stops after it, checking the
    listed clause in the index itself. The status test is wrapped (coalesce of the column with itself,
    the same value) so that no planner takes the facets index for status = … instead and sorts every
    listed row: SQLite without ANALYZE statistics would, and so does PostgreSQL on a small table.
    Filtered, the planner chooses: the facets index narrows to the filter's rows and sorts only those.
    """
    if filters.values:
        where = [listed_clause(), *filters.clauses()]
    else:
        where = [db.func.coalesce(Project.status, Project.status).in_(LIBRARY_STATES),
                 Project.publish_consent == db.true()]
    return db.select(Project.id).where(*where).order_by(*newest_order())


def listed_page_ids(filters: LibraryFilters, offset: int, limit: int) -> list[int]:
    """Ids of one page of listed projects, newest first, from a covering index."""
    return list(db.session.scalars(listing_query(filters).limit(limit).offset(offset)))


def projects_by_id(ids: list[int]) -> list[Project]:
    """The projects of these ids, in this order (one query)."""
    if not ids:
        return []
    found = {p.id: p for p in db.session.scalars(db.select(Project).where(Project.id.in_(ids)))}
    return [found[i] for i in ids if i in found]
