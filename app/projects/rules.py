"""Who may act on a project: its owner, staff, the organisations in talks or signed with it.

Predicates take (user, project), as the state machine calls them; has_partner_access is asked by the model.
"""
from __future__ import annotations

from app.accounts.rules import is_officer_of, is_staff
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


def owner_institution(project):
    """The hospital that confirmed the project's owner (None while unconfirmed)."""
    affiliation = project.owner.affiliation if project.owner is not None else None
    return affiliation.institution if affiliation is not None and affiliation.is_confirmed else None


def is_confirmed_owner(user, project) -> bool:
    """The owner, once their hospital (or staff) confirmed them: only they submit projects."""
    return is_owner(user, project) and bool(user.is_verified)


def is_hospital_officer(user, project) -> bool:
    """An officer of the hospital the project belongs to: its owner's confirmed hospital, or its 项目申请单位."""
    institution = project.applicant_institution or owner_institution(project)
    return is_officer_of(user, institution)


def is_reviewing_officer(user, project) -> bool:
    """The officer of the owner's hospital, who takes the project's 院内审核."""
    return is_officer_of(user, owner_institution(project))


def may_print_form(user, project) -> bool:
    """附件1 as Word for the hospital: its officer while the project is in 院内审核, or once the hospital is its
    项目申请单位 (to stamp it). Owner and staff print through can_view_private."""
    if project.status.value == "institution_review":
        return is_reviewing_officer(user, project)
    return project.applicant_institution is not None and is_officer_of(user, project.applicant_institution)
