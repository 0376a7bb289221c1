"""Organisation takeover closed (issue 11): a registered 统一社会信用代码 is never a way in. Join requests approved by
the organisation's admin member or staff, invitations by e-mail, removal and roles."""
import re

import pytest

from app.accounts import operations as accounts
from app.accounts.models import MemberRole, Membership, MembershipStatus, Role, User
from app.core.errors import PermissionDenied, TransitionError
from app.core.models import AuditEvent, Notification
from app.deals import operations as deals
from app.extensions import db
from app.projects.models import ProjectStatus
from tests.conftest import PASSWORD


def _register(client, uscc, email="intruder@example.test", role="enterprise"):
    return client.post("/auth/register/organisation", data={
        "email": email, "name": "冒名者", "phone": "13800138000", "password": PASSWORD, "confirm": PASSWORD,
        "role": role, "organisation_name": "任意名称", "uscc": uscc})


@pytest.fixture
def verified_org_with_deal(make_user, make_project):
    """A verified organisation whose member is in talks on a project (threads, partner-tier text)."""
    owner_member = make_user("enterprise")
    project = make_project(ProjectStatus.PUBLISHED, structure="机密结构：双腔负压泵")
    interest = deals.express_interest(project, owner_member, "意向", ["joint_development"])
    deals.accept_interest(interest, project.owner)
    deals.post_message(interest, owner_member, "报价单见附件", None)
    db.session.commit()
    return owner_member, project, interest


def test_registering_with_a_verified_organisations_code_gives_no_access(client, verified_org_with_deal):
    member, project, interest = verified_org_with_deal
    organisation = member.organisation
    response = _register(client, organisation.uscc)
    assert response.status_code == 302
    intruder = accounts.find_user("intruder@example.test")
    assert intruder.organisation_id is None and not intruder.is_verified
    for path in (f"/deals/{interest.id}", "/deals/", f"/library/{project.id}", "/organisation/profile",
                 f"/organisation/{organisation.id}", "/organisation/members", f"/deals/{interest.id}/signing"):
        page = client.get(path)
        assert page.status_code in (403, 404), path
        assert "机密结构" not in page.get_data(as_text=True) and "报价单" not in page.get_data(as_text=True)
    request = accounts.pending_request_of(intruder)
    assert request is not None and request.organisation_id == organisation.id
    assert "正在等待该机构管理员" in client.get("/library/").get_data(as_text=True)
    # the organisation's admin member is told
    assert db.session.scalar(db.select(Notification).where(Notification.user_id == member.id,
                                                           Notification.kind == "membership_requested"))


def test_the_admin_member_approves_and_the_new_member_gets_in(client, login_as, verified_org_with_deal, app):
    member, project, interest = verified_org_with_deal
    _register(client, member.organisation.uscc)
    client.post("/auth/logout")
    intruder = accounts.find_user("intruder@example.test")
    request = accounts.pending_request_of(intruder)
    login_as(member)
    page = client.get("/organisation/members").get_data(as_text=True)
    assert "intruder@example.test" in page
    assert client.post(f"/organisation/requests/{request.id}/approve").status_code == 302
    db.session.refresh(intruder)
    assert intruder.organisation_id == member.organisation_id and intruder.member_role is MemberRole.MEMBER
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "approve_membership"))
    assert db.session.scalar(db.select(Notification).where(Notification.user_id == intruder.id,
                                                           Notification.kind == "membership_approved"))


def test_only_the_admin_member_or_staff_decide(make_user, verified_org_with_deal):
    member, _project, _interest = verified_org_with_deal
    colleague = User(email="colleague@example.test", name="同事", role=Role.ENTERPRISE,
                     organisation=member.organisation, member_role=MemberRole.MEMBER)
    db.session.add(colleague)
    joiner = accounts.register_organisation_member("j@example.test", PASSWORD, "甲", "13800138000", Role.ENTERPRISE,
                                                   "x", member.organisation.uscc)
    request = accounts.pending_request_of(joiner)
    for outsider in (colleague, make_user("enterprise"), make_user("clinician"), joiner):
        with pytest.raises(PermissionDenied):
            accounts.approve_membership(request, outsider)
    accounts.decline_membership(request, make_user("staff"), "无法核实身份")
    assert request.status is MembershipStatus.DECLINED and joiner.organisation_id is None
    with pytest.raises(TransitionError):
        accounts.approve_membership(request, member)


def test_a_new_organisation_makes_its_registrant_admin(client):
    from tests.uscc import make_uscc
    _register(client, make_uscc(777), email="first@example.test")
    first = accounts.find_user("first@example.test")
    assert first.organisation is not None and first.member_role is MemberRole.ADMIN
    assert accounts.pending_request_of(first) is None


def test_an_invitation_lets_the_invitee_in(client, app, login_as, verified_org_with_deal, smtp_server):
    member, _project, _interest = verified_org_with_deal
    login_as(member)
    assert client.post("/organisation/members/invite", data={"email": "new.colleague@example.test"}).status_code == 302
    message = smtp_server.wait_for(1)[-1]
    link = re.search(r"http\S+/organisation/join/\S+", message.get_content()).group(0)
    path = link[link.index("/organisation/join/"):]
    client.post("/auth/logout")
    # the invitee registers with the organisation's code: the invitation is the approval
    _register(client, member.organisation.uscc, email="new.colleague@example.test")
    invitee = accounts.find_user("new.colleague@example.test")
    assert invitee.organisation_id == member.organisation_id and accounts.pending_request_of(invitee) is None
    assert client.get(path).status_code == 302  # the link is spent


def test_an_existing_account_accepts_an_invitation_by_link(client, make_user, verified_org_with_deal):
    member, _project, _interest = verified_org_with_deal
    invitation = accounts.invite_member(member.organisation, member, "joiner@example.test")
    joiner = User(email="joiner@example.test", name="乙", role=Role.INVESTOR)
    joiner.set_password(PASSWORD)
    db.session.add(joiner)
    db.session.commit()
    token = accounts.invitation_token(invitation)
    stranger = make_user("enterprise")
    client.post("/auth/login", data={"email": stranger.email, "password": PASSWORD})
    assert client.get(f"/organisation/join/{token}").status_code == 403
    client.post("/auth/logout")
    client.post("/auth/login", data={"email": joiner.email, "password": PASSWORD})
    assert client.get(f"/organisation/join/{token}").status_code == 200
    assert client.post(f"/organisation/join/{token}").status_code == 302
    db.session.refresh(joiner)
    assert joiner.organisation_id == member.organisation_id and joiner.role is member.organisation.kind
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    assert client.get(f"/organisation/join/{forged}").status_code == 302


def test_removal_and_roles(client, login_as, make_user, verified_org_with_deal):
    member, _project, interest = verified_org_with_deal
    colleague = User(email="colleague@example.test", name="同事", role=Role.ENTERPRISE,
                     organisation=member.organisation, member_role=MemberRole.MEMBER)
    colleague.set_password(PASSWORD)
    db.session.add(colleague)
    db.session.commit()
    with pytest.raises(TransitionError):  # the only admin member stays
        accounts.remove_member(member.organisation, make_user("staff"), member)
    with pytest.raises(PermissionDenied):
        accounts.remove_member(member.organisation, colleague, member)
    other = app_client = client.application.test_client()
    other.post("/auth/login", data={"email": colleague.email, "password": PASSWORD})
    assert other.get(f"/deals/{interest.id}").status_code == 200
    login_as(member)
    assert client.post(f"/organisation/members/{colleague.id}/role", data={"role": "admin"}).status_code == 302
    db.session.refresh(colleague)
    assert colleague.member_role is MemberRole.ADMIN
    assert client.post(f"/organisation/members/{colleague.id}/remove").status_code == 302
    db.session.refresh(colleague)
    assert colleague.organisation_id is None and colleague.member_role is None
    assert app_client.get(f"/deals/{interest.id}").status_code in (302, 403, 404)  # signed out and no longer in
    assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "remove_member"))
    assert db.session.scalar(db.select(Notification).where(Notification.user_id == colleague.id,
                                                           Notification.kind == "membership_removed"))


def test_staff_see_every_pending_request(client, login_as, verified_org_with_deal):
    member, _project, _interest = verified_org_with_deal
    accounts.register_organisation_member("j@example.test", PASSWORD, "甲", "13800138000", Role.ENTERPRISE, "x",
                                          member.organisation.uscc)
    db.session.commit()
    login_as("staff")
    page = client.get("/admin/memberships").get_data(as_text=True)
    assert "j@example.test" in page and member.organisation.name in page
    request = db.session.scalar(db.select(Membership))
    assert client.post(f"/organisation/requests/{request.id}/approve").status_code == 302
    db.session.refresh(request)
    assert request.status is MembershipStatus.APPROVED


# --- the table, walked for every role -------------------------------------------------------------------------

from app.accounts.models import MembershipKind  # noqa: E402
from app.accounts.models import MembershipStatus as MS  # noqa: E402
from tests.transitions import STAFF, actors, assert_table, walk  # noqa: E402

EXPECTED = {
    "approve": ({MS.PENDING}, MS.APPROVED, STAFF | {"member"}),
    "decline": ({MS.PENDING}, MS.DECLINED, STAFF | {"member"}),
    "withdraw": ({MS.PENDING}, MS.CANCELLED, {"owner"}),
    "accept": ({MS.PENDING}, MS.APPROVED, set()),   # only the invitee (a request has none)
    "cancel": ({MS.PENDING}, MS.CANCELLED, set()),  # only for invitations
}
INVITATION_EXPECTED = {
    "approve": ({MS.PENDING}, MS.APPROVED, set()),
    "decline": ({MS.PENDING}, MS.DECLINED, set()),
    "withdraw": ({MS.PENDING}, MS.CANCELLED, set()),
    "accept": ({MS.PENDING}, MS.APPROVED, {"owner"}),
    "cancel": ({MS.PENDING}, MS.CANCELLED, STAFF | {"member"}),
}


@pytest.fixture
def membership_world(make_user):
    """`member` is the admin member of the organisation; the owner role is the person asking to join / invited."""
    member = make_user("enterprise")
    joiner = User(email="joiner@example.test", name="申请人", role=Role.ENTERPRISE)
    db.session.add(joiner)
    db.session.flush()
    return member, joiner, actors(make_user, joiner, member)


def test_the_table_is_the_documented_life():
    assert_table(accounts.MEMBERSHIP, EXPECTED)


@pytest.mark.parametrize("action", EXPECTED)
def test_every_request_transition_by_every_role(membership_world, action):
    member, joiner, people = membership_world
    request = Membership(organisation=member.organisation, kind=MembershipKind.REQUEST, email=joiner.email,
                         user=joiner)
    db.session.add(request)
    db.session.flush()
    walk(request, accounts.MEMBERSHIP, EXPECTED, action, people)


@pytest.mark.parametrize("action", INVITATION_EXPECTED)
def test_every_invitation_transition_by_every_role(membership_world, action):
    member, joiner, people = membership_world
    invitation = Membership(organisation=member.organisation, kind=MembershipKind.INVITATION, email=joiner.email)
    db.session.add(invitation)
    db.session.flush()
    walk(invitation, accounts.MEMBERSHIP, INVITATION_EXPECTED, action, people)
