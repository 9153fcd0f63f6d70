"""Robustness: weight intervals by bisection, seeded Monte Carlo, disagreement."""

from __future__ import annotations

from decimal import Decimal

from optimiser import Budget, Candidate, CostLine, Problem
from optimiser.robustness import (
    Criterion,
    CriterionScore,
    Grid,
    default_bounds,
    disagreement,
    monte_carlo,
    moved,
    weight_intervals,
)

D = Decimal


def _world() -> tuple[Problem, Grid]:
    """A is all C1, B all C2; the envelope takes one: A wins while C1 outweighs C2."""
    problem = Problem(
        candidates=tuple(
            Candidate(
                code, D(0), start=2025, costs=(CostLine(2025, "investissement", 100),)
            )
            for code in ("A", "B")
        ),
        budgets=(Budget(2025, "investissement", 100),),
    )
    grid = Grid(
        2,
        (
            Criterion("C1", "value", D(60)),
            Criterion("C2", "value", D(40)),
            Criterion("R1", "risk", D(100)),
        ),
        (
            CriterionScore("A", "C1", D(1), D("0.25"), 3),
            CriterionScore("A", "C2", D(0), D(0), 3),
            CriterionScore("B", "C1", D(0), D("0.5"), 3),
            CriterionScore("B", "C2", D(1), D("1"), 3),
            CriterionScore("A", "R1", D(1), D(0), 3),
            CriterionScore("B", "R1", D(0), D(0), 3),
        ),
    )
    return problem, grid


def test_values_follow_the_weights_normalised_per_family() -> None:
    _p, grid = _world()
    assert grid.values(grid.weights) == {"A": (D(60), D(100)), "B": (D(40), D(0))}
    assert moved(grid, "C1", D(30)) == {"C1": D(30), "C2": D(70), "R1": D(100)}


def test_each_weight_interval_ends_where_the_selection_changes() -> None:
    problem, grid = _world()
    out = weight_intervals(problem, grid, tolerance=D("0.1"))
    assert out["selection"] == ["A"]
    rows = {r["criterion"]: r for r in out["criteria"]}
    assert D("50") <= D(rows["C1"]["low"]) <= D("50.1")
    assert rows["C1"]["high"] == "100.00"
    assert rows["C1"]["below"] == {"enters": ["B"], "leaves": ["A"]}
    assert rows["C1"]["above"] is None
    assert rows["C2"]["low"] == "0.00"
    assert D("49.9") <= D(rows["C2"]["high"]) <= D("50")
    assert rows["R1"]["note"] == "risque non pris en compte"


def test_the_risk_weights_matter_once_risk_is_in_the_objective() -> None:
    problem, grid = _world()
    weighted = Problem(**{**problem.__dict__, "risk_weight": D("0.5")})
    out = weight_intervals(weighted, grid)
    assert out["selection"] == ["B"]  # A: 60 − 50 = 10 < B: 40


def test_monte_carlo_is_seeded_and_classifies_core_borderline_and_out() -> None:
    problem, grid = _world()
    narrow = {"C1": (D(55), D(65)), "C2": (D(35), D(45))}
    first = monte_carlo(problem, grid, narrow, draws=30, seed=7)
    assert first == monte_carlo(problem, grid, narrow, draws=30, seed=7)
    assert first["projects"] == [
        {"code": "A", "frequency": "1.000", "class": "core"},
        {"code": "B", "frequency": "0.000", "class": "out"},
    ]
    wide = monte_carlo(problem, grid, default_bounds(grid, D("0.9")), draws=60, seed=3)
    classes = {p["code"]: p["class"] for p in wide["projects"]}
    assert classes == {"A": "borderline", "B": "borderline"}
    total = sum(s["count"] for s in wide["selections"])
    assert total == 60


def test_disagreement_lists_the_largest_spreads_first() -> None:
    _p, grid = _world()
    out = disagreement(grid, {"A", "B"}, top=2)
    assert out["pairs"] == [
        {"proposal": "B", "criterion": "C2", "spread": "1.000", "evaluators": 3},
        {"proposal": "B", "criterion": "C1", "spread": "0.500", "evaluators": 3},
    ]
    assert out["proposals"][0] == {"proposal": "B", "mean_spread": "0.500"}
    assert out["criteria"][0] == {"criterion": "C2", "mean_spread": "0.500"}
