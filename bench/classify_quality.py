#!/usr/bin/env python3
"""Class and category suggestion on the shared classify-dev set (2021 determinations as queries).

usage: python bench/classify_quality.py [--bench ../shared/bench]
Text = product_name + description; 分情形 rows are skipped; the knowledge base holds 2018–2020 only.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matching.classify import classify_projects  # noqa: E402
from matching.knowledge import CLASS_LABELS, first_level, knowledge_base  # noqa: E402


def main() -> None:
    """Print top-1 class, top-1 second-level and first-level category accuracy."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default=str(REPO.parent / "shared" / "bench"))
    args = parser.parse_args()
    path = Path(args.bench) / "classify-dev" / "determinations_2021.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows = [r for r in rows if r["class_label"] in CLASS_LABELS]
    started = time.perf_counter()
    knowledge_base()
    fitted = time.perf_counter() - started
    projects = [{"id": r["id"], "name": r["product_name"], "structure": r["description"]} for r in rows]
    started = time.perf_counter()
    results = classify_projects(projects)
    seconds = time.perf_counter() - started
    class_hits = sum(res["device_class"][0]["label"] == CLASS_LABELS[r["class_label"]] for r, res in zip(rows, results))
    coded = [(r, res) for r, res in zip(rows, results) if r.get("code")]
    l2_hits = sum(res["category"][0]["code"] == r["code"] for r, res in coded)
    l1_hits = sum(res["first_level"][0]["code"] == first_level(r["code"]) for r, res in coded)
    print(f"knowledge base fit {fitted:.1f} s; classified {len(rows)} in {seconds:.1f} s")
    print(f"top-1 class {class_hits / len(rows):.3f} ({len(rows)} rows)  "
          f"top-1 category {l2_hits / len(coded):.3f}  first-level {l1_hits / len(coded):.3f} ({len(coded)} coded)")


if __name__ == "__main__":
    main()
