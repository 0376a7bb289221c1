"""为您推荐 is rendered once for the members of an organisation (app/core/templating.py, shared_page) and shows
at once whatever changes it: a staff recommendation, a pass, a refresh that drops a pairing, an intent."""
import pytest
from flask import template_rendered

from app.accounts.models import MemberRole, Role, User
from app.deals.models import Intent
from app.deals.operations import update_intent
from app.extensions import db
from app.suggestions import operations as matching
from app.suggestions.models import MatchSuggestion
from tests.conftest import PASSWORD
from tests.suggestions.test_matching_platform import best, market  # noqa: F401 — the fixture


def _signed_in(app, user):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": user.email, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def reader(app, market):  # noqa: F811
    """The catheter maker's page, as a signed-in member sees it."""
    client = _signed_in(app, market["catheter_maker"])
    return lambda: client.get("/matching/for-you").get_data(as_text=True)


def test_a_colleague_reads_the_organisations_copy_and_no_one_else_does(app, market):  # noqa: F811
    maker = market["catheter_maker"]
    colleague = User(email="colleague@example.test", name="同事乙", role=Role.ENTERPRISE, phone="13800138000",
                     organisation=maker.organisation, member_role=MemberRole.MEMBER)
    colleague.set_password(PASSWORD)
    db.session.add(colleague)
    db.session.commit()
    first = _signed_in(app, maker).get("/matching/for-you").get_data(as_text=True)
    rendered = []

    def note(sender, template, context, **extra):
        rendered.append(template.name)
    template_rendered.connect(note, app)
    try:
        theirs = _signed_in(app, colleague).get("/matching/for-you").get_data(as_text=True)
        other = _signed_in(app, market["imaging_maker"]).get("/matching/for-you").get_data(as_text=True)
    finally:
        template_rendered.disconnect(note, app)
    assert rendered.count("matching/for_you.html") == 1  # the colleague's page was the copy; the other firm's not
    assert market["catheter"].name in first and market["catheter"].name in theirs
    assert "同事乙" in theirs and "同事乙" not in first and maker.name not in theirs
    assert "寻找导管类项目" in theirs and "寻找导管类项目" not in other and "超声影像项目" in other


def test_a_staff_recommendation_shows_at_once(app, client, login_as, market, reader):  # noqa: F811
    assert "服务站推荐</span>" not in reader().split('<main')[1]
    suggestion = best(market["catheter"], market["catheter_maker"].organisation)
    login_as("staff")
    client.post(f"/matching/suggestions/{suggestion.id}/approve")
    assert '<span class="badge text-bg-danger">服务站推荐</span>' in reader()


def test_a_pass_shows_at_once(app, market, reader):  # noqa: F811
    catheter, maker = market["catheter"], market["catheter_maker"]
    assert f'href="/library/{catheter.id}"' in reader()
    member = _signed_in(app, maker)
    answer = member.post(f"/deals/projects/{catheter.id}/pass", data={f"pass{catheter.id}-reason": "budget"})
    assert answer.status_code == 302, answer.get_data(as_text=True)[:300]
    assert f'href="/library/{catheter.id}"' not in reader()
    after = member.get(answer.location).get_data(as_text=True)  # the shared copy, with this member's message
    assert "已反馈：暂不考虑该项目" in after and f'href="/library/{catheter.id}"' not in after
    assert "已反馈：暂不考虑该项目" not in member.get(answer.location).get_data(as_text=True)


def test_a_refresh_that_drops_the_only_pairing_shows_at_once(app, market, reader):  # noqa: F811
    maker = market["catheter_maker"]
    assert market["catheter"].name in reader()
    before = db.session.get(type(maker.organisation), maker.organisation_id).suggestions_version
    with app.test_request_context():
        matching._store({}, scope=MatchSuggestion.organisation_id == maker.organisation_id)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(maker.organisation), maker.organisation_id).suggestions_version > before
    assert market["catheter"].name not in reader().split('<main')[1]


def test_an_edited_intent_shows_at_once(app, market, reader):  # noqa: F811
    assert "寻找导管类项目" in reader()
    intent = db.session.scalar(db.select(Intent).where(Intent.organisation_id == market["catheter_maker"].organisation_id))
    with app.test_request_context():
        update_intent(intent, market["catheter_maker"], {"title": "寻找血管通路项目"})
    db.session.commit()
    page = reader()
    assert "寻找血管通路项目" in page and "寻找导管类项目" not in page
