#!/usr/bin/env python3
"""Matching quality on the shared dev set: rank enterprises for every project, score with the shared scorer.

usage: python bench/matching_quality.py [--bench ../shared/bench] [--set matching-dev] [--hard-constraints penalise|exclude]
                                      [--public-only]

--public-only cuts every project record to the public-tier keys of 附件1, as the platform passes them to the
engine (app/suggestions/operations.py project_record): what organisations' scores are computed from.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matching.cli import read_jsonl, write_jsonl  # noqa: E402
from matching.knowledge import knowledge_base  # noqa: E402
from matching.rank import rank_all  # noqa: E402


# The public tier of 附件1 (app/projects/models.py PUBLIC_FIELDS) plus the record's id; the bench imports no app code.
PUBLIC_KEYS = ("id", "name", "city", "department", "project_type", "device_class", "stage", "stage_other",
               "intended_use", "clinical_prospects", "ip_exists", "public_summary")


def main() -> None:
    """Run the engine on the dev set and print the shared scorer's figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--bench", default=str(REPO.parent / "shared" / "bench"))
    parser.add_argument("--set", default="matching-dev")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--hard-constraints", default="penalise")
    parser.add_argument("--keep", help="also write the ranking to this file")
    parser.add_argument("--public-only", action="store_true", help="project records cut to public-tier keys")
    args = parser.parse_args()
    folder = Path(args.bench) / args.set
    started = time.perf_counter()
    knowledge_base()
    knowledge_seconds = time.perf_counter() - started
    projects = read_jsonl(str(folder / "projects.jsonl"))
    if args.public_only:
        projects = [{k: v for k, v in p.items() if k in PUBLIC_KEYS} for p in projects]
    enterprises = read_jsonl(str(folder / "enterprises.jsonl"))
    started = time.perf_counter()
    ranks = list(rank_all(projects, enterprises, k=args.k, hard_constraints=args.hard_constraints))
    rank_seconds = time.perf_counter() - started
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
        out = args.keep or handle.name
    write_jsonl(ranks, out)
    print(f"knowledge base {knowledge_seconds:.1f} s, index + ranking {rank_seconds:.1f} s, "
          f"{len(projects)} projects x {len(enterprises)} enterprises")
    result = subprocess.run([sys.executable, str(Path(args.bench) / "score_matching.py"), out,
                             str(folder / "qrels.tsv"), "--k", str(args.k)], capture_output=True, text=True)
    print(result.stdout.strip() or result.stderr.strip())


if __name__ == "__main__":
    main()
