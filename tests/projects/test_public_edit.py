"""Editing a published project's public fields while organisations wait: confirm, review again, keep interests straight."""
from __future__ import annotations

import pytest

from app.core.errors import TransitionError
from app.core.models import Notification
from app.deals import operations as deals
from app.deals.models import Interest, InterestStatus
from app.extensions import db
from app.projects import operations as projects
from app.projects.models import ProjectStatus
from tests.projects.test_projects_web import form_data


@pytest.fixture
def waiting(make_project, make_user):
    """A published project with one pending interest."""
    project = make_project(status=ProjectStatus.PUBLISHED)
    company = make_user("enterprise", org_name="闽东医疗器械有限公司")
    interest = deals.express_interest(project, company, "希望合作", ["tech_transfer"], None, "")
    db.session.commit()
    return project, company, interest


def _kinds(user):
    return db.session.scalars(db.select(Notification.kind).where(Notification.user_id == user.id)).all()


def test_a_public_edit_asks_first_and_says_what_happens(client, login_as, waiting):
    project, company, interest = waiting
    login_as(project.owner)
    response = client.post(f"/projects/{project.id}/edit", data=form_data(intended_use="扩展到慢性创面", save_draft="1"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "确认修改公开信息" in page and "适用范围/预期用途" in page
    assert "待初核" in page and "暂不在项目库展示" in page and "闽东医疗器械有限公司" in page
    assert "扩展到慢性创面" in page                           # what was typed stays in the form
    db.session.refresh(project)
    assert project.status is ProjectStatus.PUBLISHED and project.intended_use != "扩展到慢性创面"


def test_confirming_sends_it_back_tells_the_organisation_and_holds_the_interest(client, login_as, waiting, staff):
    project, company, interest = waiting
    login_as(project.owner)
    client.post(f"/projects/{project.id}/edit", data=form_data(intended_use="扩展到慢性创面", confirm_public_edit="1"))
    db.session.refresh(project)
    assert project.status is ProjectStatus.SUBMITTED and not project.is_listed()
    assert "project_back_in_review" in _kinds(company)
    assert interest.status is InterestStatus.PENDING            # kept, but it cannot be accepted now

    board = client.get(f"/deals/projects/{project.id}/board").get_data(as_text=True)
    assert f'/deals/{interest.id}/accept' not in board and "通过后才能接受意向" in board
    response = client.post(f"/deals/{interest.id}/accept")
    assert response.status_code == 409
    db.session.refresh(interest)
    assert interest.status is InterestStatus.PENDING
    with pytest.raises(TransitionError):
        deals.accept_interest(interest, project.owner)

    projects.approve_project(project, staff, "")
    db.session.commit()
    assert "project_republished" in _kinds(company)
    deals.accept_interest(interest, project.owner)
    assert interest.status is InterestStatus.ACCEPTED and project.status is ProjectStatus.NEGOTIATING


def test_a_partner_tier_edit_needs_no_confirmation(client, login_as, waiting):
    project, company, interest = waiting
    login_as(project.owner)
    response = client.post(f"/projects/{project.id}/edit", data=form_data(market="新的市场分析", save_draft="1"))
    assert response.status_code == 302
    db.session.refresh(project)
    assert project.status is ProjectStatus.PUBLISHED and project.market == "新的市场分析"


def test_the_operation_refuses_an_unconfirmed_public_edit(waiting):
    project, company, interest = waiting
    with pytest.raises(Exception):
        projects.update_project(project, project.owner, {"name": "改名"}, confirmed=False)
    assert project.status is ProjectStatus.PUBLISHED
