"""Reasons go both ways: each side picks from its own list, and the other side reads it."""
from __future__ import annotations

import pytest

from app.core.errors import ValidationError
from app.core.models import Notification
from app.core.notifications import mark_read, render
from app.deals import operations as deals
from app.deals.models import DeclineReason, Interest, InterestStatus, PassReason, ProjectPass, Side
from app.extensions import db
from app.projects.models import ProjectStatus
from app.reporting.dashboard import dashboard_figures
from app.suggestions.models import MatchSuggestion

CLINICIAN_SIDE = ["合作方式不合适", "报价或预算不匹配", "已有合作意向方", "企业能力不匹配"]
ORGANISATION_SIDE = ["项目阶段过早", "不属于我方领域", "知识产权不清晰", "预算不匹配"]


@pytest.fixture
def published(make_project):
    project = make_project(status=ProjectStatus.PUBLISHED)
    mark_read(project.owner)
    db.session.commit()
    return project


def switch(client, login_as, who):
    client.post("/auth/logout")
    return login_as(who)


def _interest(client, login_as, project):
    company = login_as("enterprise")
    client.post(f"/deals/projects/{project.id}/interest", data={"message": "意向", "cooperation_modes": ["tech_transfer"]})
    return company, db.session.scalar(db.select(Interest).where(Interest.project_id == project.id))


def _latest(user, kind):
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id, Notification.kind == kind)
                              .order_by(Notification.id.desc())).first()


def test_the_clinician_declines_from_the_clinician_side_list(client, login_as, published):
    company, interest = _interest(client, login_as, published)
    switch(client, login_as, published.owner)
    board = client.get(f"/deals/projects/{published.id}/board").get_data(as_text=True)
    assert all(label in board for label in CLINICIAN_SIDE)
    assert not any(label in board for label in ("项目阶段过早", "不属于我方领域", "知识产权不清晰"))
    client.post(f"/deals/{interest.id}/decline", data={f"decline{interest.id}-reason": "too_early"})
    db.session.refresh(interest)
    assert interest.status is InterestStatus.PENDING      # an organisation-side code is not the clinician's to give
    client.post(f"/deals/{interest.id}/decline", data={f"decline{interest.id}-reason": "has_partner"})
    db.session.refresh(interest)
    assert interest.status is InterestStatus.DECLINED and interest.decline_reason is DeclineReason.HAS_PARTNER
    switch(client, login_as, company)
    assert "已有合作意向方" in client.get(f"/deals/{interest.id}").get_data(as_text=True)
    assert "已有合作意向方" in render(_latest(company, "interest_declined"))[1]


def test_decline_refuses_a_reason_from_the_other_list(published, make_user):
    company = make_user("enterprise")
    interest = deals.express_interest(published, company, "意向", ["tech_transfer"], None, "")
    with pytest.raises(ValidationError):
        deals.decline_interest(interest, published.owner, PassReason.TOO_EARLY)


def test_an_organisation_ends_talks_with_its_own_reasons_and_the_clinician_sees_them(client, login_as, published):
    company, interest = _interest(client, login_as, published)
    switch(client, login_as, published.owner)
    client.post(f"/deals/{interest.id}/accept")
    switch(client, login_as, company)
    thread = client.get(f"/deals/{interest.id}").get_data(as_text=True)
    assert all(label in thread for label in ORGANISATION_SIDE) and "企业能力不匹配" not in thread
    refused = client.post(f"/deals/{interest.id}/end", data={"reason": "other", "note": ""})
    assert refused.status_code == 400 and "选择“其他”时请说明原因" in refused.get_data(as_text=True)
    assert 'id="end-talks" open' in refused.get_data(as_text=True)   # the error stays next to the field
    client.post(f"/deals/{interest.id}/end", data={"reason": "ip_unclear", "note": "专利尚在申请中"})
    db.session.refresh(interest)
    assert interest.status is InterestStatus.FAILED and interest.ended_by_side is Side.ORGANISATION
    assert interest.end_reason_code == "ip_unclear"

    switch(client, login_as, published.owner)
    page = client.get(f"/deals/{interest.id}").get_data(as_text=True)
    assert "知识产权不清晰" in page and "专利尚在申请中" in page
    title, body = render(_latest(published.owner, "negotiation_ended"))
    assert "知识产权不清晰" in body and "专利尚在申请中" in body
    client.get("/lang/en")
    assert "Intellectual property is unclear" in client.get("/notifications/").get_data(as_text=True)


def test_the_clinician_ends_talks_with_the_clinician_side_list(client, login_as, published):
    company, interest = _interest(client, login_as, published)
    switch(client, login_as, published.owner)
    client.post(f"/deals/{interest.id}/accept")
    thread = client.get(f"/deals/{interest.id}").get_data(as_text=True)
    assert "合作方式不合适" in thread and "项目阶段过早" not in thread
    client.post(f"/deals/{interest.id}/end", data={"reason": "mode"})
    db.session.refresh(interest)
    assert interest.ended_by_side is Side.CLINICIAN and interest.end_reason_code == "mode"
    assert "合作方式不合适" in render(_latest(company, "negotiation_ended_by_owner"))[1]


def test_an_organisation_passes_on_a_suggested_project_and_the_clinician_reads_why(client, login_as, published):
    company = login_as("enterprise")
    db.session.add(MatchSuggestion(project_id=published.id, organisation_id=company.organisation_id, score=0.9,
                                   public_reasons=["产品方向相符"], owner_reasons=[]))
    db.session.commit()
    page = client.get("/matching/for-you").get_data(as_text=True)
    assert published.display_name in page and "暂不考虑" in page
    assert all(label in page for label in ORGANISATION_SIDE)
    response = client.post(f"/deals/projects/{published.id}/pass",
                           data={f"pass{published.id}-reason": "too_early", f"pass{published.id}-note": "待样机完成后再看"})
    assert response.status_code == 302
    (passed,) = db.session.scalars(db.select(ProjectPass)).all()
    assert passed.reason is PassReason.TOO_EARLY
    assert published.display_name not in client.get("/matching/for-you").get_data(as_text=True)

    switch(client, login_as, published.owner)
    detail = client.get(f"/projects/{published.id}").get_data(as_text=True)
    assert company.organisation.name in detail and "项目阶段过早" in detail and "待样机完成后再看" in detail
    assert "项目阶段过早" in render(_latest(published.owner, "project_passed"))[1]


def test_passing_needs_a_reason(client, login_as, published):
    login_as("enterprise")
    response = client.post(f"/deals/projects/{published.id}/pass", data={})
    assert response.status_code == 303
    assert db.session.scalar(db.select(db.func.count()).select_from(ProjectPass)) == 0


def test_the_dashboard_counts_each_sides_reasons_separately(client, login_as, published, make_user):
    company = make_user("enterprise")
    declined = deals.express_interest(published, company, "意向", ["tech_transfer"], None, "")
    deals.decline_interest(declined, published.owner, DeclineReason.BUDGET)
    other = make_user("enterprise")
    deals.pass_on_project(published, other, PassReason.NOT_OUR_FIELD)
    db.session.commit()
    figures = dashboard_figures()
    assert [(s.label, s.count) for s in figures.declines if s.count] == [("报价或预算不匹配", 1)]
    assert [(s.label, s.count) for s in figures.organisation_reasons if s.count] == [("不属于我方领域", 1)]
    login_as("admin")
    page = client.get("/dashboard/").get_data(as_text=True)
    assert "医务人员一方" in page and "企业/投资方一方" in page and 'id="organisation-reasons"' in page
