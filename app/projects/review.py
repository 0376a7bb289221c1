"""Reading side of initial review and organisation verification: queues and counts."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.accounts.models import Organisation, OrgStatus, User
from app.core.models import utcnow
from app.extensions import db
from app.projects.models import DeviceClass, Project, ProjectStatus

SORTS = ("waiting", "newest", "name")


def queue_counts() -> dict[str, int]:
    """Counts the staff navigation shows: projects awaiting review, organisations awaiting verification."""
    submitted = db.session.scalar(db.select(db.func.count()).select_from(Project)
                                  .where(Project.status == ProjectStatus.SUBMITTED))
    pending = db.session.scalar(db.select(db.func.count()).select_from(Organisation)
                                .where(Organisation.status == OrgStatus.PENDING))
    return {"review": submitted or 0, "organisations": pending or 0}


def status_counts() -> dict[ProjectStatus, int]:
    """How many projects are in each state."""
    rows = db.session.execute(db.select(Project.status, db.func.count()).group_by(Project.status)).all()
    counts = {status: 0 for status in ProjectStatus}
    counts.update({status: n for status, n in rows})
    return counts


@dataclass(frozen=True)
class QueueFilters:
    """What staff narrow the review queue by: words, city, hospital, device class, days waiting; and the order."""
    q: str = ""
    city: str = ""
    hospital: str = ""
    device_class: str = ""
    min_days: int | None = None
    sort: str = "waiting"

    @classmethod
    def from_args(cls, args) -> "QueueFilters":
        days = args.get("min_days", "").strip()
        sort = args.get("sort", "waiting")
        return cls(q=args.get("q", "").strip()[:100], city=args.get("city", "").strip()[:50],
                   hospital=args.get("hospital", "").strip()[:100],
                   device_class=args.get("device_class", "") if args.get("device_class", "") in
                   {c.value for c in DeviceClass} else "",
                   min_days=int(days) if days.isdigit() and int(days) < 10000 else None,
                   sort=sort if sort in SORTS else "waiting")

    @property
    def active(self) -> int:
        """How many filters are set (the page says so)."""
        return sum(1 for value in (self.q, self.city, self.hospital, self.device_class, self.min_days)
                   if value not in ("", None))


def days_waiting(project: Project, now=None) -> int | None:
    """Whole days since the project was (last) submitted, while it waits for review."""
    if project.status is not ProjectStatus.SUBMITTED or project.submitted_at is None:
        return None
    return max(0, ((now or utcnow()) - project.submitted_at).days)


def review_queue(status: ProjectStatus = ProjectStatus.SUBMITTED, filters: QueueFilters | None = None) -> list[Project]:
    """Projects in a state, filtered; by default the longest-waiting first."""
    filters = filters or QueueFilters()
    query = db.select(Project).join(User, Project.owner_id == User.id).where(Project.status == status)
    if filters.q:
        words = f"%{filters.q}%"
        query = query.where(db.or_(Project.name.ilike(words), Project.lead_name.ilike(words),
                                   User.name.ilike(words), User.institution.ilike(words)))
    if filters.city:
        query = query.where(Project.city.ilike(f"%{filters.city}%"))
    if filters.hospital:
        query = query.where(User.institution.ilike(f"%{filters.hospital}%"))
    if filters.device_class:
        query = query.where(Project.device_class == DeviceClass(filters.device_class))
    if filters.min_days is not None and status is ProjectStatus.SUBMITTED:
        query = query.where(Project.submitted_at <= utcnow() - timedelta(days=filters.min_days))
    if filters.sort == "name":
        order = (Project.name.asc(), Project.id.asc())
    elif filters.sort == "newest" or status is not ProjectStatus.SUBMITTED:
        order = (Project.status_changed_at.desc(), Project.id.desc())
    else:
        order = (Project.submitted_at.asc(), Project.id.asc())
    return db.session.scalars(query.order_by(*order)).all()
