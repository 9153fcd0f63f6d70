"""How robust a selection is to the grid's weights, and where evaluators disagree.

- Weight intervals: one criterion at a time, its weight moves while the other criteria
  of its family share the rest in their adopted proportions (the family total is kept);
  bisection finds how far it can move before the selection changes.
- Monte Carlo: every weight drawn uniformly within bounds the user agreed, N seeded
  draws; each project's selection frequency gives core / borderline / out.
- Disagreement: the spread (max − min level, as a share of the scale) of the
  consolidated scores, per criterion and proposal.

See docs/optimiser.md for why bisection is exact up to its tolerance.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Any

from domain.scoring import score
from optimiser.model import Problem
from optimiser.solve import solve

CORE, OUT = Decimal("0.9"), Decimal("0.1")


@dataclass(frozen=True, order=True)
class Criterion:
    """A criterion of the adopted grid: family (value or risk) and weight."""

    code: str
    family: str
    weight: Decimal
    label: str = ""


@dataclass(frozen=True, order=True)
class CriterionScore:
    """A proposal's consolidated score on a criterion, as a share of the scale."""

    proposal: str
    criterion: str
    # (mean level − lowest) / (highest − lowest), in [0, 1]: exact (the share of the
    # exact mean, as domain.scoring takes it), never rounded before the score is
    mean: Fraction | Decimal
    spread: Decimal  # (max − min level) / (highest − lowest), in [0, 1]
    evaluators: int


@dataclass(frozen=True)
class Grid:
    """The adopted grid and the consolidated scores of the candidates on it."""

    version: int
    criteria: tuple[Criterion, ...]
    scores: tuple[CriterionScore, ...]

    @property
    def weights(self) -> dict[str, Decimal]:
        return {c.code: c.weight for c in self.criteria}

    def values(
        self, weights: Mapping[str, Decimal]
    ) -> dict[str, tuple[Decimal, Decimal]]:
        """(value, risk) on 0–100 of every scored proposal under ``weights``: the
        formula and the rounding of ``domain.scoring`` (:func:`~domain.scoring.score`,
        to the hundredth: at the adopted weights, exactly the values the portfolio
        shows and the scenario was solved with; no value unless every criterion of the
        family is scored: 0 here)."""
        shares: dict[str, dict[str, Fraction | Decimal]] = {}
        known = {c.code for c in self.criteria}
        for s in self.scores:
            if s.criterion in known:
                shares.setdefault(s.proposal, {})[s.criterion] = s.mean
        out = {}
        for proposal, per in sorted(shares.items()):
            value, risk = (
                score(
                    (
                        Fraction(weights[c.code]),
                        Fraction(per[c.code]) if c.code in per else None,
                    )
                    for c in self.criteria
                    if c.family == f
                )
                for f in ("value", "risk")
            )
            out[proposal] = (
                value if value is not None else Decimal(0),
                risk if risk is not None else Decimal(0),
            )
        return out


def _selection(
    problem: Problem,
    grid: Grid,
    weights: Mapping[str, Decimal],
    time_limit: float | None,
) -> frozenset[str]:
    result = solve(problem.with_values(grid.values(weights)), time_limit=time_limit)
    return result.codes


def moved(grid: Grid, code: str, t: Decimal) -> dict[str, Decimal]:
    """The weights with ``code`` at ``t`` and its family's others renormalised."""
    crit = {c.code: c for c in grid.criteria}[code]
    family = [c for c in grid.criteria if c.family == crit.family]
    total = sum((c.weight for c in family), Decimal(0))
    rest = total - crit.weight
    out = dict(grid.weights)
    for c in family:
        if c.code == code:
            out[c.code] = t
        elif rest:
            out[c.code] = c.weight * (total - t) / rest
    return out


def weight_intervals(
    problem: Problem,
    grid: Grid,
    *,
    tolerance: Decimal = Decimal("0.1"),
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Per criterion, the weight interval within which the selection stays the same."""
    base_weights = grid.weights
    base = _selection(problem, grid, base_weights, time_limit)
    rows = []
    for crit in sorted(grid.criteria):
        family_total = sum(
            (c.weight for c in grid.criteria if c.family == crit.family), Decimal(0)
        )
        row: dict[str, Any] = {
            "criterion": crit.code,
            "label": crit.label,
            "family": crit.family,
            "weight": format(crit.weight, "f"),
            "family_total": format(family_total, "f"),
        }
        if crit.family == "risk" and problem.risk_weight == 0:
            row.update(
                low="0.00",
                high=format(family_total, "f"),
                below=None,
                above=None,
                note="risque non pris en compte",
            )
            rows.append(row)
            continue

        def same(t: Decimal, code: str = crit.code) -> tuple[bool, frozenset[str]]:
            sel = _selection(problem, grid, moved(grid, code, t), time_limit)
            return sel == base, sel

        low, below = _edge(same, crit.weight, Decimal(0), tolerance)
        high, above = _edge(same, crit.weight, family_total, tolerance)
        row.update(
            low=format(low.quantize(Decimal("0.01")), "f"),
            high=format(high.quantize(Decimal("0.01")), "f"),
            below=_diff(base, below),
            above=_diff(base, above),
            note=None,
        )
        rows.append(row)
    return {
        "selection": sorted(base),
        "tolerance": format(tolerance, "f"),
        "criteria": rows,
    }


def _edge(
    same: Any, start: Decimal, limit: Decimal, tolerance: Decimal
) -> tuple[Decimal, frozenset[str] | None]:
    """The farthest point from ``start`` towards ``limit`` where the selection is
    unchanged (to ``tolerance``), and the selection just beyond it (None if none).

    The set of weights for which one selection is optimal is an interval (its value
    is linear in the weight, the optimum is their maximum), so bisection is exact."""
    ok, beyond = same(limit)
    if ok:
        return limit, None
    good, bad = start, limit
    while abs(bad - good) > tolerance:
        mid = (good + bad) / 2
        ok, sel = same(mid)
        if ok:
            good = mid
        else:
            bad, beyond = mid, sel
    return good, beyond


def _diff(
    base: frozenset[str], other: frozenset[str] | None
) -> dict[str, list[str]] | None:
    if other is None:
        return None
    return {"enters": sorted(other - base), "leaves": sorted(base - other)}


def default_bounds(grid: Grid, spread: Decimal) -> dict[str, tuple[Decimal, Decimal]]:
    """Each weight ± ``spread`` (a share, e.g. 0.25) of itself."""
    return {
        c.code: (c.weight * (1 - spread), c.weight * (1 + spread))
        for c in grid.criteria
    }


def monte_carlo(
    problem: Problem,
    grid: Grid,
    bounds: Mapping[str, tuple[Decimal, Decimal]],
    *,
    draws: int = 200,
    seed: int = 1,
    time_limit: float | None = None,
) -> dict[str, Any]:
    """Selection frequency of each candidate over ``draws`` seeded weight draws."""
    for code, (lo, hi) in bounds.items():
        if lo < 0 or hi < lo:
            raise ValueError(f"bornes invalides pour {code} : {lo} – {hi}")
    rng = random.Random(seed)
    counts = {c.code: 0 for c in problem.candidates}
    patterns: dict[frozenset[str], int] = {}
    for _ in range(draws):
        weights = dict(grid.weights)
        for c in sorted(grid.criteria):
            lo, hi = bounds.get(c.code, (c.weight, c.weight))
            weights[c.code] = (
                lo + (hi - lo) * Decimal(rng.randrange(1_000_001)) / 1_000_000
            )
        sel = _selection(problem, grid, weights, time_limit)
        patterns[sel] = patterns.get(sel, 0) + 1
        for code in sel:
            counts[code] += 1
    rows = []
    for code, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        freq = (Decimal(n) / draws).quantize(Decimal("0.001")) if draws else Decimal(0)
        cls = "core" if freq >= CORE else "out" if freq <= OUT else "borderline"
        rows.append({"code": code, "frequency": format(freq, "f"), "class": cls})
    top = sorted(patterns.items(), key=lambda kv: (-kv[1], sorted(kv[0])))[:5]
    return {
        "draws": draws,
        "seed": seed,
        "bounds": {
            k: [format(lo, "f"), format(hi, "f")]
            for k, (lo, hi) in sorted(bounds.items())
        },
        "projects": rows,
        "selections": [{"codes": sorted(s), "count": n} for s, n in top],
    }


def disagreement(
    grid: Grid, proposals: set[str] | None = None, top: int = 10
) -> dict[str, Any]:
    """Where evaluators disagree most: the largest spreads, and means per criterion
    and per proposal (spreads as a share of the scale)."""
    scores = [s for s in grid.scores if proposals is None or s.proposal in proposals]
    by_crit: dict[str, list[Decimal]] = {}
    by_prop: dict[str, list[Decimal]] = {}
    for s in scores:
        by_crit.setdefault(s.criterion, []).append(s.spread)
        by_prop.setdefault(s.proposal, []).append(s.spread)

    def mean(xs: list[Decimal]) -> Decimal:
        return (sum(xs, Decimal(0)) / len(xs)).quantize(Decimal("0.001"))

    pairs = sorted(scores, key=lambda s: (-s.spread, s.proposal, s.criterion))[:top]
    return {
        "pairs": [
            {
                "proposal": s.proposal,
                "criterion": s.criterion,
                "spread": format(s.spread.quantize(Decimal("0.001")), "f"),
                "evaluators": s.evaluators,
            }
            for s in pairs
        ],
        "criteria": [
            {"criterion": k, "mean_spread": format(mean(v), "f")}
            for k, v in sorted(by_crit.items(), key=lambda kv: (-mean(kv[1]), kv[0]))
        ],
        "proposals": [
            {"proposal": k, "mean_spread": format(mean(v), "f")}
            for k, v in sorted(by_prop.items(), key=lambda kv: (-mean(kv[1]), kv[0]))
        ],
    }
