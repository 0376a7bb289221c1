"""Who may act on a matchmaking meeting: staff run it; each participant answers for itself.

Predicates take (user, obj), as the state machine calls them.
"""
from __future__ import annotations

from app.accounts.rules import is_staff


def runs_event(user, _obj=None) -> bool:
    """Station staff (and the task force) organise meetings."""
    return is_staff(user, _obj)


def acts_for(user, participant) -> bool:
    """The project's owner, or a verified member of the invited organisation."""
    return participant.is_acting_user(user)


def is_party(user, appointment) -> bool:
    """One of the two sides of a scheduled meeting."""
    return appointment.side_of(user) is not None


def may_view_event(user, event) -> bool:
    """Staff, and anyone acting for one of its invited participants."""
    if not (user and user.is_authenticated):
        return False
    return user.is_staff or any(p.is_acting_user(user) for p in event.participants)
