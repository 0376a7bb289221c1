"""Walking a state table for every role: each (action, source state) pair tried by everyone who might try it.

A table test writes down, independently of the code, what the life of the thing should be
(action → sources, target, the roles that may take it); `assert_table` checks the table says the same, and
`walk` tries the action from every state as every role and checks that move() does exactly that: allowed moves set the state and add one audit row, refused ones
raise TransitionError (wrong state) or PermissionDenied (wrong person) and change nothing.
"""
from __future__ import annotations

from app.core.errors import PermissionDenied, TransitionError
from app.core.models import AuditEvent
from app.core.states import STATE, SYSTEM, move
from app.extensions import db

# Everyone who might try: nobody signed in, the project's clinician, another clinician, a member of the
# organisation concerned, a member of another organisation, an unrelated investor, staff, admin, the platform.
ROLES = ("anonymous", "owner", "clinician", "member", "other_member", "investor", "staff", "admin", "system")

STAFF = frozenset({"staff", "admin"})


def actors(make_user, owner, member) -> dict:
    """One actor per role; the owner and the member are those of the thing under test."""
    return {"anonymous": None, "owner": owner, "clinician": make_user("clinician"), "member": member,
            "other_member": make_user("enterprise"), "investor": make_user("investor"),
            "staff": make_user("staff"), "admin": make_user("admin"), "system": SYSTEM}


def assert_table(table: dict, expected: dict) -> None:
    """The table says what the test says: the same actions, sources and targets."""
    assert set(table) == set(expected)
    for action, (sources, target, _roles) in expected.items():
        assert (table[action].sources, table[action].target) == (frozenset(sources), target), action


def _audit_rows() -> list[AuditEvent]:
    return db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()


def _attempt(obj, table, action, source, actor, **kwargs) -> str:
    """Put obj in source, try the move, check what it changed; returns moved / transition / permission."""
    setattr(obj, STATE, source)
    db.session.flush()
    rows = len(_audit_rows())
    changed_at = getattr(obj, "status_changed_at", None)
    try:
        move(obj, table, action, actor, "walk", **kwargs)
    except TransitionError:
        outcome = "transition"
    except PermissionDenied:
        outcome = "permission"
    else:
        outcome = "moved"
    after = _audit_rows()
    if outcome == "moved":
        transition = table[action]
        last = after[-1]
        assert getattr(obj, STATE) is transition.target
        assert len(after) == rows + 1
        assert (last.action, last.from_state, last.to_state, last.actor_id, last.subject_id) == (
            transition.audit or action, source.value, transition.target.value, getattr(actor, "id", None), obj.id)
    else:
        assert getattr(obj, STATE) is source and len(after) == rows
        assert getattr(obj, "status_changed_at", None) == changed_at
    return outcome


def walk(obj, table: dict, expected: dict, action: str, people: dict, **kwargs) -> None:
    """Try the action from every state as every role; report every (state, role) whose outcome is not the expected one."""
    sources, _target, allowed = expected[action]
    misses = []
    for source in type(table[action].target):
        for role, actor in people.items():
            want = "transition" if source not in sources else "moved" if role in allowed else "permission"
            got = _attempt(obj, table, action, source, actor, **kwargs)
            if got != want:
                misses.append(f"from {source.value} as {role}: {got}, expected {want}")
    assert not misses, f"{action}:\n" + "\n".join(misses)
