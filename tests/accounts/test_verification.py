"""An organisation's verification (VERIFICATION): every action from every state, by every role; the fixed bugs."""
import pytest

from app.accounts import operations as accounts
from app.accounts.models import OrgStatus as O
from app.core.errors import PermissionDenied, TransitionError
from app.core.models import AuditEvent
from app.extensions import db
from tests.transitions import STAFF, actors, assert_table, walk
from tests.accounts.test_people import give_licence

EXPECTED = {
    "verify": ({O.PENDING}, O.VERIFIED, STAFF),
    "reject": ({O.PENDING}, O.REJECTED, STAFF),
    "reopen": ({O.REJECTED}, O.PENDING, STAFF | {"member"}),
}


@pytest.fixture
def world(make_user):
    """`member`'s organisation, waiting for verification; the owner role is a clinician with no part in it."""
    member = make_user("enterprise", verified=False)
    return member.organisation, actors(make_user, make_user("clinician"), member)


def test_the_table_is_the_documented_life():
    assert_table(accounts.VERIFICATION, EXPECTED)


@pytest.mark.parametrize("action", EXPECTED)
def test_every_transition_by_every_role(world, action):
    organisation, people = world
    walk(organisation, accounts.VERIFICATION, EXPECTED, action, people)


def audit_of(organisation):
    return [(e.action, e.from_state, e.to_state) for e in db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.subject_type == "organisation", AuditEvent.subject_id == organisation.id).order_by(AuditEvent.id))]


def test_verifying_twice_is_refused(world):
    """Was allowed: verified → verified, with a second audit row and a new verified_at."""
    organisation, people = world
    accounts.verify_organisation(organisation, people["staff"])
    verified_at = organisation.verified_at
    with pytest.raises(TransitionError):
        accounts.verify_organisation(organisation, people["admin"])
    assert organisation.verified_at == verified_at and organisation.verified_by_id == people["staff"].id
    assert audit_of(organisation) == [("verify_organisation", "pending", "verified")]


def test_a_rejected_organisation_goes_back_to_the_queue_before_it_is_verified(world):
    """Was allowed: rejected → verified directly. Now the member corrects the profile first (or staff reopen)."""
    organisation, people = world
    accounts.reject_organisation(organisation, people["staff"], "信用代码与名称不符")
    with pytest.raises(TransitionError):
        accounts.verify_organisation(organisation, people["staff"])
    assert organisation.status is O.REJECTED and organisation.verified_at is None
    accounts.update_profile(organisation, people["member"], {"name": "福建康联医疗器械有限公司"})
    assert organisation.status is O.PENDING
    accounts.verify_organisation(organisation, people["staff"])
    assert organisation.is_verified and organisation.status_reason == ""
    assert [row[0] for row in audit_of(organisation)] == [
        "reject_organisation", "update_profile", "reopen_organisation", "verify_organisation"]


def test_staff_reopen_a_rejected_organisation(world):
    organisation, people = world
    accounts.reject_organisation(organisation, people["staff"], "材料不全")
    with pytest.raises(PermissionDenied):
        accounts.reopen_organisation(organisation, people["other_member"])
    accounts.reopen_organisation(organisation, people["staff"], "已补充营业执照")
    assert organisation.status is O.PENDING


def test_saving_an_unchanged_profile_does_not_reopen(world):
    organisation, people = world
    accounts.reject_organisation(organisation, people["staff"], "材料不全")
    accounts.update_profile(organisation, people["member"], {"name": organisation.name})
    assert organisation.status is O.REJECTED


def test_rejecting_needs_a_pending_organisation_and_a_reason(world):
    organisation, people = world
    with pytest.raises(PermissionDenied):
        accounts.reject_organisation(organisation, people["member"], "")  # who before what was typed
    accounts.verify_organisation(organisation, people["staff"])
    with pytest.raises(TransitionError):
        accounts.reject_organisation(organisation, people["staff"], "撤销")
    assert organisation.is_verified


def test_the_admin_page_offers_verification_only_for_pending_organisations(client, login_as, make_user):
    pending, rejected = make_user("enterprise", verified=False), make_user("enterprise", verified=False)
    give_licence(pending.organisation, pending)  # the verify button needs the 营业执照 on file
    accounts.reject_organisation(rejected.organisation, make_user("staff"), "材料不全")
    db.session.commit()
    login_as("staff")
    page = client.get("/admin/organisations?status=rejected").get_data(as_text=True)
    assert f"/admin/organisations/{rejected.organisation.id}/verify" not in page
    response = client.post(f"/admin/organisations/{rejected.organisation.id}/verify", follow_redirects=True)
    assert response.status_code == 409 and "不能执行此操作" in response.get_data(as_text=True)
    db.session.refresh(rejected.organisation)
    assert rejected.organisation.status is O.REJECTED
    assert f"/admin/organisations/{pending.organisation.id}/verify" in client.get("/admin/organisations").get_data(
        as_text=True)
