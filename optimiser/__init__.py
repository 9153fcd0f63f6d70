"""Arbitration support: an exact optimiser of the multi-year plan, its greedy baseline,
the efficient frontier and the robustness of the selection (pure functions)."""

from __future__ import annotations

from optimiser.check import Violation, check, usage, usage_tables
from optimiser.frontier import frontier
from optimiser.greedy import greedy
from optimiser.model import (
    Budget,
    Candidate,
    CostLine,
    Diagnosis,
    Existing,
    Forced,
    Problem,
    ProblemError,
    Result,
    TeamCapacity,
    Unavailable,
    WorkLine,
)
from optimiser.solve import solve

__all__ = [
    "Budget",
    "Candidate",
    "CostLine",
    "Diagnosis",
    "Existing",
    "Forced",
    "Problem",
    "ProblemError",
    "Result",
    "TeamCapacity",
    "Unavailable",
    "Violation",
    "WorkLine",
    "check",
    "frontier",
    "greedy",
    "solve",
    "usage",
    "usage_tables",
]
