"""The 1:1 schedule of a matchmaking meeting (推进会议): pairs from two-way selection placed into (slot, table).

``solve(instance) -> schedule`` takes the INSTANCE JSON of issue 13 and returns the SCHEDULE JSON::

    instance = {"slots": [{"id", "start", "end"}],          # in time order
                "tables": N,                                # tables 0 … N-1, one meeting per table per slot
                "participants": [{"id", "side": "project"|"organisation",
                                  "cap": N or null,         # most meetings wanted; null/absent: no cap
                                  "unavailable": [slot ids]}],
                "marks": [{"from", "to", "mark": "want"|"open"|"no", "rank": N or null}],
                "fixed": [{"project", "organisation", "slot", "table", "kind"?}]}
    schedule = {"meetings": [{"project", "organisation", "slot", "table", "kind"}],
                "unscheduled": [{"project", "organisation", "why"}],
                "report": {"mutual_possible", "mutual_scheduled", "one_sided_scheduled", "blocking_pairs",
                           "preference", "seconds", "mutual_bound", "mutual_optimal", "proven_optimal", "stage",
                           "fixed_conflicts"}}

Report: ``mutual_possible`` mutual-want pairs marked (both sides "want", fixed ones included);
``mutual_scheduled`` / ``one_sided_scheduled`` meetings of each kind; ``preference`` the sum over meetings of
both sides' ``preference``; ``mutual_bound`` stage 1's upper bound on mutual meetings (null if not computed);
``mutual_optimal`` the mutual count is proven maximal; ``proven_optimal`` tiers 1–3 are proven optimal;
``stage`` which path built it (below); ``fixed_conflicts`` (above); ``seconds`` wall time, the one field
that differs between runs.

Rules. A side that left a counterpart unmarked is open to it. A pair is a candidate when neither side
said "no" and at least one said "want": both "want" is a *mutual* meeting, "want" + "open" a *one_sided*
one; two opens never make a meeting. Ranks order a side's wants (1 = first choice); wants without a rank
come after the ranked ones. ``fixed`` meetings (placed by staff or confirmed by the participants) are
kept exactly as given and count against caps; their kind is the given "kind", else "mutual"/"one_sided"
from the marks, else "staff". ``validate`` refuses fixed meetings that cannot take place (a participant or
a table twice in one slot, the same pair twice, an unknown slot or table). A fixed meeting that exceeds a
cap, falls in a slot a side has since marked unavailable or pairs a "no" is kept (the decision was made)
and listed in ``report["fixed_conflicts"]`` ({project, organisation, slot, why: "unavailable"|"declined"})
for staff to resolve; the solver itself never adds such a meeting.

Objective, lexicographic: (1) most mutual meetings, (2) most meetings in all (want + open), (3) the best
ranks: the sum over meetings of both sides' ``preference`` (first choice 22, second 21, … down to 3; an
unranked want 2; open 1), (4) an even spread: the k-th meeting of a participant is worth less than its
(k-1)-th, so a participant left with none counts before one who already has many.

Method (all exact solvers, OR-Tools, one worker and a fixed seed: same input, same output).
Stage 1 chooses the pairs: a min-cost flow (source → project → organisation → sink, capacities = each
side's meetings left, min(cap, free slots), total ≤ free (slot, table) cells). Each pair arc carries one
integer weight that orders tiers (1)–(3) strictly, and each participant's capacity is split into unit
arcs, the k-th costing k − 1 (convex, tier 4, strictly below the others). Flows are integral, so this is
the exact lexicographic optimum of the *relaxation* that forgets which slots each side can attend (when
the weights would overflow 64-bit costs, tier 4 is dropped from the flow and, if need be, tiers 1–3 go to
the full model below). Stage 2 places the chosen pairs into slots: first-fit (most constrained pairs
first), ejection chains for the pairs left over (move up to three levels of meetings out of the way,
within a fixed count of tries). When every chosen pair is placed the schedule reaches the relaxation's
optimum, so it is optimal for the real problem (tier 4 included when the flow carried it): ``stage``
"two_stage", proven. Otherwise, when the candidate pair × common slot literals are few enough
(FULL_MODEL_LIMIT), one CP-SAT model over all of them takes the tiers one after another, started from the
two-stage placement: a tier whose value reaches stage 1's bound is proven without search (the bounds stay
valid while every earlier tier reached its own), any other is proven only if CP-SAT reports OPTIMAL within
its deterministic time (FULL_BUDGET), and the first unproven tier ends the sequence (``stage`` "full"). On
larger instances the schedule keeps the chosen pairs that fit after a time-boxed CP-SAT placement
(``stage`` "two_stage_partial"; tiers not proven, the mutual count only when it still meets the bound).
Last, any candidate pair whose two sides still have room and share a free slot with a free table is added
(maximality).
Tables: an organisation keeps the table of its previous meeting when it is free, else the lowest free one.

``why`` codes in ``unscheduled`` (one entry per candidate pair without a meeting, plus "want" pairs the
other side declined), checked in this order:
    declined        the other side marked "no" (staff see it; do not show it to the side that asked)
    cap_reached     one side already has as many meetings as its cap
    no_common_slot  the two sides cannot attend any slot in common
    slots_taken     in every common slot at least one side is already in another meeting
    table_full      a common slot with both sides free exists, but its tables are all taken
    not_selected    it would fit, but the objective preferred other meetings (none left after maximality)

``blocking_pairs``: pairs without a meeting, neither "no", at least one "want", where each side has a
scheduled meeting it ranks strictly lower (by ``preference``) than the other side: the pairs deferred
acceptance would drive to zero. ``greedy`` is the b2match-style baseline: "want" marks are requests taken
in arrival order (the order of ``marks``), accepted unless the receiver said "no", each placed in the first
slot where both are free and a table is left, while both are under their caps.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass, field


SIDES = ("project", "organisation")
MARKS = ("want", "open", "no")
KINDS = ("mutual", "one_sided", "staff")
WHY = ("declined", "cap_reached", "no_common_slot", "slots_taken", "table_full", "not_selected")

FULL_MODEL_LIMIT = 40_000          # candidate pair × slot literals above which the full CP-SAT model is skipped
DETERMINISTIC_LIMIT = 20.0         # CP-SAT deterministic time per solve (deterministic, unlike wall time)
FULL_BUDGET = (2.0, 1.0, 0.6, 0.4)  # the full model's deterministic time for tiers 1, 2, 3, 4
PLACE_LIMIT = 5.0                  # CP-SAT deterministic time for stage 2 when ejection chains leave pairs out
WALL_FUSE = 60.0                   # wall-clock safety net per solve


def preference(mark: str | None, position: int | None) -> int:
    """How much one side values a meeting: ranked want 22 … 3, unranked want 2, open 1, no 0."""
    if mark == "no":
        return 0
    if mark == "want":
        return max(3, 23 - position) if position else 2
    return 1


# --------------------------------------------------------------------------------------------- validation

def _is_id(value) -> bool:
    return isinstance(value, (str, int)) and not isinstance(value, bool)


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def validate(instance) -> None:
    """Raise ValueError with a clear message when the instance is malformed or its fixed meetings conflict."""
    if not isinstance(instance, dict):
        raise ValueError("instance must be a JSON object")
    slots = instance.get("slots")
    if not isinstance(slots, list):
        raise ValueError("'slots' must be a list")
    slot_ids = set()
    for i, slot in enumerate(slots):
        if not isinstance(slot, dict) or not _is_id(slot.get("id")):
            raise ValueError(f"slots[{i}] needs an 'id' (string or integer)")
        if slot["id"] in slot_ids:
            raise ValueError(f"slot id {slot['id']!r} appears twice")
        slot_ids.add(slot["id"])
    tables = instance.get("tables")
    if not _is_count(tables):
        raise ValueError("'tables' must be a non-negative integer")
    people = instance.get("participants")
    if not isinstance(people, list):
        raise ValueError("'participants' must be a list")
    side_of = {}
    for i, person in enumerate(people):
        if not isinstance(person, dict) or not _is_id(person.get("id")):
            raise ValueError(f"participants[{i}] needs an 'id' (string or integer)")
        pid = person["id"]
        if pid in side_of:
            raise ValueError(f"participant id {pid!r} appears twice")
        if person.get("side") not in SIDES:
            raise ValueError(f"participant {pid!r}: 'side' must be 'project' or 'organisation'")
        side_of[pid] = person["side"]
        if person.get("cap") is not None and not _is_count(person["cap"]):
            raise ValueError(f"participant {pid!r}: 'cap' must be a non-negative integer or null")
        unavailable = person.get("unavailable", [])
        if not isinstance(unavailable, list):
            raise ValueError(f"participant {pid!r}: 'unavailable' must be a list of slot ids")
        for sid in unavailable:
            if sid not in slot_ids:
                raise ValueError(f"participant {pid!r}: unknown unavailable slot {sid!r}")
    marks = instance.get("marks", [])
    if not isinstance(marks, list):
        raise ValueError("'marks' must be a list")
    seen = {}
    for i, mark in enumerate(marks):
        if not isinstance(mark, dict):
            raise ValueError(f"marks[{i}] must be an object")
        src, dst = mark.get("from"), mark.get("to")
        if src not in side_of or dst not in side_of:
            raise ValueError(f"marks[{i}]: unknown participant {src if src not in side_of else dst!r}")
        if side_of[src] == side_of[dst]:
            raise ValueError(f"marks[{i}]: {src!r} and {dst!r} are on the same side")
        if mark.get("mark") not in MARKS:
            raise ValueError(f"marks[{i}]: 'mark' must be 'want', 'open' or 'no'")
        rank = mark.get("rank")
        if rank is not None and (not _is_count(rank) or rank < 1):
            raise ValueError(f"marks[{i}]: 'rank' must be a positive integer or null")
        if (src, dst) in seen:
            raise ValueError(f"marks[{i}]: {src!r} marked {dst!r} twice")
        seen[(src, dst)] = mark["mark"]
    fixed = instance.get("fixed", [])
    if not isinstance(fixed, list):
        raise ValueError("'fixed' must be a list")
    busy, cells, pairs = set(), set(), set()
    for i, meeting in enumerate(fixed):
        if not isinstance(meeting, dict):
            raise ValueError(f"fixed[{i}] must be an object")
        project, org, slot, table = (meeting.get(k) for k in ("project", "organisation", "slot", "table"))
        if side_of.get(project) != "project":
            raise ValueError(f"fixed[{i}]: {project!r} is not a project participant")
        if side_of.get(org) != "organisation":
            raise ValueError(f"fixed[{i}]: {org!r} is not an organisation participant")
        if slot not in slot_ids:
            raise ValueError(f"fixed[{i}]: unknown slot {slot!r}")
        if not _is_count(table) or table >= tables:
            raise ValueError(f"fixed[{i}]: table must be an integer from 0 to {tables - 1}")
        if meeting.get("kind") is not None and meeting["kind"] not in KINDS:
            raise ValueError(f"fixed[{i}]: 'kind' must be one of {', '.join(KINDS)}")
        for who in (project, org):
            if (who, slot) in busy:
                raise ValueError(f"fixed[{i}]: {who!r} already has a meeting in slot {slot!r}")
            busy.add((who, slot))
        if (slot, table) in cells:
            raise ValueError(f"fixed[{i}]: table {table} in slot {slot!r} is already taken")
        cells.add((slot, table))
        if (project, org) in pairs:
            raise ValueError(f"fixed[{i}]: {project!r} and {org!r} already meet")
        pairs.add((project, org))


# --------------------------------------------------------------------------------------------- the problem

@dataclass
class Pair:
    """A candidate meeting: indexes into the problem's participants, kind, preference, common free slots."""
    project: int
    org: int
    kind: str
    pref: int
    slots: list[int]


@dataclass
class Problem:
    """The instance in indexes: slots in time order, participants, marks, fixed meetings, candidates."""
    instance: dict
    slot_ids: list
    tables: int
    ids: list
    side: list[str]
    cap: list[int]
    available: list[set[int]]
    mark: dict = field(default_factory=dict)         # (from, to) index → (mark, position)
    fixed: list[tuple[int, int, int, int, str]] = field(default_factory=list)
    pairs: list[Pair] = field(default_factory=list)
    declined: list[tuple[int, int]] = field(default_factory=list)

    def pref(self, a: int, b: int) -> int:
        """How much participant a values a meeting with b."""
        return preference(*self.mark.get((a, b), ("open", None)))


def _problem(instance: dict) -> Problem:
    slot_ids = [s["id"] for s in instance["slots"]]
    slot_index = {sid: i for i, sid in enumerate(slot_ids)}
    people = instance["participants"]
    index = {p["id"]: i for i, p in enumerate(people)}
    n_slots = len(slot_ids)
    problem = Problem(
        instance=instance, slot_ids=slot_ids, tables=instance["tables"], ids=[p["id"] for p in people],
        side=[p["side"] for p in people],
        cap=[n_slots if p.get("cap") is None else min(p["cap"], n_slots) for p in people],
        available=[set(range(n_slots)) - {slot_index[s] for s in p.get("unavailable", [])} for p in people])
    ranks = defaultdict(set)
    for m in instance.get("marks", []):
        if m["mark"] == "want" and m.get("rank") is not None:
            ranks[index[m["from"]]].add(m["rank"])
    position = {who: {r: k + 1 for k, r in enumerate(sorted(values))} for who, values in ranks.items()}
    for m in instance.get("marks", []):
        a, b = index[m["from"]], index[m["to"]]
        rank = m.get("rank") if m["mark"] == "want" else None
        problem.mark[(a, b)] = (m["mark"], position[a][rank] if rank is not None else None)
    for f in instance.get("fixed", []):
        p, o = index[f["project"]], index[f["organisation"]]
        derived = _kind(problem, p, o)
        problem.fixed.append((p, o, slot_index[f["slot"]], f["table"],
                              f.get("kind") or (derived if derived in KINDS else "staff")))
    busy = {(who, s) for p, o, s, _t, _k in problem.fixed for who in (p, o)}
    fixed_pairs = {(p, o) for p, o, *_ in problem.fixed}
    table_left = _table_left(problem)
    # every candidate has a "want" on at least one side: enumerate the wants, not all project × organisation
    wanted = sorted({(a, b) if problem.side[a] == "project" else (b, a)
                     for (a, b), (m, _pos) in problem.mark.items() if m == "want"})
    for p, o in wanted:
        if (p, o) in fixed_pairs:
            continue
        kind = _kind(problem, p, o)
        if kind == "declined":
            problem.declined.append((p, o))
        if kind not in ("mutual", "one_sided"):
            continue
        common = [s for s in sorted(problem.available[p] & problem.available[o])
                  if (p, s) not in busy and (o, s) not in busy and table_left[s] > 0]
        problem.pairs.append(Pair(p, o, kind, problem.pref(p, o) + problem.pref(o, p), common))
    return problem


def _kind(problem: Problem, p: int, o: int) -> str:
    a = problem.mark.get((p, o), ("open", None))[0]
    b = problem.mark.get((o, p), ("open", None))[0]
    if "no" in (a, b):
        return "declined" if "want" in (a, b) else "none"
    if a == b == "want":
        return "mutual"
    if "want" in (a, b):
        return "one_sided"
    return "staff"


def _table_left(problem: Problem) -> list[int]:
    left = [problem.tables] * len(problem.slot_ids)
    for _p, _o, s, _t, _k in problem.fixed:
        left[s] -= 1
    return left


def _room(problem: Problem) -> list[int]:
    """Meetings each participant may still get: min(cap, free available slots) less the fixed ones."""
    used = defaultdict(int)
    busy = defaultdict(set)
    for p, o, s, _t, _k in problem.fixed:
        for who in (p, o):
            used[who] += 1
            busy[who].add(s)
    return [max(0, min(problem.cap[i] - used[i], len(problem.available[i] - busy[i])))
            for i in range(len(problem.ids))]


# --------------------------------------------------------------------------------------------- solvers

def _tier_weights(problem: Problem, room: list[int], spread: bool = True) -> tuple[int, int, int]:
    """Integer weights (W1 mutual, W2 any meeting, W3 a preference point) ordering tiers 1–4 strictly.

    A pair is worth W1·[mutual] + W2 + W3·pref; the k-th meeting of a participant costs k − 1 (tier 4).
    W3 exceeds the largest possible tier-4 total, W2 the largest tier-3 total, W1 the largest tier-2 one.
    """
    count = min(len(problem.pairs), sum(room[i] for i, s in enumerate(problem.side) if s == "project"),
                sum(room[i] for i, s in enumerate(problem.side) if s == "organisation"))
    spread_total = sum(r * (r - 1) // 2 for r in room) if spread else 0
    w3 = spread_total + 1
    pref_total = sum(sorted((pair.pref for pair in problem.pairs), reverse=True)[:count])
    w2 = w3 * pref_total + spread_total + 1
    w1 = (count + 1) * w2
    return w1, w2, w3


def _pair_weight(pair: Pair, weights: tuple[int, int, int]) -> int:
    w1, w2, w3 = weights
    return (w1 if pair.kind == "mutual" else 0) + w2 + w3 * pair.pref


def _usable(problem: Problem, room: list[int]) -> list[int]:
    return [k for k, pair in enumerate(problem.pairs) if pair.slots and room[pair.project] and room[pair.org]]


def _choose_pairs(problem: Problem, room: list[int], weights: tuple[int, int, int],
                  spread: bool) -> list[int] | None:
    """Stage 1: the exact lexicographic b-matching of the relaxation by min-cost flow; None if costs overflow.

    With ``spread`` each participant's capacity is split into unit arcs, the k-th costing k − 1 (convex, so
    the flow fills them in order): tier 4 in the same flow.
    """
    from ortools.graph.python import min_cost_flow  # imported on use: a web worker that never schedules skips ~60 MB
    usable = _usable(problem, room)
    n = len(problem.ids)
    source, sink = n, n + 1
    supply = min(sum(_table_left(problem)), sum(room[i] for i, s in enumerate(problem.side) if s == "project"),
                 sum(room[i] for i, s in enumerate(problem.side) if s == "organisation"))
    if not usable or supply <= 0:
        return []
    if max(_pair_weight(problem.pairs[k], weights) for k in usable) * (n + 3) * 4 >= 2 ** 62:
        return None
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arc_with_capacity_and_unit_cost(source, sink, supply, 0)
    for i, s in enumerate(problem.side):
        units = [(1, k) for k in range(room[i])] if spread else [(room[i], 0)] if room[i] else []
        for capacity, cost in units:
            if s == "project":
                flow.add_arc_with_capacity_and_unit_cost(source, i, capacity, cost)
            else:
                flow.add_arc_with_capacity_and_unit_cost(i, sink, capacity, cost)
    arcs = [flow.add_arc_with_capacity_and_unit_cost(problem.pairs[k].project, problem.pairs[k].org, 1,
                                                     -_pair_weight(problem.pairs[k], weights)) for k in usable]
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    if flow.solve() != flow.OPTIMAL:
        return None
    return [k for k, arc in zip(usable, arcs) if flow.flow(arc)]


def _solver(deterministic_time: float = DETERMINISTIC_LIMIT):
    from ortools.sat.python import cp_model  # imported on use: a web worker that never schedules skips ~60 MB
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = deterministic_time
    solver.parameters.max_time_in_seconds = WALL_FUSE
    return solver


def _evenness_terms(model, degree: dict[int, object], room: list[int], horizon: int):
    """Concave spread: indicator y[i,k] = 'i has at least k meetings', the k-th worth horizon + 1 - k."""
    terms = []
    for i, d in degree.items():
        steps = [model.NewBoolVar("") for _ in range(room[i])]
        for a, b in zip(steps, steps[1:]):
            model.AddImplication(b, a)
        model.Add(sum(steps) == d)
        terms += [(horizon + 1 - k) * y for k, y in enumerate(steps, start=1)]
    return terms


def _fixed_busy(problem: Problem) -> set:
    return {(who, s) for p, o, s, _t, _k in problem.fixed for who in (p, o)}


class _Placement:
    """Pairs in slots with undo: who sits where, tables left per slot; fixed meetings are immovable."""

    FIXED = -1

    def __init__(self, problem: Problem):
        self.problem = problem
        self.slot_of: dict[int, int] = {}
        self.occupant: dict[tuple[int, int], int] = {(who, s): self.FIXED for who, s in _fixed_busy(problem)}
        self.left = _table_left(problem)
        self.in_slot: dict[int, set[int]] = defaultdict(set)
        self.log: list[tuple[str, int, int]] = []

    def free(self, k: int, s: int) -> bool:
        pair = self.problem.pairs[k]
        return self.left[s] > 0 and (pair.project, s) not in self.occupant and (pair.org, s) not in self.occupant

    def put(self, k: int, s: int) -> None:
        pair = self.problem.pairs[k]
        self.slot_of[k] = s
        self.occupant[(pair.project, s)] = self.occupant[(pair.org, s)] = k
        self.left[s] -= 1
        self.in_slot[s].add(k)
        self.log.append(("put", k, s))

    def take(self, k: int) -> None:
        pair, s = self.problem.pairs[k], self.slot_of.pop(k)
        del self.occupant[(pair.project, s)], self.occupant[(pair.org, s)]
        self.left[s] += 1
        self.in_slot[s].discard(k)
        self.log.append(("take", k, s))

    def undo(self, mark: int) -> None:
        while len(self.log) > mark:
            action, k, s = self.log.pop()
            if action == "put":
                self.take(k)
            else:
                self.put(k, s)
            self.log.pop()

    def insert(self, k: int, depth: int, budget: list[int]) -> bool:
        """Place k, moving at most ``depth`` levels of meetings that stand in its way (ejection chains)."""
        pair = self.problem.pairs[k]
        for s in pair.slots:
            if self.free(k, s):
                self.put(k, s)
                return True
        if depth == 0:
            return False
        for s in pair.slots:
            blockers = {self.occupant.get((pair.project, s)), self.occupant.get((pair.org, s))} - {None}
            if self.FIXED in blockers:
                continue
            # a full slot without blockers: one of its meetings has to go elsewhere
            options = [sorted(blockers)] if blockers else [[m] for m in sorted(self.in_slot[s])]
            for moved in options:
                if budget[0] <= 0:
                    return False
                budget[0] -= 1
                mark = len(self.log)
                for m in moved:
                    self.take(m)
                self.put(k, s)
                if all(self.insert(m, depth - 1, budget) for m in moved):
                    return True
                self.undo(mark)
        return False


def _place(problem: Problem, chosen: list[int], weights: tuple[int, int, int], exact_next: bool) -> dict[int, int]:
    """Stage 2: chosen pairs into slots: first-fit (most constrained first), ejection chains, then CP-SAT."""
    from ortools.sat.python import cp_model  # imported on use: a web worker that never schedules skips ~60 MB
    order = sorted(chosen, key=lambda k: (len(problem.pairs[k].slots), -_pair_weight(problem.pairs[k], weights), k))
    placement = _Placement(problem)
    left_over = [k for k in order if not placement.insert(k, 0, [0])]
    budget = [20_000]                       # a count, not a clock: the same input takes the same path
    left_over = [k for k in left_over if not placement.insert(k, 3, budget)]
    placed = dict(placement.slot_of)
    if not left_over or exact_next:         # the full model will start from here anyway
        return placed
    n = len(chosen) + 1
    weight = {k: (n if problem.pairs[k].kind == "mutual" else 0) + 1 for k in chosen}
    model = cp_model.CpModel()
    x = {(k, s): model.NewBoolVar("") for k in chosen for s in problem.pairs[k].slots}
    by_person_slot, by_slot, by_pair = defaultdict(list), defaultdict(list), defaultdict(list)
    for (k, s), var in x.items():
        by_person_slot[(problem.pairs[k].project, s)].append(var)
        by_person_slot[(problem.pairs[k].org, s)].append(var)
        by_slot[s].append(var)
        by_pair[k].append(var)
    for lits in list(by_person_slot.values()) + list(by_pair.values()):
        model.AddAtMostOne(lits)
    left = _table_left(problem)
    for s, lits in by_slot.items():
        model.Add(sum(lits) <= left[s])
    model.Maximize(sum(weight[k] * var for (k, s), var in x.items()))
    for (k, s), var in x.items():
        model.AddHint(var, placed.get(k) == s)
    solver = _solver(PLACE_LIMIT)
    if solver.Solve(model) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        better = {k: s for (k, s), var in x.items() if solver.Value(var)}
        if sum(weight[k] for k in better) > sum(weight[k] for k in placed):
            return better
    return placed


def _full_model(problem: Problem, room: list[int], hint: dict[int, int],
                bounds: tuple[int, ...]) -> tuple[dict[int, int], int]:
    """Every candidate pair × common slot in one CP-SAT model, the four tiers solved one after another.

    Returns the placement and how many tiers, in order, are proven optimal (0–4). ``bounds`` are stage 1's
    values of tiers 1–3 (fixed meetings aside): while every earlier tier reached its bound, the next bound
    is valid too (the flow is the lexicographic optimum of a relaxation), and a tier that reaches its bound
    is proven without search.
    """
    from ortools.sat.python import cp_model  # imported on use: a web worker that never schedules skips ~60 MB
    model = cp_model.CpModel()
    x = {(k, s): model.NewBoolVar("") for k, pair in enumerate(problem.pairs)
         if room[pair.project] and room[pair.org] for s in pair.slots}
    by_person_slot, by_slot, by_pair, by_person = (defaultdict(list) for _ in range(4))
    for (k, s), var in x.items():
        pair = problem.pairs[k]
        for who in (pair.project, pair.org):
            by_person_slot[(who, s)].append(var)
            by_person[who].append(var)
        by_slot[s].append(var)
        by_pair[k].append(var)
    for lits in list(by_person_slot.values()) + list(by_pair.values()):
        model.AddAtMostOne(lits)
    for who, lits in by_person.items():
        model.Add(sum(lits) <= room[who])
    left = _table_left(problem)
    for s, lits in by_slot.items():
        model.Add(sum(lits) <= left[s])
    mutual = sum(var for (k, s), var in x.items() if problem.pairs[k].kind == "mutual")
    tiers = [mutual, sum(x.values()), sum(problem.pairs[k].pref * var for (k, s), var in x.items())]
    value_of = [lambda placed: sum(1 for k in placed if problem.pairs[k].kind == "mutual"), len,
                lambda placed: sum(problem.pairs[k].pref for k in placed)]
    tiers.append(sum(_evenness_terms(model, {i: sum(lits) for i, lits in by_person.items()}, room,
                                     len(problem.slot_ids))))
    current = dict(hint)
    proven = 0
    bounds = list(bounds)
    for tier, share in zip(tiers, FULL_BUDGET):
        bound = bounds[proven] if proven < len(bounds) else None
        if bound is not None and value_of[proven](current) == bound:
            proven += 1
            model.Add(tier >= bound)
            continue
        if bound is not None:
            model.Add(tier <= bound)
        model.ClearHints()
        for (k, s), var in x.items():
            model.AddHint(var, current.get(k) == s)
        model.Maximize(tier)
        solver = _solver(share)
        status = solver.Solve(model)
        if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            break
        current = {k: s for (k, s), var in x.items() if solver.Value(var)}
        value = round(solver.ObjectiveValue())
        if status != cp_model.OPTIMAL and value != bound:
            break
        proven += 1
        bounds = bounds if value == bound else []       # a lower tier value voids the later bounds
        model.Add(tier >= value)
    return current, proven


def _fill(problem: Problem, room: list[int], placed: dict[int, int]) -> dict[int, int]:
    """Maximality: add every candidate pair that still fits (mutual first, then by preference)."""
    busy = _fixed_busy(problem)
    left = _table_left(problem)
    count = defaultdict(int)
    for k, s in placed.items():
        pair = problem.pairs[k]
        busy |= {(pair.project, s), (pair.org, s)}
        left[s] -= 1
        count[pair.project] += 1
        count[pair.org] += 1
    for k in sorted(range(len(problem.pairs)), key=lambda k: (problem.pairs[k].kind != "mutual",
                                                               -problem.pairs[k].pref, k)):
        pair = problem.pairs[k]
        if k in placed or count[pair.project] >= room[pair.project] or count[pair.org] >= room[pair.org]:
            continue
        for s in pair.slots:
            if left[s] > 0 and (pair.project, s) not in busy and (pair.org, s) not in busy:
                placed[k] = s
                left[s] -= 1
                busy |= {(pair.project, s), (pair.org, s)}
                count[pair.project] += 1
                count[pair.org] += 1
                break
    return placed


# --------------------------------------------------------------------------------------------- output

def _tables(problem: Problem, placed: dict[int, int]) -> list[tuple[int, int, int, int, str]]:
    """Every meeting as (project, org, slot, table, kind): fixed as given; an organisation keeps its table."""
    taken = {(s, t) for _p, _o, s, t, _k in problem.fixed}
    home = {}
    for p, o, s, t, _k in sorted(problem.fixed, key=lambda m: m[2]):
        home[o] = t
    meetings = list(problem.fixed)
    by_slot = defaultdict(list)
    for k, s in placed.items():
        by_slot[s].append(k)
    for s in sorted(by_slot):
        for k in sorted(by_slot[s], key=lambda k: (problem.pairs[k].org not in home, k)):
            pair = problem.pairs[k]
            table = home.get(pair.org)
            if table is None or (s, table) in taken:
                table = next(t for t in range(problem.tables) if (s, t) not in taken)
            taken.add((s, table))
            home[pair.org] = table
            meetings.append((pair.project, pair.org, s, table, pair.kind))
    meetings.sort(key=lambda m: (m[2], m[3]))
    return meetings


def _why(problem: Problem, room_total: list[int], count, busy, cells, pair: Pair) -> str:
    if count[pair.project] >= room_total[pair.project] or count[pair.org] >= room_total[pair.org]:
        return "cap_reached"
    common = sorted(problem.available[pair.project] & problem.available[pair.org])
    if not common:
        return "no_common_slot"
    free = [s for s in common if (pair.project, s) not in busy and (pair.org, s) not in busy]
    if not free:
        return "slots_taken"
    if all(cells[s] >= problem.tables for s in free):
        return "table_full"
    return "not_selected"


def _schedule(problem: Problem, meetings: list, started: float, extra: dict) -> dict:
    ids, slot_ids = problem.ids, problem.slot_ids
    out = [{"project": ids[p], "organisation": ids[o], "slot": slot_ids[s], "table": t, "kind": k}
           for p, o, s, t, k in meetings]
    met = {(p, o) for p, o, *_ in meetings}
    # the cap as set (none: unlimited); a side whose every slot is taken is "slots_taken", not "cap_reached"
    room_total = [float("inf") if p.get("cap") is None else p["cap"] for p in problem.instance["participants"]]
    # a fixed meeting may exceed a cap: the cap is then simply reached
    count, busy, cells = defaultdict(int), set(), defaultdict(int)
    for p, o, s, _t, _k in meetings:
        count[p] += 1
        count[o] += 1
        busy |= {(p, s), (o, s)}
        cells[s] += 1
    unscheduled = []
    todo = [(pair.project, pair.org, pair) for pair in problem.pairs if (pair.project, pair.org) not in met]
    todo += [(p, o, None) for p, o in problem.declined]
    for p, o, pair in sorted(todo, key=lambda t: (t[0], t[1])):
        why = "declined" if pair is None else _why(problem, room_total, count, busy, cells, pair)
        unscheduled.append({"project": ids[p], "organisation": ids[o], "why": why})
    schedule = {"meetings": out, "unscheduled": unscheduled}
    mutual_pairs = sum(1 for pair in problem.pairs if pair.kind == "mutual") + \
        sum(1 for p, o, *_ in problem.fixed if _kind(problem, p, o) == "mutual")
    schedule["report"] = {
        "mutual_possible": mutual_pairs,
        "mutual_scheduled": sum(1 for m in out if m["kind"] == "mutual"),
        "one_sided_scheduled": sum(1 for m in out if m["kind"] == "one_sided"),
        "blocking_pairs": _blocking(problem, meetings),
        "preference": sum(problem.pref(p, o) + problem.pref(o, p) for p, o, *_ in meetings),
        "seconds": round(time.perf_counter() - started, 3),
        "fixed_conflicts": _fixed_conflicts(problem),
        **extra,
    }
    return schedule


def _fixed_conflicts(problem: Problem) -> list[dict]:
    """Fixed meetings kept although a side is now unavailable in their slot or one side marked the other "no"."""
    out = []
    for p, o, s, _t, _k in problem.fixed:
        for why, holds in (("unavailable", s not in problem.available[p] or s not in problem.available[o]),
                           ("declined", "no" in (problem.mark.get((p, o), ("open",))[0],
                                                 problem.mark.get((o, p), ("open",))[0]))):
            if holds:
                out.append({"project": problem.ids[p], "organisation": problem.ids[o],
                            "slot": problem.slot_ids[s], "why": why})
    return out


def _blocking(problem: Problem, meetings: list) -> int:
    worst = {}
    for p, o, *_ in meetings:
        worst[p] = min(worst.get(p, 99), problem.pref(p, o))
        worst[o] = min(worst.get(o, 99), problem.pref(o, p))
    met = {(p, o) for p, o, *_ in meetings}
    return sum(1 for pair in problem.pairs if (pair.project, pair.org) not in met
               and problem.pref(pair.project, pair.org) > worst.get(pair.project, 99)
               and problem.pref(pair.org, pair.project) > worst.get(pair.org, 99))


# --------------------------------------------------------------------------------------------- public API

def solve(instance: dict) -> dict:
    """The optimal schedule of an INSTANCE (see the module docstring): SCHEDULE JSON with a report."""
    started = time.perf_counter()
    validate(instance)
    problem = _problem(instance)
    room = _room(problem)
    fixed_mutual = sum(1 for p, o, *_ in problem.fixed if _kind(problem, p, o) == "mutual")
    for spread in (True, False):            # tier 4 in the flow unless its weights overflow 64-bit costs
        weights = _tier_weights(problem, room, spread)
        chosen = _choose_pairs(problem, room, weights, spread)
        if chosen is not None:
            break
    # stage 1's mutual count is an upper bound for the real problem (None: the flow could not run)
    new_bound = None if chosen is None else sum(1 for k in chosen if problem.pairs[k].kind == "mutual")
    small = sum(len(pair.slots) for pair in problem.pairs) <= FULL_MODEL_LIMIT
    placed = _place(problem, chosen, weights, exact_next=small) if chosen else {}
    if chosen is not None and len(placed) == len(chosen):
        stage, proven, mutual_proven = "two_stage", True, True
    elif small:
        bounds = () if chosen is None else (new_bound, len(chosen), sum(problem.pairs[k].pref for k in chosen))
        placed, tiers = _full_model(problem, room, _fill(problem, room, dict(placed)), bounds)
        stage, proven, mutual_proven = "full", tiers >= 3, tiers >= 1
    else:
        stage, proven = "two_stage_partial", False
        mutual_proven = new_bound == sum(1 for k in placed if problem.pairs[k].kind == "mutual")
    placed = _fill(problem, room, placed)
    meetings = _tables(problem, placed)
    bound = None if new_bound is None else new_bound + fixed_mutual
    return _schedule(problem, meetings, started, {"mutual_bound": bound, "proven_optimal": proven,
                                                  "mutual_optimal": mutual_proven, "stage": stage})


def blocking_pairs(instance: dict, schedule: dict) -> int:
    """Pairs without a meeting that both rank each other above one of their scheduled meetings."""
    validate(instance)
    problem = _problem(instance)
    index = {pid: i for i, pid in enumerate(problem.ids)}
    meetings = [(index[m["project"]], index[m["organisation"]]) for m in schedule["meetings"]]
    return _blocking(problem, meetings)


def greedy(instance: dict, mutual_first: bool = False) -> dict:
    """The b2match-style baseline: want-requests in arrival order, each in the first free common slot.

    ``mutual_first``: the stronger first-fit that takes the requests of mutual pairs before the others.
    """
    started = time.perf_counter()
    validate(instance)
    problem = _problem(instance)
    index = {pid: i for i, pid in enumerate(problem.ids)}
    by_pair = {(pair.project, pair.org): k for k, pair in enumerate(problem.pairs)}
    room = _room(problem)
    busy, left = _fixed_busy(problem), _table_left(problem)
    count = defaultdict(int)
    placed = {}
    requests = []
    for m in instance.get("marks", []):
        if m["mark"] != "want":
            continue
        a, b = index[m["from"]], index[m["to"]]
        k = by_pair.get((a, b) if problem.side[a] == "project" else (b, a))
        if k is not None:
            requests.append(k)
    if mutual_first:
        requests.sort(key=lambda k: problem.pairs[k].kind != "mutual")
    for k in requests:
        if k in placed:
            continue
        pair = problem.pairs[k]
        if count[pair.project] >= room[pair.project] or count[pair.org] >= room[pair.org]:
            continue
        for s in pair.slots:
            if left[s] > 0 and (pair.project, s) not in busy and (pair.org, s) not in busy:
                placed[k] = s
                left[s] -= 1
                busy |= {(pair.project, s), (pair.org, s)}
                count[pair.project] += 1
                count[pair.org] += 1
                break
    meetings = sorted([(problem.pairs[k].project, problem.pairs[k].org, s, 0, problem.pairs[k].kind)
                       for k, s in placed.items()], key=lambda m: (m[2], m[0]))
    meetings = _greedy_tables(problem, meetings)
    return _schedule(problem, meetings, started, {"mutual_bound": None, "proven_optimal": False,
                                                  "mutual_optimal": False,
                                                  "stage": "greedy_mutual_first" if mutual_first else "greedy"})


def _greedy_tables(problem: Problem, meetings: list) -> list:
    taken = {(s, t) for _p, _o, s, t, _k in problem.fixed}
    out = list(problem.fixed)
    for p, o, s, _t, k in meetings:
        table = next(t for t in range(problem.tables) if (s, t) not in taken)
        taken.add((s, table))
        out.append((p, o, s, table, k))
    out.sort(key=lambda m: (m[2], m[3]))
    return out
