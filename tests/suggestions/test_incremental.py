"""Incremental refresh: a publish ranks that project alone, an intent edit its organisation; as a full recompute."""
import pytest

import matching as engine
from app.core.models import Setting
from app.deals.operations import create_intent, update_intent
from app.extensions import db
from app.projects import operations as projects
from app.projects.models import ProjectStatus
from app.suggestions import operations as matching
from app.suggestions.jobs import refresh_suggestions
from app.suggestions.models import MatchSuggestion, RefreshRequest, SuggestionStatus

CATHETER = dict(name="一次性使用中心静脉导管", intended_use="用于中心静脉置管输液和采血", project_type="passive",
                device_class="III", public_summary="一种降低导管相关感染的中心静脉导管")
IMAGING = dict(name="便携式超声诊断系统", intended_use="用于床旁超声成像诊断", project_type="active", device_class="II",
               public_summary="掌上超声成像设备")
NEEDLE = dict(name="安全型静脉留置针", intended_use="用于外周静脉输液的留置穿刺", project_type="passive",
              device_class="III", public_summary="防针刺伤的静脉留置针")


@pytest.fixture
def market(make_project, make_user, app):
    catheter = make_project(status=ProjectStatus.PUBLISHED, **CATHETER)
    imaging = make_project(status=ProjectStatus.PUBLISHED, **IMAGING)
    catheter_maker, imaging_maker = make_user("enterprise"), make_user("investor")
    catheter_maker.organisation.field, catheter_maker.organisation.region = "注输、护理和防护器械", "福建省"
    catheter_maker.organisation.overview = "公司主要产品：中心静脉导管、留置针、输液器"
    imaging_maker.organisation.field, imaging_maker.organisation.region = "医用成像器械", "上海市"
    imaging_maker.organisation.overview = "公司主要产品：彩色超声诊断系统、超声探头"
    with app.test_request_context():
        create_intent(catheter_maker.organisation, catheter_maker,
                      {"title": "寻找导管类项目", "description": "输注导管、血管通路器械", "device_classes": ["II", "III"],
                       "region_preference": "any"})
        create_intent(catheter_maker.organisation, catheter_maker,
                      {"title": "护理耗材", "description": "穿刺护理耗材", "region_preference": "any"})
        intent = create_intent(imaging_maker.organisation, imaging_maker,
                               {"title": "超声影像项目", "description": "超声诊断设备", "device_classes": ["II"],
                                "region_preference": "any"})
        matching.recompute_all()
    db.session.commit()
    return {"catheter": catheter, "imaging": imaging, "catheter_maker": catheter_maker,
            "imaging_maker": imaging_maker, "imaging_intent": intent}


@pytest.fixture
def refresh_on(app, queue, monkeypatch):
    monkeypatch.setitem(app.config, "SUGGESTIONS_REFRESH", True)
    return queue


@pytest.fixture
def builds(monkeypatch):
    """The `ranked` argument of every MatchIndex.build (None: every project encoded)."""
    seen = []
    build = engine.MatchIndex.build.__func__

    def spy(cls, projects, enterprises, knowledge=None, **options):
        seen.append(options.get("ranked"))
        return build(cls, projects, enterprises, knowledge, **options)
    monkeypatch.setattr(engine.MatchIndex, "build", classmethod(spy))
    return seen


def rows(**where) -> dict:
    query = db.select(MatchSuggestion).filter_by(**where)
    return {(r.project_id, r.organisation_id, r.intent_id): (r.score, tuple(r.public_reasons), r.status)
            for r in db.session.scalars(query)}


def full_recompute_rows(**where) -> dict:
    """What a full recompute stores now (in a savepoint rolled back afterwards)."""
    with db.session.begin_nested() as savepoint:
        matching.recompute_all()
        result = rows(**where)
        savepoint.rollback()
    return result


def test_a_publish_ranks_only_that_project(market, refresh_on, builds, make_project, staff, monkeypatch):
    monkeypatch.setattr(matching, "recompute_all", lambda *a: pytest.fail("a publish ran a full recompute"))
    before = rows()
    needle = make_project(status=ProjectStatus.SUBMITTED, **NEEDLE)
    projects.approve_project(needle, staff)
    db.session.commit()
    assert db.session.scalar(db.select(db.func.count()).select_from(RefreshRequest)) == 1
    refresh_on.run_all()
    assert builds == [[str(needle.id)]]  # only the new project encoded and ranked
    fresh = rows(project_id=needle.id)
    assert fresh and {key[1] for key in fresh} == {market["catheter_maker"].organisation_id,
                                                   market["imaging_maker"].organisation_id}
    assert {k: v for k, v in rows().items() if k[0] != needle.id} == before  # nobody else's rows touched
    assert db.session.scalar(db.select(db.func.count()).select_from(RefreshRequest)) == 0
    monkeypatch.undo()
    assert fresh == full_recompute_rows(project_id=needle.id)


def test_an_edited_intent_ranks_only_its_organisation(market, refresh_on, builds, app, monkeypatch):
    monkeypatch.setattr(matching, "recompute_all", lambda *a: pytest.fail("an intent edit ran a full recompute"))
    ranked = []
    rank_for_project = engine.rank_for_project
    monkeypatch.setattr(engine, "rank_for_project", lambda *a, **k: ranked.append(a) or rank_for_project(*a, **k))
    maker = market["imaging_maker"]
    catheter_rows = rows(organisation_id=market["catheter_maker"].organisation_id)
    with app.test_request_context():
        update_intent(market["imaging_intent"], maker, {"description": "超声诊断设备、中心静脉穿刺超声引导"})
    db.session.commit()
    refresh_on.run_all()
    assert builds == [None] and ranked == []  # the listed projects against this organisation's intents only
    assert rows(organisation_id=market["catheter_maker"].organisation_id) == catheter_rows
    fresh = rows(organisation_id=maker.organisation_id)
    monkeypatch.undo()
    assert fresh == full_recompute_rows(organisation_id=maker.organisation_id)


def test_a_withdrawn_project_loses_its_suggestions_without_ranking(market, refresh_on, builds):
    catheter = market["catheter"]
    others = {k: v for k, v in rows().items() if k[0] != catheter.id}
    projects.withdraw_project(catheter, catheter.owner)
    db.session.commit()
    refresh_on.run_all()
    assert builds == [] and rows(project_id=catheter.id) == {} and rows() == others


def test_decisions_survive_an_incremental_refresh(market, refresh_on, staff):
    catheter, maker = market["catheter"], market["catheter_maker"]
    [dismissed_row] = db.session.scalars(db.select(MatchSuggestion).where(
        MatchSuggestion.project_id == catheter.id, MatchSuggestion.organisation_id == maker.organisation_id)
        .order_by(MatchSuggestion.score.desc()).limit(1)).all()
    matching.dismiss_suggestion(dismissed_row, staff)
    db.session.commit()
    projects.update_project(catheter, catheter.owner, {"structure": "改为三腔结构。"})
    db.session.commit()
    refresh_on.run_all()
    pair = rows(project_id=catheter.id, organisation_id=maker.organisation_id)
    assert pair and {status for _score, _reasons, status in pair.values()} == {SuggestionStatus.DISMISSED}


def test_a_changed_knowledge_base_runs_the_full_recompute(market, refresh_on, make_project, monkeypatch):
    full = []
    monkeypatch.setattr(matching, "recompute_all", lambda *a: full.append(1) or 0)
    monkeypatch.setattr("app.suggestions.jobs.recompute_all", matching.recompute_all)
    setting = db.session.get(Setting, matching.KNOWLEDGE_SETTING)
    assert setting is not None  # the fixture's full recompute noted the knowledge base
    setting.value = {"fingerprint": "an older knowledge base"}
    make_project(status=ProjectStatus.PUBLISHED, **NEEDLE)
    db.session.commit()
    refresh_on.run_all()
    assert full == [1]


def test_refresh_job_is_debounced_into_one_run(market, refresh_on, make_project):
    for _ in range(3):
        make_project(status=ProjectStatus.PUBLISHED, **NEEDLE)
        db.session.commit()
    assert len(refresh_on.waiting(refresh_suggestions)) == 1
