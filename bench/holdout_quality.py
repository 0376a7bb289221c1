#!/usr/bin/env python3
"""Class and category accuracy on the knowledge base's own later year: fit on 2018–2019 + catalog, score 2020.

usage: python bench/holdout_quality.py
Needs no shared bench data. Use it next to classify_quality.py to tell a change that generalises
from one that only fits the dev set: a change worth keeping should not lose here.
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matching.knowledge import (  # noqa: E402
    CLASS_LABELS, CLASS_ORDER, KnowledgeBase, first_level, load_catalog, load_determinations,
)


def main() -> None:
    """Print top-1 class, second-level and first-level accuracy on the 2020 determinations."""
    determinations = load_determinations()
    started = time.perf_counter()
    knowledge = KnowledgeBase(load_catalog(), [d for d in determinations if d["year"] < 2020])
    fitted = time.perf_counter() - started
    rows = [d for d in determinations if d["year"] == 2020 and d["class_label"] in CLASS_LABELS]
    guesses = knowledge.guess([r["product_name"] for r in rows], [r["description"] for r in rows])
    class_hits = sum(CLASS_ORDER[g.device_class.argmax()] == CLASS_LABELS[r["class_label"]]
                     for g, r in zip(guesses, rows))
    coded = [(g, r) for g, r in zip(guesses, rows) if r.get("code")]
    l2_hits = sum(knowledge.categories[g.category.argmax()] == r["code"] for g, r in coded)
    l1_hits = sum(knowledge.first_levels[knowledge.first_level_vector(g.category).argmax()] == first_level(r["code"])
                  for g, r in coded)
    print(f"fit on 2018-2019 in {fitted:.1f} s")
    print(f"2020 hold-out: top-1 class {class_hits / len(rows):.3f} ({len(rows)} rows)  "
          f"top-1 category {l2_hits / len(coded):.3f}  first-level {l1_hits / len(coded):.3f} ({len(coded)} coded)")


if __name__ == "__main__":
    main()
