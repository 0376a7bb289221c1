"""Class and category suggestion: shape, ordering, probabilities, evidence."""
from __future__ import annotations

import re

from matching import classify_project, load_catalog, load_determinations
from matching.knowledge import CLASS_ORDER


def test_classify_shape(knowledge, projects):
    result = classify_project(projects[0], k=5)
    assert set(result) >= {"project_id", "device_class", "category", "similar"}
    assert result["project_id"] == "p-stapler"
    for key, label in (("device_class", "label"), ("category", "code"), ("first_level", "code")):
        entries = result[key]
        probabilities = [e["p"] for e in entries]
        assert probabilities == sorted(probabilities, reverse=True)
        assert sum(probabilities) <= 1.0 + 1e-9
        assert all(0 <= p <= 1 for p in probabilities)
        assert all(label in e for e in entries)
    assert {e["label"] for e in result["device_class"]} == set(CLASS_ORDER)
    assert all(re.fullmatch(r"\d\d-\d\d|6840", e["code"]) for e in result["category"])
    assert all(re.fullmatch(r"\d\d|6840", e["code"]) for e in result["first_level"])
    assert result["similar"] and set(result["similar"][0]) >= {"product_name", "code", "class_label"}


def test_classify_finds_the_obvious(knowledge, projects):
    reagent = classify_project(projects[2])
    assert reagent["category"][0]["code"] == "6840"
    stapler = classify_project(projects[0])
    assert stapler["first_level"][0]["code"] in {"01", "02", "14"}  # surgical or nursing devices


def test_specialty_and_collector_name_rules():
    from matching.knowledge import is_never_reagent, specialty_chapter

    assert specialty_chapter("治疗睑腺炎症用热敷眼罩") == "16"
    assert specialty_chapter("小儿用穴位热敷贴") == "20"
    assert specialty_chapter("眼部灸疗仪") == "20"  # TCM before eye
    assert specialty_chapter("口腔修复用树脂") == "17"
    assert specialty_chapter("视力筛查软件") is None  # software is chapter 21 whatever it serves
    assert specialty_chapter("口腔分析试纸") is None
    assert specialty_chapter("一次性使用痔疮套扎器") is None
    assert specialty_chapter("手术显微镜（非眼科）") is None
    assert is_never_reagent("一次性使用病毒采样管") and is_never_reagent("全自动生化分析仪")
    assert not is_never_reagent("新型冠状病毒核酸检测试剂盒")


def test_catalog_items_named_like_a_specialty_but_filed_elsewhere_are_exempt(knowledge):
    assert knowledge.specialty_chapter("口腔X射线机") is None  # 06 imaging in the catalog
    assert knowledge.specialty_chapter("一次性使用眼贴") is None  # 14-15
    assert knowledge.specialty_chapter("眼科手术显微镜") == "16"


def test_specialty_products_go_to_their_chapter_not_the_technology(knowledge):
    # 2018–2020 filed such texts under 09 physiotherapy / 6840; the catalog's specialty chapters
    # and sample-collector category say otherwise, and so do the later determinations.
    texts = {
        "16": ("近视激光治疗仪", "由激光发射模块、主机和控制面板组成。利用低能量激光照射眼底，用于青少年近视的辅助治疗。"),
        "20": ("穴位磁场刺激仪", "由主机、磁场刺激头和电源组成。通过脉冲磁场刺激人体穴位，用于缓解疼痛。"),
    }
    for chapter, (name, description) in texts.items():
        result = classify_project({"id": chapter, "name": name, "structure": description})
        assert result["first_level"][0]["code"] == chapter, name
        assert result["first_level"][1]["code"] in {"09", "01", "14"}  # the technology stays an alternative
    collector = classify_project({"id": "urine", "name": "尿液样本保存管",
                                  "structure": "由管体、管盖和保存液组成。用于尿液样本的收集、运输和保存。"})
    assert collector["first_level"][0]["code"] == "22"


def test_classify_is_deterministic_and_handles_blanks(knowledge, projects):
    assert classify_project(projects[1]) == classify_project(projects[1])
    blank = classify_project({"id": "blank"})
    assert blank["project_id"] == "blank" and len(blank["device_class"]) == len(CLASS_ORDER)


def test_shipped_knowledge_is_2018_to_2020():
    determinations = load_determinations()
    assert determinations and {d["year"] for d in determinations} <= {2018, 2019, 2020}
    assert len(load_catalog()["l1_categories"]) == 22


def _features(rows: list[list[int]], width: int = 6):
    """Class-model features of toy texts: each row lists the columns (words) it holds."""
    import numpy as np
    import scipy.sparse as sp

    from matching.knowledge import ClassFeatures

    matrix = sp.lil_matrix((len(rows), width), dtype=np.float32)
    for r, columns in enumerate(rows):
        for c in columns:
            matrix[r, c] = 1.0
    matrix = sp.csr_matrix(matrix)
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1))).ravel()
    unit = sp.diags(1 / np.maximum(norms, 1e-9)) @ matrix
    return ClassFeatures(sp.csr_matrix(unit), sp.csr_matrix(unit), matrix)


def _predict(model, rows, training, training_rows):
    features = _features(rows)
    similarity = (features.main @ _features(training_rows).main.T).toarray()
    from matching.knowledge import _nearest

    return model.predict(features, similarity, _nearest(similarity))


def test_class_model_stacks_views_and_follows_the_latest_practice():
    import numpy as np

    from matching.knowledge import ClassModel

    # Word 0 marks class I and word 1 class III in every year; word 2 (a drifting kind of
    # product) was decided I in 2019 and II in 2020, as often as each.
    rows = [[0, 3]] * 12 + [[1, 4]] * 12 + [[2, 5]] * 12 + [[2, 5]] * 12
    labels = np.array([0] * 12 + [2] * 12 + [0] * 12 + [1] * 12)
    years = [2019] * 6 + [2020] * 6 + [2019] * 6 + [2020] * 6 + [2019] * 12 + [2020] * 12
    model = ClassModel().fit(_features(rows), labels, years)
    assert model.blend is not None
    probabilities = _predict(model, [[0, 3], [1, 4], [2, 5]], labels, rows)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert [CLASS_ORDER[i] for i in probabilities.argmax(axis=1)] == ["I", "III", "II"]
    # Labels never seen in training get no probability.
    assert np.all(probabilities[:, [3, 4, 5]] < 1e-6)


def test_class_model_without_enough_determinations_to_stack_averages_its_views():
    import numpy as np

    from matching.knowledge import ClassModel

    rows = [[0, 3], [1, 4], [0, 5]]
    labels = np.array([0, 2, 0])
    model = ClassModel().fit(_features(rows), labels, [2020, 2020, None])
    assert model.blend is None
    probabilities = _predict(model, [[0, 3], [1, 4]], labels, rows)
    assert np.allclose(probabilities.sum(axis=1), 1.0)
    assert [CLASS_ORDER[i] for i in probabilities.argmax(axis=1)] == ["I", "III"]
