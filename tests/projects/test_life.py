"""The project's state table (LIFE): every action from every state, by every role."""
import pytest

from app.core.errors import PermissionDenied, TransitionError
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.projects import operations as svc
from app.projects.models import ProjectStatus as S
from tests.transitions import STAFF, actors, assert_table, walk

OWNER, DEAL = frozenset({"owner"}), frozenset({"owner", "member"})
OFFICER = frozenset({"officer"})  # the officer of the owner's hospital (院内审核); another hospital's officer may not

# The life of a project (DESIGN.md), written down apart from the code: action → (sources, target, who).
EXPECTED = {
    "submit": ({S.DRAFT, S.RETURNED}, S.SUBMITTED, OWNER),
    "submit_paper_form": ({S.DRAFT, S.RETURNED}, S.SUBMITTED, STAFF),
    "approve": ({S.SUBMITTED}, S.PUBLISHED, STAFF),
    "return": ({S.SUBMITTED}, S.RETURNED, STAFF),
    "reject": ({S.SUBMITTED}, S.REJECTED, STAFF),
    "withdraw": ({S.DRAFT, S.SUBMITTED, S.RETURNED, S.PUBLISHED, S.INSTITUTION_REVIEW}, S.WITHDRAWN, OWNER),
    "submit_to_institution": ({S.DRAFT, S.RETURNED}, S.INSTITUTION_REVIEW, OWNER),
    "institution_approve": ({S.INSTITUTION_REVIEW}, S.SUBMITTED, OFFICER),
    "institution_return": ({S.INSTITUTION_REVIEW}, S.RETURNED, OFFICER),
    "resubmit_after_edit": ({S.PUBLISHED}, S.SUBMITTED, OWNER),
    "start_negotiation": ({S.PUBLISHED}, S.NEGOTIATING, OWNER),
    "end_negotiation": ({S.NEGOTIATING}, S.PUBLISHED, DEAL),
    "sign": ({S.NEGOTIATING}, S.SIGNED, DEAL),
    "start_incubation": ({S.SIGNED}, S.INCUBATING, STAFF),
    "launch": ({S.SIGNED, S.INCUBATING}, S.LAUNCHED, DEAL | STAFF),
}


@pytest.fixture
def world(make_user, make_project):
    """A project whose owner is `owner` (confirmed by `officer`'s hospital), signed with `member`'s organisation."""
    officer = make_user("institution")
    hospital = officer.affiliation.institution
    project = make_project(S.DRAFT, owner=make_user("clinician", institution=hospital))
    member = make_user("enterprise")
    db.session.add(Interest(project=project, organisation_id=member.organisation_id, created_by=member,
                            status=InterestStatus.SIGNED))
    db.session.flush()
    return project, {**actors(make_user, project.owner, member), "officer": officer,
                     "other_officer": make_user("institution")}


def test_the_table_is_the_documented_life():
    assert_table(svc.LIFE, EXPECTED)


@pytest.mark.parametrize("action", EXPECTED)
def test_every_transition_by_every_role(world, action):
    project, people = world
    walk(project, svc.LIFE, EXPECTED, action, people, project=project)


def test_timestamps_of_submission_and_publication(world):
    project, people = world
    svc.submit_project(project, project.owner)
    submitted = project.submitted_at
    assert submitted is not None and project.status_changed_at == submitted and project.published_at is None
    svc.approve_project(project, people["staff"])
    assert project.published_at is not None and project.status_changed_at == project.published_at


# The cascade steps of the deal flow were open to anyone; each now names who takes it.
@pytest.mark.parametrize("operation, status, stranger", [
    (svc.start_negotiation, S.PUBLISHED, "clinician"), (svc.start_negotiation, S.PUBLISHED, "member"),
    (svc.end_negotiation, S.NEGOTIATING, "other_member"), (svc.end_negotiation, S.NEGOTIATING, "staff"),
    (svc.sign_project, S.NEGOTIATING, "other_member"), (svc.sign_project, S.NEGOTIATING, "anonymous"),
    (svc.launch_project, S.INCUBATING, "other_member"), (svc.launch_project, S.INCUBATING, "clinician"),
])
def test_deal_steps_check_the_actor(world, operation, status, stranger):
    project, people = world
    project.status = status
    with pytest.raises(PermissionDenied):
        operation(project, people[stranger])
    assert project.status is status


def test_an_organisation_in_talks_ends_them_but_one_that_only_bid_does_not(make_project, make_user):
    project = make_project(S.NEGOTIATING)
    talked, bidder = make_user("enterprise"), make_user("enterprise")
    for user, status in ((talked, InterestStatus.FAILED), (bidder, InterestStatus.DECLINED)):
        db.session.add(Interest(project=project, organisation_id=user.organisation_id, created_by=user,
                                status=status))
    db.session.flush()
    with pytest.raises(PermissionDenied):
        svc.end_negotiation(project, bidder)
    svc.end_negotiation(project, talked)
    assert project.status is S.PUBLISHED


def test_move_for_demo_is_gone():
    assert not hasattr(svc, "move_for_demo") and not hasattr(svc, "ALLOWED") and not hasattr(svc, "TRANSITIONS")


def test_an_unknown_action_is_refused(world):
    from app.core.states import move
    project, people = world
    with pytest.raises(TransitionError):
        move(project, svc.LIFE, "publish_everything", people["staff"], project=project)
    assert project.status is S.DRAFT
