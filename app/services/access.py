"""Who may see a project's partner tier besides its owner and staff."""
from __future__ import annotations


def has_partner_access(project, user) -> bool:
    """True when the owner accepted an interest of the user's organisation in this project.

    Interests (意向) arrive with the deal flow; until an interest model exists no organisation
    holds partner access, which is the safe answer.
    """
    return False
