"""The Whoosh backend's numpy scorer: exact BM25 over the stored tokens, top-k, counts, filters, increments."""
import math
import multiprocessing
import time
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from flask import current_app

from app.extensions import db
from app.projects import operations as svc
from app.projects import search
from app.projects.library import LibraryFilters, library_page
from app.projects.listing import facet_values, ids_clause
from app.projects.models import ProjectStatus
from app.projects.search import documents, scorer
from app.projects.search.analysis import field_tokens, unigrams

TEXTS = [
    ("电动痔疮套扎系统", "用于对各期内痔及混合痔或直肠良性息肉的套扎治疗。", "肛肠科", "active", "福州市"),
    ("一次性使用痔疮套扎器", "用于内痔的套扎治疗，一次性使用。", "肛肠科", "passive", "厦门市"),
    ("硬式角膜接触镜护理液", "用于硬式角膜接触镜的清洁、消毒。", "眼科", "passive", "厦门市"),
    ("无创血糖仪", "用于监测糖尿病患者的血糖变化趋势。", "内分泌科", "active", "福州市"),
    ("术后切口负压引流装置", "用于腹部手术后切口的负压引流，减少积液和感染。", "普外科", "passive", "泉州市"),
    ("经皮冠状动脉介入治疗用球囊导管", "用于经皮冠状动脉介入治疗中扩张狭窄的冠状动脉。", "心内科", "passive", "福州市"),
    ("移动式计算机断层扫描系统", "用于床旁的头部计算机断层成像检查。", "影像科", "active", "泉州市"),
    ("负压创面治疗仪", "用于慢性创面的负压引流治疗，促进愈合。", "烧伤科", "active", "厦门市"),
    ("血糖连续监测贴", "用于糖尿病患者皮下组织液葡萄糖浓度的连续监测。", "内分泌科", "passive", "福州市"),
    ("痔疮术后坐浴熏洗器", "用于痔疮术后患者的坐浴熏洗护理。", "肛肠科", "passive", "泉州市"),
]
QUERIES = ["痔疮", "套扎治疗", "负压引流", "血糖监测", "糖尿病 监测", "角膜", "计算机断层", "术后护理", "导管",
           "治疗", "用于", "手术后的引流", "科"]


@pytest.fixture(autouse=True)
def whoosh(app_context, monkeypatch):
    monkeypatch.setenv("CLINBRIDGE_SEARCH", "whoosh")
    search.reindex()


@pytest.fixture
def corpus(make_project):
    projects = []
    for name, use, department, kind, city in TEXTS:
        projects.append(make_project(status=ProjectStatus.PUBLISHED, name=name, intended_use=use,
                                     department=department, project_type=kind, city=city, device_class="II",
                                     public_summary=f"{name}的公开摘要。", clinical_prospects="适合基层医院推广。"))
    db.session.commit()
    return projects


def _reference(query: str, projects) -> dict[int, float]:
    """BM25 written out plainly from the same tokens (no numpy, no blocks): what the scorer must compute."""
    parsed = search.parse_query(query)
    docs = {}
    for project in projects:
        doc = documents.document(project)
        views = [field_tokens(doc["words"].get(name, "")) for name in documents.WORD_FIELDS]
        views.append(unigrams(doc["text"]))
        docs[project.id] = [Counter(v) for v in views], [len(v) for v in views]
    n = len(docs)
    avg = [sum(lengths[v] for _c, lengths in docs.values()) / n for v in range(len(scorer.VIEWS))]
    terms = search.backend().searcher().terms(parsed)
    scores = {}
    for pid, (counts, lengths) in docs.items():
        total = 0.0
        for view, token, weight in terms:
            tf = counts[view][token]
            if not tf:
                continue
            df = sum(1 for c, _l in docs.values() if c[view][token])
            idf = math.log(n / (df + 1)) + 1
            total += weight * idf * tf * (scorer.K1 + 1) / (
                tf + scorer.K1 * (1 - scorer.B + scorer.B * lengths[view] / avg[view]))
        if total > 0:
            scores[pid] = total
    return scores


@pytest.mark.parametrize("query", QUERIES)
def test_scores_are_plain_bm25_over_the_stored_tokens(corpus, query):
    expected = _reference(query, corpus)
    ranking = search.rank(search.parse_query(query), {}, 1000)
    assert ranking.total == len(expected)
    got = dict(ranking.hits)
    assert set(got) == set(expected)
    for pid, score in expected.items():
        assert got[pid] == pytest.approx(score, rel=1e-4), pid


@pytest.mark.parametrize("query", QUERIES)
def test_the_top_k_is_the_full_rankings_top_k(corpus, query):
    full = search.rank(search.parse_query(query), {}, 1000)
    for k in (1, 2, 3, 5):
        top = search.rank(search.parse_query(query), {}, k)
        assert top.hits == full.hits[:k] and top.total == full.total
    scores = [score for _pid, score in full.hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("filters", [{"project_type": "passive"}, {"city": "福州市"},
                                     {"city": "厦门市", "project_type": "passive"}, {"city": "拉萨市"},
                                     {"department": "肛肠科", "device_class": "II"}])
def test_filters_are_masks_with_the_right_count(corpus, filters):
    by_id = {p.id: p for p in corpus}
    for query in QUERIES:
        full = dict(search.rank(search.parse_query(query), {}, 1000).hits)
        ranking = search.rank(search.parse_query(query), filters, 1000)
        expected = {pid for pid in full if all(
            documents._filter_value(by_id[pid], name) == value for name, value in filters.items())}
        assert {pid for pid, _s in ranking.hits} == expected and ranking.total == len(expected), query
        assert all(dict(ranking.hits)[pid] == pytest.approx(full[pid]) for pid in expected)


def test_engine_facet_counts_equal_the_databases_over_the_matched_ids(corpus):
    for query in QUERIES:
        for values in ({}, {"project_type": "passive"}, {"city": "厦门市", "project_type": "active"}):
            filters = LibraryFilters.from_args(values)
            ranking = search.rank(search.parse_query(query), filters.values, 20)
            expected = facet_values(filters, [ids_clause(ranking.all_ids())])
            assert ranking.facets() == expected, (query, values)


def test_the_library_page_counts_come_from_the_engine_without_matched_ids(corpus, monkeypatch):
    monkeypatch.setattr(search.SearchResults, "matched_ids", property(lambda self: pytest.fail("asked for ids")))
    page = library_page(LibraryFilters.from_args({"project_type": "passive"}), query="痔疮")
    facets = {name: {value: n for value, _label, n in options} for name, options in page.facets.items()}
    assert facets["project_type"]["passive"] == page.total == 2 and facets["project_type"]["active"] == 1
    assert facets["city"] == {"厦门市": 1, "泉州市": 1}


def test_a_publish_adds_one_small_block_and_reuses_the_others(corpus, make_project):
    before = search.backend().searcher()
    blocks = {part.segid: part.block for part in before.parts}
    project = make_project(status=ProjectStatus.PUBLISHED, name="痔疮冷冻治疗仪", intended_use="用于痔疮的冷冻治疗。")
    db.session.commit()          # the index job runs after the commit (JOBS_IMMEDIATE)
    after = search.backend().searcher()
    assert after is not before and after.generation > before.generation
    assert project.id in after.ids() and after.count == before.count + 1
    reused = [part for part in after.parts if part.segid in blocks]
    assert reused and all(part.block is blocks[part.segid] for part in reused)
    new = [part for part in after.parts if part.segid not in blocks]
    assert sum(part.block.n for part in new) == 1
    assert search.rank(search.parse_query("冷冻"), {}, 10).hits[0][0] == project.id


def test_an_edit_or_withdrawal_masks_the_old_row(corpus):
    target = corpus[0]
    svc.withdraw_project(target, target.owner)
    db.session.commit()
    snapshot = search.backend().searcher()
    assert target.id not in snapshot.ids() and snapshot.count == len(corpus) - 1
    assert target.id not in {pid for pid, _s in search.rank(search.parse_query("电动痔疮"), {}, 100).hits}


def test_many_publishes_merge_small_segments(make_project):
    ids = []
    for i in range(search.whoosh_backend.MAX_SMALL * 2):
        ids.append(make_project(status=ProjectStatus.PUBLISHED, name=f"测试器械{i}号").id)
        db.session.commit()
    snapshot = search.backend().searcher()
    assert snapshot.ids() == set(ids)
    assert len(snapshot.parts) <= search.whoosh_backend.MAX_SMALL   # 5 small ones and the newest at most
    assert search.rank(search.parse_query("测试器械"), {}, 100).total == len(ids)


def test_a_segment_that_lost_most_of_its_documents_is_rewritten(corpus):
    """A batch re-index after an import replaces every row of the first fill: dead rows must not stay in memory."""
    search.reindex()
    first = search.backend().searcher()
    assert len(first.parts) == 1 and first.parts[0].block.n == len(corpus)
    search.update_projects({p.id for p in corpus[:4]})          # 4 of 10 replaced: the segment is kept
    kept = search.backend().searcher()
    assert first.parts[0].segid in {part.segid for part in kept.parts}
    search.update_projects({p.id for p in corpus[4:6]})         # 6 of 10: its 4 live rows are copied, it goes
    after = search.backend().searcher()
    assert first.parts[0].segid not in {part.segid for part in after.parts}
    assert sum(part.block.n for part in after.parts) == len(corpus)   # 4 rows of the first update + 4 copied + 2
    for part in after.parts:
        assert part.live.sum() * 2 >= part.block.n      # no segment keeps more dead rows than live ones
    assert after.ids() == {p.id for p in corpus} and after.count == len(corpus)
    ranked = [_ranked(query) for query in QUERIES]
    search.update_projects({p.id for p in corpus})               # every row replaced: dead segments are dropped
    assert all(part.live.all() for part in search.backend().searcher().parts)
    search.reindex()
    assert ranked == [_ranked(query) for query in QUERIES]       # the same ranking as a fresh index


def _ranked(query):
    return [pid for pid, _s in search.rank(search.parse_query(query), {}, 100).hits]


def test_blocks_are_saved_and_another_process_loads_the_same_scores(corpus, monkeypatch, tmp_path):
    monkeypatch.setattr(scorer, "SAVE_MIN_ROWS", 1)
    search.reindex()
    directory = search.index_dir()
    files = list(Path(directory).glob("clinbridge-block-*.npz"))
    assert len(files) == 1 and all(scorer.mapped_path(files[0], name).exists() for name in scorer.Block.MAPPED)
    loaded = scorer.Block.load(files[0])
    reader = search.backend().open().reader()
    try:
        built = scorer.Block.build([reader.stored_fields(d) for d in range(reader.doc_count_all())])
    finally:
        reader.close()
    in_use = search.backend().searcher().parts[0].block   # the writer, too, reads the mapped files it saved
    assert isinstance(in_use.views[0].rows.base, np.memmap) or isinstance(in_use.views[0].rows, np.memmap)
    assert list(loaded.ids) == list(built.ids) and loaded.text_of(3) == built.text_of(3)
    for v in range(len(scorer.VIEWS)):
        assert loaded.views[v].vocab == built.views[v].vocab
        assert (loaded.views[v].indptr == built.views[v].indptr).all()
        assert (loaded.views[v].rows == built.views[v].rows).all()
        assert (loaded.views[v].tfs == built.views[v].tfs).all()
        # the postings are memory-mapped (one copy in the page cache for every worker), not read into memory
        assert isinstance(loaded.views[v].rows.base, np.memmap) or isinstance(loaded.views[v].rows, np.memmap)
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_rank_in_another_process, args=(_config(), queue, QUERIES))
    process.start()
    process.join(120)
    assert process.exitcode == 0
    theirs = queue.get(timeout=5)
    ours = [search.rank(search.parse_query(q), {}, 5).hits for q in QUERIES]
    assert theirs == [[tuple(hit) for hit in hits] for hits in ours]


def _config() -> dict:
    app = current_app
    return {"INSTANCE_PATH": app.instance_path, "TESTING": True, "SECRET_KEY": "test-secret",
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"], "JOBS_IMMEDIATE": True,
            "SUGGESTIONS_REFRESH": False, "MAIL_SERVER": ""}


def _rank_in_another_process(config, queue, queries) -> None:
    import os
    os.environ["CLINBRIDGE_SEARCH"] = "whoosh"
    from app import create_app
    app = create_app(config)
    with app.app_context():
        built = []
        monkey = scorer.Block.build

        def refuse(stored):   # the big block must come from its file, not from the stored tokens
            if len(stored) > 1:
                built.append(len(stored))
            return monkey(stored)
        scorer.Block.build = staticmethod(refuse)
        result = [[tuple(hit) for hit in search.rank(search.parse_query(q), {}, 5).hits] for q in queries]
        assert not built, built
        queue.put(result)


def test_a_quoted_phrase_is_exact_in_the_scorer(corpus):
    hits = {pid for pid, _s in search.rank(search.parse_query('"负压引流"'), {}, 100).hits}
    expected = {p.id for p in corpus if "负压引流" in p.intended_use or "负压引流" in (p.public_summary or "")}
    assert hits == expected and len(hits) == 2
    assert not search.rank(search.parse_query('"引流负压"'), {}, 100).hits


def test_the_next_search_sees_an_index_write_within_a_second(corpus, make_project, monkeypatch):
    with monkeypatch.context() as patch:
        patch.setattr(search, "update_projects", lambda ids: None)
        project = make_project(status=ProjectStatus.PUBLISHED, name="痔疮激光治疗仪")
        db.session.commit()
    reader = search.backend().searcher()
    assert project.id not in reader.ids()
    started = time.perf_counter()
    search.update_projects({project.id})
    seen = search.backend().wait_for(project.id, timeout=1.0)
    assert seen < 1.0 and time.perf_counter() - started < 1.0
