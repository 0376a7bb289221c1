"""Who may see a project's partner tier besides its owner and staff."""
from __future__ import annotations

from app.extensions import db


def has_partner_access(project, user) -> bool:
    """True when the owner accepted an interest of the user's organisation in this project."""
    if not (user and user.is_authenticated and user.is_organisation_member and user.is_verified):
        return False
    from app.models.deal import PARTNER_ACCESS_STATES, Interest
    return (db.session.scalar(
        db.select(db.func.count()).select_from(Interest).where(
            Interest.project_id == project.id, Interest.organisation_id == user.organisation_id,
            Interest.status.in_(PARTNER_ACCESS_STATES))) or 0) > 0


def partner_view(project):
    """Public and partner tiers of a project (never the owner/staff tier), for an accepted partner."""
    from types import SimpleNamespace

    from app.models.project import PARTNER_FIELDS, PUBLIC_FIELDS
    view = SimpleNamespace(id=project.id, status=project.status, published_at=project.published_at,
                           stage_text=project.stage_text, display_name=project.display_name,
                           attachments=list(project.attachments))
    for name in PUBLIC_FIELDS + PARTNER_FIELDS:
        setattr(view, name, getattr(project, name))
    return view


def record_partner_view(project, user) -> None:
    """Every view of partner-tier content by someone other than the owner is audited."""
    from app.services import audit
    if not project.is_owner(user):
        audit.record("view_partner", actor=user, project=project)
