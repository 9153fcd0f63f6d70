"""Benchmark the optimiser: 300 candidates × 6 years × 2 sections × 8 teams.

Generated instances (seeded): each candidate has a 1–4-year cost profile on both
sections, a workload on 1–3 of the 8 teams, a start window of 0–2 years, about 15 % of
candidates require another one (not before it), 3 % exclude one, 2 % are mandatory;
the envelopes and the capacities cover about 35 % of the demand, so they bind. For
each seed the script measures, in the same run: the time HiGHS takes to prove the
optimum (or the remaining gap when the time budget runs out), the greedy fill's value
and time, and checks both plans exactly with the independent checker.

    .venv/bin/python benchmarks/optimiser.py                # seeds 1-3, 60 s budget
    .venv/bin/python benchmarks/optimiser.py --seeds 1 --time-limit 10 --candidates 300
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/http.py must not shadow the standard library's ``http``: the repository
# root goes on the path in place of this directory.
sys.path[:] = [
    str(ROOT),
    *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"),
]

from optimiser import (  # noqa: E402 - after the path is set
    Budget,
    Candidate,
    CostLine,
    Problem,
    TeamCapacity,
    WorkLine,
    check,
    greedy,
    solve,
)
from optimiser.solve import Model  # noqa: E402

YEARS = tuple(range(2025, 2031))
SECTIONS = ("investissement", "fonctionnement")
TEAMS = tuple(f"T{i}" for i in range(1, 9))


def generate(seed: int, n: int = 300, tightness: float = 0.35) -> Problem:
    """A reproducible instance of ``n`` candidates."""
    rng = random.Random(seed)
    candidates = []
    codes = [f"P{i:03d}" for i in range(n)]
    for i, code in enumerate(codes):
        length = rng.randint(1, 4)
        start = rng.choice(YEARS[: len(YEARS) - length + 1])
        window = min(rng.choice((0, 1, 1, 2)), YEARS[-1] - (start + length - 1))
        size = rng.lognormvariate(11.5, 0.8)  # cents per year, ~1 k€ to ~1 M€
        costs = []
        for k in range(length):
            costs.append(
                CostLine(start + k, "investissement", int(size * rng.uniform(0.6, 1.4)))
            )
            if k:
                costs.append(CostLine(start + k, "fonctionnement", int(size * 0.08)))
        workloads = [
            WorkLine(team, start + k, rng.randint(5, 60))
            for team in rng.sample(TEAMS, rng.randint(1, 3))
            for k in range(length)
        ]
        earlier = codes[:i]
        requires = (rng.choice(earlier),) if earlier and rng.random() < 0.15 else ()
        excludes = (
            (rng.choice(earlier),)
            if earlier and rng.random() < 0.03 and not requires
            else ()
        )
        value = Decimal(rng.randint(500, 10_000)) / 100
        candidates.append(
            Candidate(
                code=code,
                title=code,
                value=value,
                risk=Decimal(rng.randint(0, 10_000)) / 100,
                start=start,
                starts=tuple(range(start, start + window + 1)),
                costs=tuple(costs),
                workloads=tuple(workloads),
                requires=requires,
                excludes=excludes,
                mandatory=rng.random() < 0.02 and not requires and not excludes,
            )
        )
    demand_money: dict[tuple[int, str], int] = {}
    demand_days: dict[tuple[str, int], int] = {}
    for c in candidates:
        for line in c.costs:
            key = (line.year, line.section)
            demand_money[key] = demand_money.get(key, 0) + line.cents
        for w in c.workloads:
            k2 = (w.team, w.year)
            demand_days[k2] = demand_days.get(k2, 0) + w.days
    mandatory_money: dict[tuple[int, str], int] = {}
    for c in candidates:
        if c.mandatory:
            for line in c.costs:
                key = (line.year, line.section)
                mandatory_money[key] = mandatory_money.get(key, 0) + line.cents
    budgets = tuple(
        Budget(
            y,
            s,
            int(demand_money.get((y, s), 0) * tightness)
            + mandatory_money.get((y, s), 0),
        )
        for y in YEARS
        for s in SECTIONS
    )
    capacities = tuple(
        TeamCapacity(t, y, int(demand_days.get((t, y), 0) * tightness) + 120)
        for t in TEAMS
        for y in YEARS
    )
    return Problem(
        candidates=tuple(candidates),
        budgets=budgets,
        capacities=capacities,
        risk_weight=Decimal("0.2"),
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--candidates", type=int, default=300)
    parser.add_argument(
        "--time-limit", type=float, default=60.0, help="seconds per solve"
    )
    parser.add_argument("--tightness", type=float, default=0.35)
    args = parser.parse_args(argv)
    header = (
        f"{'seed':>4} {'vars':>5} {'rows':>5} {'status':>10} {'seconds':>8} {'gap':>9}"
        f" {'nodes':>7} {'optimum':>10} {'greedy':>10} {'gain':>7} {'g.sec':>6}"
        f" {'sel.':>4} {'g.sel':>5} {'checks':>6}"
    )
    print(
        f"{args.candidates} candidates × {len(YEARS)} years × {len(SECTIONS)} sections"
        f" × {len(TEAMS)} teams, time budget {args.time_limit:g} s per solve"
    )
    print(header)
    print("-" * len(header))
    for seed in args.seeds:
        problem = generate(seed, args.candidates, args.tightness)
        model = Model.build(problem)
        rows = len(model.of_code) + sum(len(g) for g in model.groups.values())
        started = time.perf_counter()
        best = solve(problem, time_limit=args.time_limit)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        fill = greedy(problem)
        greedy_seconds = time.perf_counter() - started
        ok = not check(problem, best.selection) and not check(problem, fill.selection)
        gain = (
            (best.objective - fill.objective) / fill.objective * 100
            if best.objective is not None and fill.objective
            else Decimal(0)
        )
        gap = "-" if best.gap is None else f"{float(best.gap) * 100:.3f}%"
        print(
            f"{seed:>4} {len(model.variables):>5} {rows:>5} {best.status:>10} {seconds:>8.2f}"
            f" {gap:>9} {best.nodes:>7} {float(best.objective or 0):>10.2f}"
            f" {float(fill.objective or 0):>10.2f} {float(gain):>6.2f}% {greedy_seconds:>6.2f}"
            f" {len(best.selection):>4} {len(fill.selection):>5} {'ok' if ok else 'FAIL':>6}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
