"""为您推荐 and the suggested partners pick the best row per pair in SQL: same lists, and no more rows read than shown."""
import random

import pytest
from sqlalchemy import event

from app.deals import operations as deals
from app.extensions import db
from app.projects.models import ProjectStatus
from app.suggestions import operations as service
from app.suggestions.models import MatchSuggestion, SuggestionStatus

INTENT = {"title": "寻找导管类项目", "description": "输注导管、血管通路器械", "region_preference": "any"}


@pytest.fixture
def loaded():
    """How many MatchSuggestion rows the session built from query results."""
    rows = []

    def count(target, context):
        rows.append(target.id)
    event.listen(MatchSuggestion, "load", count)
    yield rows
    event.remove(MatchSuggestion, "load", count)


def _board(make_project, make_user, projects=30, intents=2, seed=3):
    rng = random.Random(seed)
    member = make_user("enterprise")
    organisation = member.organisation
    made = [deals.create_intent(organisation, member, dict(INTENT, title=f"意向{i}")) for i in range(intents)]
    listed = [make_project(status=ProjectStatus.PUBLISHED) for _ in range(projects)]
    hidden = make_project(status=ProjectStatus.WITHDRAWN)
    for project in listed + [hidden]:
        for intent in made:
            db.session.add(MatchSuggestion(project_id=project.id, organisation_id=organisation.id, intent_id=intent.id,
                                           score=round(rng.random(), 2), public_reasons=["理由"], owner_reasons=[]))
    db.session.flush()
    rows = db.session.scalars(db.select(MatchSuggestion)).all()
    rows[0].status = SuggestionStatus.APPROVED
    rows[0].score = 0.01  # recommended by staff: first whatever its score
    rows[5].status = rows[6].status = SuggestionStatus.DISMISSED
    rows[7].score = 0.01  # below MIN_SCORE: not shown
    db.session.commit()
    ids = organisation.id, [i.id for i in made], listed
    db.session.expunge_all()
    return ids


def _reference(query, limit):
    """What the pages showed before: every visible row loaded, best per pair in Python."""
    return [r.id for r in service.best_per_project(db.session.scalars(service._visible(query)).all())[:limit]]


def test_organisation_lists_equal_the_python_reference(make_project, make_user):
    organisation_id, intent_ids, _ = _board(make_project, make_user)
    overall, lists = service.for_you(organisation_id, intent_ids)
    base = service._listed_for(db.select(MatchSuggestion).where(MatchSuggestion.organisation_id == organisation_id))
    assert [r.id for r in overall] == _reference(base, 10)
    assert overall[0].status is SuggestionStatus.APPROVED
    for intent_id in intent_ids:
        assert [r.id for r in lists[intent_id]] == _reference(base.where(MatchSuggestion.intent_id == intent_id), 5)
    assert [r.id for r in service.suggestions_for_organisation(organisation_id, limit=7)] == _reference(base, 7)


def test_no_more_rows_read_than_shown(make_project, make_user, loaded):
    organisation_id, intent_ids, _ = _board(make_project, make_user, intents=1)
    loaded.clear()
    shown = service.suggestions_for_organisation(organisation_id, limit=10)
    assert len(shown) == 10 and len(loaded) == len(shown)
    loaded.clear()
    db.session.expunge_all()
    overall, lists = service.for_you(organisation_id, intent_ids, limit=10, per_intent=5)
    assert len(set(loaded)) <= len({r.id for r in overall} | {r.id for r in lists[intent_ids[0]]})


def test_several_intents_read_a_bounded_window(make_project, make_user, loaded):
    organisation_id, intent_ids, listed = _board(make_project, make_user, projects=40, intents=3)
    loaded.clear()
    shown = service.suggestions_for_organisation(organisation_id, limit=10)
    assert len(shown) == 10
    assert len(set(loaded)) < 10 * len(intent_ids) < len(listed) * len(intent_ids)


def test_suggested_partners_of_a_project(make_project, make_user):
    _, _, listed = _board(make_project, make_user, projects=3, intents=3)
    project = db.session.merge(listed[1])
    query = db.select(MatchSuggestion).join(MatchSuggestion.organisation).where(
        MatchSuggestion.project_id == project.id)
    assert [r.id for r in service.suggestions_for_project(project)] == _reference(query, 10)
    assert len(service.suggestions_for_project(project)) == 1  # one organisation, three intents: one pair


def test_for_you_page_renders_every_list(client, login_as, make_project, make_user):
    organisation_id, intent_ids, _ = _board(make_project, make_user)
    member = db.session.scalars(db.select(service.User).where(service.User.organisation_id == organisation_id)).first()
    login_as(member)
    html = client.get("/matching/for-you").get_data(as_text=True)
    assert html.count('class="card mb-2 suggestion') == 10 and "意向1" in html
