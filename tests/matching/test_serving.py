"""A loaded knowledge base serves without scikit-learn and gives scikit-learn's numbers, bit for bit (issue 12).

Fitting still uses scikit-learn; what is kept is arrays: linear models' weights, IDF weights, vocabularies
as sorted arrays. Each numpy replacement is compared here with the scikit-learn object it replaces.
"""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from matching.knowledge import LinearScores, SoftmaxScores, _grams_1_3, _grams_1_4, load_determinations
from matching.text import SortedTerms, TokenCounts, TokenTfidf, _char_analyzer, normalise

ODD = ["", "  空  白  ", "ABC（Ｘ型）", "a\x00b", "１２３．５ｍｍ 导管\t\t支架", "一次性使用痔疮套扎器"]


@pytest.fixture(scope="module")
def texts():
    rows = load_determinations()[:500]
    return [f"{d['product_name']}。{d['description']}" for d in rows] + ODD


def _same(got, expected):
    assert type(got) is type(expected) and got.dtype == expected.dtype and got.shape == expected.shape
    for part in ("indptr", "indices", "data"):
        assert np.array_equal(getattr(got, part), getattr(expected, part)), part


@pytest.mark.parametrize("low, high, analyzer, options", [
    (1, 4, _grams_1_4, {"min_df": 2}), (1, 3, _grams_1_3, {"min_df": 2, "max_df": 0.5})])
def test_the_name_view_vectorisers_are_scikit_learns(texts, low, high, analyzer, options):
    fitted, queries = texts[:400], texts[380:]
    stock = TfidfVectorizer(analyzer="char", ngram_range=(low, high), sublinear_tf=True, preprocessor=normalise,
                            dtype=np.float32, **options).fit(fitted)
    ours = TokenTfidf(analyzer, sublinear_tf=True, dtype=np.float32, **options).fit(fitted)
    assert ours.vocabulary_ == stock.vocabulary_ and np.array_equal(ours.idf_, stock.idf_)
    _same(ours.transform(queries), stock.transform(queries))
    ours.compact()
    assert isinstance(ours.vocabulary_, SortedTerms)
    _same(ours.transform(queries), stock.transform(queries))


def test_the_class_counts_are_scikit_learns(texts):
    stock = CountVectorizer(analyzer="char", ngram_range=(1, 3), binary=True, min_df=2, preprocessor=normalise,
                            dtype=np.float32).fit(texts[:400])
    ours = TokenCounts(_grams_1_3, binary=True, min_df=2, dtype=np.float32).fit(texts[:400])
    assert ours.vocabulary_ == stock.vocabulary_
    _same(ours.transform(texts[380:]), stock.transform(texts[380:]))


def test_sorted_terms_look_up_as_the_dict_did(texts):
    vectorizer = TokenTfidf(_char_analyzer, min_df=2).fit(texts[:300])
    vocabulary = dict(vectorizer.vocabulary_)
    terms = SortedTerms(vocabulary)
    tokens = [t for text in texts for t in _char_analyzer(text)] + ["", "导管支架", "\x00", "a\x00", "zzzz", "一"]
    expected = np.array([vocabulary.get(t, -1) for t in tokens])
    assert np.array_equal(terms.columns(tokens[:SortedTerms.DICT_AT]), expected[:SortedTerms.DICT_AT])
    assert terms._dict is None  # a small batch: binary search, no dict built
    assert all(terms.get(t) == vocabulary.get(t) for t in tokens[:2000:7] + ["导管支架", "", "zzzz"])
    assert np.array_equal(terms.columns(tokens * (1 + SortedTerms.DICT_AT // len(tokens))),
                          np.tile(expected, 1 + SortedTerms.DICT_AT // len(tokens)))  # a big batch: the dict


def test_linear_and_softmax_scores_are_scikit_learns(texts):
    x = TokenTfidf(_char_analyzer, sublinear_tf=True, min_df=2, dtype=np.float32).fit(texts).transform(texts)
    y3 = np.arange(x.shape[0]) % 3
    for y in (y3, y3 % 2):
        svc = LinearSVC(max_iter=2000, random_state=0).fit(x, y)
        assert np.array_equal(LinearScores(svc).decision_function(x[:50]), svc.decision_function(x[:50]))
    dense = np.asarray(x[:, :40].todense(), dtype=np.float64)
    for y in (y3, y3 % 2):
        blend = LogisticRegression(max_iter=500).fit(dense, y)
        np.testing.assert_array_equal(SoftmaxScores(blend).predict_proba(dense), blend.predict_proba(dense))
