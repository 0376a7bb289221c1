"""The search's tokenizer shares jieba's default dictionary with matching/ and segments exactly as before (issue 12)."""
from __future__ import annotations

import jieba
import pytest

from app.projects.search import analysis
from matching.jieba_words import WordsOver, default_tokenizer, flatten, tokenizer_with_words
from matching.knowledge import load_determinations
from matching.text import jieba_module


@pytest.fixture(scope="module")
def texts():
    rows = load_determinations()[::25][:240]
    return [f"{d['product_name']}。{d['description']}" for d in rows] + [
        "一次性使用痔疮套扎器", "经皮冠状动脉介入治疗（PCI）术后", "CT 计算机断层", "能治好吗", "手术后的护理", ""]


@pytest.fixture(scope="module")
def private_tokenizer():
    """What the search package built before: a tokenizer with a private copy of jieba's dictionary plus the words."""
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in sorted(analysis._catalog_terms()):
        tokenizer.add_word(word, freq=analysis._USER_WORD_FREQ, tag="nz")
    return tokenizer


def test_the_search_tokenizer_lies_over_the_default_dictionary():
    tokenizer = analysis.segmenter()
    assert isinstance(tokenizer.FREQ, WordsOver)
    assert tokenizer.FREQ.base is jieba.dt.FREQ is default_tokenizer().FREQ
    own = dict.__len__(tokenizer.FREQ)
    assert 0 < own < len(jieba.dt.FREQ) / 5  # the catalog's words and their prefixes only, not a dictionary's copy


def test_the_search_tokenizer_segments_as_a_private_dictionary_did(texts, private_tokenizer):
    shared = analysis.segmenter()
    assert shared.total == private_tokenizer.total
    for text in texts:
        for hmm in (True, False):
            assert list(shared.tokenize(text, mode="search", HMM=hmm)) == \
                list(private_tokenizer.tokenize(text, mode="search", HMM=hmm)), text
            assert shared.lcut(text, HMM=hmm) == private_tokenizer.lcut(text, HMM=hmm), text
        assert shared.lcut_for_search(text) == private_tokenizer.lcut_for_search(text)


def test_matching_segments_as_if_the_search_words_did_not_exist(texts):
    """matching/ uses jieba's default tokenizer: the search's user words never reach it."""
    plain = jieba.Tokenizer()
    plain.initialize()
    analysis.segmenter()
    tokenizer_with_words(["套扎组件负压管", "内痔套扎"], freq=10**6)  # another overlay: no effect either
    added = [w for w, n in dict.items(analysis.segmenter().FREQ) if n and w not in jieba.dt.FREQ]
    assert "龋齿祛腐凝胶" in added and len(added) > 1000  # the catalog's names are the search's words alone
    assert jieba.dt.total == plain.total and len(jieba.dt.FREQ) == len(plain.FREQ)
    module = jieba_module()
    for text in texts:
        assert module.lcut(text, HMM=False) == plain.lcut(text, HMM=False), text


def test_the_overlay_reads_through_and_keeps_writes_to_itself():
    base = {"甲": 3, "甲乙": 5}
    words = WordsOver(base)
    words["乙"] = 0
    words["甲乙"] = 9
    assert ("甲" in words, "乙" in words, "丙" in words) == (True, True, False)
    assert (words["甲"], words["甲乙"], words.get("乙"), words.get("丙"), words.get("丙", 1)) == (3, 9, 0, None, 1)
    with pytest.raises(KeyError):
        words["丙"]
    assert base == {"甲": 3, "甲乙": 5}


def test_a_flattened_tokenizer_segments_as_the_overlay(texts):
    """A re-index's analysis children flatten the search tokenizer (speed): the same words, the default untouched."""
    overlay = tokenizer_with_words(sorted(analysis._catalog_terms()), freq=analysis._USER_WORD_FREQ, tag="nz")
    flat = tokenizer_with_words(sorted(analysis._catalog_terms()), freq=analysis._USER_WORD_FREQ, tag="nz")
    default_size = len(jieba.dt.FREQ)
    flatten(flat)
    assert type(flat.FREQ) is dict and len(jieba.dt.FREQ) == default_size
    assert flat.FREQ["龋齿祛腐凝胶"] == analysis._USER_WORD_FREQ and "龋齿祛腐凝胶" not in jieba.dt.FREQ
    for text in texts:
        for hmm in (True, False):
            assert list(flat.tokenize(text, mode="search", HMM=hmm)) == \
                list(overlay.tokenize(text, mode="search", HMM=hmm)), text
    flatten(flat)  # twice is harmless
    assert type(flat.FREQ) is dict
