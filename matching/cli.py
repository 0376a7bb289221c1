"""Command line: python -m matching rank|classify (JSON lines) and schedule (one JSON document)."""
from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable
from pathlib import Path

from .classify import classify_projects
from .rank import AUDIENCE_OWNER, AUDIENCE_PUBLIC, rank_all
from .schedule import solve


def read_jsonl(path: str) -> list[dict]:
    """Records of a JSON-lines file ('-' reads standard input); blank lines are skipped."""
    text = sys.stdin.read() if path == "-" else Path(path).read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def write_jsonl(records: Iterable[dict], path: str | None) -> None:
    """Write records as JSON lines (UTF-8, Chinese kept readable) to a file or standard output."""
    out = open(path, "w", encoding="utf-8") if path else sys.stdout
    try:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    finally:
        if path:
            out.close()


def main(argv: list[str] | None = None) -> int:
    """Entry point of python -m matching."""
    parser = argparse.ArgumentParser(prog="python -m matching", description="ClinBridge matching engine")
    commands = parser.add_subparsers(dest="command", required=True)
    rank = commands.add_parser("rank", help="rank enterprises for projects, or projects for enterprises")
    rank.add_argument("--projects", required=True)
    rank.add_argument("--enterprises", required=True)
    rank.add_argument("--k", type=int, default=10)
    rank.add_argument("--direction", choices=("project", "enterprise"), default="project")
    rank.add_argument("--audience", choices=(AUDIENCE_PUBLIC, AUDIENCE_OWNER), default=AUDIENCE_PUBLIC,
                      help="whose view the reasons are for: public (default) cites public-tier text only")
    rank.add_argument("--hard-constraints", choices=("penalise", "exclude"), default="penalise")
    rank.add_argument("--out")
    classify = commands.add_parser("classify", help="suggest management class and NMPA category")
    classify.add_argument("--projects", required=True)
    classify.add_argument("--k", type=int, default=5)
    classify.add_argument("--out")
    schedule = commands.add_parser("schedule", help="build the 1:1 schedule of a matchmaking meeting")
    schedule.add_argument("instance", help="INSTANCE.json ('-' reads standard input)")
    schedule.add_argument("--out", help="write SCHEDULE.json here instead of standard output")
    args = parser.parse_args(argv)

    if args.command == "schedule":
        return run_schedule(args.instance, args.out)

    if args.command == "rank":
        write_jsonl(rank_all(read_jsonl(args.projects), read_jsonl(args.enterprises), k=args.k,
                             direction=args.direction, audience=args.audience,
                             hard_constraints=args.hard_constraints), args.out)
    else:
        write_jsonl(classify_projects(read_jsonl(args.projects), k=args.k), args.out)
    return 0


def run_schedule(instance_path: str, out: str | None) -> int:
    """python -m matching schedule: 0 with the schedule written, 2 with a message for a bad instance."""
    try:
        text = sys.stdin.read() if instance_path == "-" else Path(instance_path).read_text(encoding="utf-8")
        schedule = solve(json.loads(text))
    except (OSError, ValueError) as error:      # json.JSONDecodeError is a ValueError
        print(f"python -m matching schedule: {error}", file=sys.stderr)
        return 2
    document = json.dumps(schedule, ensure_ascii=False, indent=2) + "\n"
    if out:
        Path(out).write_text(document, encoding="utf-8")
    else:
        sys.stdout.write(document)
    return 0
