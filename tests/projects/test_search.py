"""Searching the library in Chinese over the public tier of listed projects only, on both backends.

Every test runs against Whoosh, and against PostgreSQL full-text search when the tests run on PostgreSQL
(TEST_DATABASE_URL): the same behaviour behind the same adapter.
"""
import json
import logging
import re

import pytest

from app.core import jobs
from app.extensions import db
from app.projects import operations as svc
from app.projects import search
from app.projects.jobs import index_project
from app.projects.library import LibraryFilters, library_page
from app.projects.listing import facet_values, ids_clause
from app.projects.models import PARTNER_FIELDS, PRIVATE_FIELDS, PUBLIC_FIELDS, ProjectStatus

# Real texts from NMPA classification determinations (matching/data/nmpa), split the way 附件1 splits
# them: 结构组成 and 工作原理 are partner tier, 适用范围 is public.
HAEMORRHOID = dict(
    name="电动痔疮套扎系统", city="福州市", department="肛肠科", project_type="active", device_class="II",
    intended_use="用于对各期内痔及混合痔或直肠良性息肉的套扎治疗。",
    structure="主要由手柄组件、推动组件、泄压组件、电路系统、负压泵组件、击发组件、适配器、弹力线、紧线管、固定环、"
              "内腔管、推动套、过滤器、外套器和扩开器组成。",
    principle="利用负压泵组件产生的负压将黏膜组织吸入内腔管，然后将弹力线套于痔或痔上粘膜的基底部，通过弹力线的"
              "紧缩和绞勒阻断使组织缺血、萎缩、坏死，逐渐脱落。",
    clinical_prospects="门诊即可完成治疗，适合基层医院推广。", public_summary="电动负压吸引的内痔套扎装置。",
)
CONTACT_LENS = dict(
    name="硬式角膜接触镜护理液", city="厦门市", department="眼科", project_type="passive", device_class="III",
    intended_use="用于硬式角膜接触镜的清洁、消毒。清洁、消毒后的接触镜，必须用清水或生理盐水彻底冲洗干净后方可配戴。",
    structure="由乙二胺四乙酸二钠、苯甲醇、聚乙二醇辛基苯基醚、十二烷基醚硫酸钠、蒸馏水组成。",
    principle="表面活性剂去除镜片沉积物。", clinical_prospects="角膜塑形镜使用者日益增多。",
    public_summary="硬性隐形眼镜的日常护理液。",
)
GLUCOSE = dict(
    name="无创血糖仪", city="福州市", department="内分泌科", project_type="active", device_class="II",
    intended_use="用于监测糖尿病患者的血糖变化趋势。",
    structure="主要由信号采集模块、处理模块、显示模块、控制电路组和手表主体组成。",
    principle="采用无创方法采集患者皮肤的光反射信号及人体心电信号，经过算法处理后和校准、修正后，得到患者的血糖参数。",
    clinical_prospects="减少指尖采血的痛苦。", public_summary="手表式无创血糖监测设备。",
)
# Words that only the partner tier of HAEMORRHOID contains
PARTNER_WORDS = ["弹力线", "绞勒", "击发组件", "推动套", "黏膜组织", "内腔管"]
SECRETS = {name: f"机密{name.upper()}标记" for name in PARTNER_FIELDS + PRIVATE_FIELDS
           if name not in ("phone", "email", "commitment_agreed", "publish_consent")}
# HAEMORRHOID with a marker in every partner and private text field (its own partner words kept)
SECRET_HAEMORRHOID = dict(HAEMORRHOID, **{name: HAEMORRHOID.get(name, "") + marker for name, marker in SECRETS.items()})


@pytest.fixture(autouse=True, params=["whoosh", "postgres"])
def backend(request, app_context, monkeypatch):
    """Each test runs on each backend, starting from an index matching its (empty) database."""
    if request.param == "postgres" and db.engine.dialect.name != "postgresql":
        pytest.skip("the PostgreSQL backend runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    monkeypatch.setenv("CLINBRIDGE_SEARCH", request.param)
    search.reindex()
    return request.param


def forget(project_id):
    """Make the index lose track of a project behind the database's back."""
    found = search.backend()
    if found.name == "whoosh":
        with found.open().writer() as writer:
            writer.delete_by_term("id", str(project_id))
    else:
        with db.engine.begin() as connection:
            for table in ("project_search_posting", "project_search"):
                connection.exec_driver_sql(f"DELETE FROM {table} WHERE project_id = {int(project_id)}")


def publish(make_project, commit=True, **fields):
    project = make_project(status=ProjectStatus.PUBLISHED, **fields)
    if commit:
        db.session.commit()
    return project


def found(query, **filters):
    return [hit.project_id for hit in search.search_projects(query, filters).hits]


def indexed(query):
    """Project ids the index itself matches (before the database re-check)."""
    return [pid for pid, _score in search.rank(search.parse_query(query), {}, 1000).hits]


@pytest.mark.parametrize("query", ["痔疮", "套扎", "内痔", "息肉", "痔疮套扎", "痔疮 套扎", "电动", "肛肠科",
                                   "有源", "二类", "Ⅱ类"])
def test_a_word_finds_the_project_that_contains_it(make_project, query):
    haemorrhoid = publish(make_project, **HAEMORRHOID)
    lens = publish(make_project, **CONTACT_LENS)
    result = search.search_projects(query)
    # any part of the query matches (科 of 眼科, 源 of 无源), but the project holding it all comes first
    assert result.hits[0].project_id == haemorrhoid.id and result.hits[0].all_words
    assert all(not hit.all_words for hit in result.hits[1:]) and {h.project_id for h in result.hits} <= {
        haemorrhoid.id, lens.id}


def test_words_jieba_splits_differently_are_still_found(make_project):
    # jieba reads 套扎器 as one word and 的套扎治疗 as 套/扎: character pairs find both
    device = publish(make_project, **dict(HAEMORRHOID, name="一次性使用痔疮套扎器"))
    therapy = publish(make_project, **dict(HAEMORRHOID, name="内痔治疗系统", public_summary=""))
    assert set(found("套扎")) == {device.id, therapy.id}
    assert found("套扎器")[0] == device.id


def test_name_and_intended_use_rank_first(make_project):
    in_prospects = publish(make_project, **dict(GLUCOSE, clinical_prospects="也可用于痔疮术后的疼痛管理。"))
    in_name = publish(make_project, **HAEMORRHOID)
    assert found("痔疮") == [in_name.id, in_prospects.id]


def test_partner_tier_text_is_never_matched(make_project, backend):
    secret = publish(make_project, **SECRET_HAEMORRHOID)
    for word in ["绞勒", *SECRETS.values()]:          # characters found nowhere in the public tier
        assert found(word) == [], word
        assert indexed(word) == [], word
    # the index holds no partner text at all, in any field or view (words, characters, pairs)
    terms = search.backend().terms()
    assert "痔疮" in terms and "痔" in terms
    assert not {"弹力", "绞勒", "机密", "弹力线", "绞", "勒"} & terms
    # what the Whoosh store keeps of a project: its public fields' words, its public text, labels and filters,
    # and per public field a hash of its text (the re-index's token cache key)
    assert set(search.schema().names()) == {"id", "tokens", "keys", "text", "labels", "filters"}
    if backend != "whoosh":   # PostgreSQL: the project's row (text, stored words) and postings hold no partner text
        with db.engine.connect() as connection:
            stored = connection.exec_driver_sql("SELECT project_id, text, tokens FROM project_search").all()
            lexemes = set(connection.exec_driver_sql("SELECT lexeme FROM project_search_posting").scalars())
        assert [row[0] for row in stored] == [secret.id] and postings(secret.id) > 0
        assert not any(word in repr(stored) or word in lexemes
                       for word in ["弹力", "绞勒", "机密", *PARTNER_WORDS, *SECRETS.values()])
        return
    with search.open_index(search.index_dir()).searcher() as searcher:
        stored = list(searcher.all_stored_fields())
    assert [int(fields["id"]) for fields in stored] == [secret.id]
    assert set(stored[0]["tokens"]) <= set(PUBLIC_FIELDS) | {"other"}
    assert not any(word in repr(stored) for word in ["弹力", "绞勒", "机密", *SECRETS.values()])


def test_a_partner_tier_word_never_matches(make_project):
    """A word of the partner tier finds a project exactly as if the partner tier were empty: no oracle.

    Its characters may also be public (推动套: 电动, 套扎), and those match; the hidden word itself never does.
    """
    secret = publish(make_project, **SECRET_HAEMORRHOID)
    blank = publish(make_project, **dict(HAEMORRHOID, **{name: "" for name in PARTNER_FIELDS
                                                          if name not in ("phone", "email")}))
    for word in PARTNER_WORDS + list(SECRETS.values()):
        hits = {hit.project_id: hit for hit in search.search_projects(word).hits}
        assert set(hits) in (set(), {secret.id, blank.id}), word
        if hits:
            assert hits[secret.id].score == hits[blank.id].score, word
            assert not hits[secret.id].all_words, word


@pytest.mark.parametrize("status", [s for s in ProjectStatus if s not in (ProjectStatus.PUBLISHED,
                                                                           ProjectStatus.NEGOTIATING)])
def test_unlisted_projects_are_not_found(make_project, status):
    make_project(status=status, **HAEMORRHOID)
    db.session.commit()
    assert found("痔疮") == [] and indexed("痔疮") == []


def test_projects_without_publish_consent_are_not_found(make_project):
    publish(make_project, publish_consent=False, **HAEMORRHOID)
    assert found("痔疮") == [] and indexed("痔疮") == []


def test_negotiating_projects_are_found(make_project):
    project = make_project(status=ProjectStatus.NEGOTIATING, **HAEMORRHOID)
    db.session.commit()
    assert found("痔疮") == [project.id]


def test_index_follows_commits_publish_edit_withdraw(make_project, staff):
    project = publish(make_project, commit=False, **HAEMORRHOID)
    assert indexed("痔疮") == []                       # not before the commit
    db.session.commit()
    assert indexed("痔疮") == [project.id]

    svc.update_project(project, project.owner, {"intended_use": "用于对各期内痔的胶圈结扎治疗。"})
    db.session.commit()                              # edited public text goes back to review: out of the library
    assert project.status is ProjectStatus.SUBMITTED and indexed("痔疮") == []
    svc.approve_project(project, staff)
    db.session.commit()
    assert indexed("结扎") == [project.id] and indexed("息肉") == []

    svc.withdraw_project(project, project.owner)
    db.session.commit()
    assert indexed("痔疮") == [] and found("痔疮") == []
    if search.backend().name == "postgres":   # nothing of it is left behind: no row, no posting
        assert postings(project.id) == 0 and project.id not in search.backend().indexed_ids()


def postings(project_id):
    with db.engine.connect() as connection:
        return connection.exec_driver_sql(
            f"SELECT count(*) FROM project_search_posting WHERE project_id = {int(project_id)}").scalar()


def test_a_rollback_leaves_the_index_alone(make_project, make_user, monkeypatch):
    project = publish(make_project, **HAEMORRHOID)
    svc.withdraw_project(project, project.owner)
    assert jobs.pending(index_project) == [("app.projects.jobs.index_project", (project.id,))]
    db.session.rollback()
    assert jobs.pending() == []
    assert indexed("痔疮") == [project.id]

    publish(make_project, commit=False, **GLUCOSE)
    db.session.rollback()
    updates = []
    monkeypatch.setattr(search, "update_projects", updates.append)
    make_user("staff")
    db.session.commit()                              # a later commit does not replay the dropped changes
    assert updates == [] and indexed("血糖") == []


def test_drafts_ask_for_no_index_update(make_project):
    project = make_project()
    svc.update_project(project, project.owner, {"intended_use": "用于对各期内痔的胶圈结扎治疗。"})
    assert jobs.pending(index_project) == []


def test_the_index_job_runs_after_the_commit_in_the_queue(queue, make_project):
    project = publish(make_project, commit=False, **HAEMORRHOID)
    db.session.commit()
    assert queue.waiting(index_project) == ["index_project"] and indexed("痔疮") == []
    queue.run_all()
    assert indexed("痔疮") == [project.id] and found("痔疮") == [project.id]


def test_indexing_failure_is_logged_not_raised(make_project, monkeypatch, caplog):
    # Alembic's fileConfig (migrations/env.py) disables existing loggers when another test upgrades
    monkeypatch.setattr(logging.getLogger("huey"), "disabled", False)

    def broken(ids):
        raise OSError("disk full")
    monkeypatch.setattr(search, "update_projects", broken)
    with caplog.at_level(logging.ERROR):
        project = publish(make_project, **HAEMORRHOID)
    assert project.status is ProjectStatus.PUBLISHED
    assert any(r.name.startswith("huey") and "disk full" in str(r.exc_info[1]) for r in caplog.records if r.exc_info)


def test_a_broken_index_shows_a_notice(client, login_as, make_project, monkeypatch):
    publish(make_project, **HAEMORRHOID)
    login_as("enterprise")

    def broken(*args):
        raise OSError("index gone")
    monkeypatch.setattr(search, "rank", broken)
    response = client.get("/library/?q=痔疮")
    assert response.status_code == 200 and "搜索服务暂时不可用" in response.get_data(as_text=True)


def test_the_index_is_created_from_the_database_on_first_use(make_project, app, tmp_path, monkeypatch, backend):
    project = publish(make_project, **HAEMORRHOID)
    if backend == "whoosh":
        monkeypatch.setitem(app.config, "SEARCH_INDEX_DIR", str(tmp_path / "new-index"))
        assert found("痔疮") == [project.id]
        assert (tmp_path / "new-index" / search._VERSION_FILE).exists()
        return
    # PostgreSQL: tables emptied (as the upgrade to search_0002 leaves them), then a process's first search
    with db.engine.begin() as connection:
        for table in ("project_search_posting", "project_search"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
    monkeypatch.setattr(search, "_backends", {})
    assert found("痔疮") == [project.id]
    second = search.PostgresBackend(db.engine)   # another process, after the first filled them: nothing to do
    assert second.reindex(only_if_empty=True) == 0 and second.open() is second
    assert search.backend().indexed_ids() == {project.id}


def test_reindex_cli_rebuilds_from_the_database(app, make_project):
    listed = [publish(make_project, **HAEMORRHOID), publish(make_project, **GLUCOSE)]
    make_project(status=ProjectStatus.SUBMITTED, **CONTACT_LENS)
    db.session.commit()
    forget(listed[0].id)                             # an index that lost track of a project
    assert indexed("痔疮") == []
    result = app.test_cli_runner().invoke(args=["search", "reindex"])
    assert result.exit_code == 0, result.output
    assert "indexed 2 listed projects" in result.output
    assert indexed("痔疮") == [listed[0].id] and indexed("角膜") == []
    assert search.backend().indexed_ids() == {p.id for p in listed}


def test_query_cli_prints_json(app, make_project):
    project = publish(make_project, **HAEMORRHOID)
    publish(make_project, **CONTACT_LENS)
    result = app.test_cli_runner().invoke(args=["search", "query", "痔疮", "--json"])
    assert result.exit_code == 0, result.output
    assert "痔疮" in result.output                    # ensure_ascii=False
    data = json.loads(result.output)
    assert (data["total"], data["page"], data["pages"]) == (1, 1, 1)
    assert data["hits"][0]["project_id"] == project.id and data["hits"][0]["score"] > 0
    assert "<mark>痔疮</mark>" in data["hits"][0]["snippet"]
    filtered = app.test_cli_runner().invoke(args=["search", "query", "痔疮", "--filter", "city=厦门市", "--json"])
    assert json.loads(filtered.output)["total"] == 0
    plain = app.test_cli_runner().invoke(args=["search", "query", "角膜"])
    assert plain.exit_code == 0 and plain.output.startswith("1 found")


def test_search_projects_returns_hits_total_and_pages(make_project):
    projects = [publish(make_project, **dict(HAEMORRHOID, name=f"痔疮套扎器{i}")) for i in range(5)]
    result = search.search_projects("痔疮", page=2, per_page=2)
    assert (result.total, result.page, result.pages, len(result.hits)) == (5, 2, 3, 2)
    assert {h.project_id for h in result.hits} <= {p.id for p in projects}
    assert all(h.score > 0 and "<mark>" in h.snippet for h in result.hits)
    assert search.search_projects("痔疮", page=99, per_page=2).page == 3


def test_snippets_are_public_text_escaped_with_marks(make_project):
    publish(make_project, **dict(HAEMORRHOID, intended_use="用于<b>痔疮</b>治疗 & 护理。",
                                  structure="痔疮机密结构", principle="痔疮机密原理"))
    snippet = str(search.search_projects("痔疮").hits[0].snippet)
    assert snippet == "用于&lt;b&gt;<mark>痔疮</mark>&lt;/b&gt;治疗 &amp; 护理。"
    assert "机密" not in snippet


def test_all_words_first_then_any_word(make_project):
    haemorrhoid = publish(make_project, **HAEMORRHOID)
    lens = publish(make_project, **CONTACT_LENS)
    both = search.search_projects("痔疮 角膜")
    assert both.loosened and set(h.project_id for h in both.hits) == {haemorrhoid.id, lens.id}
    assert not search.search_projects("痔疮 套扎").loosened


def test_quotes_ask_for_the_exact_words(make_project):
    lens = publish(make_project, **CONTACT_LENS)
    publish(make_project, **dict(GLUCOSE, intended_use="用于接触角膜的血糖监测。"))
    assert found('"角膜接触镜"') == [lens.id]


def test_a_quoted_phrase_is_the_characters_in_a_row_within_one_piece_of_text(make_project):
    in_a_row = publish(make_project, **WOUND)                                  # 腹部手术后
    publish(make_project, **dict(GLUCOSE, public_summary="手术，后续随访。"))  # 术 and 后, not in a row
    assert found('"术后"') == [in_a_row.id]


WEIRD_QUERIES = ['"', "'", "(", ")", "((痔疮", '"痔疮', '痔疮"套扎', "AND", "OR", "NOT", "痔疮 AND", "AND OR NOT",
                 "*", "?", "~", "^", ":", "痔*", "痔?疮~2^3", "title:x", "name:痔疮", "structure:弹力线",
                 "id:1", "grams:痔疮", "[a TO z]", "{}", "😀", "🏥痔疮🏥", "x" * 2000, "痔" * 2000,
                 "痔疮 " * 400, " ", "\t\n", "'; DROP TABLE project; --", "1 OR 1=1", "%", "_", "\\",
                 "<script>alert(1)</script>", "\x00", "\u200b", "ｆｕｌｌ　ｗｉｄｔｈ", "-痔疮", "+痔疮"]


@pytest.mark.parametrize("query", WEIRD_QUERIES)
def test_any_query_returns_a_page(client, login_as, make_project, query):
    publish(make_project, **HAEMORRHOID)
    login_as("enterprise")
    response = client.get("/library/", query_string={"q": query, "project_type": "active"})
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert re.search(r'<span class="badge text-bg-secondary" id="result-count">\d+</span>', body)
    assert "<script>alert(1)</script>" not in body
    result = search.search_projects(query, {"project_type": "active"})
    assert result.total in (0, 1)


def test_field_syntax_never_reaches_partner_text(make_project):
    publish(make_project, **HAEMORRHOID)
    for query in ("structure:弹力线", "principle:绞勒", "structure:*", "*:*", "team:机密TEAM标记"):
        assert found(query) == [], query


def test_filters_and_counts_work_with_a_query(make_project):
    publish(make_project, **HAEMORRHOID)
    passive = publish(make_project, **dict(HAEMORRHOID, name="一次性使用痔疮套扎器", project_type="passive",
                                           city="厦门市"))
    publish(make_project, **dict(CONTACT_LENS, project_type="passive"))   # passive, but not about 痔疮
    make_project(status=ProjectStatus.SUBMITTED, **HAEMORRHOID)          # about 痔疮, but not listed
    result = library_page(LibraryFilters.from_args({"project_type": "passive"}), query="痔疮")
    assert result.total == 1 and [p.id for p in result.items] == [passive.id]
    facets = {name: {value: count for value, _label, count in options} for name, options in result.facets.items()}
    assert facets["project_type"] == {"active": 1, "passive": 1, "ivd": 0}  # under the other filters
    assert facets["city"] == {"厦门市": 1}
    assert library_page(LibraryFilters.from_args({"city": "福州市", "project_type": "passive"}),
                        query="痔疮").total == 0


def test_library_page_with_a_query(client, login_as, make_project, app, monkeypatch):
    monkeypatch.setitem(app.config, "PER_PAGE", 2)
    for i in range(3):
        publish(make_project, **dict(HAEMORRHOID, name=f"痔疮套扎器{i}"))
    publish(make_project, **CONTACT_LENS)
    login_as("investor")
    body = client.get("/library/?q=痔疮&city=福州市").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="result-count">3</span>' in body
    assert "关键词" in body and "输入产品名称、适用范围等关键词" in body and "按相关度排列" in body
    assert "<mark>痔疮</mark>" in body and "硬式角膜接触镜护理液" not in body
    assert "q=%E7%97%94%E7%96%AE" in body                        # pagination and facet links keep q
    assert re.search(r'href="/library/\?[^"]*page=2[^"]*"', body)
    page_two = re.search(r'href="(/library/\?[^"]*page=2[^"]*)"', body).group(1).replace("&amp;", "&")
    assert "q=" in page_two and "city=" in page_two
    assert client.get(page_two).status_code == 200
    assert "保存此搜索" in body
    without_q = client.get("/library/").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="result-count">4</span>' in without_q
    assert "按发布时间从新到旧排列" in without_q and "保存此搜索" not in without_q


def test_empty_results_suggest_what_to_try(client, login_as, make_project):
    publish(make_project, **HAEMORRHOID)
    login_as("enterprise")
    body = client.get("/library/?q=心脏起搏器").get_data(as_text=True)
    assert '<span class="badge text-bg-secondary" id="result-count">0</span>' in body
    assert "没有找到与“心脏起搏器”相关的项目" in body and "换用其他关键词" in body
    filtered = client.get("/library/?q=痔疮&project_type=ivd").get_data(as_text=True)
    assert "试试减少筛选条件" in filtered and "在全部入选项目中搜索" in filtered
    loosened = client.get("/library/?q=痔疮 心脏").get_data(as_text=True)
    assert "没有同时包含全部关键词的项目" in loosened


@pytest.mark.parametrize("role", ["enterprise", "investor", "clinician", "unverified", "anonymous"])
def test_search_pages_leak_no_confidential_text(client, login_as, make_project, role):
    publish(make_project, **SECRET_HAEMORRHOID)
    login_as(role)
    for query in ["痔疮", "套扎", *PARTNER_WORDS, *SECRETS.values()]:
        body = client.get("/library/", query_string={"q": query}, follow_redirects=True).get_data(as_text=True)
        for secret in [*SECRETS.values(), "弹力线", "绞勒"]:
            assert secret not in body.replace(f'value="{query}"', "").replace(f"“{query}”", ""), (query, secret)


# Ranking properties (issue 12): any part of the query matches; all-word matches first; the exact title first.
WOUND = dict(HAEMORRHOID, name="术后切口负压引流装置", department="普外科",
             intended_use="用于腹部手术后切口的负压引流，减少积液和感染。", public_summary="一次性使用的切口引流装置。",
             clinical_prospects="适用于各级医院外科病房。")
CATHETER = dict(HAEMORRHOID, name="经皮冠状动脉介入治疗用球囊导管", department="心内科",
                intended_use="用于经皮冠状动脉介入治疗中扩张狭窄的冠状动脉。", public_summary="冠脉球囊扩张导管。",
                clinical_prospects="冠心病介入治疗量逐年增长。")
SCANNER = dict(HAEMORRHOID, name="移动式计算机断层扫描系统", department="影像科",
               intended_use="用于床旁的头部计算机断层成像检查。", public_summary="可移动的头颅成像设备。",
               clinical_prospects="重症监护病房内即可完成检查。")


def test_an_exact_title_query_ranks_that_project_first(make_project):
    projects = [publish(make_project, **fields) for fields in (HAEMORRHOID, CONTACT_LENS, GLUCOSE, WOUND,
                                                               CATHETER, SCANNER)]
    for project in projects:
        assert found(project.name)[0] == project.id, project.name


@pytest.mark.parametrize("query", ["手术后引流", "术后的引流", "切口引流怎么做", "腹部手术后"])
def test_a_query_segmented_differently_from_the_text_still_finds_it(make_project, query):
    wound = publish(make_project, **WOUND)
    publish(make_project, **CONTACT_LENS)
    assert found(query)[0] == wound.id


def test_any_word_results_come_after_all_word_ones(make_project):
    # 负压 and 引流 both in WOUND; only 负压 in HAEMORRHOID (its public summary), only 引流 in none else
    both = publish(make_project, **WOUND)
    one = publish(make_project, **dict(HAEMORRHOID, name="负压痔疮套扎器" * 3, public_summary="负压负压负压吸引。"))
    result = search.search_projects("负压 引流")
    ids = [hit.project_id for hit in result.hits]
    assert ids[0] == both.id and one.id in ids and not result.loosened
    flags = [hit.all_words for hit in result.hits]
    assert flags == sorted(flags, reverse=True)       # every all-word hit before every any-word hit


def test_a_word_most_projects_hold_is_left_out_beside_rarer_terms(make_project):
    """As common characters are: a word held by more than MAX_WORD_DF of the projects (用于, in every 适用范围)
    costs the most postings and moves no ranking, so beside a rarer term it does not make a match. Alone, or
    beside other common terms only, it still finds every project that holds it."""
    wound = publish(make_project, **WOUND)
    others = [publish(make_project, commit=False, **dict(GLUCOSE, name=f"无创血糖仪{i}型")) for i in range(search.documents.MIN_DOCS_TO_PRUNE)]
    db.session.commit()
    assert search.search_projects("用于 负压引流").total == 1 and found("用于 负压引流") == [wound.id]
    assert search.search_projects("用于").total == len(others) + 1


def test_a_rare_word_outweighs_a_common_one_said_many_times(make_project):
    """Both backends weigh a term by how rare it is (BM25's idf): without it, repeating a common word wins."""
    rare = publish(make_project, **dict(CATHETER, name="冠脉扩张球囊", intended_use="用于冠状动脉狭窄的扩张。",
                                        public_summary="一次性使用。", clinical_prospects="适合基层医院。"))
    common = [publish(make_project, **dict(GLUCOSE, name=f"血糖仪{i}型", public_summary="血糖血糖血糖监测。" * (2 if i == 0 else 1)))
              for i in range(5)]
    ids = found("球囊 血糖")
    assert ids[0] == rare.id and set(ids) == {rare.id, *(p.id for p in common)}


@pytest.mark.parametrize("query", ["移動式計算機斷層", "ＣＴ", "ct", "CT 床旁"])
def test_variants_and_synonyms_find_the_project(make_project, query):
    scanner = publish(make_project, **SCANNER)
    publish(make_project, **GLUCOSE)
    assert found(query)[0] == scanner.id


def test_an_abbreviation_finds_the_spelled_out_term_and_its_snippet(make_project):
    catheter = publish(make_project, **CATHETER)
    publish(make_project, **GLUCOSE)
    result = search.search_projects("PCI 球囊")
    assert result.hits[0].project_id == catheter.id and result.hits[0].all_words
    assert "<mark>" in str(result.hits[0].snippet)


def test_snippets_mark_character_matches_too(make_project):
    publish(make_project, **WOUND)
    snippet = str(search.search_projects("手术后").hits[0].snippet)
    assert "<mark>手术后</mark>" in snippet       # jieba has 手术/后; the characters in a row are marked whole


def test_device_names_of_the_nmpa_catalog_segment_as_one_word():
    assert "硬式角膜接触镜护理液" in search.analysis.words("硬式角膜接触镜护理液的清洁")


RANKED_ALIKE = ["痔疮", "套扎 治疗", "用于临床检测", "角膜接触镜", '"角膜接触镜"', '"手术后" 引流', "ct 床旁",
                "PCI 球囊", "血糖", "一次性使用", "福州市 有源", "心电图"]


def test_both_backends_rank_alike(make_project, backend, monkeypatch):
    """The PostgreSQL backend ranks as the Whoosh one: the same terms, idf, BM25 and weights, the same scores."""
    if backend != "postgres":
        pytest.skip("compares the PostgreSQL backend with Whoosh")
    # 54 projects: past MIN_DOCS_TO_PRUNE, so both leave out the same common characters and words
    for i, fields in enumerate([HAEMORRHOID, CONTACT_LENS, GLUCOSE, WOUND, CATHETER, SCANNER] * 9):
        publish(make_project, **dict(fields, name=fields["name"] + "型号" * (i % 3), city=["福州市", "厦门市"][i % 2]))
    rankings = {}
    for name in ("whoosh", "postgres"):
        monkeypatch.setenv("CLINBRIDGE_SEARCH", name)
        search.reindex()
        rankings[name] = {(query, city): search.rank(search.parse_query(query), {"city": city} if city else {}, 10)
                          for query in RANKED_ALIKE for city in (None, "厦门市")}
    for key, whoosh in rankings["whoosh"].items():
        postgres = rankings["postgres"][key]
        assert postgres.total == whoosh.total, key
        assert [pid for pid, _ in postgres.hits] == [pid for pid, _ in whoosh.hits], (key, postgres.hits, whoosh.hits)
        assert [round(score, 3) for _, score in postgres.hits] == [round(score, 3) for _, score in whoosh.hits], key
        assert sorted(postgres.all_ids()) == sorted(whoosh.all_ids()), key
        # the library's counts on a search page: from the engine, as the database counts the matched ids
        expected = facet_values(LibraryFilters.from_args({"city": key[1]} if key[1] else {}),
                                [ids_clause(postgres.all_ids())])
        assert postgres.facets() == whoosh.facets() == expected, key
