"""The efficient frontier: the best value for a range of envelope scalings."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from optimiser.check import usage
from optimiser.greedy import greedy
from optimiser.model import Problem
from optimiser.solve import solve

DEFAULT_SCALES = tuple(Decimal(n) / 10 for n in range(5, 16))  # 50 % … 150 %


def scales(low: Decimal, high: Decimal, steps: int) -> tuple[Decimal, ...]:
    """``steps`` evenly spaced factors from ``low`` to ``high`` (4 decimals)."""
    if steps < 2:
        return (low,)
    step = (high - low) / (steps - 1)
    return tuple((low + step * i).quantize(Decimal("0.0001")) for i in range(steps))


def frontier(
    problem: Problem,
    factors: Iterable[Decimal] = DEFAULT_SCALES,
    *,
    time_limit: float | None = None,
) -> list[dict[str, Any]]:
    """One point per factor: total envelope, cost and value of the optimum (and of
    the greedy fill), selection; capacities are unchanged."""
    points = []
    for factor in factors:
        scaled = problem.with_scaled_budgets(Decimal(factor))
        envelope = sum(b.cents if b.total is None else b.total for b in scaled.budgets)
        available = sum(max(0, b.cents) for b in scaled.budgets)
        best = solve(scaled, time_limit=time_limit)
        fill = greedy(scaled)
        money, _days = usage(scaled, best.selection)
        points.append(
            {
                "scale": format(Decimal(factor), "f"),
                "envelope_c": envelope,
                "available_c": available,
                "cost_c": sum(money.values()),
                "status": best.status,
                "objective": _s(best.objective),
                "value": _s(best.value),
                "greedy_objective": _s(fill.objective),
                "greedy_status": fill.status,
                "selection": sorted(best.codes),
                "diagnosis": best.diagnosis.message if best.diagnosis else None,
            }
        )
    return points


def _s(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")
