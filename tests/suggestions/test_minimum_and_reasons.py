"""Suggestions under the minimum score are not offered to users (staff see them, marked); generic reasons never shown."""
from __future__ import annotations

import pytest

from app.deals.operations import create_intent
from app.extensions import db
from app.projects.models import ProjectStatus
from app.suggestions import operations as service
from app.suggestions.models import MatchSuggestion, SuggestionStatus


@pytest.fixture
def weak_and_strong(make_project, make_user):
    strong = make_project(status=ProjectStatus.PUBLISHED, name="高分配对项目")
    weak = make_project(status=ProjectStatus.PUBLISHED, name="低分配对项目")
    company = make_user("enterprise", org_name="门槛测试企业")
    db.session.add_all([
        MatchSuggestion(project_id=strong.id, organisation_id=company.organisation_id, score=0.40,
                        public_reasons=["方向相符"], owner_reasons=["方向相符"]),
        MatchSuggestion(project_id=weak.id, organisation_id=company.organisation_id, score=0.10,
                        public_reasons=["部分相符"], owner_reasons=["部分相符"])])
    db.session.commit()
    return strong, weak, company


def test_the_minimum_is_a_named_setting_on_the_0_to_100_scale(app):
    assert app.config["SUGGESTION_MIN_SCORE"] == 15
    with app.app_context():
        assert service.min_score() == 15 and service.offered(0.15) and not service.offered(0.149)


def test_suggestions_under_the_minimum_are_not_offered_to_the_organisation(client, login_as, weak_and_strong):
    strong, weak, company = weak_and_strong
    login_as(company)
    page = client.get("/matching/for-you").get_data(as_text=True)
    assert "高分配对项目" in page and "低分配对项目" not in page


def test_nor_to_the_owner_as_a_suggested_partner(client, login_as, weak_and_strong):
    strong, weak, company = weak_and_strong
    login_as(weak.owner)
    page = client.get(f"/projects/{weak.id}").get_data(as_text=True)
    assert "门槛测试企业" not in page
    client.post("/auth/logout")
    login_as(strong.owner)
    assert "门槛测试企业" in client.get(f"/projects/{strong.id}").get_data(as_text=True)


def test_staff_see_them_on_the_board_marked_with_the_threshold(client, login_as, weak_and_strong):
    login_as("staff")
    page = client.get("/matching/board").get_data(as_text=True)
    assert "高分配对项目" in page and "低分配对项目" in page
    assert "匹配度低于 15 的配对不会" in page
    assert page.count("低于推荐门槛</span>") == 1


def test_a_staff_recommendation_under_the_minimum_is_still_shown(client, login_as, weak_and_strong):
    strong, weak, company = weak_and_strong
    row = db.session.scalar(db.select(MatchSuggestion).where(MatchSuggestion.project_id == weak.id))
    row.status = SuggestionStatus.APPROVED
    db.session.commit()
    login_as(company)
    assert "低分配对项目" in client.get("/matching/for-you").get_data(as_text=True)


def test_the_minimum_follows_the_setting(client, login_as, weak_and_strong, app, monkeypatch):
    monkeypatch.setitem(app.config, "SUGGESTION_MIN_SCORE", 5)
    login_as(weak_and_strong[2])
    assert "低分配对项目" in client.get("/matching/for-you").get_data(as_text=True)


GENERIC = ("制式", "进入", "基金", "资助", "立项")


def test_generic_words_never_appear_in_the_reasons_shown(client, login_as, make_project, make_user, app):
    project = make_project(status=ProjectStatus.PUBLISHED, name="制式痔疮套扎器",
                           intended_use="用于内痔套扎治疗，制式器械进入临床，获省基金资助立项。",
                           public_summary="制式痔疮套扎器进入市场，省基金资助立项项目。", project_type="passive",
                           device_class="II")
    maker = make_user("enterprise", org_name="套扎器械公司")
    maker.organisation.field, maker.organisation.overview = "无源手术器械", "公司主要产品：痔疮套扎器（制式、进入基金资助目录）"
    with app.test_request_context():
        create_intent(maker.organisation, maker, {"title": "痔疮套扎器项目", "device_classes": ["II"],
                                                  "description": "痔疮套扎器，制式产品进入医院，基金资助立项",
                                                  "region_preference": "any"})
        service.recompute_all()
    db.session.commit()
    rows = db.session.scalars(db.select(MatchSuggestion).where(MatchSuggestion.project_id == project.id)).all()
    assert rows and all(r.public_reasons for r in rows)
    shown = [reason for r in rows for reason in r.public_reasons + r.owner_reasons]
    assert not any(word in reason for reason in shown for word in GENERIC), shown
    login_as(maker)
    page = client.get("/matching/for-you").get_data(as_text=True)
    assert "制式痔疮套扎器" in page
    reasons_html = page.split("制式痔疮套扎器", 1)[1]
    assert not any(f"{word}、" in reasons_html or f"、{word}" in reasons_html or f"：{word}" in reasons_html
                   for word in GENERIC)
