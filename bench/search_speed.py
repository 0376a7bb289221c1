#!/usr/bin/env python3
"""Library search speed on synthetic NMPA-text corpora: build time, index size, per-query latency, publish-to-searchable.

usage: python bench/search_speed.py [--sizes 1000,10000] [--large] [--queries 200] [--backend whoosh|postgres|both]
                                    [--database-url URL] [--seed 7]

Projects are made from the NMPA texts shipped in matching/data/nmpa (product names, 适用范围-like sentences of
the determinations and catalog; 300–600 characters of public text each) with random city, department, type,
class and stage. 200 queries (product names, category names, parts of words, sentences; half of them with one or
two library filters) run through app.search.search_projects, page 1 of 20. Publish-to-searchable: a new project
committed, its index job run, until the backend's reader finds it. --large adds 100,000 (takes minutes).
The postgres backend needs --database-url (or TEST_DATABASE_URL): that database is emptied.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_scratch import REPO, insert_projects, scratch_app  # noqa: E402

NMPA = REPO / "matching" / "data" / "nmpa"
CITIES = ["福州市", "厦门市", "泉州市", "漳州市", "莆田市", "三明市", "南平市", "龙岩市", "宁德市"]
DEPARTMENTS = ["心内科", "骨科", "眼科", "肛肠科", "检验科", "影像科", "麻醉科", "神经外科", "口腔科", "妇产科",
               "内分泌科", "呼吸科", "普外科", "泌尿外科", "康复科"]


def nmpa_texts() -> tuple[list[str], list[str], list[str]]:
    """(product names, sentences, category names) of the shipped NMPA data."""
    names, sentences, categories = [], [], []
    with open(NMPA / "determinations_2018_2020.jsonl", encoding="utf-8") as lines:
        for line in lines:
            row = json.loads(line)
            names.append(row["product_name"])
            sentences.extend(s + "。" for s in re.split(r"[。；]", row.get("description") or "") if len(s) > 8)
    catalog = json.loads((NMPA / "classification_catalog.json").read_text(encoding="utf-8"))
    for item in catalog["items"]:
        categories.append(item["name"])
        if item.get("exemption_product_name"):
            names.append(item["exemption_product_name"])
        sentences.extend(s + "。" for s in re.split(r"[。；]", item.get("exemption_product_desc") or "") if len(s) > 8)
    return names, sentences, categories


def synthetic_projects(n: int, rng: random.Random, texts) -> list[dict]:
    from app.projects.models import DeviceClass, ProjectType, Stage
    names, sentences, categories = texts
    uses = [s for s in sentences if "用于" in s] or sentences
    rows = []
    for i in range(n):
        target = rng.randint(300, 600)
        name = rng.choice(names)[:60]
        intended = "".join(rng.sample(uses, 2))
        prospects = rng.choice(categories) + "领域：" + rng.choice(sentences)
        summary = ""
        while len(name) + len(intended) + len(prospects) + len(summary) < target:
            summary += rng.choice(sentences)
        rows.append(dict(name=name, intended_use=intended, clinical_prospects=prospects, public_summary=summary,
                         city=rng.choice(CITIES), department=rng.choice(DEPARTMENTS),
                         project_type=rng.choice(list(ProjectType)), device_class=rng.choice(list(DeviceClass)),
                         stage=rng.choice(list(Stage)), structure="结构组成保密", principle="工作原理保密"))
    return rows


def synthetic_queries(count: int, rng: random.Random, texts) -> list[tuple[str, dict]]:
    from app.projects.models import DeviceClass, ProjectType, Stage
    names, sentences, categories = texts
    queries = []
    for i in range(count):
        kind = i % 5
        if kind == 0:
            text = rng.choice(names)
        elif kind == 1:
            text = rng.choice(categories)
        elif kind == 2:
            name = rng.choice(names)
            start = rng.randrange(max(1, len(name) - 2))
            text = name[start:start + rng.randint(2, 4)]
        elif kind == 3:
            sentence = rng.choice(sentences)
            start = rng.randrange(max(1, len(sentence) - 12))
            text = sentence[start:start + rng.randint(6, 16)]
        else:
            text = f"{rng.choice(names)[:6]} {rng.choice(categories)[:4]}"
        filters = {}
        if i % 2:
            filters["project_type"] = rng.choice(list(ProjectType)).value
            if i % 4 == 1:
                key = rng.choice(["city", "device_class", "stage"])
                filters[key] = {"city": lambda: rng.choice(CITIES),
                                "device_class": lambda: rng.choice(list(DeviceClass)).value,
                                "stage": lambda: rng.choice(list(Stage)).value}[key]()
        queries.append((text, filters))
    return queries


def _index_size(app, backend: str) -> int:
    if backend == "whoosh":
        folder = Path(app.config["SEARCH_INDEX_DIR"])
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    from app.extensions import db
    return db.session.scalar(db.text("SELECT pg_total_relation_size('project_search')"))


def measure(backend: str, size: int, query_count: int, seed: int, database_url=None) -> dict:
    rng = random.Random(seed)
    texts = nmpa_texts()
    with scratch_app(backend, database_url) as (app, _folder):
        from app.extensions import db
        from app.projects import search
        from app.search import search_projects
        with app.app_context():
            rows = synthetic_projects(size, rng, texts)
            for start in range(0, len(rows), 5000):
                insert_projects(rows[start:start + 5000])
            started, cpu_started = time.perf_counter(), time.process_time()
            indexed = search.reindex()
            build, build_cpu = time.perf_counter() - started, time.process_time() - cpu_started
            index_size = _index_size(app, backend)
            queries = synthetic_queries(query_count, rng, texts)
            for text, filters in queries[:10]:   # warm: searcher opened, jieba loaded
                search_projects(text, filters)
            times = {"plain": [], "filtered": []}
            totals, cpu = [], []
            for text, filters in queries:
                started, cpu_started = time.perf_counter(), time.process_time()
                result = search_projects(text, filters, page=1, per_page=20)
                times["filtered" if filters else "plain"].append(time.perf_counter() - started)
                cpu.append(time.process_time() - cpu_started)
                totals.append(result.total)
            publish = []
            for i in range(5):
                project_id = insert_projects([dict(rows[i], name=f"新发布的测试项目{i}号")])[0]
                started = time.perf_counter()
                search.update_projects({project_id})        # the index_project job's work
                waited = search.backend().wait_for(project_id)
                publish.append(time.perf_counter() - started if waited != float("inf") else waited)
            db.session.remove()
    every = sorted(times["plain"] + times["filtered"])

    def pct(values, q):
        values = sorted(values)
        return values[min(len(values) - 1, int(len(values) * q))] * 1000
    return {"backend": backend, "size": size, "indexed": indexed, "build_s": build, "build_cpu_s": build_cpu,
            "cpu_p50": pct(cpu, 0.5), "cpu_p95": pct(cpu, 0.95), "index_mb": index_size / 1e6,
            "p50": pct(every, 0.5), "p95": pct(every, 0.95), "max": every[-1] * 1000,
            "plain_p95": pct(times["plain"], 0.95), "filtered_p95": pct(times["filtered"], 0.95),
            "median_total": statistics.median(totals), "publish_ms": max(publish) * 1000}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--large", action="store_true", help="also 100,000 projects (minutes)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--backend", choices=["whoosh", "postgres", "both"], default="whoosh")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--one", help=argparse.SUPPRESS)   # backend:size, run in a fresh process
    args = parser.parse_args(argv)
    if args.one:
        backend, size = args.one.split(":")
        print(json.dumps(measure(backend, int(size), args.queries, args.seed,
                                 args.database_url if backend == "postgres" else None)))
        return 0
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([100_000] if args.large else [])
    backends = ["whoosh", "postgres"] if args.backend == "both" else [args.backend]
    print(f"{'backend':8s} {'projects':>8s} {'build s':>8s} {'index MB':>8s} {'p50 ms':>7s} {'p95 ms':>7s} "
          f"{'max ms':>7s} {'p95 plain':>9s} {'p95 filt':>8s} {'matches':>7s} {'publish ms':>10s} "
          f"{'build cpu s':>11s} {'cpu p50':>7s} {'cpu p95':>7s}")
    print("(wall-clock figures, and this process's CPU time: on a shared machine the CPU figures are the steadier)")
    for backend in backends:
        if backend == "postgres" and not (args.database_url or "").startswith("postgresql"):
            print("postgres: skipped (give --database-url postgresql+psycopg://…; that database is emptied)")
            continue
        for size in sizes:   # each size in a process of its own: memory and caches start clean
            out = subprocess.run([sys.executable, __file__, "--one", f"{backend}:{size}", "--queries",
                                  str(args.queries), "--seed", str(args.seed)]
                                 + (["--database-url", args.database_url] if args.database_url else []),
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out.strip().splitlines()[-1])
            print(f"{r['backend']:8s} {r['size']:8d} {r['build_s']:8.1f} {r['index_mb']:8.1f} {r['p50']:7.1f} "
                  f"{r['p95']:7.1f} {r['max']:7.1f} {r['plain_p95']:9.1f} {r['filtered_p95']:8.1f} "
                  f"{r['median_total']:7.0f} {r['publish_ms']:10.1f} {r['build_cpu_s']:11.1f} {r['cpu_p50']:7.1f} "
                  f"{r['cpu_p95']:7.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
