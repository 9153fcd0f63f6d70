"""The greedy baseline: rank by score and fill, as a spreadsheet would."""

from __future__ import annotations

import time

from optimiser.check import check
from optimiser.model import Problem, Result, selection_totals

GREEDY = "greedy"
GREEDY_VERSION = "rank-and-fill 1"


def greedy(problem: Problem) -> Result:
    """Forced items first, then by decreasing score (code breaks ties); each taken at
    its earliest start year that keeps every constraint, or skipped."""
    started = time.perf_counter()
    p = problem.validate().normalised()
    must = p.must_select()
    out = {f.code for f in p.forced_out}
    order = sorted(
        p.candidates,
        key=lambda c: (c.code not in must, -p.score(c), c.code),
    )
    chosen: list[tuple[str, int]] = []
    missed: list[str] = []
    for c in order:
        if c.code in out or (c.code not in must and p.score(c) <= 0):
            continue
        for start in c.start_years:
            trial = [*chosen, (c.code, start)]
            # only the constraints a partial plan can already break
            if not [v for v in check(p, trial) if v.kind != "forced_in"]:
                chosen = trial
                break
        else:
            if c.code in must:
                missed.append(c.code)
    selection = tuple(sorted(chosen))
    objective, value, risk = selection_totals(p, selection)
    notes: tuple[str, ...] = ()
    status = "feasible"
    if missed:
        status = "infeasible"
        notes = ("projets imposés non placés : " + ", ".join(missed),)
    return Result(
        status=status,
        selection=selection,
        objective=objective,
        value=value,
        risk=risk,
        solver=GREEDY,
        solver_version=GREEDY_VERSION,
        notes=notes,
        seconds=time.perf_counter() - started,
    )
