"""Properties of the meeting scheduler on random instances (hypothesis), against an independent CP-SAT optimum."""
from __future__ import annotations

import copy
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from matching.schedule import blocking_pairs, greedy, preference, solve

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def instances(draw, max_side: int = 5, max_slots: int = 4, tight: bool = False):
    """Small instances: a few projects and organisations, slots, tables, caps, absences, marks, fixed meetings.

    ``tight``: one or two tables and many absences, where the pairs that fit the caps often do not fit the slots.
    """
    n_slots = draw(st.integers(2 if tight else 1, max_slots))
    slot_ids = [f"s{i}" for i in range(n_slots)]
    tables = draw(st.just(1) if tight else st.integers(0, 3))
    projects = [f"p{i}" for i in range(draw(st.integers(1, max_side)))]
    orgs = [f"o{i}" for i in range(draw(st.integers(1, max_side)))]
    participants = []
    for pid, side in [(p, "project") for p in projects] + [(o, "organisation") for o in orgs]:
        participants.append({"id": pid, "side": side,
                             "cap": draw(st.one_of(st.none(), st.integers(0, n_slots))),
                             "unavailable": draw(st.lists(st.sampled_from(slot_ids), unique=True,
                                                          min_size=1 if tight and n_slots > 1 else 0,
                                                          max_size=n_slots))})
    marks = []
    for a, b in [(p, o) for p in projects for o in orgs] + [(o, p) for o in orgs for p in projects]:
        kind = draw(st.sampled_from(["want", "want", "open", "no", None]))
        if kind:
            rank = draw(st.one_of(st.none(), st.integers(1, 6))) if kind == "want" else None
            marks.append({"from": a, "to": b, "mark": kind, "rank": rank})
    marks = draw(st.permutations(marks))
    instance = {"slots": [{"id": s, "start": "", "end": ""} for s in slot_ids], "tables": tables,
                "participants": participants, "marks": list(marks), "fixed": []}
    # fixed meetings that break no rule: a free table, both sides free and available, no "no"
    unavailable = {p["id"]: set(p["unavailable"]) for p in participants}
    said_no = {(m["from"], m["to"]) for m in marks if m["mark"] == "no"}
    busy, cells, met = set(), set(), set()
    for _ in range(draw(st.integers(0, 3))):
        p, o, s = draw(st.sampled_from(projects)), draw(st.sampled_from(orgs)), draw(st.sampled_from(slot_ids))
        free = [t for t in range(tables) if (s, t) not in cells]
        if (not free or (p, o) in met or (p, o) in said_no or (o, p) in said_no or
                {(p, s), (o, s)} & busy or s in unavailable[p] | unavailable[o]):
            continue
        table = draw(st.sampled_from(free))
        meeting = {"project": p, "organisation": o, "slot": s, "table": table}
        if draw(st.booleans()):
            meeting["kind"] = "staff"
        instance["fixed"].append(meeting)
        busy |= {(p, s), (o, s)}
        cells.add((s, table))
        met.add((p, o))
    return instance


def _marks(instance):
    return {(m["from"], m["to"]): m["mark"] for m in instance["marks"]}


def _kind(marks, p, o):
    a, b = marks.get((p, o), "open"), marks.get((o, p), "open")
    if "no" in (a, b):
        return None
    return "mutual" if a == b == "want" else "one_sided" if "want" in (a, b) else None


def _preferences(instance) -> dict:
    """(a, b) → how much a values meeting b, by matching.schedule.preference over a's dense rank order."""
    ranks = {}
    for m in instance["marks"]:
        if m["mark"] == "want" and m["rank"] is not None:
            ranks.setdefault(m["from"], set()).add(m["rank"])
    out = {}
    for m in instance["marks"]:
        position = sorted(ranks[m["from"]]).index(m["rank"]) + 1 if m["mark"] == "want" and m["rank"] else None
        out[m["from"], m["to"]] = preference(m["mark"], position)
    return out


def _value(instance, meetings) -> int:
    prefs = _preferences(instance)
    return sum(prefs.get((m["project"], m["organisation"]), 1) + prefs.get((m["organisation"], m["project"]), 1)
               for m in meetings)


def _optimum(instance) -> tuple[int, int, int]:
    """(most mutual meetings, then most meetings, then best preference) of any valid schedule keeping the fixed
    ones: a plain CP-SAT model, tier after tier."""
    marks = _marks(instance)
    prefs = _preferences(instance)
    people = {p["id"]: p for p in instance["participants"]}
    slots = [s["id"] for s in instance["slots"]]
    fixed = instance["fixed"]
    fixed_pairs = {(f["project"], f["organisation"]) for f in fixed}
    taken = Counter(f["slot"] for f in fixed)
    busy = {(f[side], f["slot"]) for f in fixed for side in ("project", "organisation")}
    used = Counter(f[side] for f in fixed for side in ("project", "organisation"))
    model = cp_model.CpModel()
    x = {}
    projects = [p for p in people if people[p]["side"] == "project"]
    orgs = [o for o in people if people[o]["side"] == "organisation"]
    for p in projects:
        for o in orgs:
            if (p, o) in fixed_pairs or not _kind(marks, p, o):
                continue
            for s in slots:
                if s in people[p]["unavailable"] or s in people[o]["unavailable"]:
                    continue
                if (p, s) in busy or (o, s) in busy or taken[s] >= instance["tables"]:
                    continue
                x[p, o, s] = model.NewBoolVar(f"{p}-{o}-{s}")
    for who in people:
        cap = people[who]["cap"]
        mine = [v for (p, o, s), v in x.items() if who in (p, o)]
        if cap is not None:
            model.Add(sum(mine) <= max(0, cap - used[who]))
        for s in slots:
            model.AddAtMostOne(v for (p, o, t), v in x.items() if who in (p, o) and t == s)
    for s in slots:
        model.Add(sum(v for (p, o, t), v in x.items() if t == s) <= instance["tables"] - taken[s])
    for p in projects:
        for o in orgs:
            model.AddAtMostOne(v for (a, b, s), v in x.items() if (a, b) == (p, o))
    mutual = sum(v for (p, o, s), v in x.items() if _kind(marks, p, o) == "mutual")
    fixed_mutual = sum(1 for f in fixed if _kind(marks, f["project"], f["organisation"]) == "mutual")
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    model.Maximize(mutual)
    assert solver.Solve(model) == cp_model.OPTIMAL
    best_mutual = round(solver.ObjectiveValue())
    model.Add(mutual >= best_mutual)
    model.Maximize(sum(x.values()))
    assert solver.Solve(model) == cp_model.OPTIMAL
    best_total = round(solver.ObjectiveValue())
    model.Add(sum(x.values()) >= best_total)
    model.Maximize(sum((prefs.get((p, o), 1) + prefs.get((o, p), 1)) * v for (p, o, s), v in x.items()))
    assert solver.Solve(model) == cp_model.OPTIMAL
    return best_mutual + fixed_mutual, best_total + len(fixed), round(solver.ObjectiveValue()) + _value(instance, fixed)


def assert_valid(instance, schedule, maximal: bool = True):
    """Nobody twice in a slot, one meeting per table per slot, no 'no', caps, absences, fixed kept, maximal."""
    marks = _marks(instance)
    people = {p["id"]: p for p in instance["participants"]}
    slots = [s["id"] for s in instance["slots"]]
    meetings = schedule["meetings"]
    assert len({(m[side], m["slot"]) for m in meetings for side in ("project", "organisation")}) == 2 * len(meetings)
    assert len({(m["slot"], m["table"]) for m in meetings}) == len(meetings)
    assert all(0 <= m["table"] < instance["tables"] and m["slot"] in slots for m in meetings)
    assert len({(m["project"], m["organisation"]) for m in meetings}) == len(meetings)
    for m in meetings:
        p, o = m["project"], m["organisation"]
        assert people[p]["side"] == "project" and people[o]["side"] == "organisation"
        assert "no" not in (marks.get((p, o)), marks.get((o, p)))
        assert m["slot"] not in people[p]["unavailable"] and m["slot"] not in people[o]["unavailable"]
        if m["kind"] != "staff":
            assert m["kind"] == _kind(marks, p, o) or m in instance["fixed"] or \
                {**m, "kind": None} in [{**f, "kind": None} for f in instance["fixed"]]
    for f in instance["fixed"]:
        kept = [m for m in meetings if all(m[k] == f[k] for k in ("project", "organisation", "slot", "table"))]
        assert len(kept) == 1 and kept[0]["kind"] == f.get("kind", kept[0]["kind"])
    count = Counter(m[side] for m in meetings for side in ("project", "organisation"))
    fixed_count = Counter(f[side] for f in instance["fixed"] for side in ("project", "organisation"))
    for who, p in people.items():
        if p["cap"] is not None:
            assert count[who] <= max(p["cap"], fixed_count[who])
    if maximal:
        assert_maximal(instance, schedule, count)


def assert_maximal(instance, schedule, count):
    """No unscheduled candidate pair with room on both sides and a common free slot with a free table."""
    marks = _marks(instance)
    people = {p["id"]: p for p in instance["participants"]}
    slots = [s["id"] for s in instance["slots"]]
    meetings = schedule["meetings"]
    met = {(m["project"], m["organisation"]) for m in meetings}
    busy = {(m[side], m["slot"]) for m in meetings for side in ("project", "organisation")}
    tables_used = Counter(m["slot"] for m in meetings)

    def room(who):
        cap = people[who]["cap"]
        return cap is None or count[who] < cap

    for p in (q for q in people if people[q]["side"] == "project"):
        for o in (q for q in people if people[q]["side"] == "organisation"):
            if (p, o) in met or not _kind(marks, p, o) or not (room(p) and room(o)):
                continue
            for s in slots:
                assert not (s not in people[p]["unavailable"] and s not in people[o]["unavailable"]
                            and (p, s) not in busy and (o, s) not in busy
                            and tables_used[s] < instance["tables"]), f"{p}-{o} fits in {s}"


def _without_seconds(schedule):
    out = copy.deepcopy(schedule)
    out["report"].pop("seconds")
    return out


@SETTINGS
@given(st.one_of(instances(), instances(tight=True)))
def test_schedule_is_valid_maximal_and_optimal(instance):
    schedule = solve(instance)
    assert_valid(instance, schedule)
    mutual, total, value = _optimum(instance)
    report = schedule["report"]
    assert report["proven_optimal"] is True
    assert report["mutual_scheduled"] == sum(1 for m in schedule["meetings"] if m["kind"] == "mutual")
    assert sum(1 for m in schedule["meetings"]
               if _kind(_marks(instance), m["project"], m["organisation"]) == "mutual") == mutual
    assert len(schedule["meetings"]) == total
    assert report["preference"] == _value(instance, schedule["meetings"]) == value
    assert report["blocking_pairs"] == blocking_pairs(instance, schedule)
    assert {(u["project"], u["organisation"]) for u in schedule["unscheduled"]}.isdisjoint(
        {(m["project"], m["organisation"]) for m in schedule["meetings"]})
    assert_reasons(instance, schedule)


def assert_reasons(instance, schedule):
    """Every wanted pair without a meeting is listed once, with the reason that holds for it."""
    marks = _marks(instance)
    people = {p["id"]: p for p in instance["participants"]}
    meetings = schedule["meetings"]
    met = {(m["project"], m["organisation"]) for m in meetings}
    count = Counter(m[side] for m in meetings for side in ("project", "organisation"))
    busy = {(m[side], m["slot"]) for m in meetings for side in ("project", "organisation")}
    used = Counter(m["slot"] for m in meetings)
    wanted = {(a, b) if people[a]["side"] == "project" else (b, a) for (a, b), k in marks.items() if k == "want"}
    listed = [(u["project"], u["organisation"]) for u in schedule["unscheduled"]]
    assert sorted(listed) == sorted(wanted - met) and len(set(listed)) == len(listed)
    for u in schedule["unscheduled"]:
        p, o, why = u["project"], u["organisation"], u["why"]
        common = [s["id"] for s in instance["slots"]
                  if s["id"] not in people[p]["unavailable"] and s["id"] not in people[o]["unavailable"]]
        free = [s for s in common if (p, s) not in busy and (o, s) not in busy]
        if why == "declined":
            assert "no" in (marks.get((p, o)), marks.get((o, p)))
        elif why == "cap_reached":
            assert any(people[w]["cap"] is not None and count[w] >= people[w]["cap"] for w in (p, o))
        elif why == "no_common_slot":
            assert not common
        elif why == "slots_taken":
            assert common and not free
        else:
            assert why == "table_full" and free and all(used[s] >= instance["tables"] for s in free)


@SETTINGS
@given(instances())
def test_greedy_baseline_is_valid_and_never_beats_the_solver(instance):
    baseline = greedy(instance)
    assert_valid(instance, baseline, maximal=False)     # first-fit in arrival order: one-sided pairs may still fit
    schedule = solve(instance)
    mine = [m for m in schedule["meetings"] if _kind(_marks(instance), m["project"], m["organisation"]) == "mutual"]
    theirs = [m for m in baseline["meetings"]
              if _kind(_marks(instance), m["project"], m["organisation"]) == "mutual"]
    assert len(mine) >= len(theirs)
    assert len(schedule["meetings"]) >= len(baseline["meetings"]) or len(mine) > len(theirs)


@SETTINGS
@given(st.one_of(instances(), instances(tight=True)), st.data())
def test_confirmed_meetings_are_kept_on_rerun(instance, data):
    first = solve(instance)
    confirmed = data.draw(st.lists(st.sampled_from(first["meetings"]), unique_by=lambda m: (m["slot"], m["table"]))
                          if first["meetings"] else st.just([]))
    rerun = {**instance, "fixed": [{k: m[k] for k in ("project", "organisation", "slot", "table", "kind")}
                                   for m in confirmed]}
    second = solve(rerun)
    assert_valid(rerun, second)
    for m in confirmed:
        assert m in second["meetings"]


@settings(max_examples=40, deadline=None)
@given(instances())
def test_same_input_same_output(instance):
    assert _without_seconds(solve(instance)) == _without_seconds(solve(copy.deepcopy(instance)))
