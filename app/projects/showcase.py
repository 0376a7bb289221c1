"""The public showcase (项目展示): what anyone may see of published projects — name, city, type, class, stage."""
from __future__ import annotations

from dataclasses import dataclass

from app.extensions import db
from app.projects.models import LIBRARY_STATES, Project

# DESIGN.md, showcase tier: "展示项目名称及部分信息". Nothing else leaves this module.
SHOWCASE_FIELDS = ("name", "city", "project_type", "device_class", "stage")
PER_PAGE = 24


@dataclass(frozen=True)
class ShowcaseItem:
    name: str
    city: str
    project_type: str
    device_class: str
    stage: str


def _item(project: Project) -> ShowcaseItem:
    return ShowcaseItem(name=project.display_name, city=project.city or "",
                        project_type=project.project_type.label if project.project_type else "",
                        device_class=project.device_class.label if project.device_class else "",
                        stage=project.stage.label if project.stage else "")


def showcase_page(page: int = 1) -> tuple[list[ShowcaseItem], int, int]:
    """One page of the showcase, most recently published first: (items, total, pages)."""
    listed = db.select(Project).where(Project.status.in_(LIBRARY_STATES), Project.publish_consent.is_(True))
    total = db.session.scalar(db.select(db.func.count()).select_from(listed.subquery())) or 0
    pages = max(1, -(-total // PER_PAGE))
    page = min(max(1, page), pages)
    rows = db.session.scalars(listed.order_by(Project.published_at.desc().nulls_last(), Project.id.desc())
                              .limit(PER_PAGE).offset((page - 1) * PER_PAGE)).all()
    return [_item(p) for p in rows], total, pages
