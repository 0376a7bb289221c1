"""Who may act on a project: its owner, staff, the organisations in talks or signed with it.

Predicates take (user, project), as the state machine calls them; has_partner_access is asked by the model.
"""
from __future__ import annotations

from app.accounts.rules import is_staff
from app.core.states import any_of
from app.deals.models import PARTNER_ACCESS_STATES, Interest, InterestStatus
from app.extensions import db

# An interest whose organisation has been in talks on the project: accepted, signed, or ended unsigned.
TALKED_STATES = (InterestStatus.ACCEPTED, InterestStatus.SIGNED, InterestStatus.FAILED)


def _organisation_has_interest(project, user, states) -> bool:
    """A verified member of an organisation with an interest in the project in one of the states."""
    if not (user and user.is_authenticated and user.is_organisation_member and user.is_verified):
        return False
    return (db.session.scalar(
        db.select(db.func.count()).select_from(Interest).where(
            Interest.project_id == project.id, Interest.organisation_id == user.organisation_id,
            Interest.status.in_(states))) or 0) > 0


def has_partner_access(project, user) -> bool:
    """True when the owner accepted an interest of the user's organisation in this project."""
    return _organisation_has_interest(project, user, PARTNER_ACCESS_STATES)


def is_owner(user, project) -> bool:
    """The clinician who filed the project."""
    return project.is_owner(user)


def is_deal_party(user, project) -> bool:
    """The owner, or a member of an organisation that has been in talks on the project."""
    return is_owner(user, project) or _organisation_has_interest(project, user, TALKED_STATES)


def is_signing_member(user, project) -> bool:
    """A member of the organisation that signed for the project."""
    return _organisation_has_interest(project, user, (InterestStatus.SIGNED,))


# The clinician, the signing organisation and staff keep a signed project's road to market.
may_track = any_of(is_owner, is_staff, is_signing_member)
