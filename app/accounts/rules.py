"""Who may do what with an organisation: membership, managing its intents, reading its full profile."""
from __future__ import annotations

from app.accounts.models import ORGANISATION_ROLES, Organisation


def is_member(organisation: Organisation, user) -> bool:
    """The user is an enterprise/investor account of this organisation (verified or not)."""
    return bool(user and user.is_authenticated and user.role in ORGANISATION_ROLES
                and user.organisation_id == organisation.id)


def may_manage_intents(organisation: Organisation, user) -> bool:
    """Members of a verified organisation post and edit its intents."""
    return is_member(organisation, user) and organisation.is_verified


def can_view_full_profile(organisation: Organisation, user) -> bool:
    """Address, legal representative and contact details: the organisation's members and staff."""
    return is_member(organisation, user) or bool(user and user.is_authenticated and user.is_staff)
