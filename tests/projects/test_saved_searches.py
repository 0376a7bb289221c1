"""Saved library searches: save, list, delete, permissions, and one notification per newly published match."""
import pytest

from app.accounts.models import OrgStatus
from app.core.models import Notification
from app.extensions import db
from app.projects import operations as svc
from app.projects import saved_searches, search
from app.projects.models import ProjectStatus, SavedSearch

HAEMORRHOID = dict(name="电动痔疮套扎系统", city="福州市", department="肛肠科", project_type="active",
                   device_class="II", intended_use="用于对各期内痔及混合痔或直肠良性息肉的套扎治疗。",
                   structure="主要由手柄组件、负压泵组件、击发组件、弹力线和扩开器组成。",
                   principle="将弹力线套于痔或痔上粘膜的基底部，通过弹力线的紧缩和绞勒阻断使组织缺血坏死。",
                   public_summary="电动负压吸引的内痔套扎装置。", clinical_prospects="门诊即可完成治疗。")
GLUCOSE = dict(name="无创血糖仪", city="厦门市", department="内分泌科", project_type="active", device_class="II",
               intended_use="用于监测糖尿病患者的血糖变化趋势。", public_summary="手表式无创血糖监测设备。",
               clinical_prospects="减少指尖采血的痛苦。")


@pytest.fixture(autouse=True)
def fresh_index(app_context):
    search.reindex()


def hits_of(user):
    return db.session.scalars(db.select(Notification).where(Notification.user_id == user.id,
                                                            Notification.kind == saved_searches.HIT_KIND)).all()


def saved_of(user):
    return db.session.scalars(db.select(SavedSearch).where(SavedSearch.user_id == user.id)).all()


@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("unverified", 403), ("clinician", 200),
                                            ("enterprise", 200), ("investor", 200), ("staff", 200),
                                            ("admin", 200)])
def test_list_access(client, login_as, role, expected):
    login_as(role)
    assert client.get("/searches/").status_code == expected


@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("unverified", 403), ("enterprise", 302),
                                            ("clinician", 302)])
def test_save_access(client, login_as, role, expected):
    user = login_as(role)
    assert client.post("/searches/", data={"name": "痔疮", "query": "痔疮"}).status_code == expected
    if expected != 302 or user is None:
        assert db.session.scalar(db.select(db.func.count()).select_from(SavedSearch)) == 0


def test_save_list_and_run(client, login_as, make_project):
    project = make_project(status=ProjectStatus.PUBLISHED, **HAEMORRHOID)
    make_project(status=ProjectStatus.PUBLISHED, **GLUCOSE)
    db.session.commit()
    user = login_as("enterprise")
    response = client.post("/searches/", data={"name": " 肛肠  器械 ", "query": "痔疮", "project_type": "active",
                                               "city": "福州市", "stage": "not-a-stage"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/searches/")
    [saved] = saved_of(user)
    assert (saved.name, saved.query, saved.filters) == ("肛肠 器械", "痔疮", {"project_type": "active", "city": "福州市"})
    body = client.get("/searches/").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="saved-search-count">1</span>' in body
    assert "肛肠 器械" in body and '<span class="badge text-bg-secondary saved-search-total">1</span>' in body
    assert "有源" in body and "福州市" in body                      # the filters, in words
    run = saved_searches.library_args(saved)
    assert run == {"q": "痔疮", "project_type": "active", "city": "福州市"}
    library = client.get("/library/", query_string=run).get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="result-count">1</span>' in library
    assert f"/library/{project.id}" in library


def test_library_page_offers_to_save_the_current_search(client, login_as, make_project):
    make_project(status=ProjectStatus.PUBLISHED, **HAEMORRHOID)
    db.session.commit()
    login_as("investor")
    body = client.get("/library/?q=痔疮&city=福州市").get_data(as_text=True)
    assert "保存此搜索" in body and 'action="/searches/"' in body
    assert 'name="query" type="hidden" value="痔疮"' in body and 'name="city" type="hidden" value="福州市"' in body


def test_default_name_and_empty_search(client, login_as):
    user = login_as("investor")
    client.post("/searches/", data={"query": "  痔疮   套扎 "})
    client.post("/searches/", data={"project_type": "ivd"})
    names = sorted(s.name for s in saved_of(user))
    assert names == ["体外诊断试剂", "痔疮 套扎"]


def test_at_most_twenty(client, login_as):
    user = login_as("enterprise")
    for i in range(saved_searches.MAX_PER_USER):
        saved_searches.save_search(user, f"搜索{i}", f"词{i}", {})
    db.session.commit()
    response = client.post("/searches/", data={"query": "痔疮"})
    assert response.status_code == 400 and "最多可保存" in response.get_data(as_text=True)
    assert len(saved_of(user)) == saved_searches.MAX_PER_USER


def test_delete_own_only(client, login_as, make_user):
    other = make_user("investor")
    theirs = saved_searches.save_search(other, "他人的搜索", "痔疮", {})
    user = login_as("enterprise")
    mine = saved_searches.save_search(user, "我的搜索", "血糖", {})
    db.session.commit()
    mine_id, theirs_id = mine.id, theirs.id
    assert "他人的搜索" not in client.get("/searches/").get_data(as_text=True)
    assert client.post(f"/searches/{theirs_id}/delete").status_code == 404
    assert client.post("/searches/999999/delete").status_code == 404
    assert client.post(f"/searches/{mine_id}/delete").status_code == 302
    assert db.session.get(SavedSearch, mine_id) is None and db.session.get(SavedSearch, theirs_id) is not None


@pytest.mark.parametrize("role, expected", [("anonymous", 302), ("unverified", 403)])
def test_delete_access(client, login_as, make_user, role, expected):
    saved = saved_searches.save_search(make_user("enterprise"), "搜索", "痔疮", {})
    db.session.commit()
    saved_id = saved.id
    login_as(role)
    assert client.post(f"/searches/{saved_id}/delete").status_code == expected
    assert db.session.get(SavedSearch, saved_id) is not None


def test_newly_published_match_notifies_once(make_project, make_user, staff):
    fan = make_user("enterprise")
    saved_searches.save_search(fan, "痔疮器械", "痔疮", {})
    saved_searches.save_search(fan, "套扎", "套扎", {"project_type": "active"})   # same user: one notification
    other_filters = make_user("investor")
    saved_searches.save_search(other_filters, "厦门痔疮", "痔疮", {"city": "厦门市"})
    other_words = make_user("investor")
    saved_searches.save_search(other_words, "血糖", "血糖", {})
    everything = make_user("enterprise")
    saved_searches.save_search(everything, "全部有源", "", {"project_type": "active"})
    partner_words = make_user("enterprise")
    saved_searches.save_search(partner_words, "弹力线", "弹力线", {})            # partner tier: never a match
    owner = make_user("clinician")
    saved_searches.save_search(owner, "自己的", "痔疮", {})                      # the owner's own project
    project = make_project(status=ProjectStatus.SUBMITTED, owner=owner, **HAEMORRHOID)

    svc.approve_project(project, staff)
    db.session.commit()
    [hit] = hits_of(fan)
    assert hit.link == f"/library/{project.id}" and "电动痔疮套扎系统" in hit.title
    assert "痔疮器械" in hit.body and "套扎" in hit.body
    for secret in ("弹力线", "绞勒", "负压泵", owner.email, "13912345678"):
        assert secret not in hit.title + hit.body
    assert len(hits_of(everything)) == 1
    assert hits_of(other_filters) == [] and hits_of(other_words) == [] and hits_of(partner_words) == []
    assert hits_of(owner) == []

    # edited, reviewed and published again: nobody hears about the same project twice
    svc.update_project(project, owner, {"public_summary": "电动负压吸引的内痔套扎装置（第二代）。"})
    svc.approve_project(project, staff)
    db.session.commit()
    assert len(hits_of(fan)) == 1 and len(hits_of(everything)) == 1
    # but a new project is news
    second = make_project(status=ProjectStatus.PUBLISHED, **dict(HAEMORRHOID, name="一次性使用痔疮套扎器"))
    db.session.commit()
    assert len(hits_of(fan)) == 2 and {n.link for n in hits_of(fan)} == {f"/library/{project.id}",
                                                                         f"/library/{second.id}"}


def test_no_notification_without_consent_or_verification_or_on_rollback(make_project, make_user, staff):
    fan = make_user("enterprise")
    saved_searches.save_search(fan, "痔疮", "痔疮", {})
    lapsed = make_user("investor")
    saved_searches.save_search(lapsed, "痔疮", "痔疮", {})
    lapsed.organisation.status = OrgStatus.PENDING
    make_project(status=ProjectStatus.PUBLISHED, publish_consent=False, **HAEMORRHOID)
    db.session.commit()
    assert hits_of(fan) == [] and hits_of(lapsed) == []

    project = make_project(status=ProjectStatus.SUBMITTED, **HAEMORRHOID)
    db.session.commit()
    svc.approve_project(project, staff)
    db.session.rollback()
    assert hits_of(fan) == []
    svc.approve_project(project, staff)
    db.session.commit()
    assert len(hits_of(fan)) == 1 and hits_of(lapsed) == []


@pytest.mark.parametrize("probe_class", ["index", "text"])
def test_project_probe_uses_the_search_rules(make_project, probe_class):
    project = make_project(status=ProjectStatus.PUBLISHED, **HAEMORRHOID)
    probe = search.ProjectProbe(project) if probe_class == "index" else saved_searches.ProjectText(project)
    assert probe.matches("痔疮") and probe.matches("套扎 息肉") and probe.matches("")
    assert probe.matches('"痔疮套扎"') and probe.matches("有源 二类")
    assert not probe.matches("痔疮 血糖") and not probe.matches("弹力线") and not probe.matches("(")


SAVED_QUERIES = ["痔疮", "套扎", "套扎 息肉", '"痔疮套扎"', '"套扎系统"', "有源 二类", "无源", "二类", "电动", "负压",
                 "内痔", "痔", "肛肠科", "厦门", "厦门市", "吸引 套扎", "痔疮 血糖", "弹力线", "绞勒", "(", "a",
                 "电动痔疮套扎系统", "套扎器", "负压吸引", "概念", "样品阶段", "已授权", "三类", "Ⅱ类"]


def test_text_probe_agrees_with_an_index_probe(make_project):
    """The direct test gives what a one-document index gave, query by query."""
    project = make_project(status=ProjectStatus.PUBLISHED, **HAEMORRHOID)
    text = saved_searches.ProjectText(project)
    with search.ProjectProbe(project) as probe:
        assert {q: text.matches(q) for q in SAVED_QUERIES} == {q: probe.matches(q) for q in SAVED_QUERIES}


def test_publishing_builds_no_index(make_project, make_user, staff, monkeypatch):
    saved_searches.save_search(make_user("enterprise"), "痔疮", "痔疮", {})
    from whoosh.filedb.filestore import RamStorage
    monkeypatch.setattr(RamStorage, "create_index", lambda *a, **k: pytest.fail("an index per project"))
    project = make_project(status=ProjectStatus.SUBMITTED, **HAEMORRHOID)
    svc.approve_project(project, staff)
    db.session.commit()
    assert len(db.session.scalars(db.select(Notification).where(Notification.kind == saved_searches.HIT_KIND)).all()) == 1


def test_a_matching_failure_does_not_block_approval(app, make_project, make_user, staff, monkeypatch, caplog):
    monkeypatch.setattr(app.logger, "disabled", False)  # Alembic's fileConfig may have disabled it
    saved_searches.save_search(make_user("enterprise"), "痔疮", "痔疮", {})
    project = make_project(status=ProjectStatus.SUBMITTED, **HAEMORRHOID)

    def broken(self, terms):
        raise RuntimeError("index trouble")
    monkeypatch.setattr(saved_searches.ProjectText, "matches_terms", broken)
    svc.approve_project(project, staff)
    db.session.commit()
    assert project.status is ProjectStatus.PUBLISHED and "matching saved searches failed" in caplog.text
