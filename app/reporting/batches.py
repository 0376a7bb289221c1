"""Report batches to the national review centre's database (报送国家局器审中心): select, export, record."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

from flask_babel import gettext as _

from app.accounts.models import User
from app.core import audit
from app.core.errors import ServiceError, require
from app.core.files import stored_path, upload_root
from app.extensions import db
from app.projects.library import LibraryFilters
from app.projects.models import Project, ProjectStatus
from app.reporting.exports import report_jsonl, report_xlsx
from app.reporting.models import ReportBatch, ReportBatchItem

# Published: the project passed initial review (初核), whatever happened after.
REPORTABLE_STATES = (ProjectStatus.PUBLISHED, ProjectStatus.NEGOTIATING, ProjectStatus.SIGNED,
                     ProjectStatus.INCUBATING, ProjectStatus.LAUNCHED)

NO_CONSENT = "项目负责人未同意在平台发布"
CONSENT_MISSING = "未填写是否同意发布"
NOT_IN_RANGE = "所选项目不在可报送范围内（未入库或不符合筛选条件）"
MAX_PICKED = 2000
FILE_KINDS = ("xlsx", "jsonl")
REPORT_FOLDER = "reports"


class ReportMark(NamedTuple):
    """The latest batch a project was reported in, and how many batches carried it."""

    batch_id: int
    reported_at: datetime
    times: int


@dataclass
class ReportFilters:
    """The library's facets plus "not yet reported only"."""

    library: LibraryFilters = field(default_factory=LibraryFilters)
    unreported: bool = False
    project_ids: tuple[int, ...] = ()  # 导出所选: only these (still within the filters and the reportable states)

    @classmethod
    def from_args(cls, args) -> "ReportFilters":
        return cls(LibraryFilters.from_args(args), (args.get("unreported") or "") in ("1", "on", "true", "y"))

    @classmethod
    def picked(cls, args, project_ids) -> "ReportFilters":
        """The filters of the page plus the projects ticked in its list (ids that are not numbers are dropped)."""
        ids = sorted({int(i) for i in list(project_ids)[:MAX_PICKED] if str(i).strip().isdigit()})
        return cls(LibraryFilters.from_args(args), cls.from_args(args).unreported, tuple(ids))

    @classmethod
    def from_dict(cls, values: dict) -> "ReportFilters":
        values = dict(values or {})
        ids = values.pop("project_ids", None) or ()
        filters = cls.from_args({k: ("1" if v is True else v) for k, v in values.items() if v})
        return cls(filters.library, filters.unreported, tuple(int(i) for i in ids))

    def as_dict(self) -> dict:
        return dict(self.library.values, **({"unreported": True} if self.unreported else {}),
                    **({"project_ids": list(self.project_ids)} if self.project_ids else {}))

    def as_args(self) -> dict[str, str]:
        return dict(self.library.values, **({"unreported": "1"} if self.unreported else {}))

    def clauses(self) -> list:
        clauses = [Project.status.in_(REPORTABLE_STATES), *self.library.clauses()]
        if self.unreported:
            clauses.append(~db.exists().where(ReportBatchItem.project_id == Project.id))
        if self.project_ids:
            clauses.append(Project.id.in_(self.project_ids))
        return clauses

    def labels(self) -> list[tuple[str, str]]:
        return self.library.labels() + ([("unreported", _("仅未报送"))] if self.unreported else []) + \
            ([("project_ids", _("所选 %(n)d 个项目", n=len(self.project_ids)))] if self.project_ids else [])


@dataclass
class Selection:
    included: list[Project]
    excluded: list[tuple[Project, str]]
    marks: dict[int, ReportMark]

    @property
    def total(self) -> int:
        return len(self.included) + len(self.excluded)

    @property
    def reported_count(self) -> int:
        return sum(1 for p in self.included if p.id in self.marks)


def exclusion_reason(project: Project) -> str | None:
    """Why a published project may not be reported: the owner did not consent to publication."""
    if project.publish_consent is True:
        return None
    return CONSENT_MISSING if project.publish_consent is None else NO_CONSENT


def select_projects(filters: ReportFilters) -> Selection:
    """Published projects under the filters, split into those to report and those excluded with the reason."""
    projects = db.session.scalars(db.select(Project).where(*filters.clauses()).order_by(Project.id)).all()
    included, excluded = [], []
    for project in projects:
        reason = exclusion_reason(project)
        if reason:
            excluded.append((project, reason))
        else:
            included.append(project)
    return Selection(included, excluded, report_status([p.id for p in projects]))


def report_status(project_ids) -> dict[int, ReportMark]:
    """For each project that was reported: its latest batch, when, and in how many batches."""
    ids = [int(i) for i in project_ids]
    if not ids:
        return {}
    rows = db.session.execute(
        db.select(ReportBatchItem.project_id, ReportBatch.id, ReportBatch.created_at)
        .join(ReportBatch, ReportBatch.id == ReportBatchItem.batch_id)
        .where(ReportBatchItem.project_id.in_(ids))
        .order_by(ReportBatch.created_at, ReportBatch.id)).all()
    marks: dict[int, ReportMark] = {}
    for project_id, batch_id, created_at in rows:
        previous = marks.get(project_id)
        marks[project_id] = ReportMark(batch_id, created_at, (previous.times if previous else 0) + 1)
    return marks


def reported_at(project) -> datetime | None:
    """When the project was last reported to the national database, or None."""
    mark = report_status([project.id]).get(project.id)
    return mark.reported_at if mark else None


def filter_options() -> dict[str, list[tuple[str, int]]]:
    """Cities and departments among published projects, with counts, for the selection form."""
    options = {}
    for name in ("city", "department"):
        column = getattr(Project, name)
        rows = db.session.execute(db.select(column, db.func.count()).where(Project.status.in_(REPORTABLE_STATES))
                                  .group_by(column).order_by(column)).all()
        options[name] = [(value, n) for value, n in rows if value]
    return options


def create_batch(filters: ReportFilters, actor: User) -> ReportBatch:
    """Export the consenting projects of the selection, store both files and record the batch. Caller commits."""
    require(bool(actor and actor.is_staff), _("只有服务站工作人员可以报送国家局器审中心"))
    selection = select_projects(filters)
    if not selection.included:
        raise ServiceError(_("所选范围内没有可报送的项目") if not selection.excluded
                           else _("所选范围内的项目负责人均未同意在平台发布，没有可报送的项目"))
    if filters.project_ids:  # ticked ids outside the selection (a stale page, a forged POST): recorded as excluded
        selected = {p.id for p in selection.included} | {p.id for p, _reason in selection.excluded}
        outside = [i for i in filters.project_ids if i not in selected]
        for project in db.session.scalars(db.select(Project).where(Project.id.in_(outside)).order_by(Project.id)):
            selection.excluded.append((project, NOT_IN_RANGE))
    stored = {kind: f"{REPORT_FOLDER}/{uuid.uuid4().hex}.{kind}" for kind in FILE_KINDS}
    batch = ReportBatch(created_by_id=actor.id, filters=filters.as_dict(), xlsx_stored_name=stored["xlsx"],
                        jsonl_stored_name=stored["jsonl"], project_count=len(selection.included),
                        excluded=[{"project_id": p.id, "name": p.display_name, "reason": reason}
                                  for p, reason in selection.excluded])
    batch.items = [ReportBatchItem(project_id=p.id) for p in selection.included]
    db.session.add(batch)
    db.session.flush()
    folder = upload_root() / REPORT_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stored_path(stored["xlsx"]).write_bytes(report_xlsx(selection.included))
    stored_path(stored["jsonl"]).write_bytes(report_jsonl(selection.included))
    audit.record("report_export", actor=actor, subject=batch,
                 comment=f"批次#{batch.id}：报送 {batch.project_count} 个项目，排除 {len(batch.excluded)} 个")
    return batch


def batch_file(batch: ReportBatch, kind: str) -> Path:
    """The stored file of a batch (as exported then, never regenerated)."""
    if kind not in FILE_KINDS:
        raise ValueError(kind)
    return stored_path(batch.xlsx_stored_name if kind == "xlsx" else batch.jsonl_stored_name)


def record_download(batch: ReportBatch, actor: User, kind: str) -> None:
    audit.record("report_download", actor=actor, subject=batch, comment=f"批次#{batch.id} report.{kind}")


def batch_projects(batch: ReportBatch) -> list[Project]:
    return db.session.scalars(db.select(Project).join(ReportBatchItem, ReportBatchItem.project_id == Project.id)
                              .where(ReportBatchItem.batch_id == batch.id).order_by(Project.id)).all()


def batches_page(page: int = 1, per_page: int = 20):
    """Batches newest first, with the total."""
    return db.paginate(db.select(ReportBatch).order_by(ReportBatch.created_at.desc(), ReportBatch.id.desc()),
                       page=page, per_page=per_page, error_out=False)
