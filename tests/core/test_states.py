"""The one state machine: what move() does, on a small thing of its own."""
from __future__ import annotations

import pytest

from app.core.errors import PermissionDenied, TransitionError
from app.core.models import AuditEvent, LabeledEnum, set_labels
from app.core.states import SYSTEM, Transition, action_between, allowed, any_of, check, is_system, move
from app.extensions import db


# --- move() on a small thing of its own -------------------------------------------------------------

class Light(LabeledEnum):
    OFF = "off"
    ON = "on"
    BROKEN = "broken"


set_labels(Light, {Light.OFF: "关", Light.ON: "开", Light.BROKEN: "坏了"})


class Lamp:
    """Not a model: just what move() needs (a status, an id, a table name for the audit row)."""

    __tablename__ = "lamp"

    def __init__(self, owner_id, status=Light.OFF):
        self.id, self.owner_id, self.status = 7, owner_id, status
        self.status_changed_at = self.switched_on_at = None


def is_keeper(actor, lamp) -> bool:
    return getattr(actor, "id", None) == lamp.owner_id


def is_caretaker(actor, _lamp) -> bool:
    return bool(getattr(actor, "is_staff", False))


LAMP = {
    "switch_on": Transition({Light.OFF}, Light.ON, is_keeper, stamps=("switched_on_at",), refusal="只有主人可以开灯"),
    "switch_off": Transition({Light.ON}, Light.OFF, any_of(is_keeper, is_caretaker), audit="lamp_off"),
    "break": Transition({Light.OFF, Light.ON}, Light.BROKEN, is_system),
}


def rows():
    return db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id)).all()


@pytest.fixture
def keeper(make_user):
    return make_user("clinician")


@pytest.fixture
def lamp(keeper):
    return Lamp(owner_id=keeper.id)


def test_move_sets_the_state_and_stamps_and_writes_one_audit_row(lamp, keeper):
    move(lamp, LAMP, "switch_on", keeper, "天黑了")
    assert lamp.status is Light.ON and lamp.switched_on_at is not None
    assert lamp.status_changed_at == lamp.switched_on_at
    [row] = rows()
    assert (row.action, row.actor_id, row.subject_type, row.subject_id, row.from_state, row.to_state, row.comment) == (
        "switch_on", keeper.id, "lamp", 7, "off", "on", "天黑了")


def test_the_audit_action_may_differ_from_the_table_action(lamp, staff):
    lamp.status = Light.ON
    move(lamp, LAMP, "switch_off", staff)
    assert rows()[-1].action == "lamp_off"


def test_a_wrong_state_is_a_transition_error_in_words(lamp, keeper):
    lamp.status = Light.BROKEN
    with pytest.raises(TransitionError, match="当前状态（坏了）下不能执行此操作"):
        move(lamp, LAMP, "switch_on", keeper)
    assert lamp.status is Light.BROKEN and lamp.status_changed_at is None and rows() == []


def test_an_unknown_action_is_a_transition_error(lamp, keeper):
    with pytest.raises(TransitionError):
        move(lamp, LAMP, "explode", keeper)


def test_the_wrong_person_is_refused_with_the_tables_words(lamp, staff):
    with pytest.raises(PermissionDenied, match="只有主人可以开灯"):
        move(lamp, LAMP, "switch_on", staff)
    with pytest.raises(PermissionDenied):
        move(lamp, LAMP, "switch_on", None)
    assert lamp.status is Light.OFF and rows() == []


def test_the_platform_acts_only_where_a_rule_names_it(lamp, keeper):
    with pytest.raises(PermissionDenied):
        move(lamp, LAMP, "switch_on", SYSTEM)
    with pytest.raises(PermissionDenied):
        move(lamp, LAMP, "break", keeper)
    move(lamp, LAMP, "break", SYSTEM)
    assert lamp.status is Light.BROKEN and rows()[-1].actor_id is None
    assert not (SYSTEM.is_authenticated or SYSTEM.is_staff)


def test_rows_moving_along_are_checked_first_and_recorded_by_one_row(lamp, keeper):
    spare, broken = Lamp(owner_id=keeper.id), Lamp(owner_id=keeper.id, status=Light.BROKEN)
    with pytest.raises(TransitionError):
        move(lamp, LAMP, "switch_on", keeper, along=[spare, broken])
    assert lamp.status is spare.status is Light.OFF and rows() == []
    move(lamp, LAMP, "switch_on", keeper, along=[spare])
    assert lamp.status is spare.status is Light.ON and spare.switched_on_at is not None and len(rows()) == 1


def test_check_allowed_and_action_between(lamp, keeper, staff):
    assert check(lamp, LAMP, "switch_on", keeper) is LAMP["switch_on"]
    assert allowed(lamp, LAMP, "switch_on", keeper) and not allowed(lamp, LAMP, "switch_on", staff)
    assert not allowed(lamp, LAMP, "switch_off", keeper)
    assert action_between(LAMP, Light.OFF, Light.ON) == "switch_on"
    assert action_between(LAMP, Light.BROKEN, Light.ON) is None
    assert lamp.status is Light.OFF and rows() == []  # asking changes nothing


def test_any_of_is_named_after_its_rules():
    assert LAMP["switch_off"].who.__name__ == "is_keeper | is_caretaker"
