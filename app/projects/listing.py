"""What the library lists and how it is filtered: the listed clause, the library filters, the public view.

Both the library (app/projects/library.py) and the search adapter (app/projects/search.py) build on this module,
so the database decides what is listed whichever way a project is found.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace

from app.extensions import db
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


def ids_clause(ids):
    """Project.id among these ids, inlined as literals: a search may match more ids than a driver binds."""
    return Project.id.in_(db.bindparam("search_ids", [int(i) for i in ids], expanding=True, literal_execute=True))


def listed_ids(ids, filters: LibraryFilters) -> set[int]:
    """Which of these projects are listed and pass the filters (the database is the truth, not the index)."""
    if not ids:
        return set()
    return set(db.session.scalars(db.select(Project.id).where(listed_clause(), *filters.clauses(), ids_clause(ids))))
