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
