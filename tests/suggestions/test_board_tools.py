"""The match board at a province's scale: one 0–100 scale, a threshold that works and says so, bulk decisions, pages."""
from __future__ import annotations

import pytest

from app.extensions import db
from app.projects.models import ProjectStatus
from app.suggestions.models import MatchSuggestion, SuggestionStatus


@pytest.fixture
def pairs(make_project, make_user):
    strong = make_project(status=ProjectStatus.PUBLISHED, name="强匹配项目")
    weak = make_project(status=ProjectStatus.PUBLISHED, name="弱匹配项目")
    company = make_user("enterprise", org_name="看板测试企业")
    rows = [MatchSuggestion(project_id=strong.id, organisation_id=company.organisation_id, score=0.91,
                            public_reasons=["方向相符"], owner_reasons=["方向相符"]),
            MatchSuggestion(project_id=weak.id, organisation_id=company.organisation_id, score=0.42,
                            public_reasons=["部分相符"], owner_reasons=["部分相符"])]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_the_threshold_is_on_the_0_to_100_scale_and_says_what_it_did(client, login_as, pairs):
    login_as("staff")
    page = client.get("/matching/board", query_string={"min_score": "70"}).get_data(as_text=True)
    assert "强匹配项目" in page and "弱匹配项目" not in page
    assert "显示匹配度不低于 70 的配对，共 1 个" in page
    assert "91" in page
    bad = client.get("/matching/board", query_string={"min_score": "150"}).get_data(as_text=True)
    assert "最低匹配度须为 0–100 之间的数字" in bad and "弱匹配项目" in bad


def test_sorting_and_pages(client, login_as, pairs):
    login_as("staff")
    by_project = client.get("/matching/board", query_string={"sort": "project"}).get_data(as_text=True)
    assert by_project.index("弱匹配项目") < by_project.index("强匹配项目")   # 弱 sorts before 强 by name
    by_score = client.get("/matching/board").get_data(as_text=True)
    assert by_score.index("强匹配项目") < by_score.index("弱匹配项目")
    assert client.get("/matching/board", query_string={"page": "99"}).status_code == 200


def test_bulk_approve_and_dismiss_with_one_message(client, login_as, pairs):
    login_as("staff")
    strong, weak = pairs
    response = client.post("/matching/suggestions/bulk", data={"decision": "approve", "ids": [str(strong.id)]},
                           follow_redirects=True)
    assert "已将 1 个配对作为服务站推荐发送给双方" in response.get_data(as_text=True)
    response = client.post("/matching/suggestions/bulk", data={"decision": "dismiss", "ids": [str(weak.id)]},
                           follow_redirects=True)
    assert "已忽略 1 个配对" in response.get_data(as_text=True)
    db.session.expire_all()
    assert strong.status is SuggestionStatus.APPROVED and weak.status is SuggestionStatus.DISMISSED
    nothing = client.post("/matching/suggestions/bulk", data={"decision": "approve"}, follow_redirects=True)
    assert "请先勾选待处理的推荐配对" in nothing.get_data(as_text=True)


def test_the_board_has_no_duplicate_ids(client, login_as, pairs):
    import re
    login_as("staff")
    page = client.get("/matching/board").get_data(as_text=True)
    ids = re.findall(r'\sid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
