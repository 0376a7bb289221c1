"""Staff decisions on suggested pairings (DECISION), by every role; a decision moves the pairing's rows together."""
import pytest

from app.core.errors import TransitionError
from app.core.models import AuditEvent
from app.deals.models import Intent
from app.extensions import db
from app.projects.models import ProjectStatus
from app.suggestions import operations as svc
from app.suggestions.models import MatchSuggestion, SuggestionStatus as G
from tests.transitions import STAFF, actors, assert_table, walk

EXPECTED = {
    "approve": ({G.SUGGESTED}, G.APPROVED, STAFF),
    "dismiss": ({G.SUGGESTED, G.APPROVED}, G.DISMISSED, STAFF),
}


@pytest.fixture
def world(make_user, make_project):
    """One pairing of a project with `member`'s organisation, suggested through two of its intents."""
    project = make_project(ProjectStatus.PUBLISHED)
    member = make_user("enterprise")
    intents = [Intent(organisation=member.organisation, title=f"意向{n}") for n in (1, 2)]
    db.session.add_all(intents)
    db.session.flush()
    rows = [MatchSuggestion(project_id=project.id, organisation_id=member.organisation_id, intent_id=i.id,
                            score=0.5, public_reasons=[], owner_reasons=[]) for i in intents]
    db.session.add_all(rows)
    db.session.flush()
    return rows, actors(make_user, project.owner, member)


def test_the_table_is_the_documented_life():
    assert_table(svc.DECISION, EXPECTED)


@pytest.mark.parametrize("action", EXPECTED)
def test_every_decision_by_every_role(world, action):
    rows, people = world
    walk(rows[0], svc.DECISION, EXPECTED, action, people)


def decisions():
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.in_(("approve_match", "dismiss_match")))
                              .order_by(AuditEvent.id)).all()


def test_a_decision_covers_the_pairing_with_one_audit_row(world, app):
    (first, second), people = world
    with app.test_request_context():
        svc.approve_suggestion(first, people["staff"])
    assert first.status is second.status is G.APPROVED and second.decided_by_id == people["staff"].id
    assert [(e.subject_id, e.from_state, e.to_state) for e in decisions()] == [(first.id, "suggested", "approved")]
    with app.test_request_context(), pytest.raises(TransitionError):
        svc.approve_suggestion(second, people["admin"])  # decided already


def test_dismissing_a_new_row_of_an_approved_pairing_dismisses_it_all(world, app):
    (first, second), people = world
    first.status = G.APPROVED
    with app.test_request_context():
        svc.dismiss_suggestion(second, people["staff"])
    assert first.status is second.status is G.DISMISSED
    assert [(e.subject_id, e.from_state) for e in decisions()] == [(second.id, "suggested")]


def test_dismissed_is_final(world):
    (first, second), people = world
    first.status = second.status = G.DISMISSED
    with pytest.raises(TransitionError):
        svc.dismiss_suggestion(first, people["staff"])
    assert decisions() == []
