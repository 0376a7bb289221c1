"""Reasons never cite generic words: the curated and evidence lists, and words too common in the corpus."""
from __future__ import annotations

import pytest

from matching import MatchIndex, rank_for_enterprise, rank_for_project
from matching.rank import COMMON_TERM_MIN_DOCUMENTS
from matching.text import GENERIC_TERMS, SHARED_TERMS_PREFIX, key_terms


@pytest.mark.parametrize("word", ["制式", "进入", "基金", "资助", "立项", "信息", "属于", "医院", "省内"])
def test_generic_words_are_never_key_terms(word):
    assert word in GENERIC_TERMS
    assert word not in key_terms(f"本项目{word}冠状动脉血流储备分数测量，{word}。")
    assert {"冠状动脉", "血流"} <= key_terms(f"本项目{word}冠状动脉血流储备分数测量，{word}。")


def test_device_words_stay_key_terms():
    assert {"痔疮", "血糖", "传感器", "冠状动脉"} <= key_terms("痔疮套扎器；血糖传感器；冠状动脉")


def _shared(reasons) -> str:
    return next((r for r in reasons if r.startswith(SHARED_TERMS_PREFIX)), "")


def test_reasons_do_not_cite_programme_and_form_words(knowledge):
    project = {"id": "p", "name": "痔疮套扎器", "intended_use": "用于内痔套扎，制式器械进入临床，获省基金资助立项。",
               "public_summary": "制式套扎器进入市场，基金资助。"}
    enterprise = {"id": "e", "name": "甲", "overview": "痔疮套扎器 制式 进入 基金",
                  "intents": [{"description": "痔疮套扎器，制式产品进入医院，基金资助立项"}]}
    index = MatchIndex.build([project], [enterprise], knowledge=knowledge)
    shared = _shared(rank_for_enterprise(index, enterprise, k=1)[0].reasons)
    assert "痔疮" in shared or "套扎器" in shared
    assert not any(word in shared for word in ("制式", "进入", "基金", "资助", "立项", "医院"))


def _corpus(n: int):
    """n projects that all say 吻合 (a real device word, but in every document here) and one field word each."""
    fields = ["血糖", "心电", "骨钉", "导管", "内镜", "支架", "敷料", "透析", "呼吸机", "试剂盒"]
    projects = [{"id": f"p{i}", "name": f"吻合{fields[i % len(fields)]}产品{i}",
                 "intended_use": f"吻合器械，用于{fields[i % len(fields)]}。"} for i in range(n)]
    enterprise = {"id": "e", "name": "甲", "overview": "吻合 血糖",
                  "intents": [{"description": "吻合器械与血糖产品"}]}
    return projects, enterprise


def test_a_word_in_most_documents_of_a_large_corpus_is_not_a_reason(knowledge):
    projects, enterprise = _corpus(COMMON_TERM_MIN_DOCUMENTS + 10)
    index = MatchIndex.build(projects, [enterprise], knowledge=knowledge)
    reasons = [rank_for_project(index, p, k=1)[0].reasons for p in projects if "血糖" in p["name"]]
    assert reasons and all("吻合" not in _shared(r) for r in reasons)
    assert any("血糖" in _shared(r) for r in reasons)


def test_a_small_corpus_keeps_its_shared_words(knowledge):
    projects, enterprise = _corpus(3)
    index = MatchIndex.build(projects, [enterprise], knowledge=knowledge)
    assert "吻合" in _shared(rank_for_project(index, projects[0], k=1)[0].reasons)
