"""The deal flow: interest, the clinician's board, partner access, negotiation, signing, 附件2, notifications."""
import io
from datetime import date, timedelta

import pytest
from werkzeug.datastructures import FileStorage

from app.core.errors import PermissionDenied, ServiceError, TransitionError
from app.core.models import AuditEvent, Notification, utcnow
from app.deals import operations as interests
from app.deals import operations as negotiation
from app.deals import operations as signing
from app.deals.models import AgreementStatus, DeclineReason, DockingStatus, InterestStatus
from app.extensions import db
from app.projects.models import ProjectStatus

PDF = b"%PDF-1.4\n% contract\n"


def pdf(name="合同.pdf"):
    return FileStorage(io.BytesIO(PDF), filename=name)


@pytest.fixture
def deal(make_project, make_user, app):
    """A published project, its owner, and two verified organisations' members."""
    project = make_project(status=ProjectStatus.PUBLISHED, structure="机密结构说明", principle="机密工作原理")
    return {"project": project, "owner": project.owner, "company": make_user("enterprise"),
            "rival": make_user("investor"), "app": app}


def express(deal, who="company"):
    with deal["app"].test_request_context():
        return interests.express_interest(deal["project"], deal[who], "我们有相关产品线，希望联合开发。",
                                          ["joint_development"], 200, "六个月内")


def notifications_of(user, kind=None):
    query = db.select(Notification).where(Notification.user_id == user.id)
    if kind:
        query = query.where(Notification.kind == kind)
    return db.session.scalars(query).all()


def test_one_open_interest_per_organisation(deal):
    first = express(deal)
    assert first.status is InterestStatus.PENDING and first.expires_at > utcnow() + timedelta(days=13)
    assert notifications_of(deal["owner"], "new_interest")
    with pytest.raises(ServiceError):
        express(deal)
    with deal["app"].test_request_context():
        interests.withdraw_interest(first, deal["company"])
    assert express(deal).status is InterestStatus.PENDING  # a new one after withdrawal is fine


@pytest.mark.parametrize("who", ["owner"])
def test_clinicians_and_unverified_cannot_express(deal, make_user, who):
    with pytest.raises(PermissionDenied):
        with deal["app"].test_request_context():
            interests.express_interest(deal["project"], deal["owner"], "x", [])
    with pytest.raises(PermissionDenied):
        with deal["app"].test_request_context():
            interests.express_interest(deal["project"], make_user("enterprise", verified=False), "x", [])


@pytest.mark.parametrize("status", [s for s in ProjectStatus if s not in (ProjectStatus.PUBLISHED, ProjectStatus.NEGOTIATING)])
def test_only_listed_projects_take_interest(make_project, make_user, app, status):
    project = make_project(status=status)
    with pytest.raises(TransitionError):  # the project's state refuses it, not the member's rights
        interests.express_interest(project, make_user("enterprise"), "x", [])


def test_accepting_unlocks_the_partner_tier_for_that_organisation_only(deal):
    interest = express(deal)
    express(deal, "rival")
    project = deal["project"]
    assert not project.can_view_partner(deal["company"])
    with deal["app"].test_request_context():
        interests.accept_interest(interest, deal["owner"])
    assert interest.status is InterestStatus.ACCEPTED
    assert project.status is ProjectStatus.NEGOTIATING
    assert project.can_view_partner(deal["company"])
    assert not project.can_view_partner(deal["rival"])
    assert not project.can_view_private(deal["company"])
    assert notifications_of(deal["company"], "interest_accepted")


@pytest.mark.parametrize("transition", ["accept", "decline", "withdraw"])
def test_interest_transitions_refused_after_closing(deal, transition):
    interest = express(deal)
    with deal["app"].test_request_context():
        interests.decline_interest(interest, deal["owner"], DeclineReason.MODE)
    with pytest.raises((TransitionError, PermissionDenied)):
        with deal["app"].test_request_context():
            if transition == "accept":
                interests.accept_interest(interest, deal["owner"])
            elif transition == "decline":
                interests.decline_interest(interest, deal["owner"], DeclineReason.BUDGET)
            else:
                interests.withdraw_interest(interest, deal["company"])
    assert interest.status is InterestStatus.DECLINED


def test_only_the_owner_responds(deal, make_user):
    interest = express(deal)
    for actor in (deal["company"], make_user("clinician"), make_user("staff")):
        with pytest.raises(PermissionDenied):
            with deal["app"].test_request_context():
                interests.accept_interest(interest, actor)


def test_decline_reason_other_needs_a_note(deal):
    interest = express(deal)
    with pytest.raises(ServiceError), deal["app"].test_request_context():
        interests.decline_interest(interest, deal["owner"], DeclineReason.OTHER, "")
    with deal["app"].test_request_context():
        interests.decline_interest(interest, deal["owner"], DeclineReason.OTHER, "已有合作方")
    body = notifications_of(deal["company"], "interest_declined")[0].body
    assert "其他" in body and "已有合作方" in body


def test_expiry_with_a_reminder_halfway(deal, app):
    interest = express(deal)
    start = interest.created_at
    with app.test_request_context():
        assert interests.expire_interests(start + timedelta(days=3)) == (0, 0)
        assert interests.expire_interests(start + timedelta(days=8)) == (0, 1)
        assert interests.expire_interests(start + timedelta(days=9)) == (0, 0)  # reminded once
        assert interests.expire_interests(start + timedelta(days=15)) == (1, 0)
    assert interest.status is InterestStatus.EXPIRED
    assert notifications_of(deal["owner"], "interest_expiring")
    assert notifications_of(deal["company"], "interest_expired")


def test_expiry_cli(deal, app):
    express(deal)
    db.session.commit()
    later = (utcnow() + timedelta(days=20)).isoformat()
    result = app.test_cli_runner().invoke(args=["interests", "expire", "--now", later])
    assert result.exit_code == 0 and "expired 1" in result.output


def accepted(deal):
    interest = express(deal)
    with deal["app"].test_request_context():
        interests.accept_interest(interest, deal["owner"])
    return interest


def test_negotiation_messages_attachments_and_unread_counts(deal):
    interest = accepted(deal)
    with deal["app"].test_request_context():
        negotiation.post_message(interest, deal["company"], "请提供样品测试数据", pdf("测试方案.pdf"))
        assert negotiation.unread_counts(deal["owner"], [interest.id]) == {interest.id: 1}
        assert negotiation.unread_counts(deal["company"], [interest.id]) == {}
        negotiation.mark_read(interest, deal["owner"])
        assert negotiation.unread_counts(deal["owner"], [interest.id]) == {}
        with pytest.raises(PermissionDenied):
            negotiation.post_message(interest, deal["rival"], "插话")
        with pytest.raises(ServiceError):
            negotiation.post_message(interest, deal["owner"], "   ")
    assert interest.messages[0].attachment_original_name == "测试方案.pdf"
    assert notifications_of(deal["owner"], "new_message")


def test_ending_talks_returns_the_project_to_the_library(deal):
    interest = accepted(deal)
    with deal["app"].test_request_context():
        with pytest.raises(ServiceError):
            interests.end_negotiation(interest, deal["owner"], "")
        interests.end_negotiation(interest, deal["owner"], "技术路线不一致")
    assert interest.status is InterestStatus.FAILED
    assert deal["project"].status is ProjectStatus.PUBLISHED
    assert not deal["project"].can_view_partner(deal["company"])


def test_signing_needs_the_other_side_to_confirm(deal, make_user):
    staff = make_user("staff")
    interest = accepted(deal)
    with deal["app"].test_request_context():
        agreement = signing.record_agreement(interest, deal["company"], ["joint_development"], 300,
                                             date.today(), "联合开发，分阶段投入", pdf())
        assert not agreement.can_confirm(deal["company"])  # not your own record
        with pytest.raises(PermissionDenied):
            signing.confirm_agreement(agreement, deal["company"])
        signing.dispute_agreement(agreement, deal["owner"], "金额应为 350 万元")
        assert agreement.status is AgreementStatus.DISPUTED
        signing.record_agreement(interest, deal["company"], ["joint_development"], 350, date.today(), "更正", pdf())
        signing.confirm_agreement(agreement, deal["owner"])
    assert agreement.status is AgreementStatus.CONFIRMED
    assert interest.status is InterestStatus.SIGNED
    assert deal["project"].status is ProjectStatus.SIGNED
    assert notifications_of(staff, "signed_staff")
    actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.project_id == deal["project"].id)).all()
    assert {"record_agreement", "dispute_agreement", "confirm_agreement", "interest_sign", "sign"} <= set(actions)


def test_contract_must_be_a_pdf(deal):
    interest = accepted(deal)
    with deal["app"].test_request_context(), pytest.raises(ServiceError):
        signing.record_agreement(interest, deal["company"], ["tech_transfer"], None, date.today(), "x",
                                 FileStorage(io.BytesIO(b"PK\x03\x04"), filename="合同.docx"))


def test_docking_form_is_prefilled_and_filing_tells_staff(deal, make_user):
    staff = make_user("staff")
    organisation = deal["company"].organisation
    organisation.address, organisation.legal_rep, organisation.registered_capital_wan = "福州市鼓楼区", "陈总", 5000
    interest = accepted(deal)
    with deal["app"].test_request_context():
        agreement = signing.record_agreement(interest, deal["owner"], ["tech_transfer", "joint_development"], 100,
                                             date.today(), "技术转让", pdf())
        signing.confirm_agreement(agreement, deal["company"])
        with pytest.raises(PermissionDenied):
            signing.start_docking_form(interest, deal["owner"])  # the signing enterprise files 附件2
        form = signing.start_docking_form(interest, deal["company"])
        assert (form.company_name, form.address, form.legal_rep, form.uscc) == (
            organisation.name, "福州市鼓楼区", "陈总", organisation.uscc)
        assert form.project_name == deal["project"].name
        assert form.cooperation_modes == ["tech_transfer", "joint_development"]
        signing.save_docking_form(form, deal["company"], {"progress_work": "完成样机"}, file=True)
    assert form.status is DockingStatus.FILED and form.progress_work == "完成样机"
    assert notifications_of(staff, "docking_filed")
    assert signing.docking_forms() == [form]
