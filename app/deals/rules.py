"""Who may act in the deal flow: the project owner, the interested organisation's members, the other side.

Predicates take (user, obj), as the state machine calls them; the models' is_* and can_* methods they ask
are the same ones templates ask.
"""
from __future__ import annotations


def is_project_owner(user, interest) -> bool:
    """The clinician whose project the interest is in."""
    return interest.is_project_owner(user)


def is_interested_member(user, interest) -> bool:
    """A verified member of the organisation that expressed the interest."""
    return interest.is_member(user)


def is_party(user, interest) -> bool:
    """Either side of the interest: the project owner or the organisation's member."""
    return interest.is_party(user)


def is_other_side(user, agreement) -> bool:
    """The side that did not record the agreement: it confirms or disputes what was recorded."""
    return agreement.is_other_side(user)


def is_signer(user, docking_form) -> bool:
    """A verified member of the signing organisation, which files 附件2."""
    return docking_form.interest.is_member(user)


def is_station_staff(user, _obj=None) -> bool:
    """Station staff (admin included): they acknowledge or return a filed 附件2."""
    return bool(user and getattr(user, "is_authenticated", False) and getattr(user, "is_staff", False))


def may_manage_intent(user, intent) -> bool:
    """A verified member of the intent's organisation."""
    return intent.can_edit(user)


def is_signatory(user, agreement) -> bool:
    """Either side of the agreement's interest."""
    return agreement.interest.is_party(user)
