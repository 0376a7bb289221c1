"""Suggest a project's management class and NMPA category, with similar past determinations as evidence."""
from __future__ import annotations

from .knowledge import CLASS_LABELS, CLASS_ORDER, IVD_REAGENT_CODE, KnowledgeBase, knowledge_base
from .records import product_text

SIMILAR_SHOWN = 5


def classify_project(project: dict, k: int = 5, knowledge: KnowledgeBase | None = None) -> dict:
    """Return the likely class labels and categories of a project, most likely first."""
    knowledge = knowledge or knowledge_base()
    return classify_projects([project], k=k, knowledge=knowledge)[0]


def classify_projects(projects: list[dict], k: int = 5, knowledge: KnowledgeBase | None = None) -> list[dict]:
    """Classify many projects at once (one batched model call)."""
    knowledge = knowledge or knowledge_base()
    texts = [product_text(p) for p in projects]
    guesses = knowledge.guess([name for name, _ in texts], [description for _, description in texts])
    results = []
    for project, guess in zip(projects, guesses):
        category = guess.category.astype(float)
        if (project.get("project_type") or "") == "ivd":
            # The clinician declared an IVD project: reagents are catalogued as 6840,
            # analysers under 22, so only lift 6840 rather than forcing it.
            category = 0.5 * category
            category[knowledge.category_index[IVD_REAGENT_CODE]] += 0.5
        first = knowledge.first_level_vector(category)
        results.append({
            "project_id": project.get("id"),
            "device_class": _ranked(CLASS_ORDER, guess.device_class, len(CLASS_ORDER), "label"),
            "category": _ranked(knowledge.categories, category, k, "code"),
            "first_level": _ranked(knowledge.first_levels, first, k, "code"),
            "similar": [
                {
                    "product_name": knowledge.determinations[j]["product_name"],
                    "code": knowledge.determinations[j].get("code") or None,
                    "class_label": CLASS_LABELS[knowledge.determinations[j]["class_label"]],
                    "year": knowledge.determinations[j].get("year"),
                    "similarity": round(similarity, 4),
                }
                for j, similarity in guess.neighbours[:SIMILAR_SHOWN]
            ],
        })
    return results


def _ranked(labels, probabilities, k: int, key: str) -> list[dict]:
    # Sorted by probability, ties by label, and rounded down so that the shown share never
    # exceeds 1 in total.
    order = sorted(range(len(labels)), key=lambda i: (-float(probabilities[i]), labels[i]))[:k]
    return [{key: labels[i], "p": _round_down(float(probabilities[i]))} for i in order]


def _round_down(value: float) -> float:
    return int(max(value, 0.0) * 10_000) / 10_000
