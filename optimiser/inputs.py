"""Build the optimiser's inputs from the read side (the live views, or as of a date)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from domain.arbitration import ACTIVE
from domain.errors import InvalidValue
from domain.proposals import CANDIDATES, Status
from domain.scoring import share
from domain.values import decimal_value
from optimiser.model import (
    Budget,
    Candidate,
    CostLine,
    Existing,
    Forced,
    Problem,
    ProblemError,
    TeamCapacity,
    Unavailable,
    WorkLine,
)
from optimiser.robustness import Criterion, CriterionScore, Grid
from projections import queries as q
from projections.store import ViewStore

CANDIDATE_STATUSES = Status.names(CANDIDATES)
EXISTING_STATUSES = Status.names(ACTIVE)
MAX_WINDOW = 10


@dataclass(frozen=True)
class Parameters:
    """What a user chooses for a scenario (all recorded with it)."""

    risk_weight: Decimal = Decimal(0)
    window: int = 0
    forced_in: tuple[Forced, ...] = ()
    forced_out: tuple[Forced, ...] = ()
    grid_version: int | None = None
    budget_scale: Decimal = Decimal(1)
    time_limit: int | None = None

    @classmethod
    def parse(
        cls,
        *,
        risk_weight: Any = "0",
        window: Any = 0,
        forced_in: Any = None,
        forced_out: Any = None,
        grid_version: Any = None,
        budget_scale: Any = "1",
        time_limit: Any = None,
    ) -> Parameters:
        """Validate plain values (form, API, CLI); ProblemError names the field."""
        return cls(
            risk_weight=_decimal(risk_weight, "risk_weight", low=Decimal(0)),
            window=_int(window, "window", 0, MAX_WINDOW),
            forced_in=_forced(forced_in, "forced_in"),
            forced_out=_forced(forced_out, "forced_out"),
            grid_version=None
            if grid_version in (None, "")
            else _int(grid_version, "grid_version", 1, 10_000),
            budget_scale=_decimal(budget_scale, "budget_scale", low=Decimal(0)),
            time_limit=None
            if time_limit in (None, "")
            else _int(time_limit, "time_limit", 1, 86_400),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "risk_weight": format(self.risk_weight, "f"),
            "window": self.window,
            "forced_in": [[f.code, f.reason] for f in sorted(self.forced_in)],
            "forced_out": [[f.code, f.reason] for f in sorted(self.forced_out)],
            "grid_version": self.grid_version,
            "budget_scale": format(self.budget_scale, "f"),
            "time_limit": self.time_limit,
        }


@dataclass(frozen=True)
class Inputs:
    """The problem, the grid it was valued with, and where the data came from."""

    problem: Problem
    grid: Grid | None
    source: dict[str, Any]


def _decimal(value: Any, field: str, *, low: Decimal) -> Decimal:
    """The domain's exact decimals (``1.1``, ``1,1``; never ``1e2``, ``1_0``, a float
    or another script's digits)."""
    if isinstance(value, bool | float):
        raise ProblemError(field, f"« {field} » : nombre décimal exact attendu.")
    try:
        d = decimal_value(value, field)
    except InvalidValue:
        raise ProblemError(field, f"« {field} » : nombre décimal attendu.") from None
    if not d.is_finite() or d < low or d > 1000:
        raise ProblemError(field, f"« {field} » : valeur hors limites ({value}).")
    return d


def _int(value: Any, field: str, low: int, high: int) -> int:
    """An integer, or its ASCII digits (never ``10.9``, ``1_0``, `` 1`` or ``١``)."""
    if isinstance(value, bool) or not (
        isinstance(value, int)
        or (isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,12}", value))
    ):
        raise ProblemError(field, f"« {field} » : entier attendu.")
    n = int(value)
    if not low <= n <= high:
        raise ProblemError(field, f"« {field} » : entre {low} et {high}.")
    return n


def _forced(value: Any, field: str) -> tuple[Forced, ...]:
    """``{code: reason}`` or ``[[code, reason], …]`` or ``[{code, reason}, …]``."""
    if value in (None, "", [], {}):
        return ()
    items: list[Any] = list(value.items()) if isinstance(value, dict) else list(value)
    out = []
    for item in items:
        if isinstance(item, dict):
            item = (item.get("code"), item.get("reason"))
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise ProblemError(
                field, f"« {field} » : paires (projet, motif) attendues."
            )
        code, reason = item
        if (
            not isinstance(code, str)
            or not isinstance(reason, str)
            or not reason.strip()
        ):
            raise ProblemError(field, f"« {field} » : motif obligatoire pour {code}.")
        out.append(Forced(code, reason.strip()))
    return tuple(sorted(out))


def adopted_grid_version(store: ViewStore) -> int | None:
    """The adopted grid in force (the highest adopted version)."""
    adopted = [g["number"] for g in q.grids(store) if g.get("status") == "adopted"]
    return max(adopted) if adopted else None


def views_position(store: ViewStore) -> int:
    """The ledger position the views stand at."""
    rows = q.tracking(store)
    return min((r["position"] for r in rows), default=0)


def from_views(store: ViewStore, params: Parameters) -> Inputs:
    """Candidates, envelopes, capacities and dependencies as the views stand."""
    grid_version = params.grid_version or adopted_grid_version(store)
    plan = q.plan(store) or {}
    last_year = plan.get("last_year")
    rows = q.portfolio(store)
    candidates = []
    docs: dict[str, dict[str, Any]] = {}
    for row in rows:
        if row["status"] not in CANDIDATE_STATUSES:
            continue
        doc = q.proposal(store, row["code"]) or {}
        docs[row["code"]] = doc
        candidates.append(_candidate(doc, grid_version, params.window, last_year))
    existing = tuple(
        Existing(r["code"], r["first_year"] or plan.get("first_year") or 0, r["status"])
        for r in rows
        if r["status"] in EXISTING_STATUSES
    )
    unavailable = tuple(
        Unavailable(r["code"], r["status"])
        for r in rows
        if r["status"] not in EXISTING_STATUSES + CANDIDATE_STATUSES
    )
    budgets = tuple(
        Budget(
            e["year"], e["section"], int(e["available"] * 100), int(e["total"] * 100)
        )
        for e in q.envelopes(store)
    )
    capacities = tuple(
        TeamCapacity(c["team"], c["year"], int(c["capacity"]) - int(c["workload"]))
        for c in q.capacity(store)
    )
    problem = Problem(
        candidates=tuple(candidates),
        budgets=budgets,
        capacities=capacities,
        existing=existing,
        unavailable=unavailable,
        forced_in=params.forced_in,
        forced_out=params.forced_out,
        risk_weight=params.risk_weight,
    )
    if params.budget_scale != 1:
        problem = problem.with_scaled_budgets(params.budget_scale)
    problem = problem.validate().normalised()
    grid = _grid(store, grid_version, docs) if grid_version else None
    source = {
        "grid_version": grid_version,
        "views_position": views_position(store),
        "statuses": list(CANDIDATE_STATUSES),
    }
    return Inputs(problem, grid, source)


def _candidate(
    doc: dict[str, Any], grid_version: int | None, window: int, last_year: int | None
) -> Candidate:
    consolidated = (doc.get("consolidated") or {}).get(str(grid_version)) or {}
    costs = tuple(
        CostLine(c["year"], c["section"], int(c["amount_c"])) for c in doc["costs"]
    )
    workloads = tuple(
        WorkLine(w["team"], w["year"], int(w["days"])) for w in doc["workloads"]
    )
    years = [c.year for c in costs] + [w.year for w in workloads]
    start = min(years) if years else 0
    end = max(years) if years else 0
    starts = [
        start + k
        for k in range(window + 1)
        if k == 0 or last_year is None or end + k <= last_year
    ]
    deps = doc.get("dependencies") or []
    return Candidate(
        code=doc["code"],
        title=doc["content"]["title"],
        value=_x100(consolidated.get("value_x100")),
        risk=_x100(consolidated.get("risk_x100")),
        start=start,
        starts=tuple(starts),
        costs=costs,
        workloads=workloads,
        requires=tuple(d["proposal"] for d in deps if d["kind"] == "requires"),
        excludes=tuple(d["proposal"] for d in deps if d["kind"] == "excludes"),
        mandatory=bool(doc["content"].get("mandatory")),
    )


def _x100(value: int | None) -> Decimal:
    return (
        Decimal(0)
        if value is None
        else (Decimal(value) / 100).quantize(Decimal("0.01"))
    )


def _grid(
    store: ViewStore, version: int, docs: dict[str, dict[str, Any]]
) -> Grid | None:
    grid = next((g for g in q.grids(store) if g["number"] == version), None)
    if grid is None:
        return None
    criteria = []
    scale: dict[str, tuple[int, int]] = {}
    for code, c in sorted(grid["criteria"].items()):
        criteria.append(Criterion(code, c["family"], Decimal(c["weight"]), c["label"]))
        levels = [lv["level"] for lv in c["scale"]]
        scale[code] = (min(levels), max(levels))
    scores = []
    for proposal, doc in sorted(docs.items()):
        per = ((doc.get("consolidated") or {}).get(str(version)) or {}).get(
            "criteria", {}
        )
        for code, s in sorted(per.items()):
            if code not in scale or s.get("mean_x100") is None:
                continue
            low, high = scale[code]
            width = Decimal(high - low) or Decimal(1)
            # the exact mean (sum / n) where the views have it, as the value's formula
            exact = (
                Fraction(s["sum"], s["n"])
                if s.get("sum") is not None and s.get("n")
                else Fraction(s["mean_x100"], 100)
            )
            mean = share(exact, low, high)
            spread = Decimal(s["spread"]) / width
            scores.append(
                CriterionScore(
                    proposal,
                    code,
                    mean,
                    spread.quantize(Decimal("0.000001")),
                    int(s["n"]),
                )
            )
    return Grid(version, tuple(criteria), tuple(scores))
