"""Ranking: the right partner first, constraints, reasons and their confidentiality, both directions."""
from __future__ import annotations

import dataclasses

import pytest

from matching import MatchIndex, Suggestion, rank_all, rank_for_enterprise, rank_for_project
from matching.records import product_lines
from matching.text import words

from .conftest import PARTNER_MARKERS


@pytest.mark.parametrize("pid, expected", [("p-stapler", "e-anorectal"), ("p-glucose", "e-diabetes"),
                                           ("p-reagent", "e-ivd")])
def test_right_partner_ranks_first(index, projects, pid, expected):
    project = next(p for p in projects if p["id"] == pid)
    ranked = rank_for_project(index, project, k=3)
    assert ranked[0].target_id == expected
    assert all(isinstance(s, Suggestion) for s in ranked)
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)
    assert all(0 <= s.score <= 1 for s in ranked)


def test_both_directions_agree_on_a_clear_pair(index, projects, enterprises):
    anorectal = enterprises[0]
    assert rank_for_enterprise(index, anorectal, k=3)[0].target_id == "p-stapler"
    assert rank_for_project(index, projects[0], k=3)[0].target_id == "e-anorectal"


def test_best_intent_is_named(index, projects):
    best = rank_for_project(index, projects[0], k=1)[0]
    assert best.intent_index == 0 and best.intent_id == "i-1"


def test_reasons_present_and_in_chinese(index, projects):
    for project in projects:
        for suggestion in rank_for_project(index, project, k=3):
            assert suggestion.reasons
            assert all(any("\u4e00" <= ch <= "\u9fff" for ch in reason) for reason in suggestion.reasons)
    top = rank_for_project(index, projects[0], k=1)[0]
    assert any(r.startswith("同属NMPA") for r in top.reasons)
    assert "产品分类Ⅱ类符合企业意向" in top.reasons
    assert any("痔" in r for r in top.reasons if r.startswith("共同关键词"))


def test_partner_tier_markers_never_reach_reasons(knowledge, projects):
    # An enterprise whose text is nothing but the marker words: only the partner-tier fields of
    # the project share them, so they make the score, yet a public reason must not cite them.
    spy = {"id": "e-spy", "name": "间谍公司", "field": "无源手术器械",
           "overview": "公司主要产品：" + "；".join(f"{m}（{m}）" for m in PARTNER_MARKERS),
           "intents": [{"description": "、".join(PARTNER_MARKERS), "keywords": list(PARTNER_MARKERS)}]}
    index = MatchIndex.build(projects, [spy], knowledge=knowledge)
    public = rank_for_project(index, projects[0], k=1) + rank_for_enterprise(index, spy, k=3)
    assert public
    # jieba splits an unknown marker into pieces; none of the pieces may surface either.
    pieces = {w for m in PARTNER_MARKERS for w in words(m)} | set(PARTNER_MARKERS)
    for suggestion in public:
        assert not [p for p in pieces for r in suggestion.reasons if p in r]
    owner = rank_for_project(index, projects[0], k=1, audience="owner")[0]
    assert any(p in r for p in pieces for r in owner.reasons)


def test_owner_preferences_stay_out_of_public_reasons(index, projects):
    public = rank_for_project(index, projects[0], k=3)
    owner = rank_for_project(index, projects[0], k=3, audience="owner")
    assert not any("意向合作企业" in r for s in public for r in s.reasons)
    assert any("意向合作企业（省内）" in r for s in owner for r in s.reasons)


def test_class_outside_intent_is_penalised_by_default(knowledge):
    projects = [
        {"id": "fits", "name": "痔疮套扎器", "device_class": "II", "intended_use": "用于内痔套扎治疗"},
        {"id": "outside", "name": "痔疮套扎器", "device_class": "I", "intended_use": "用于内痔套扎治疗"},
    ]
    enterprise = {"id": "e", "name": "甲", "overview": "痔疮套扎器",
                  "intents": [{"description": "痔疮套扎器", "device_classes": ["II"]}]}
    index = MatchIndex.build(projects, [enterprise], knowledge=knowledge)
    ranked = rank_for_enterprise(index, enterprise, k=2)
    assert [s.target_id for s in ranked] == ["fits", "outside"]
    assert ranked[1].score < 0.5 * ranked[0].score
    assert any(r.startswith("注意：产品分类Ⅰ类") for r in ranked[1].reasons)


def test_hard_constraints_can_exclude(knowledge):
    projects = [
        {"id": "fits", "name": "痔疮套扎器", "device_class": "II", "stage": "sample"},
        {"id": "wrong-class", "name": "痔疮套扎器", "device_class": "I", "stage": "sample"},
        {"id": "wrong-stage", "name": "痔疮套扎器", "device_class": "II", "stage": "concept"},
        {"id": "unknown", "name": "痔疮套扎器", "device_class": "undetermined"},
    ]
    enterprise = {"id": "e", "name": "甲", "overview": "痔疮套扎器",
                  "intents": [{"description": "痔疮套扎器", "device_classes": ["II"], "stages": ["sample"]}]}
    index = MatchIndex.build(projects, [enterprise], knowledge=knowledge)
    kept = {s.target_id for s in rank_for_enterprise(index, enterprise, k=10, hard_constraints="exclude")}
    assert kept == {"fits", "unknown"}
    for project in projects[1:3]:
        assert rank_for_project(index, project, k=5, hard_constraints="exclude") == []


def test_in_province_preference_of_clinician_counts(knowledge):
    project = {"id": "p", "name": "痔疮套扎器", "province": "福建省", "partners_in_province": "某省内企业"}
    near = {"id": "near", "name": "乙", "region": "福建", "overview": "痔疮套扎器", "intents": []}
    far = {"id": "far", "name": "丙", "region": "浙江省", "overview": "痔疮套扎器", "intents": []}
    index = MatchIndex.build([project], [far, near], knowledge=knowledge)
    ranked = rank_for_project(index, project, k=2)
    assert [s.target_id for s in ranked] == ["near", "far"]
    assert ranked[0].intent_index is None


def test_single_intent_ranking(index, enterprises):
    ranked = rank_for_enterprise(index, enterprises[1], k=3, intent_index=0)
    assert ranked[0].target_id == "p-glucose"
    assert rank_for_enterprise(index, enterprises[1], k=3, intent_index=5) == []


def test_records_not_in_index_are_ranked_too(index):
    fresh_project = {"id": "new", "name": "血糖仪", "intended_use": "用于血糖监测"}
    assert rank_for_project(index, fresh_project, k=1)[0].target_id == "e-diabetes"
    fresh_enterprise = {"id": "new-e", "overview": "公司主要产品：胶体金抗原检测试剂盒"}
    assert rank_for_enterprise(index, fresh_enterprise, k=1)[0].target_id == "p-reagent"


@pytest.mark.parametrize("n_projects, n_enterprises", [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_empty_and_one_item_corpora(knowledge, projects, enterprises, n_projects, n_enterprises):
    index = MatchIndex.build(projects[:n_projects], enterprises[:n_enterprises], knowledge=knowledge)
    for project in projects[:1]:
        assert len(rank_for_project(index, project, k=5)) == min(n_enterprises, 1)
    for enterprise in enterprises[:1]:
        assert len(rank_for_enterprise(index, enterprise, k=5)) == min(n_projects, 1)
    assert len(list(rank_all(projects[:n_projects], enterprises[:n_enterprises], k=5, index=index))) == n_projects


def test_blank_and_partial_records(knowledge):
    projects = [{"id": "blank"}, {"id": "nulls", "name": None, "device_class": None, "stage": ""}]
    enterprises = [{"id": "e"}, {"id": "e2", "intents": [{}], "overview": None}]
    index = MatchIndex.build(projects, enterprises, knowledge=knowledge)
    for output in rank_all(projects, enterprises, k=3, index=index):
        assert output["project_id"] in {"blank", "nulls"}
    list(rank_all(projects, enterprises, k=3, direction="enterprise", index=index))


def test_rank_all_output_format(index, projects, enterprises):
    lines = list(rank_all(projects, enterprises, k=2, index=index))
    assert [line["project_id"] for line in lines] == [p["id"] for p in projects]
    entry = lines[0]["ranked"][0]
    assert set(entry) >= {"enterprise_id", "score", "reasons"} and isinstance(entry["reasons"], list)
    mirror = list(rank_all(projects, enterprises, k=2, direction="enterprise", index=index))
    assert set(mirror[0]) == {"enterprise_id", "ranked"} and "project_id" in mirror[0]["ranked"][0]
    with pytest.raises(ValueError):
        list(rank_all(projects, enterprises, direction="sideways", index=index))


def test_deterministic(knowledge, projects, enterprises):
    first = list(rank_all(projects, enterprises, k=3, index=MatchIndex.build(projects, enterprises, knowledge)))
    second = list(rank_all(projects, enterprises, k=3, index=MatchIndex.build(projects, enterprises, knowledge)))
    assert first == second


def test_suggestion_is_frozen():
    suggestion = Suggestion("e", 0.5, ("理由",))
    with pytest.raises(dataclasses.FrozenInstanceError):
        suggestion.score = 1.0  # type: ignore[misc]


def test_overview_splits_into_product_lines():
    lines = product_lines("公司主要产品：甲（由A、B组成；用于C）；乙品。丙（说明）")
    assert lines == [("甲", "由A、B组成；用于C"), ("乙品", ""), ("丙", "说明")]


def test_reasons_skip_generic_words_and_name_the_shared_province(knowledge):
    project = {"id": "p", "name": "痔疮套扎器", "province": "福建省",
               "intended_use": "用于内痔套扎治疗，提高质量，完成现有技术的改进。"}
    enterprise = {"id": "e", "name": "甲", "region": "福建省", "overview": "痔疮套扎器",
                  "intents": [{"description": "痔疮套扎器：提高质量，完成现有技术的改进"}]}
    index = MatchIndex.build([project], [enterprise], knowledge=knowledge)
    reasons = rank_for_enterprise(index, enterprise, k=1)[0].reasons
    shared = next(r for r in reasons if r.startswith("共同关键词"))
    assert "痔疮" in shared
    assert not any(word in shared for word in ("提高", "质量", "完成", "现有", "技术", "改进"))
    assert "项目与企业同在福建省" in reasons


def test_each_of_several_intents_gets_the_projects_of_its_own_field(knowledge):
    # One enterprise, two intents: its eye product lines must not put eye projects on top of the
    # cardiovascular intent's list (nor the catheter on top of the eye intent's).
    eye = {"id": "eye", "name": "强脉冲光干眼治疗仪", "device_class": "III",
           "intended_use": "用于睑板腺功能障碍引起的干眼的治疗。", "structure": "由主机、治疗手柄和脚踏开关组成。"}
    catheter = {"id": "catheter", "name": "一次性使用中心静脉导管", "device_class": "III",
                "intended_use": "用于中心静脉置管输液、监测中心静脉压。", "structure": "由导管、导丝和扩张器组成。"}
    enterprise = {"id": "two", "name": "榕康医疗", "region": "福建省",
                  "overview": "公司主要产品：眼科激光治疗仪（用于眼底疾病的激光光凝治疗）；"
                              "角膜塑形镜护理液（用于角膜接触镜的清洁消毒）；中心静脉导管包（用于中心静脉置管）",
                  "intents": [{"id": "cardio", "description": "心血管与监护器械成果转化"},
                              {"id": "ophthalmic", "description": "眼科治疗设备与耗材联合开发"}]}
    index = MatchIndex.build([eye, catheter], [enterprise], knowledge=knowledge)
    assert rank_for_enterprise(index, enterprise, k=2, intent_index=0)[0].target_id == "catheter"
    assert rank_for_enterprise(index, enterprise, k=2, intent_index=1)[0].target_id == "eye"
    # A project's best intent is the one of its field, and its reason names that field.
    for project, intent_id in ((eye, "ophthalmic"), (catheter, "cardio")):
        best = rank_for_project(index, project, k=1)[0]
        assert best.intent_id == intent_id
    # With a single intent, the enterprise offers everything it covers: both projects stay.
    single = dict(enterprise, intents=enterprise["intents"][:1])
    index = MatchIndex.build([eye, catheter], [single], knowledge=knowledge)
    assert {s.target_id for s in rank_for_enterprise(index, single, k=2, intent_index=0)} == {"eye", "catheter"}
