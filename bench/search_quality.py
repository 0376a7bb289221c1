#!/usr/bin/env python3
"""Library search relevance on search-dev: NDCG@10, Recall@10 and MRR through the library's own search function.

usage: python bench/search_quality.py [SEARCH_DEV_DIR] [--backend whoosh|postgres|both] [--database-url URL]
                                      [--run RUN.jsonl]

SEARCH_DEV_DIR defaults to ../shared/bench/search-dev (its README says how to use it; the data never enters the
repository). Each title is imported as a published project (项目名称, 适用范围, 临床运用前景 and 公开摘要; dummy values
for the rest) into a scratch instance; every query runs through app.search.search_projects, the function the
library page calls; hits map back to docids and are scored as score_search.py scores them (gain 2^grade - 1,
relevant = grade ≥ 2). The postgres backend needs --database-url (or TEST_DATABASE_URL): that database is emptied.
"""
from __future__ import annotations

import argparse
import collections
import json
import math
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from search_scratch import scratch_app, insert_projects  # noqa: E402

DEFAULT_DIR = "../shared/bench/search-dev"   # beside the checkout, as in /work/main


def load(directory: Path):
    corpus = [json.loads(line) for line in open(directory / "corpus.jsonl", encoding="utf-8") if line.strip()]
    queries = [json.loads(line) for line in open(directory / "queries.jsonl", encoding="utf-8") if line.strip()]
    qrels = collections.defaultdict(dict)
    with open(directory / "qrels.tsv", encoding="utf-8") as lines:
        next(lines)
        for line in lines:
            qid, docid, grade = line.rstrip("\n").split("\t")[:3]
            qrels[qid][docid] = int(grade)
    return corpus, queries, qrels


def score(run: dict[str, list[str]], qrels, k: int = 10) -> dict[str, float]:
    """NDCG@k, Recall@k and MRR exactly as score_search.py computes them."""
    ndcg = recall = mrr = 0.0
    n = 0
    for qid, judged in qrels.items():
        ideal = sorted(judged.values(), reverse=True)[:k]
        idcg = sum((2 ** g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
        if not idcg:
            continue
        n += 1
        got = run.get(qid, [])[:k]
        ndcg += sum((2 ** judged.get(d, 0) - 1) / math.log2(i + 2) for i, d in enumerate(got)) / idcg
        relevant = {d for d, g in judged.items() if g >= 2}
        if relevant:
            recall += len(relevant & set(got)) / len(relevant)
            mrr += next((1 / (i + 1) for i, d in enumerate(got) if d in relevant), 0.0)
    return {"ndcg": ndcg / n, "recall": recall / n, "mrr": mrr / n, "queries": n}


def measure(backend: str, corpus, queries, qrels, database_url=None, run_path=None) -> dict:
    with scratch_app(backend, database_url) as (app, _folder):
        from app.projects import search
        from app.search import search_projects
        rows = [dict(name=doc["title"][:200], intended_use=doc["title"], clinical_prospects=doc["title"],
                     public_summary=doc["title"], city="福州市", department="基准科", project_type="active",
                     device_class="II", stage="concept") for doc in corpus]
        with app.app_context():
            from app.projects.models import DeviceClass, ProjectType, Stage
            for row in rows:
                row.update(project_type=ProjectType.ACTIVE, device_class=DeviceClass.II, stage=Stage.CONCEPT)
            ids = insert_projects(rows)
            started = time.perf_counter()
            search.reindex()
            build = time.perf_counter() - started
            warm = None
            if os.environ.get("SEARCH_QUALITY_WARM"):   # rank over tokens a second re-index reused from the index
                started = time.perf_counter()
                search.reindex()
                warm = time.perf_counter() - started
            docid_of = {pid: doc["docid"] for pid, doc in zip(ids, corpus)}
            run, times = {}, []
            for query in queries:
                started = time.perf_counter()
                result = search_projects(query["query"], {}, page=1, per_page=10)
                times.append(time.perf_counter() - started)
                run[query["qid"]] = [docid_of[hit.project_id] for hit in result.hits]
        if run_path:
            with open(run_path, "w", encoding="utf-8") as out:
                for qid, ranked in run.items():
                    out.write(json.dumps({"qid": qid, "ranked": ranked}) + "\n")
        times.sort()
        return dict(score(run, qrels), backend=backend, build=build, warm=warm, p50=times[len(times) // 2] * 1000,
                    p95=times[int(len(times) * 0.95)] * 1000)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("directory", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--backend", choices=["whoosh", "postgres", "both"], default="whoosh")
    parser.add_argument("--database-url", default=os.environ.get("TEST_DATABASE_URL"))
    parser.add_argument("--run", help="also write the run (RUN.jsonl for score_search.py)")
    parser.add_argument("--warm", action="store_true",
                        help="re-index a second time (stored tokens reused) before the queries")
    args = parser.parse_args(argv)
    if args.warm:
        os.environ["SEARCH_QUALITY_WARM"] = "1"
    corpus, queries, qrels = load(Path(args.directory))
    backends = ["whoosh", "postgres"] if args.backend == "both" else [args.backend]
    for name in backends:
        if name == "postgres" and not (args.database_url or "").startswith("postgresql"):
            print("postgres: skipped (give --database-url postgresql+psycopg://…; that database is emptied)")
            continue
        r = measure(name, corpus, queries, qrels, args.database_url if name == "postgres" else None, args.run)
        warm = "" if r["warm"] is None else f", warm re-index {r['warm']:.1f} s"
        print(f"{name:8s} NDCG@10 {r['ndcg']:.4f}  Recall@10 {r['recall']:.4f}  MRR {r['mrr']:.4f}  "
              f"queries {r['queries']}  (index {r['build']:.1f} s, query p50 {r['p50']:.1f} ms, "
              f"p95 {r['p95']:.1f} ms{warm})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
