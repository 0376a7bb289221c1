"""The one state machine: what move() does, and that nothing else in app/ assigns a state.

The rule the scan enforces: outside app/core/states.py no module assigns a stateful model's `status`
(`x.status = …`, `x.status, y = …`, `setattr(x, "status", …)`, `.values(status=…)`/`.update({"status": …})`),
and a model's constructor may pass `status=` only as its initial state (the column default), which is how
the operation creating it starts its life. Everything after that is a move().
"""
from __future__ import annotations

import ast
import enum
from pathlib import Path

import pytest

from app.accounts.institutions import AFFILIATION
from app.accounts.models import Affiliation, Membership, Organisation
from app.accounts.operations import MEMBERSHIP, VERIFICATION
from app.core import states
from app.core.errors import PermissionDenied, TransitionError, ValidationError
from app.core.models import AuditEvent, LabeledEnum, set_labels
from app.core.states import SYSTEM, Transition, action_between, allowed, any_of, check, is_system, move
from app.deals.models import Agreement, DockingForm, Intent, Interest
from app.deals.operations import DOCKING, INTENT, INTEREST, SIGNING
from app.extensions import db
from app.incubation.models import Assessment, Milestone
from app.incubation.operations import ASSESSMENT, MILESTONE
from app.meetings import operations as meetings
from app.meetings.models import Appointment, MeetingEvent, Participant
from app.projects.models import Project
from app.programme.models import Article, SupportRequest
from app.programme.operations import ARTICLE, REQUEST
from app.projects.operations import LIFE
from app.suggestions.models import MatchSuggestion
from app.suggestions.operations import DECISION

APP = Path(__file__).resolve().parents[2] / "app"

# Every stateful model and its table.
TABLES = {Project: LIFE, Interest: INTEREST, Intent: INTENT, Agreement: SIGNING, DockingForm: DOCKING,
          Organisation: VERIFICATION, Assessment: ASSESSMENT, Milestone: MILESTONE, MatchSuggestion: DECISION,
          Article: ARTICLE, SupportRequest: REQUEST, Affiliation: AFFILIATION,
          Membership: MEMBERSHIP}
TABLES.update({MeetingEvent: meetings.EVENT, Participant: meetings.PARTICIPANT, Appointment: meetings.APPOINTMENT})


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


def test_a_transition_that_needs_a_reason_refuses_a_blank_one(lamp, keeper):
    table = {"switch_on": Transition({Light.OFF}, Light.ON, is_keeper, reason="请说明为什么开灯")}
    with pytest.raises(ValidationError, match="请说明为什么开灯") as refused:
        move(lamp, table, "switch_on", keeper, "  ")
    assert refused.value.field == "comment" and lamp.status is Light.OFF and rows() == []
    move(lamp, table, "switch_on", keeper, "天黑了")
    assert lamp.status is Light.ON and rows()[0].comment == "天黑了"


def test_check_allowed_and_action_between(lamp, keeper, staff):
    assert check(lamp, LAMP, "switch_on", keeper) is LAMP["switch_on"]
    assert allowed(lamp, LAMP, "switch_on", keeper) and not allowed(lamp, LAMP, "switch_on", staff)
    assert not allowed(lamp, LAMP, "switch_off", keeper)
    assert action_between(LAMP, Light.OFF, Light.ON) == "switch_on"
    assert action_between(LAMP, Light.BROKEN, Light.ON) is None
    assert lamp.status is Light.OFF and rows() == []  # asking changes nothing


def test_any_of_is_named_after_its_rules():
    assert LAMP["switch_off"].who.__name__ == "is_keeper | is_caretaker"


# --- every stateful model has a table, and only states.py assigns a state -----------------------------

def stateful_models() -> dict[type, enum.EnumMeta]:
    """Mapped classes with a state column, and that column's enum."""
    found = {}
    for mapper in db.Model.registry.mappers:
        column = mapper.columns.get(states.STATE)
        if column is not None and getattr(column.type, "enum_class", None) is not None:
            found[mapper.class_] = column.type.enum_class
    return found


def test_every_stateful_model_has_a_table_of_its_own_states():
    models = stateful_models()
    assert set(models) == set(TABLES), "a new stateful model needs a table in its area's operations module"
    for model, table in TABLES.items():
        for action, transition in table.items():
            assert isinstance(transition.target, models[model]), (model.__name__, action)
            assert all(isinstance(s, models[model]) for s in transition.sources), (model.__name__, action)
            assert transition.who.__doc__, f"{model.__name__}.{action}: name a documented rule"


def initial_states() -> dict[str, str]:
    """Model class name → the member name of its initial state (the column default)."""
    return {model.__name__: model.__table__.c[states.STATE].default.arg.name for model in stateful_models()}


def state_writes(source: str, initial: dict[str, str]) -> list[tuple[int, str]]:
    """(line, what) for every assignment of a state in the module's source."""
    name = states.STATE
    found = []

    def targets(node):
        if isinstance(node, (ast.Tuple, ast.List)):
            for element in node.elts:
                yield from targets(element)
        elif isinstance(node, ast.Starred):
            yield from targets(node.value)
        else:
            yield node

    def called(func) -> str:
        return func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""

    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Assign, ast.AugAssign, ast.AnnAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for leaf in targets(target):
                    if isinstance(leaf, ast.Attribute) and leaf.attr == name:
                        found.append((node.lineno, f"assigns .{name}"))
        elif isinstance(node, ast.Call):
            function = called(node.func)
            if function == "setattr" and len(node.args) >= 2 and isinstance(node.args[1], ast.Constant) \
                    and node.args[1].value == name:
                found.append((node.lineno, f'setattr(…, "{name}", …)'))
            for keyword in node.keywords:
                if keyword.arg != name:
                    continue
                if function in ("values", "update"):
                    found.append((node.lineno, f"{function}({name}=…)"))
                elif function in initial and not (isinstance(keyword.value, ast.Attribute)
                                                  and keyword.value.attr == initial[function]):
                    found.append((node.lineno, f"{function}({name}=…) not in its initial state"))
            if function in ("values", "update"):
                for argument in node.args:
                    if isinstance(argument, ast.Dict) and any(
                            isinstance(k, ast.Constant) and k.value == name for k in argument.keys):
                        found.append((node.lineno, f'{function}({{"{name}": …}})'))
    return found


def test_no_module_outside_the_state_machine_assigns_a_state():
    initial = initial_states()
    writes = []
    for path in sorted(APP.rglob("*.py")):
        if path == APP / "core" / "states.py":
            continue
        for line, what in state_writes(path.read_text(encoding="utf-8"), initial):
            writes.append(f"{path.relative_to(APP.parent)}:{line}: {what}")
    assert writes == [], "state changes go through app.core.states.move():\n" + "\n".join(writes)


@pytest.mark.parametrize("sample", [
    "project.status = ProjectStatus.PUBLISHED",
    "row.status, row.decided_at = status, now",
    "[a, *rest] = b; x.y.status = 1",
    "form.status: DockingStatus = DockingStatus.FILED",
    'setattr(organisation, "status", OrgStatus.VERIFIED)',
    "Project(owner=owner, status=ProjectStatus.PUBLISHED)",
    "Interest(project=p, status=I.ACCEPTED)",
    "db.update(Project).values(status=ProjectStatus.LAUNCHED)",
    'db.session.query(Interest).update({"status": "expired"})',
])
def test_the_scan_finds_every_form_of_state_write(sample):
    assert state_writes(sample, initial_states()), sample


@pytest.mark.parametrize("sample", [
    "Project(owner=owner, status=S.DRAFT)",
    "Interest(project=p, status=InterestStatus.PENDING)",
    "SimpleNamespace(id=p.id, status=p.status)",
    "if project.status is S.DRAFT: pass",
    "ip_status = project.ip_status",
])
def test_the_scan_lets_reads_and_initial_states_through(sample):
    assert state_writes(sample, initial_states()) == [], sample
