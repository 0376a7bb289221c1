"""The life of a project: every transition, allowed and refused, audited, never half-done."""
import pytest

from app.core.errors import PermissionDenied, ServiceError, TransitionError, ValidationError
from app.core.models import AuditEvent
from app.extensions import db
from app.projects import operations as svc
from app.projects.models import ProjectStatus as S

REVIEW = {
    "approve": (svc.approve_project, S.PUBLISHED),
    "return": (svc.return_project, S.RETURNED),
    "reject": (svc.reject_project, S.REJECTED),
}


def audit_rows(project):
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.project_id == project.id)
                              .order_by(AuditEvent.id)).all()


@pytest.mark.parametrize("action", REVIEW)
@pytest.mark.parametrize("status", list(S))
def test_review_actions_only_from_submitted(make_project, staff, status, action):
    operation, target = REVIEW[action]
    project = make_project(status=status)
    before = len(audit_rows(project))
    if status is S.SUBMITTED:
        operation(project, staff, "意见")
        assert project.status is target
        last = audit_rows(project)[-1]
        assert (last.action, last.from_state, last.to_state, last.actor_id) == (action, "submitted", target.value, staff.id)
    else:
        with pytest.raises(TransitionError):
            operation(project, staff, "意见")
        assert project.status is status
        assert len(audit_rows(project)) == before


@pytest.mark.parametrize("role", ["clinician", "enterprise", "investor"])
@pytest.mark.parametrize("action", REVIEW)
def test_only_staff_review(make_project, make_user, role, action):
    project = make_project(status=S.SUBMITTED)
    with pytest.raises(PermissionDenied):
        REVIEW[action][0](project, make_user(role), "意见")
    assert project.status is S.SUBMITTED


@pytest.mark.parametrize("status", list(S))
def test_submit_only_from_draft_or_returned(make_project, status):
    project = make_project(status=status)
    if status in (S.DRAFT, S.RETURNED):
        svc.submit_project(project, project.owner)
        assert project.status is S.SUBMITTED and project.submitted_at is not None
        assert audit_rows(project)[-1].action == "submit"
    else:
        with pytest.raises(ServiceError):
            svc.submit_project(project, project.owner)
        assert project.status is status


def test_submit_needs_the_commitment(make_project):
    project = make_project(status=S.DRAFT, commitment_agreed=False)
    with pytest.raises(ValidationError):  # bad input, not a question of who may submit
        svc.submit_project(project, project.owner)
    assert project.status is S.DRAFT


def test_only_the_owner_submits(make_project, make_user):
    project = make_project(status=S.DRAFT)
    with pytest.raises(PermissionDenied):
        svc.submit_project(project, make_user("clinician"))


@pytest.mark.parametrize("status", list(S))
def test_withdraw_by_owner(make_project, status):
    project = make_project(status=status)
    if status in (S.DRAFT, S.SUBMITTED, S.RETURNED, S.PUBLISHED, S.INSTITUTION_REVIEW):
        svc.withdraw_project(project, project.owner, "不再推进")
        assert project.status is S.WITHDRAWN
        assert audit_rows(project)[-1].comment == "不再推进"
    else:
        with pytest.raises(TransitionError):
            svc.withdraw_project(project, project.owner)
        assert project.status is status


def test_withdraw_refused_for_others(make_project, make_user, staff):
    project = make_project(status=S.PUBLISHED)
    for actor in (make_user("clinician"), make_user("enterprise"), staff):
        with pytest.raises(PermissionDenied):
            svc.withdraw_project(project, actor)
    assert project.status is S.PUBLISHED


def test_return_and_reject_need_a_comment(make_project, staff):
    project = make_project(status=S.SUBMITTED)
    with pytest.raises(ValidationError):
        svc.return_project(project, staff, "  ")
    with pytest.raises(ValidationError):
        svc.reject_project(project, staff, "")
    assert project.status is S.SUBMITTED


def test_returned_project_comes_back_to_the_queue(make_project, staff):
    from app.projects.review import review_queue
    project = make_project(status=S.RETURNED)
    assert project not in review_queue()
    svc.update_project(project, project.owner, {"clinical_prospects": "补充了临床数据"})
    svc.submit_project(project, project.owner)
    assert project in review_queue()
    assert [e.action for e in audit_rows(project)] == ["create", "submit", "return", "edit", "submit"]


def test_editing_public_fields_of_a_published_project_sends_it_back(make_project):
    project = make_project(status=S.PUBLISHED)
    svc.update_project(project, project.owner, {"intended_use": "用于新的适用范围"})
    assert project.status is S.SUBMITTED
    assert audit_rows(project)[-1].action == "resubmit_after_edit"


def test_editing_partner_fields_of_a_published_project_keeps_it_published(make_project):
    project = make_project(status=S.PUBLISHED)
    svc.update_project(project, project.owner, {"team": "新增一名工程师", "phone": "13800001111"})
    assert project.status is S.PUBLISHED
    assert audit_rows(project)[-1].action == "edit"


@pytest.mark.parametrize("status", [S.SUBMITTED, S.REJECTED, S.WITHDRAWN, S.SIGNED])
def test_cannot_edit_outside_editable_states(make_project, status):
    project = make_project(status=status)
    with pytest.raises(PermissionDenied):
        svc.update_project(project, project.owner, {"name": "改名"})
    db.session.refresh(project)
    assert project.name != "改名"


def test_queue_is_oldest_first(make_project):
    from datetime import timedelta

    from app.projects.review import review_queue
    first, second, third = (make_project(status=S.SUBMITTED) for _ in range(3))
    first.submitted_at = third.submitted_at + timedelta(days=1)
    assert review_queue() == [second, third, first]


def test_transition_table_is_the_only_gate(make_project, staff):
    """A disallowed move raises before anything changes, including the audit trail."""
    from app.core.states import move
    project = make_project(status=S.DRAFT)
    rows = len(audit_rows(project))
    with pytest.raises(TransitionError):
        move(project, svc.LIFE, "launch", staff, "skip", project=project)
    assert project.status is S.DRAFT and len(audit_rows(project)) == rows
