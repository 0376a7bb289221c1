"""Who may do what with an organisation: membership, managing its intents, reading its full profile.

The predicates a state table names take (user, obj), as the state machine calls them (is_staff, is_member_of);
is_member, may_manage_intents and can_view_full_profile take the organisation first, as views ask them.
"""
from __future__ import annotations

from app.accounts.models import ORGANISATION_ROLES, Institution, Organisation, Role


def is_staff(user, _obj=None) -> bool:
    """Station staff or the task force (admin counts as staff), including the import's inactive system account."""
    return bool(getattr(user, "is_staff", False))


def is_member_of(user, organisation: Organisation) -> bool:
    """The user is an enterprise/investor account of this organisation (verified or not)."""
    return bool(user and user.is_authenticated and user.role in ORGANISATION_ROLES
                and user.organisation_id == organisation.id)


def is_member(organisation: Organisation, user) -> bool:
    """The user is an enterprise/investor account of this organisation (verified or not)."""
    return is_member_of(user, organisation)


def may_manage_intents(organisation: Organisation, user) -> bool:
    """Members of a verified organisation post and edit its intents."""
    return is_member(organisation, user) and organisation.is_verified


def can_view_full_profile(organisation: Organisation, user) -> bool:
    """Address, legal representative and contact details: the organisation's members and staff."""
    return is_member(organisation, user) or is_staff(user)


def is_officer_of(user, institution: Institution | None) -> bool:
    """An active, confirmed officer account of this hospital."""
    return bool(institution is not None and user is not None and getattr(user, "is_authenticated", False)
                and user.role is Role.INSTITUTION and user.active and user.affiliation is not None
                and user.affiliation.is_confirmed and user.affiliation.institution_id == institution.id)


def officer_institution(user) -> Institution | None:
    """The hospital an officer acts for (None for anyone else)."""
    if user is None or not getattr(user, "is_authenticated", False) or user.role is not Role.INSTITUTION:
        return None
    affiliation = user.affiliation
    return affiliation.institution if affiliation is not None and affiliation.is_confirmed else None


def can_issue_reset_link(actor, user) -> bool:
    """Staff hand reset links to non-staff users; a staff or admin account's link comes only from another admin."""
    if not is_staff(actor) or actor.id == user.id:
        return False
    return actor.is_admin if user.is_staff else True


def is_admin_of(user, organisation: Organisation) -> bool:
    """The organisation's admin member (approves, invites and removes members)."""
    return is_member_of(user, organisation) and bool(getattr(user, "is_organisation_admin", False))


def _is_request(membership) -> bool:
    return membership.kind.value == "request"


def is_admin_of_request(user, membership) -> bool:
    """The admin member of the organisation a join request is for."""
    return _is_request(membership) and is_admin_of(user, membership.organisation)


def is_staff_on_request(user, membership) -> bool:
    """Staff deciding a join request (an organisation without an admin member, or one that asks the station)."""
    return _is_request(membership) and is_staff(user)


def is_admin_of_invitation(user, membership) -> bool:
    """The admin member of the organisation that sent an invitation."""
    return not _is_request(membership) and is_admin_of(user, membership.organisation)


def is_staff_on_invitation(user, membership) -> bool:
    """Staff withdrawing an invitation."""
    return not _is_request(membership) and is_staff(user)


def is_invitee(user, membership) -> bool:
    """The invited person, signed in with the invited address and not yet in an organisation."""
    return bool(not _is_request(membership) and user and user.is_authenticated and user.role in ORGANISATION_ROLES
                and user.organisation_id is None and user.email == membership.email)


def can_manage_members(organisation: Organisation, user) -> bool:
    """Approve join requests, invite, remove and change roles: the organisation's admin member, or staff."""
    return is_admin_of(user, organisation) or is_staff(user)


def is_requester(user, membership) -> bool:
    """The person who filed the join request."""
    return bool(_is_request(membership) and user and user.is_authenticated and membership.user_id == user.id)


def can_manage_account(actor, user) -> bool:
    """Deactivate, reactivate or change the role of an account: the task force (admin), never on their own account."""
    return bool(getattr(actor, "is_admin", False) and actor.id != user.id)


def can_view_licence(organisation: Organisation, user) -> bool:
    """The business licence (营业执照) file: the organisation's members and staff."""
    return can_view_full_profile(organisation, user)
