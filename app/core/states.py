"""The one state machine: the only code that assigns a stateful model's `status`.

Each area declares one table per model in its operations module, beside the operations that call it:
projects `LIFE`; deals `INTEREST`, `INTENT`, `SIGNING` (the agreement), `DOCKING` (附件2); accounts
`VERIFICATION` (organisations), `AFFILIATION` (a clinician's or officer's tie to a hospital, in
institutions.py); incubation `ASSESSMENT`, `MILESTONE`; suggestions `DECISION`. A table maps an action
to a Transition: the states it starts from, the state it leads to, and who may take it (a rule from the
area's rules module, called as who(actor, obj)). An operation calls move(), which checks the table, sets
the state and timestamps, and adds the one audit row in the caller's transaction.

A model is created in its initial state (its column default) by the operation that creates it; every later
change of state goes through move(). Work done by the platform itself (a scheduled expiry) is done by SYSTEM,
which only rules that name it (`is_system`) let through.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

from flask_babel import gettext as _

from app.core import audit
from app.core.errors import PermissionDenied, TransitionError, ValidationError
from app.core.models import utcnow
from app.extensions import db

# Every stateful model keeps its state in this attribute.
STATE = "status"

# Set on every move by the models that have it (a project's time in its current state).
CHANGED_AT = "status_changed_at"


@dataclass(frozen=True)
class Transition:
    """One action of a table: from which states, to which state, who may take it."""

    sources: frozenset
    target: Enum
    who: Callable[[object, object], bool]
    audit: str = ""                 # the audit row's action, when it is not the table's action name
    stamps: tuple[str, ...] = ()    # attributes set to the time of the move (submitted_at, closed_at …)
    refusal: object = None          # what the actor is told when `who` says no (a lazy string)
    reason: object = None           # the transition needs a written reason (the comment): what to ask for if blank

    def __post_init__(self):
        object.__setattr__(self, "sources", frozenset(self.sources))


Table = Mapping[str, Transition]


class _System:
    """The platform acting on its own (a scheduled job): audited without a user, never signed in."""

    id = None
    organisation_id = None
    is_authenticated = False
    is_staff = is_admin = is_clinician = is_organisation_member = is_verified = False

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM = _System()


def is_system(actor, _obj=None) -> bool:
    """The platform itself, for transitions no person takes (expiry)."""
    return actor is SYSTEM


def any_of(*rules: Callable[[object, object], bool]) -> Callable[[object, object], bool]:
    """A rule that holds when one of the rules holds."""
    def rule(actor, obj) -> bool:
        return any(r(actor, obj) for r in rules)
    rule.__name__ = " | ".join(r.__name__ for r in rules)
    rule.__doc__ = "Any of: " + ", ".join(r.__name__ for r in rules)
    return rule


def check(obj, table: Table, action: str, actor) -> Transition:
    """The transition, if the action exists, starts from obj's state and the actor may take it; raises otherwise."""
    transition = table.get(action)
    if transition is None:
        raise TransitionError(_("不能执行此操作（%(action)s）", action=action))
    state = getattr(obj, STATE)
    if state not in transition.sources:
        raise TransitionError(_("当前状态（%(state)s）下不能执行此操作",
                                state=state.label if state is not None else "—"))
    if not transition.who(actor, obj):
        raise PermissionDenied(str(transition.refusal) if transition.refusal else _("您无权执行此操作"))
    return transition


def allowed(obj, table: Table, action: str, actor) -> bool:
    """Whether move() would let the actor take the action now (for buttons and can_* checks)."""
    try:
        check(obj, table, action, actor)
    except (TransitionError, PermissionDenied):
        return False
    return True


def action_between(table: Table, source: Enum, target: Enum) -> str | None:
    """The table's action leading from source to target, if there is one."""
    return next((name for name, t in table.items() if t.target is target and source in t.sources), None)


def move(obj, table: Table, action: str, actor, comment: str = "", *, project=None, along: Iterable = ()) -> None:
    """Check the table, set the state and timestamps, add the one audit row (in the caller's transaction).

    `project` is the project the audit row belongs to (default: obj.project, if obj has one); `along` are
    rows that make one decision with obj (a pairing's rows under its other intents): checked and moved too,
    recorded by obj's row.
    """
    transition = check(obj, table, action, actor)
    if transition.reason and not (comment or "").strip():
        raise ValidationError(str(transition.reason), field="comment")
    along = [row for row in along if row is not obj]
    for row in along:
        check(row, table, action, actor)
    previous = getattr(obj, STATE)
    now = utcnow()
    for row in (obj, *along):
        setattr(row, STATE, transition.target)
        for name in transition.stamps + ((CHANGED_AT,) if hasattr(row, CHANGED_AT) else ()):
            setattr(row, name, now)
    if getattr(obj, "id", None) is None:
        db.session.flush()
    audit.record(transition.audit or action, actor=actor,
                 project=project if project is not None else getattr(obj, "project", None), subject=obj,
                 from_state=previous.value if previous is not None else "", to_state=transition.target.value,
                 comment=comment)
