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
