#!/usr/bin/env python3
"""Speed and scale of the matching engine on synthetic corpora built from determination sentences.

usage: python bench/matching_speed.py [--large] [--queries 200] [--seed 7]
Runs 1k/10k projects x 1k/10k intents (and 100k x 1k/10k with --large), each size in its own
process so that RSS figures do not mix; prints fit time, RSS, per-query p50/p95 in both
directions and the time of a full recompute (build + rank every project, k = 10). The
knowledge base is ready before the timings start (knowledge_base_s: its fit, or its load from
the disk cache); the first build segments every text (cold token cache), the recompute's build
finds them segmented, as a long-running web worker would.
"""
from __future__ import annotations

import argparse
import json
import random
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

SIZES = [(1_000, 1_000), (10_000, 1_000), (10_000, 10_000)]
LARGE_SIZES = [(100_000, 1_000), (100_000, 10_000)]
CLASSES = ["I", "II", "III", "combination", "undetermined"]
STAGES = ["concept", "sample", "design_verification", "production_verification", "registration_testing",
          "clinical_trial"]


def synthetic_corpus(n_projects: int, n_intents: int, seed: int) -> tuple[list[dict], list[dict]]:
    """Projects and enterprises recombined from real determination names and sentences."""
    from matching.knowledge import load_determinations

    rng = random.Random(seed)
    determinations = load_determinations()
    names = [d["product_name"] for d in determinations]
    sentences = [s for d in determinations for s in re.split(r"(?<=。)", d["description"]) if len(s) > 4]

    def sentence() -> str:
        # A unique model number per use: real corpora do not repeat sentences, so the
        # engine's per-sentence segmentation cache must not get free hits here.
        text = rng.choice(sentences)
        return f"{text[:-1]}，型号{rng.randrange(10**7)}。" if text.endswith("。") else f"{text}型号{rng.randrange(10**7)}"

    def sentences_(n: int) -> str:
        return "".join(sentence() for _ in range(n))

    projects = []
    for i in range(n_projects):
        projects.append({
            "id": f"p{i}", "name": rng.choice(names), "device_class": rng.choice(CLASSES),
            "stage": rng.choice(STAGES), "province": rng.choice(["福建省", "浙江省", ""]),
            "structure": sentences_(2), "principle": sentences_(2),
            "intended_use": sentence(), "clinical_prospects": sentence(), "market": sentence(),
        })
    enterprises = []
    per_enterprise = 2
    for e in range(max(1, n_intents // per_enterprise)):
        lines = "；".join(f"{rng.choice(names)}（{sentences_(2)}）" for _ in range(3))
        enterprises.append({
            "id": f"e{e}", "name": f"企业{e}", "field": "", "region": rng.choice(["福建省", "上海市"]),
            "overview": "公司主要产品：" + lines,
            "intents": [{"description": sentence(), "keywords": [rng.choice(names)],
                         "device_classes": rng.sample(["I", "II", "III"], 2), "stages": [],
                         "cooperation_modes": [], "budget_wan": rng.choice([None, 100, 500]),
                         "region_preference": rng.choice([None, "any", "in_province"])}
                        for _ in range(per_enterprise)],
        })
    return projects, enterprises


def _rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize() / 2**20


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def measure(n_projects: int, n_intents: int, queries: int, seed: int, recompute: bool) -> dict:
    """Fit, query and (optionally) recompute at one size; return the figures."""
    from matching.knowledge import knowledge_base
    from matching.rank import MatchIndex, rank_all, rank_for_enterprise, rank_for_project

    started = time.perf_counter()
    knowledge_base()  # fitted, or loaded from the disk cache (matching/cache.py) when present
    knowledge_seconds = time.perf_counter() - started
    projects, enterprises = synthetic_corpus(n_projects, n_intents, seed)
    rss_before = _rss_mb()
    started = time.perf_counter()
    index = MatchIndex.build(projects, enterprises)
    fit_seconds = time.perf_counter() - started
    rss_index = _rss_mb() - rss_before
    rng = random.Random(seed + 1)
    project_times, enterprise_times = [], []
    for project in rng.sample(projects, min(queries, len(projects))):
        started = time.perf_counter()
        rank_for_project(index, project, k=10)
        project_times.append(time.perf_counter() - started)
    for enterprise in rng.sample(enterprises, min(queries, len(enterprises))):
        started = time.perf_counter()
        rank_for_enterprise(index, enterprise, k=10)
        enterprise_times.append(time.perf_counter() - started)
    figures = {
        "projects": n_projects, "intents": sum(len(e["intents"]) for e in enterprises),
        "knowledge_base_s": round(knowledge_seconds, 1),
        "fit_s": round(fit_seconds, 1), "index_rss_mb": round(rss_index), "peak_rss_mb":
        round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "project_query_ms_p50_p95": [round(v, 1) for v in _percentiles(project_times)],
        "enterprise_query_ms_p50_p95": [round(v, 1) for v in _percentiles(enterprise_times)],
    }
    if recompute:
        started = time.perf_counter()
        index = MatchIndex.build(projects, enterprises)
        for _ in rank_all(projects, enterprises, k=10, index=index):
            pass
        figures["full_recompute_s"] = round(time.perf_counter() - started, 1)
    return figures


def main() -> None:
    """Run every size in a fresh process and print one JSON line per size."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--large", action="store_true", help="also run 100k projects (several minutes)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--size", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        n_projects, n_intents = (int(v) for v in args.size.split("x"))
        print(json.dumps(measure(n_projects, n_intents, args.queries, args.seed, recompute=n_projects <= 10_000)))
        return
    for n_projects, n_intents in SIZES + (LARGE_SIZES if args.large else []):
        result = subprocess.run([sys.executable, __file__, "--size", f"{n_projects}x{n_intents}",
                                 "--queries", str(args.queries), "--seed", str(args.seed)],
                                capture_output=True, text=True)
        print(result.stdout.strip() or result.stderr.strip()[-2000:], flush=True)


if __name__ == "__main__":
    main()
