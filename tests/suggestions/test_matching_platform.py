"""The ranking module in the platform: stored suggestions for the right users, staff decisions, refresh."""
import pytest

from app.core.models import AuditEvent, Notification
from app.deals.operations import create_intent
from app.extensions import db
from app.projects.models import ProjectStatus
from app.suggestions import operations as matching
from app.suggestions.models import MatchSuggestion, SuggestionStatus

SECRET = "机密隔离阀专利结构"


@pytest.fixture
def market(make_project, make_user, app):
    """A catheter project and an imaging project; a catheter maker and an imaging maker with intents."""
    catheter = make_project(status=ProjectStatus.PUBLISHED, name="一次性使用中心静脉导管",
                            intended_use="用于中心静脉置管输液和采血", project_type="passive", device_class="III",
                            public_summary="一种降低导管相关感染的中心静脉导管", structure=SECRET, principle=SECRET)
    imaging = make_project(status=ProjectStatus.PUBLISHED, name="便携式超声诊断系统",
                           intended_use="用于床旁超声成像诊断", project_type="active", device_class="II",
                           public_summary="掌上超声成像设备", structure="由探头和主机组成")
    catheter_maker, imaging_maker = make_user("enterprise"), make_user("investor")
    catheter_maker.organisation.field, catheter_maker.organisation.region = "注输、护理和防护器械", "福建省"
    catheter_maker.organisation.overview = "公司主要产品：中心静脉导管、留置针、输液器"
    imaging_maker.organisation.field, imaging_maker.organisation.region = "医用成像器械", "上海市"
    imaging_maker.organisation.overview = "公司主要产品：彩色超声诊断系统、超声探头"
    with app.test_request_context():
        create_intent(catheter_maker.organisation, catheter_maker,
                      {"title": "寻找导管类项目", "description": "输注导管、血管通路器械", "device_classes": ["II", "III"],
                       "cooperation_modes": ["joint_development"], "region_preference": "any"})
        create_intent(imaging_maker.organisation, imaging_maker,
                      {"title": "超声影像项目", "description": "超声诊断设备", "device_classes": ["II"],
                       "region_preference": "any"})
        matching.recompute_all()
    db.session.commit()
    return {"catheter": catheter, "imaging": imaging, "catheter_maker": catheter_maker,
            "imaging_maker": imaging_maker}


def best(project, organisation):
    return db.session.scalar(db.select(MatchSuggestion).where(
        MatchSuggestion.project_id == project.id, MatchSuggestion.organisation_id == organisation.id)
        .order_by(MatchSuggestion.score.desc()).limit(1))


def test_the_right_partner_ranks_first_with_reasons(market):
    top = matching.suggestions_for_project(market["catheter"])[0]
    assert top.organisation_id == market["catheter_maker"].organisation_id
    assert top.public_reasons and top.owner_reasons
    mine = matching.suggestions_for_organisation(market["imaging_maker"].organisation_id)
    assert mine[0].project_id == market["imaging"].id


def test_enterprise_sees_its_suggestions_with_public_reasons_only(client, login_as, market):
    login_as(market["catheter_maker"])
    page = client.get("/matching/for-you").get_data(as_text=True)
    assert market["catheter"].name in page and "寻找导管类项目" in page
    assert SECRET not in page
    assert client.get("/").location.endswith("/matching/for-you")


def test_owner_sees_suggested_partners_staff_the_board(client, login_as, market):
    login_as(market["catheter"].owner)
    page = client.get(f"/projects/{market['catheter'].id}").get_data(as_text=True)
    assert "推荐对接企业" in page and market["catheter_maker"].organisation.name in page
    client.post("/auth/logout")
    login_as("staff")
    board = client.get("/matching/board").get_data(as_text=True)
    assert market["catheter"].name in board and market["catheter_maker"].organisation.name in board


def test_other_users_do_not_get_the_pages(client, login_as, market):
    login_as("clinician")
    assert client.get("/matching/for-you").status_code == 403
    assert client.get("/matching/board").status_code == 403


def test_approve_notifies_both_sides_and_is_audited(client, login_as, market):
    suggestion = best(market["catheter"], market["catheter_maker"].organisation)
    login_as("staff")
    client.post(f"/matching/suggestions/{suggestion.id}/approve")
    db.session.refresh(suggestion)
    assert suggestion.status is SuggestionStatus.APPROVED
    kinds = db.session.scalars(db.select(Notification.user_id).where(Notification.kind.in_(("match_recommended", "match_recommended_project")))).all()
    assert set(kinds) == {market["catheter"].owner_id, market["catheter_maker"].id}
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "approve_match")) == 1
    client.post("/auth/logout")
    login_as(market["catheter_maker"])
    assert "服务站推荐" in client.get("/matching/for-you").get_data(as_text=True)


def test_dismissed_pairs_are_never_suggested_again(client, login_as, market, app):
    suggestion = best(market["imaging"], market["imaging_maker"].organisation)
    login_as("staff")
    client.post(f"/matching/suggestions/{suggestion.id}/dismiss")
    with app.test_request_context():
        matching.recompute_all()
    rows = db.session.scalars(db.select(MatchSuggestion).where(
        MatchSuggestion.project_id == market["imaging"].id,
        MatchSuggestion.organisation_id == market["imaging_maker"].organisation_id)).all()
    assert rows and all(r.status is SuggestionStatus.DISMISSED for r in rows)
    assert all(s.project_id != market["imaging"].id
               for s in matching.suggestions_for_organisation(market["imaging_maker"].organisation_id))
    assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == "dismiss_match")) == 1


def test_suggestions_refresh_after_a_project_is_published(market, make_project, make_user, app, monkeypatch):
    from app.projects import operations as svc
    monkeypatch.setitem(app.config, "SUGGESTIONS_REFRESH", True)
    project = make_project(status=ProjectStatus.SUBMITTED, name="经外周置入中心静脉导管",
                           intended_use="用于中长期静脉输液治疗")
    db.session.commit()
    svc.approve_project(project, make_user("staff"), "")
    db.session.commit()                              # immediate mode: the refresh job ran in the commit
    assert matching.suggestions_for_project(project)


def test_reference_classification_lists_only_alternatives_worth_showing():
    from app.suggestions.operations import _shown_alternatives

    ranked = [{"code": "16-05", "p": 0.98}, {"code": "09-02", "p": 0.015}, {"code": "01-01", "p": 0.0}]
    assert _shown_alternatives(ranked) == ranked[:2]
    assert _shown_alternatives([{"code": "6840", "p": 0.0}]) == [{"code": "6840", "p": 0.0}]  # the best always shows


def test_reference_classification_endpoint(client, login_as):
    login_as("clinician")
    response = client.post("/matching/classify", json={"name": "一次性使用中心静脉导管",
                                                        "intended_use": "用于中心静脉置管输液"})
    data = response.get_json()
    assert response.status_code == 200
    assert data["device_class"] and data["category"] and data["similar"]
    assert all(0 <= c["p"] <= 1 for c in data["category"])
    assert all(c["p"] >= 0.01 for c in data["category"][1:] + data["device_class"][1:])  # no "0%" alternatives
    empty = client.post("/matching/classify", json={"name": ""})
    assert empty.status_code == 400 and "请先填写" in empty.get_json()["error"]


def test_cli_recompute(app, market):
    result = app.test_cli_runner().invoke(args=["matching", "recompute"])
    assert result.exit_code == 0 and "stored" in result.output
    assert "Building suggestions" in result.output and "(100%)" in result.output  # progress shown while it runs
    skipped = app.test_cli_runner().invoke(args=["matching", "recompute", "--if-empty"])
    assert "skipped" in skipped.output
