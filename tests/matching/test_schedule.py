"""The meeting scheduler on hand-made instances: the interface, the rules, the CLI."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from matching.schedule import blocking_pairs, greedy, solve, validate

REPO = Path(__file__).resolve().parents[2]


def slots(n: int) -> list[dict]:
    return [{"id": f"s{i}", "start": f"09:{i:02d}", "end": f"09:{i + 1:02d}"} for i in range(n)]


def person(pid: str, side: str, cap=None, unavailable=()) -> dict:
    return {"id": pid, "side": side, "cap": cap, "unavailable": list(unavailable)}


def want(a: str, b: str, rank=None) -> dict:
    return {"from": a, "to": b, "mark": "want", "rank": rank}


def mark(a: str, b: str, kind: str) -> dict:
    return {"from": a, "to": b, "mark": kind, "rank": None}


def instance(n_slots=2, tables=1, participants=(), marks=(), fixed=()) -> dict:
    return {"slots": slots(n_slots), "tables": tables, "participants": list(participants), "marks": list(marks),
            "fixed": list(fixed)}


def pairs(schedule: dict) -> set[tuple[str, str]]:
    return {(m["project"], m["organisation"]) for m in schedule["meetings"]}


def test_mutual_wants_first_then_one_sided_never_two_opens_or_a_no():
    inst = instance(n_slots=1, tables=3, participants=[
        person("p1", "project"), person("p2", "project"), person("p3", "project"),
        person("o1", "organisation"), person("o2", "organisation"), person("o3", "organisation")],
        marks=[want("p1", "o1"), want("o1", "p1"), want("p2", "o2"), mark("o2", "p2", "no"), want("o3", "p3")])
    schedule = solve(inst)
    assert {(m["project"], m["organisation"], m["kind"]) for m in schedule["meetings"]} == {
        ("p1", "o1", "mutual"), ("p3", "o3", "one_sided")}
    assert {"project": "p2", "organisation": "o2", "why": "declined"} in schedule["unscheduled"]
    report = schedule["report"]
    assert (report["mutual_possible"], report["mutual_scheduled"], report["one_sided_scheduled"]) == (1, 1, 1)
    assert report["proven_optimal"] is True


def test_maximum_not_first_fit():
    """First-fit in arrival order gives p1 to o1 and strands p2; the optimum holds both mutual wants."""
    inst = instance(n_slots=1, tables=2, participants=[
        person("p1", "project"), person("p2", "project"), person("o1", "organisation"), person("o2", "organisation")],
        marks=[want("p1", "o1"), want("o1", "p1"), want("p1", "o2"), want("o2", "p1"), want("p2", "o1"),
               want("o1", "p2")])
    assert greedy(inst)["report"]["mutual_scheduled"] == 1
    schedule = solve(inst)
    assert pairs(schedule) == {("p1", "o2"), ("p2", "o1")}
    assert schedule["report"]["mutual_scheduled"] == 2


def test_ranks_break_ties_and_caps_hold():
    inst = instance(n_slots=3, tables=3, participants=[
        person("p1", "project", cap=1), person("o1", "organisation"), person("o2", "organisation")],
        marks=[want("p1", "o1", 2), want("p1", "o2", 1), want("o1", "p1"), want("o2", "p1")])
    schedule = solve(inst)
    assert pairs(schedule) == {("p1", "o2")}
    assert schedule["unscheduled"] == [{"project": "p1", "organisation": "o1", "why": "cap_reached"}]


def test_unavailability_and_why_codes():
    inst = instance(n_slots=2, tables=1, participants=[
        person("p1", "project", unavailable=["s0"]), person("o1", "organisation", unavailable=["s1"]),
        person("p2", "project"), person("p3", "project"), person("o2", "organisation")],
        marks=[want("p1", "o1"), want("o1", "p1"), want("p2", "o2"), want("p3", "o2"), want("o2", "p3")])
    schedule = solve(inst)
    why = {(u["project"], u["organisation"]): u["why"] for u in schedule["unscheduled"]}
    assert why[("p1", "o1")] == "no_common_slot"
    assert ("p3", "o2") in pairs(schedule) and ("p2", "o2") in pairs(schedule)


def test_fixed_meetings_are_kept_as_given():
    fixed = [{"project": "p1", "organisation": "o2", "slot": "s0", "table": 1, "kind": "staff"}]
    inst = instance(n_slots=2, tables=2, participants=[
        person("p1", "project"), person("o1", "organisation"), person("o2", "organisation")],
        marks=[want("p1", "o1"), want("o1", "p1")], fixed=fixed)
    schedule = solve(inst)
    assert {**fixed[0]} in schedule["meetings"]
    assert ("p1", "o1") in pairs(schedule)
    assert next(m for m in schedule["meetings"] if m["organisation"] == "o1")["slot"] == "s1"


@pytest.mark.parametrize("broken, message", [
    ({"slots": "x"}, "'slots' must be a list"),
    ({"tables": -1}, "'tables'"),
    ({"participants": [person("p1", "project"), person("p1", "organisation")]}, "appears twice"),
    ({"participants": [person("p1", "nobody")]}, "'side'"),
    ({"marks": [want("p1", "p2")]}, "same side"),
    ({"marks": [want("p1", "zz")]}, "unknown participant"),
    ({"marks": [mark("p1", "o1", "maybe")]}, "'mark'"),
    ({"fixed": [{"project": "p1", "organisation": "o1", "slot": "s0", "table": 5}]}, "table must be"),
    ({"fixed": [{"project": "p1", "organisation": "o1", "slot": "s0", "table": 0},
                {"project": "p2", "organisation": "o1", "slot": "s0", "table": 1}]}, "already has a meeting"),
    ({"fixed": [{"project": "p1", "organisation": "o1", "slot": "s0", "table": 0},
                {"project": "p2", "organisation": "o2", "slot": "s0", "table": 0}]}, "already taken"),
    ({"fixed": [{"project": "p1", "organisation": "o1", "slot": "s0", "table": 0},
                {"project": "p1", "organisation": "o1", "slot": "s1", "table": 0}]}, "already meet"),
    ({"fixed": [{"project": "o1", "organisation": "p1", "slot": "s0", "table": 0}]}, "not a project"),
    ({"fixed": [{"project": "p1", "organisation": "o1", "slot": "s9", "table": 0}]}, "unknown slot"),
    ({"fixed": [{"project": "p1", "organisation": "o1", "slot": "s0", "table": 0, "kind": "vip"}]}, "'kind'"),
    ({"participants": [{"id": "p1", "side": "project", "cap": -1}]}, "'cap'"),
    ({"participants": [{"id": "p1", "side": "project", "unavailable": ["s7"]}]}, "unknown unavailable slot"),
    ({"marks": [want("p1", "o1"), want("p1", "o1")]}, "twice"),
    ({"marks": [{"from": "p1", "to": "o1", "mark": "want", "rank": 0}]}, "'rank'"),
])
def test_validate_names_the_problem(broken, message):
    inst = {**instance(n_slots=2, tables=2, participants=[
        person("p1", "project"), person("p2", "project"), person("o1", "organisation"),
        person("o2", "organisation")]), **broken}
    with pytest.raises(ValueError, match=message):
        validate(inst)


def test_blocking_pairs_counts_pairs_both_prefer():
    inst = instance(n_slots=1, tables=2, participants=[
        person("p1", "project"), person("p2", "project"), person("o1", "organisation"), person("o2", "organisation")],
        marks=[want("p1", "o1", 1), want("p1", "o2", 2), want("o1", "p1", 1), want("o1", "p2", 2),
               want("p2", "o1"), want("p2", "o2"), want("o2", "p1"), want("o2", "p2")])
    bad = {"meetings": [{"project": "p1", "organisation": "o2", "slot": "s0", "table": 0, "kind": "mutual"},
                        {"project": "p2", "organisation": "o1", "slot": "s0", "table": 1, "kind": "mutual"}]}
    assert blocking_pairs(inst, bad) == 1
    good = solve(inst)
    assert pairs(good) == {("p1", "o1"), ("p2", "o2")} and good["report"]["blocking_pairs"] == 0


def test_cli_schedule(tmp_path):
    inst = instance(n_slots=1, tables=1, participants=[person("p1", "project"), person("o1", "organisation")],
                    marks=[want("p1", "o1"), want("o1", "p1")])
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(inst), encoding="utf-8")
    out = tmp_path / "schedule.json"
    run = subprocess.run([sys.executable, "-m", "matching", "schedule", str(path), "--out", str(out)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert json.loads(out.read_text(encoding="utf-8"))["meetings"] == [
        {"project": "p1", "organisation": "o1", "slot": "s0", "table": 0, "kind": "mutual"}]
    path.write_text(json.dumps({**inst, "tables": "two"}), encoding="utf-8")
    run = subprocess.run([sys.executable, "-m", "matching", "schedule", str(path)], cwd=REPO,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 2 and "'tables' must be a non-negative integer" in run.stderr


def test_even_spread_breaks_remaining_ties():
    """Three mutual meetings either way; the even schedule gives p2 its one meeting instead of p1 a third."""
    people = [person("p1", "project"), person("p2", "project")] + \
        [person(o, "organisation", cap=1) for o in ("o1", "o2", "o3")]
    marks = [want("p1", o) for o in ("o1", "o2", "o3")] + [want(o, "p1") for o in ("o1", "o2", "o3")] + \
        [want("p2", "o1"), want("o1", "p2")]
    for order in (marks, marks[::-1]):
        schedule = solve(instance(n_slots=3, tables=3, participants=people, marks=order))
        assert pairs(schedule) == {("p2", "o1"), ("p1", "o2"), ("p1", "o3")}


def test_relaxation_gap_is_closed_by_the_full_model():
    """Caps let both mutual pairs in, but they can only meet in s0 and s0 has one table: the exact model knows."""
    people = [person("p1", "project", unavailable=["s1"]), person("o1", "organisation", unavailable=["s1"]),
              person("p2", "project", unavailable=["s1"]), person("o2", "organisation", unavailable=["s1"]),
              person("p3", "project")]
    marks = [want("p1", "o1"), want("o1", "p1"), want("p2", "o2"), want("o2", "p2"), want("p3", "o1")]
    schedule = solve(instance(n_slots=2, tables=1, participants=people, marks=marks))
    report = schedule["report"]
    assert (report["mutual_scheduled"], report["one_sided_scheduled"]) == (1, 0)
    assert report["mutual_bound"] == 2 and report["stage"] == "full" and report["proven_optimal"] is True
    assert len(schedule["unscheduled"]) == 2
    assert {u["why"] for u in schedule["unscheduled"]} <= {"slots_taken", "table_full"}


def test_cli_output_does_not_depend_on_hash_seed(tmp_path):
    """Same instance, different PYTHONHASHSEED, separate processes: the same schedule (timing aside)."""
    people = [person(f"p{i}", "project", cap=2, unavailable=["s1"] if i % 3 == 0 else []) for i in range(6)] + \
        [person(f"o{i}", "organisation", cap=3) for i in range(4)]
    marks = [want(f"p{i}", f"o{j}", rank=j + 1) for i in range(6) for j in range(4) if (i + j) % 2 == 0] + \
        [want(f"o{j}", f"p{i}") for i in range(6) for j in range(4) if (i * j) % 3 == 0]
    path = tmp_path / "instance.json"
    path.write_text(json.dumps(instance(n_slots=3, tables=2, participants=people, marks=marks)), encoding="utf-8")
    outputs = []
    for seed in ("1", "2"):
        run = subprocess.run([sys.executable, "-m", "matching", "schedule", str(path)], cwd=REPO, check=True,
                             capture_output=True, text=True, timeout=120, env={**os.environ, "PYTHONHASHSEED": seed})
        document = json.loads(run.stdout)
        document["report"].pop("seconds")
        outputs.append(document)
    assert outputs[0] == outputs[1] and outputs[0]["meetings"]


def test_greedy_takes_requests_in_arrival_order():
    """b2match-style: the first request o1 gets is accepted (it is open), and the mutual pair finds o1 busy."""
    inst = instance(n_slots=1, tables=2, participants=[
        person("p1", "project"), person("p2", "project"), person("o1", "organisation")],
        marks=[want("p2", "o1"), want("p1", "o1"), want("o1", "p1")])
    assert pairs(greedy(inst)) == {("p2", "o1")}
    assert greedy(inst)["report"]["stage"] == "greedy"
    assert pairs(greedy(inst, mutual_first=True)) == {("p1", "o1")}
    assert pairs(solve(inst)) == {("p1", "o1")}
    assert {"project": "p2", "organisation": "o1", "why": "slots_taken"} in solve(inst)["unscheduled"]


def test_fixed_meeting_kept_despite_a_later_no_or_absence_and_flagged():
    """A confirmed meeting stays where it is; the report tells staff what changed since."""
    fixed = [{"project": "p1", "organisation": "o1", "slot": "s0", "table": 0},
             {"project": "p2", "organisation": "o1", "slot": "s1", "table": 0}]
    inst = instance(n_slots=2, tables=1, participants=[
        person("p1", "project", unavailable=["s0"]), person("p2", "project"), person("o1", "organisation")],
        marks=[mark("o1", "p2", "no"), want("p2", "o1")], fixed=fixed)
    schedule = solve(inst)
    assert [(m["project"], m["slot"], m["kind"]) for m in schedule["meetings"]] == [
        ("p1", "s0", "staff"), ("p2", "s1", "staff")]
    assert schedule["report"]["fixed_conflicts"] == [
        {"project": "p1", "organisation": "o1", "slot": "s0", "why": "unavailable"},
        {"project": "p2", "organisation": "o1", "slot": "s1", "why": "declined"}]
