"""Who may see a project's partner tier besides its owner and staff."""
from __future__ import annotations

from app.extensions import db


def has_partner_access(project, user) -> bool:
    """True when the owner accepted an interest of the user's organisation in this project."""
    if not (user and user.is_authenticated and user.is_organisation_member and user.is_verified):
        return False
    from app.deals.models import PARTNER_ACCESS_STATES, Interest
    return (db.session.scalar(
        db.select(db.func.count()).select_from(Interest).where(
            Interest.project_id == project.id, Interest.organisation_id == user.organisation_id,
            Interest.status.in_(PARTNER_ACCESS_STATES))) or 0) > 0
