"""The project library (入选项目库): listed projects, public tier only, with filters and their counts."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import SimpleNamespace

from app.extensions import db
from app.models import DeviceClass, Project, ProjectStatus, ProjectType, Stage
from app.models.project import LIBRARY_STATES, PUBLIC_FIELDS

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


@dataclass
class LibraryPage:
    items: list
    total: int
    page: int
    pages: int
    per_page: int
    facets: dict[str, list[tuple[str, str, int]]]


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


def library_page(filters: LibraryFilters, page: int = 1, per_page: int = 20) -> LibraryPage:
    """One page of listed projects, newest first, as public views."""
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


def listed_project_count() -> int:
    return db.session.scalar(db.select(db.func.count()).select_from(Project).where(listed_clause())) or 0


__all__ = ["FACETS", "LibraryFilters", "LibraryPage", "library_page", "listed_clause", "public_view",
           "ProjectStatus"]
