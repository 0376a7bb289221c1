"""Reading side of initial review and organisation verification: queues and counts."""
from __future__ import annotations

from app.accounts.models import Organisation, OrgStatus
from app.extensions import db
from app.projects.models import Project, ProjectStatus


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


def review_queue(status: ProjectStatus = ProjectStatus.SUBMITTED) -> list[Project]:
    """Projects in a state, the longest-waiting first."""
    order = (Project.submitted_at.asc(), Project.id.asc()) if status is ProjectStatus.SUBMITTED \
        else (Project.status_changed_at.desc(), Project.id.desc())
    return db.session.scalars(db.select(Project).where(Project.status == status).order_by(*order)).all()
