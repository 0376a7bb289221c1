"""The CLI round-trips the exchange format through files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _write(path: Path, records) -> Path:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "matching", *args], cwd=REPO, capture_output=True,
                          text=True, encoding="utf-8", timeout=120, check=True)


def test_cli_rank_and_classify_round_trip(tmp_path, projects, enterprises):
    p = _write(tmp_path / "projects.jsonl", projects)
    e = _write(tmp_path / "enterprises.jsonl", enterprises)
    out = tmp_path / "ranks.jsonl"
    _run("rank", "--projects", str(p), "--enterprises", str(e), "--k", "2", "--out", str(out))
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert [x["project_id"] for x in lines] == [x["id"] for x in projects]
    assert lines[0]["ranked"][0]["enterprise_id"] == "e-anorectal" and len(lines[0]["ranked"]) == 2

    mirror = _run("rank", "--projects", str(p), "--enterprises", str(e), "--k", "1", "--direction", "enterprise")
    mirrored = [json.loads(x) for x in mirror.stdout.splitlines()]
    assert mirrored[0] == {"enterprise_id": "e-anorectal", "ranked": mirrored[0]["ranked"]}
    assert mirrored[0]["ranked"][0]["project_id"] == "p-stapler"

    classified = tmp_path / "classes.jsonl"
    _run("classify", "--projects", str(p), "--out", str(classified))
    results = [json.loads(x) for x in classified.read_text(encoding="utf-8").splitlines()]
    assert [r["project_id"] for r in results] == [x["id"] for x in projects]
    assert all({"device_class", "category", "similar"} <= set(r) for r in results)
