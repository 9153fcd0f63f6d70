"""The Python API of arbitration support for the web layer and the CLI.

Every function returns plain JSON-able data (money as integer cents ``*_c`` and exact
euro strings, scores as decimal strings). Invalid parameters raise
``domain.errors.InvalidValue`` (HTTP 422) naming the field; a missing scenario is
``None``; the ledger's own errors (``NotAllowed``, ``AlreadyExists``…) pass through.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

from domain.errors import InvalidValue
from optimiser import robustness as rob
from optimiser.explain import why_nothing
from optimiser.frontier import frontier as frontier_points
from optimiser.frontier import scales
from optimiser.inputs import Inputs, Parameters, from_views
from optimiser.model import Problem, ProblemError
from optimiser.scenarios import compute_and_record
from optimiser.solve import solve
from projections import scenario_queries as sq
from projections.store import ViewStore


@contextmanager
def _invalid_as_domain_error() -> Iterator[None]:
    try:
        yield
    except ProblemError as exc:
        raise InvalidValue(exc.field, str(exc), "paramètre refusé") from None
    except (ArithmeticError, ValueError) as exc:
        raise InvalidValue("parameters", str(exc), "paramètre refusé") from None


def run_scenario(
    ledger: Any,
    caller: Any,
    code: str,
    *,
    store: ViewStore,
    **parameters: Any,
) -> dict[str, Any]:
    """Compute a scenario from the views and record it (DSI or chair); the command's
    result data.

    ``parameters``: label, risk_weight, window, forced_in, forced_out ({code: reason}
    or [[code, reason]]), grid_version, budget_scale, time_limit (seconds)."""
    result = compute_and_record(ledger, caller, code, store=store, **parameters)
    return {**result.data, "notification_id": result.notification_id}


def list_scenarios(store: ViewStore) -> list[dict[str, Any]]:
    """Every recorded scenario, newest first."""
    return sq.scenarios(store)


def get_scenario(store: ViewStore, code: str) -> dict[str, Any] | None:
    """One scenario with its optimum, its greedy fill and the contrast between them;
    ``empty_reason`` says why its optimum selects nothing (None when it selects
    projects or has no plan)."""
    doc = sq.scenario(store, code)
    if doc is None:
        return None
    reason = None
    if doc.get("inputs") and not doc["optimum"]["selection"]:
        reason = why_nothing(
            Problem.from_dict(doc["inputs"]),
            {"status": doc["status"], "selection": []},
        )
    return {**doc, "empty_reason": reason}


def compare_scenarios(
    store: ViewStore, codes: list[str], *, greedy: bool = True
) -> dict[str, Any]:
    """Scenarios side by side (projects, value, budget per year, capacity per team)."""
    return sq.compare(store, list(codes), greedy=greedy)


def inputs(store: ViewStore, **parameters: Any) -> Inputs:
    """The optimiser's inputs as the views stand, for the given parameters."""
    with _invalid_as_domain_error():
        return from_views(store, Parameters.parse(**parameters))


def frontier(
    store: ViewStore,
    *,
    low: Any = "0.5",
    high: Any = "1.5",
    steps: int = 11,
    **parameters: Any,
) -> dict[str, Any]:
    """Best value (and greedy value) against the total envelope, for envelopes scaled
    from ``low`` to ``high`` in ``steps`` points."""
    with _invalid_as_domain_error():
        lo, hi = Decimal(str(low)), Decimal(str(high))
        if not 0 <= lo <= hi <= 10 or not 1 <= int(steps) <= 101:
            raise ProblemError(
                "scales", f"Échelles invalides : {low} – {high} ({steps})."
            )
        data = inputs(store, **parameters)
        limit = Parameters.parse(**parameters).time_limit
        points = frontier_points(
            data.problem, scales(lo, hi, int(steps)), time_limit=limit
        )
    for p in points:
        p["envelope"] = sq.euros(p["envelope_c"])
        p["available"] = sq.euros(p["available_c"])
        p["cost"] = sq.euros(p["cost_c"])
    return {"source": data.source, "points": points}


def robustness(
    store: ViewStore,
    *,
    draws: int = 200,
    seed: int = 1,
    spread: Any = "0.25",
    bounds: Mapping[str, tuple[Any, Any]] | None = None,
    tolerance: Any = "0.1",
    **parameters: Any,
) -> dict[str, Any]:
    """For the adopted grid: each criterion's weight interval keeping the selection,
    Monte Carlo selection frequencies (weights within ``bounds``, default ± ``spread``
    of each weight), and where evaluators disagree most."""
    with _invalid_as_domain_error():
        data = inputs(store, **parameters)
        if data.grid is None:
            raise ProblemError("grid_version", "Aucune grille adoptée.")
        grid = data.grid
        limit = Parameters.parse(**parameters).time_limit
        if not 0 <= int(draws) <= 10_000:
            raise ProblemError("draws", f"Nombre de tirages invalide : {draws}.")
        chosen = rob.default_bounds(grid, Decimal(str(spread)))
        for code, (lo, hi) in (bounds or {}).items():
            if code not in chosen:
                raise ProblemError("bounds", f"Critère inconnu : {code}.")
            chosen[code] = (Decimal(str(lo)), Decimal(str(hi)))
        problem = data.problem.with_values(grid.values(grid.weights))
        base = solve(problem, time_limit=limit)
        intervals = rob.weight_intervals(
            data.problem, grid, tolerance=Decimal(str(tolerance)), time_limit=limit
        )
        mc = rob.monte_carlo(
            data.problem,
            grid,
            chosen,
            draws=int(draws),
            seed=int(seed),
            time_limit=limit,
        )
        spreads = rob.disagreement(grid, {c.code for c in data.problem.candidates})
    return {
        "source": data.source,
        "grid_version": grid.version,
        "baseline": {
            "status": base.status,
            "selection": sorted(base.codes),
            "objective": None
            if base.objective is None
            else format(base.objective, "f"),
        },
        "intervals": intervals,
        "monte_carlo": mc,
        "disagreement": spreads,
    }
