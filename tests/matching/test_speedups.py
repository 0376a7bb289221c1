"""The speed-ups change nothing: same tokens, same matrices, same rankings (no timing here)."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import unicodedata

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from matching import MatchIndex, rank_all, rank_for_enterprise
from matching.background import Background, can_fork, single_threaded
from matching.knowledge import load_determinations
from matching.text import TextEncoder, TokenTfidf, _char_analyzer, _normalised_once, _word_analyzer, normalise

ODD_TEXTS = ["", "。", "ABC（Ｘ型）", "İstanbul ǅ", "e\u0301", "\u1100\u1161", "ﬁ ½ ㈱", "  空  白  ", "１２３．５ｍｍ"]


@pytest.fixture(scope="module")
def determination_texts():
    rows = load_determinations()[:600]
    return [f"{d['product_name']}。{d['description']}" for d in rows] + ODD_TEXTS


def test_normalise_is_nfkc_then_lower(determination_texts):
    for text in determination_texts:
        assert normalise(text) == unicodedata.normalize("NFKC", text).lower()
        once = _normalised_once(text)
        assert normalise(once) == normalise(text)


@pytest.mark.parametrize("analyzer, options", [(_word_analyzer, {"max_df": 0.5}),
                                               (_char_analyzer, {"max_df": 0.5, "min_df": 2}),
                                               (_char_analyzer, {"max_df": 120, "min_df": 0.004}),
                                               (_char_analyzer, {})])
def test_token_tfidf_matches_scikit_learn(determination_texts, analyzer, options):
    fitted, queries = determination_texts[:400], determination_texts[350:]
    stock = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32, **options).fit(fitted)
    fast = TokenTfidf(analyzer, sublinear_tf=True, dtype=np.float32, **options).fit(fitted)
    assert fast.vocabulary_ == stock.vocabulary_
    assert fast.idf_.dtype == stock.idf_.dtype and np.array_equal(fast.idf_, stock.idf_)
    expected, got = stock.transform(queries), fast.transform(queries)
    assert type(got) is type(expected) and got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


@pytest.mark.parametrize("texts, options", [(["", "。"], {}), (["甲乙", "甲乙"], {"max_df": 0.5}),
                                            (["甲乙丙"], {"max_df": 1, "min_df": 2})])
def test_an_empty_vocabulary_raises_like_scikit_learn(texts, options):
    with pytest.raises(ValueError):
        TfidfVectorizer(analyzer=_char_analyzer, **options).fit(texts)
    with pytest.raises(ValueError):
        TokenTfidf(_char_analyzer, **options).fit(texts)


# TextEncoder's rows for a small corpus as measured with scikit-learn's TfidfVectorizer (subclassed
# with a faster _count_vocab) before text.py moved to public API: a change of the library's
# TF-IDF, or of ours, shows here even when both sides of the comparison above move together.
PINNED_CORPUS = ["一次性使用痔疮套扎器。用于内痔套扎治疗", "电动痔疮套扎器，由手柄和负压管组成", "连续血糖监测系统。用于血糖监测",
                 "血糖仪和试纸", "新型冠状病毒抗原检测试剂盒", "抗原检测试剂（胶体金法）"]
PINNED_QUERIES = ["痔疮套扎", "血糖监测仪", "", "抗原试剂盒"]
PINNED_WORDS = ["内痔", "冠状病毒", "器", "套", "手柄", "扎", "抗原", "新型", "检测", "治疗", "法", "电动", "痔疮", "监测",
                "管", "胶体金", "血糖", "血糖仪", "试剂", "试剂盒", "试纸", "负压", "连续"]
PINNED_WORD_IDF = {1.8472977876663208: ["器", "套", "扎", "抗原", "检测", "痔疮"]}  # every other word: 2.252763032913208
PINNED_ROWS = {
    "indptr": [0, 8, 14, 14, 20],
    "indices": [112, 111, 106, 105, 64, 12, 5, 3, 132, 130, 120, 119, 113, 16, 135, 133, 76, 47, 19, 6],
    "data": [0.3162277638912201, 0.3162277638912201, 0.3162277638912201, 0.3162277638912201, 0.3162277638912201,
             0.40824827551841736, 0.40824827551841736, 0.40824827551841736, 0.3271251320838928, 0.26824724674224854,
             0.3271251320838928, 0.3271251320838928, 0.3271251320838928, 0.7071067690849304, 0.38663119077682495,
             0.31704309582710266, 0.31704309582710266, 0.38663119077682495, 0.5467790365219116, 0.448366641998291],
}


def test_text_encoder_rows_are_pinned():
    encoder = TextEncoder().fit(PINNED_CORPUS)
    words = encoder.word_vectorizer
    assert sorted(words.vocabulary_, key=words.vocabulary_.get) == PINNED_WORDS
    expected_idf = [next((v for v, ws in PINNED_WORD_IDF.items() if w in ws), 2.252763032913208) for w in PINNED_WORDS]
    assert np.array_equal(words.idf_, np.array(expected_idf, dtype=np.float32))
    assert encoder.dimension == len(PINNED_WORDS) + 120
    rows = encoder.transform(PINNED_QUERIES)
    assert type(rows) is sp.csr_matrix and rows.dtype == np.float32
    assert rows.indptr.tolist() == PINNED_ROWS["indptr"] and rows.indices.tolist() == PINNED_ROWS["indices"]
    assert np.array_equal(rows.data, np.array(PINNED_ROWS["data"], dtype=np.float32))


def _pid_or_fail(parent: int) -> int:
    return os.getpid()


def _fail_in_child(parent: int) -> str:
    if os.getpid() != parent:
        raise RuntimeError("only in the child")
    return "computed by the caller"


@pytest.mark.skipif(not can_fork(), reason="no fork start method on this platform")
def test_background_runs_in_a_child_and_falls_back_on_failure():
    parent = os.getpid()
    job = Background(_pid_or_fail, parent, fork=True)
    assert job.forked
    assert job.result() != parent
    assert Background(_pid_or_fail, parent, fork=False).result() == parent
    assert Background(_fail_in_child, parent, fork=True).result() == "computed by the caller"


@pytest.mark.skipif(not can_fork(), reason="no fork start method on this platform")
def test_parallel_build_ranks_exactly_like_serial(knowledge, projects, enterprises):
    rows = load_determinations()[:80]
    corpus = projects + [{"id": f"d{i}", "name": d["product_name"], "structure": d["description"],
                          "device_class": ["I", "II", "III"][i % 3], "province": "福建省" if i % 2 else ""}
                         for i, d in enumerate(rows)]
    serial = MatchIndex.build(corpus, enterprises, knowledge=knowledge, parallel=False)
    parallel = MatchIndex.build(corpus, enterprises, knowledge=knowledge, parallel=True)
    assert np.array_equal(parallel.project_side.category.toarray(), serial.project_side.category.toarray())
    assert np.array_equal(parallel.slot_side.category.toarray(), serial.slot_side.category.toarray())
    for direction in ("project", "enterprise"):
        assert list(rank_all(corpus, enterprises, direction=direction, index=parallel)) == \
            list(rank_all(corpus, enterprises, direction=direction, index=serial))


def _random_side(rng: np.random.Generator, n: int, slots: bool) -> "_Side":
    from matching.rank import _Side

    def budget():
        values = rng.choice([np.nan, 50.0, 100.0, 300.0, 1000.0], size=n)
        return values.astype(np.float64)

    empty = sp.csr_matrix((n, 3), dtype=np.float32)
    return _Side(
        text=empty, category=empty, first_level=np.zeros((n, 2), dtype=np.float32),
        device_class=(rng.integers(0, 16, n) if slots else rng.integers(-1, 4, n)).astype(np.int64 if slots else np.int16),
        stage=(rng.integers(0, 128, n) * (rng.random(n) < 0.5) if slots else rng.integers(-1, 7, n)).astype(
            np.int64 if slots else np.int16),
        province=rng.integers(0, 4, n).astype(np.int32), budget=budget(),
        cooperation=(rng.integers(0, 8, n) * (rng.random(n) < 0.6)).astype(np.int64),
        region_rule=rng.integers(0, 3, n).astype(np.int8),
    )


@pytest.mark.parametrize("hard_constraints", ["penalise", "exclude"])
def test_slot_by_slot_constraints_equal_the_vectorised_ones(hard_constraints):
    from matching import rank

    rng = np.random.default_rng(3)
    projects = _random_side(rng, 5000, slots=False)
    for n_slots in (1, 2, 5, rank.FEW_SLOTS):
        slots = _random_side(rng, n_slots, slots=True)
        by_slot = rank._structured_fit_by_slot(projects, slots, hard_constraints)
        saved, rank.FEW_SLOTS = rank.FEW_SLOTS, 0
        try:
            vectorised = rank._structured_fit(projects, slots, hard_constraints)
        finally:
            rank.FEW_SLOTS = saved
        for got, expected in zip(by_slot, vectorised):
            assert got.shape == expected.shape and got.dtype == expected.dtype
            assert np.array_equal(got, expected)


@pytest.fixture(scope="module")
def determination_corpus(projects, enterprises):
    rows = load_determinations()
    corpus = list(projects)
    for i, d in enumerate(rows[:600]):
        corpus.append({"id": f"d{i}", "name": d["product_name"], "structure": d["description"],
                       "device_class": ["I", "II", "III", None][i % 4], "stage": ["sample", "concept", None][i % 3],
                       "province": ["福建省", "", "上海市"][i % 3], "budget_wan": [None, 200, 800][i % 3],
                       "wanted_cooperation_modes": [[], ["equity"], ["joint_development"]][i % 3]})
    companies = list(enterprises)
    for i, d in enumerate(rows[600:900:3]):
        companies.append({"id": f"c{i}", "name": f"企业{i}", "field": ["", "无源手术器械", "体外诊断试剂"][i % 3],
                          "region": ["福建省", "上海市"][i % 2],
                          "overview": f"公司主要产品：{d['product_name']}（{d['description'][:80]}）",
                          "intents": [{"description": rows[601 + i]["product_name"], "keywords": [],
                                       "device_classes": [["II", "III"], []][i % 2], "stages": [],
                                       "cooperation_modes": [[], ["equity"]][i % 2], "budget_wan": [None, 300][i % 2],
                                       "region_preference": [None, "in_province", "out_of_province"][i % 3]}
                                      for _ in range(1 + i % 2)]})
    return corpus, companies


@pytest.mark.parametrize("hard_constraints", ["penalise", "exclude"])
def test_enterprise_direction_equals_exhaustive_scoring(knowledge, determination_corpus, hard_constraints):
    """Postings and slot-by-slot constraints give the very top 10 of scoring every pair the old way."""
    from matching import rank

    corpus, companies = determination_corpus
    index = MatchIndex.build(corpus, companies, knowledge=knowledge)
    fast = [rank_for_enterprise(index, e, k=10, hard_constraints=hard_constraints) for e in companies]
    fast += [rank_for_enterprise(index, e, k=10, intent_index=0) for e in companies[3:20]]
    assert index.project_side.postings is not None  # the fast path was taken
    saved = rank.POSTINGS_MAX_QUERY_ROWS, rank.FEW_SLOTS
    rank.POSTINGS_MAX_QUERY_ROWS, rank.FEW_SLOTS = 0, 0
    try:
        exhaustive = [rank_for_enterprise(index, e, k=10, hard_constraints=hard_constraints) for e in companies]
        exhaustive += [rank_for_enterprise(index, e, k=10, intent_index=0) for e in companies[3:20]]
    finally:
        rank.POSTINGS_MAX_QUERY_ROWS, rank.FEW_SLOTS = saved
    assert sum(len(r) for r in fast) > 1000
    assert fast == exhaustive


def test_no_fork_from_a_process_running_other_threads():
    # A fresh interpreter runs one thread (this test process may run others: live servers).
    fresh = subprocess.run([sys.executable, "-c", "from matching.background import single_threaded as s; print(s())"],
                           capture_output=True, text=True, check=True)
    assert fresh.stdout.strip() == "True"
    release = threading.Event()
    worker = threading.Thread(target=release.wait)
    worker.start()
    try:
        # The platform refreshes suggestions in a thread: a fork then could copy a lock that
        # the other thread holds, and the child would wait on it for ever.
        assert not single_threaded()
    finally:
        release.set()
        worker.join()
