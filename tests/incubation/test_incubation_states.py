"""Incubation's state tables: the assessment (ASSESSMENT) and the milestones (MILESTONE), by every role."""
from datetime import date

import pytest

from app.core.errors import PermissionDenied
from app.core.models import AuditEvent
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.incubation import operations as svc
from app.incubation.models import Assessment, AssessmentStatus, Milestone, MilestoneKind, MilestoneStatus as M
from app.projects.models import ProjectStatus
from tests.transitions import STAFF, actors, assert_table, walk

ASSESSMENT = {"complete": ({AssessmentStatus.OPEN}, AssessmentStatus.COMPLETED, STAFF)}

KEEPERS = STAFF | {"owner", "member"}  # the clinician, the signing organisation, staff

MILESTONE = {
    "reset": (set(M) - {M.NOT_STARTED}, M.NOT_STARTED, KEEPERS),
    "start": (set(M) - {M.IN_PROGRESS}, M.IN_PROGRESS, KEEPERS),
    "complete": (set(M) - {M.DONE}, M.DONE, KEEPERS),
    "set_aside": (set(M) - {M.NOT_APPLICABLE}, M.NOT_APPLICABLE, KEEPERS),
}


@pytest.fixture
def world(make_user, make_project):
    """A project signed with `member`'s organisation, an open assessment and one milestone."""
    project = make_project(ProjectStatus.SIGNED)
    member, staff = make_user("enterprise"), make_user("staff")
    db.session.add(Interest(project=project, organisation_id=member.organisation_id, created_by=member,
                            status=InterestStatus.SIGNED))
    assessment = Assessment(project=project, version=1, opened_by_id=staff.id)
    milestone = Milestone(project_id=project.id, kind=MilestoneKind.FINALISATION, position=0)
    db.session.add_all([assessment, milestone])
    db.session.flush()
    return {"project": project, "assessment": assessment, "milestone": milestone,
            "people": actors(make_user, project.owner, member)}


@pytest.mark.parametrize("table, expected", [(svc.ASSESSMENT, ASSESSMENT), (svc.MILESTONE, MILESTONE)])
def test_the_tables_are_the_documented_lives(table, expected):
    assert_table(table, expected)


@pytest.mark.parametrize("action", ASSESSMENT)
def test_assessment(world, action):
    walk(world["assessment"], svc.ASSESSMENT, ASSESSMENT, action, world["people"])


@pytest.mark.parametrize("action", MILESTONE)
def test_milestone(world, action):
    walk(world["milestone"], svc.MILESTONE, MILESTONE, action, world["people"])


def test_milestones_of_a_project_no_longer_tracked_are_refused(world):
    world["project"].status = ProjectStatus.PUBLISHED  # as if the signing were undone
    with pytest.raises(PermissionDenied):
        svc.update_milestone(world["milestone"], world["people"]["staff"], M.IN_PROGRESS, None, None, "")
    assert world["milestone"].status is M.NOT_STARTED


def test_dates_change_without_a_move(world, app):
    milestone, owner = world["milestone"], world["people"]["owner"]
    with app.test_request_context():
        svc.update_milestone(milestone, owner, M.IN_PROGRESS, date(2026, 5, 1), None, "")
        svc.update_milestone(milestone, owner, M.IN_PROGRESS, date(2026, 6, 1), None, "推迟一个月")
    rows = db.session.scalars(db.select(AuditEvent).where(AuditEvent.subject_type == "milestone")
                              .order_by(AuditEvent.id)).all()
    assert [(r.action, r.from_state, r.to_state) for r in rows] == [
        ("update_milestone", "not_started", "in_progress"), ("update_milestone", "in_progress", "in_progress")]
    assert milestone.planned_on == date(2026, 6, 1) and milestone.notes == "推迟一个月"


@pytest.mark.parametrize("role", ["owner", "member", "clinician", "other_member", "investor"])
def test_only_staff_complete_an_assessment(world, app, role):
    assessment, people = world["assessment"], world["people"]
    with app.test_request_context(), pytest.raises(PermissionDenied):
        svc.complete_assessment(assessment, people[role], [], "方案", None, None)
    assert assessment.status is AssessmentStatus.OPEN and assessment.completed_at is None
