"""The speed-ups change nothing: same tokens, same matrices, same rankings (no timing here)."""
from __future__ import annotations

import os
import unicodedata

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from matching import MatchIndex, rank_all
from matching.background import Background, can_fork
from matching.knowledge import load_determinations
from matching.text import _char_analyzer, _normalised_once, _TfidfVectorizer, _word_analyzer, normalise

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
                                               (_char_analyzer, {})])
def test_fast_vectoriser_matches_scikit_learn(determination_texts, analyzer, options):
    fitted, queries = determination_texts[:400], determination_texts[350:]
    stock = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32, **options).fit(fitted)
    fast = _TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, dtype=np.float32, **options).fit(fitted)
    assert fast.vocabulary_ == stock.vocabulary_
    assert np.array_equal(fast.idf_, stock.idf_)
    expected, got = stock.transform(queries), fast.transform(queries)
    assert type(got) is type(expected) and got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr)
    assert np.array_equal(got.indices, expected.indices)
    assert np.array_equal(got.data, expected.data)


def test_empty_corpus_still_raises_like_scikit_learn():
    with pytest.raises(ValueError):
        _TfidfVectorizer(analyzer=_word_analyzer).fit(["", "。"])


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
    assert np.array_equal(parallel.enterprise_coverage.toarray(), serial.enterprise_coverage.toarray())
    for direction in ("project", "enterprise"):
        assert list(rank_all(corpus, enterprises, direction=direction, index=parallel)) == \
            list(rank_all(corpus, enterprises, direction=direction, index=serial))
