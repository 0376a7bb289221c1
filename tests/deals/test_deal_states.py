"""The deal flow's state tables: interest, agreement (signing), docking form (附件2), intent; every role."""
import io
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import FileStorage

from app.core.errors import PermissionDenied, TransitionError
from app.core.models import AuditEvent, utcnow
from app.core.states import move
from app.deals import operations as deals
from app.deals.models import (Agreement, AgreementStatus, DeclineReason, DockingForm, DockingStatus, Intent,
                              IntentStatus, Interest, InterestStatus)
from app.extensions import db
from app.projects.models import ProjectStatus
from tests.transitions import actors, assert_table, walk

I, A, N = InterestStatus, AgreementStatus, IntentStatus
OWNER, MEMBER, PARTIES = frozenset({"owner"}), frozenset({"member"}), frozenset({"owner", "member"})

INTEREST = {
    "accept": ({I.PENDING}, I.ACCEPTED, OWNER),
    "decline": ({I.PENDING}, I.DECLINED, OWNER),
    "withdraw": ({I.PENDING}, I.WITHDRAWN, MEMBER),
    "expire": ({I.PENDING}, I.EXPIRED, frozenset({"system"})),
    "sign": ({I.ACCEPTED}, I.SIGNED, PARTIES),
    "fail": ({I.ACCEPTED}, I.FAILED, PARTIES),
}

# The agreement below was recorded by the organisation's member: the project owner is the other side.
SIGNING = {
    "record": ({A.AWAITING, A.DISPUTED}, A.AWAITING, PARTIES),
    "confirm": ({A.AWAITING}, A.CONFIRMED, OWNER),
    "dispute": ({A.AWAITING}, A.DISPUTED, OWNER),
}

# 附件2: filed (again after a return) by the signer; the station acknowledges it (locked) or returns it.
DOCKING = {"file": ({DockingStatus.DRAFT, DockingStatus.RETURNED}, DockingStatus.FILED, MEMBER),
           "acknowledge": ({DockingStatus.FILED}, DockingStatus.ACKNOWLEDGED, frozenset({"staff", "admin"})),
           "return": ({DockingStatus.FILED}, DockingStatus.RETURNED, frozenset({"staff", "admin"}))}

INTENT = {
    "pause": ({N.ACTIVE}, N.PAUSED, MEMBER),
    "resume": ({N.PAUSED}, N.ACTIVE, MEMBER),
    "close": ({N.ACTIVE, N.PAUSED}, N.CLOSED, MEMBER),
}


def pdf(name="合同.pdf"):
    return FileStorage(io.BytesIO(b"%PDF-1.4\n% contract\n"), filename=name)


@pytest.fixture
def world(make_user, make_project):
    """A published project, `member`'s organisation's interest in it, its agreement, 附件2 and an intent."""
    project = make_project(ProjectStatus.PUBLISHED)
    member = make_user("enterprise")
    interest = Interest(project=project, organisation_id=member.organisation_id, created_by=member,
                        status=I.PENDING)
    agreement = Agreement(interest=interest, recorded_by_id=member.id, signed_on=date.today(),
                          contract_stored_name="contracts/x.pdf", contract_original_name="合同.pdf")
    docking = DockingForm(interest=interest)
    intent = Intent(organisation=member.organisation, title="寻找监护类项目")
    db.session.add_all([interest, agreement, docking, intent])
    db.session.flush()
    return {"project": project, "interest": interest, "agreement": agreement, "docking": docking,
            "intent": intent, "people": actors(make_user, project.owner, member)}


@pytest.mark.parametrize("table, expected", [(deals.INTEREST, INTEREST), (deals.SIGNING, SIGNING),
                                             (deals.DOCKING, DOCKING), (deals.INTENT, INTENT)])
def test_the_tables_are_the_documented_lives(table, expected):
    assert_table(table, expected)


@pytest.mark.parametrize("action", INTEREST)
def test_interest(world, action):
    walk(world["interest"], deals.INTEREST, INTEREST, action, world["people"])


@pytest.mark.parametrize("action", SIGNING)
def test_agreement(world, action):
    walk(world["agreement"], deals.SIGNING, SIGNING, action, world["people"])


@pytest.mark.parametrize("action", DOCKING)
def test_docking_form(world, action):
    walk(world["docking"], deals.DOCKING, DOCKING, action, world["people"])


@pytest.mark.parametrize("action", INTENT)
def test_intent(world, action):
    walk(world["intent"], deals.INTENT, INTENT, action, world["people"])


def test_an_agreement_recorded_by_the_owner_is_confirmed_by_the_organisation(world):
    agreement, people = world["agreement"], world["people"]
    agreement.recorded_by_id = people["owner"].id
    with pytest.raises(PermissionDenied):
        move(agreement, deals.SIGNING, "confirm", people["owner"])
    move(agreement, deals.SIGNING, "confirm", people["member"])
    assert agreement.status is A.CONFIRMED and agreement.confirmed_at is not None


def test_interest_timestamps(world):
    interest, people = world["interest"], world["people"]
    move(interest, deals.INTEREST, "accept", people["owner"])
    assert interest.responded_at is not None and interest.closed_at is None
    move(interest, deals.INTEREST, "fail", people["member"], "条款未谈拢")
    assert interest.closed_at is not None


def test_expiry_is_done_by_the_platform_and_audited_without_a_user(world, app):
    interest = world["interest"]
    interest.expires_at = utcnow() - timedelta(days=1)
    with app.test_request_context():
        assert deals.expire_interests() == (1, 0)
    row = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "interest_expire")).one()
    assert interest.status is I.EXPIRED and row.actor_id is None
    interest.status = I.PENDING
    with pytest.raises(PermissionDenied):  # a person cannot expire an interest by hand
        move(interest, deals.INTEREST, "expire", world["people"]["staff"])


def test_a_confirmation_that_cannot_sign_the_project_changes_nothing(world, app):
    """Agreement, interest and project move together or not at all."""
    interest, agreement, people = world["interest"], world["agreement"], world["people"]
    interest.status = I.ACCEPTED  # the project is still published: nothing accepted it into talks
    with app.test_request_context(), pytest.raises(TransitionError):
        deals.confirm_agreement(agreement, people["owner"])
    assert (agreement.status, interest.status, world["project"].status) == (
        A.AWAITING, I.ACCEPTED, ProjectStatus.PUBLISHED)


def test_no_confirmation_or_dispute_once_talks_ended(world, app):
    interest, agreement, people = world["interest"], world["agreement"], world["people"]
    interest.status = I.FAILED
    with app.test_request_context():
        for operation in (lambda: deals.confirm_agreement(agreement, people["owner"]),
                          lambda: deals.dispute_agreement(agreement, people["owner"], "金额不对")):
            with pytest.raises(TransitionError):
                operation()
    assert agreement.status is A.AWAITING and agreement.dispute_note == ""


def test_a_refused_decline_leaves_the_reason_unset(world, app):
    interest = world["interest"]
    interest.status = I.WITHDRAWN
    with app.test_request_context(), pytest.raises(TransitionError):
        deals.decline_interest(interest, world["people"]["owner"], DeclineReason.BUDGET)
    assert interest.decline_reason is None


def test_recording_again_after_a_dispute_is_a_move(world, app):
    project, interest, people = world["project"], world["interest"], world["people"]
    project.status, interest.status = ProjectStatus.NEGOTIATING, I.ACCEPTED
    agreement = world["agreement"]
    agreement.status = A.DISPUTED
    with app.test_request_context():
        deals.record_agreement(interest, people["member"], ["joint_development"], 300, date.today(), "更正", pdf())
    row = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "record_agreement")).one()
    assert agreement.status is A.AWAITING and (row.from_state, row.to_state) == ("disputed", "awaiting")


def test_filing_twice_files_once(world, app):
    form, member = world["docking"], world["people"]["member"]
    world["interest"].status = I.SIGNED
    with app.test_request_context():
        deals.save_docking_form(form, member, {"progress_work": "完成样机"}, file=True)
        filed_at = form.filed_at
        deals.save_docking_form(form, member, {"progress_work": "完成样机和型检"}, file=True)
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.subject_type == "docking_form")
                                 .order_by(AuditEvent.id)).all()
    assert actions == ["file_docking_form", "save_docking_form"]
    assert form.status is DockingStatus.FILED and form.filed_at == filed_at and form.progress_work == "完成样机和型检"


def test_an_intent_closed_stays_closed(world):
    intent, member = world["intent"], world["people"]["member"]
    deals.set_intent_status(intent, member, N.CLOSED)
    with pytest.raises(TransitionError, match="不能改为"):
        deals.set_intent_status(intent, member, N.ACTIVE)
    with pytest.raises(TransitionError):
        deals.set_intent_status(intent, member, N.CLOSED)
    assert intent.status is N.CLOSED


def test_the_old_engines_are_gone():
    assert not any(hasattr(deals, name) for name in ("TRANSITIONS", "INTENT_TRANSITIONS", "move_interest"))
