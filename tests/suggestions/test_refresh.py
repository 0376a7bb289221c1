"""When suggestions are refreshed: a debounced job, only for changes that can move a suggestion (never a draft)."""
import pytest

from app.accounts import operations as accounts
from app.deals import operations as deals
from app.deals.models import IntentStatus
from app.extensions import db
from app.projects import operations as projects
from app.projects.models import ProjectStatus
from app.suggestions import jobs as suggestion_jobs
from app.suggestions.jobs import refresh_suggestions

INTENT = {"title": "寻找导管类项目", "description": "输注导管、血管通路器械", "device_classes": ["II", "III"],
          "region_preference": "any"}


@pytest.fixture
def refresh(queue, app, monkeypatch):
    """Refresh on (the test app has it off), the queue on real storage, the recompute counted instead of run."""
    monkeypatch.setitem(app.config, "SUGGESTIONS_REFRESH", True)
    runs = []
    monkeypatch.setattr(suggestion_jobs, "recompute_all", lambda: runs.append(1) or 0)

    class Refresh:
        def waiting(self) -> int:
            return len(queue.waiting(refresh_suggestions))

        def run(self) -> int:
            queue.run_all()
            return len(runs)
    return Refresh()


def commit_waiting(refresh) -> int:
    db.session.commit()
    return refresh.waiting()


def test_draft_saves_ask_for_no_refresh(refresh, make_project):
    project = make_project()
    assert commit_waiting(refresh) == 0
    for text in ("用于慢性创面的负压引流。", "用于慢性难愈合创面的负压引流治疗。", "用于创面引流。"):
        projects.update_project(project, project.owner, {"intended_use": text})
        assert commit_waiting(refresh) == 0
    projects.submit_project(project, project.owner)  # in review: still not in the library
    assert commit_waiting(refresh) == 0
    assert refresh.run() == 0


def test_a_burst_of_changes_runs_one_refresh(refresh, make_project, make_user):
    for _ in range(3):  # three publications, three commits
        make_project(status=ProjectStatus.PUBLISHED)
        db.session.commit()
    member = make_user("enterprise")
    deals.create_intent(member.organisation, member, INTENT)
    assert commit_waiting(refresh) == 1
    assert refresh.run() == 1
    make_project(status=ProjectStatus.PUBLISHED)     # after the run, a change asks for the next one
    assert commit_waiting(refresh) == 1
    assert refresh.run() == 2


@pytest.mark.parametrize("values", [
    {"structure": "改为三腔结构。"},           # partner tier: the owner's suggestions read it
    {"intended_use": "用于创面负压治疗。"},      # public: back to review, so out of the library
])
def test_an_edit_of_a_listed_project_asks_for_a_refresh(refresh, make_project, values):
    project = make_project(status=ProjectStatus.PUBLISHED)
    db.session.commit()
    refresh.run()
    projects.update_project(project, project.owner, values)
    assert commit_waiting(refresh) == 1


def test_leaving_the_library_asks_for_a_refresh(refresh, make_project):
    project = make_project(status=ProjectStatus.PUBLISHED)
    db.session.commit()
    refresh.run()
    projects.withdraw_project(project, project.owner)
    assert commit_waiting(refresh) == 1


def test_which_intent_changes_ask_for_a_refresh(refresh, make_user):
    member = make_user("enterprise")
    intent = deals.create_intent(member.organisation, member, INTENT)
    steps = [
        (lambda: deals.update_intent(intent, member, {"description": "中心静脉导管"}), 1),   # active: read by matching
        (lambda: deals.set_intent_status(intent, member, IntentStatus.PAUSED), 1),          # leaves the ranking
        (lambda: deals.update_intent(intent, member, {"description": "留置针"}), 0),         # paused: not read
        (lambda: deals.set_intent_status(intent, member, IntentStatus.ACTIVE), 1),          # back in
        (lambda: deals.set_intent_status(intent, member, IntentStatus.PAUSED), 1),
        (lambda: deals.set_intent_status(intent, member, IntentStatus.CLOSED), 0),          # paused → closed
    ]
    assert commit_waiting(refresh) == 1
    refresh.run()
    for step, asks in steps:
        step()
        assert commit_waiting(refresh) == asks
        refresh.run()


def test_verifying_an_organisation_asks_for_a_refresh(refresh, make_user, staff, app):
    member = make_user("enterprise", verified=False)
    assert commit_waiting(refresh) == 0
    with app.test_request_context():
        accounts.verify_organisation(member.organisation, staff)
    assert commit_waiting(refresh) == 1


def test_with_refresh_off_nothing_is_asked(queue, make_project):
    make_project(status=ProjectStatus.PUBLISHED)
    db.session.commit()
    assert queue.waiting(refresh_suggestions) == []
