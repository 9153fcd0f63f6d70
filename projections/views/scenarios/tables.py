"""Scenarios: one document per optimisation scenario."""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T

SCENARIOS = T(
    "scenarios",
    "doc",
    ("code",),
    "code label status objective input_hash actor at position:int doc",
)

TABLES: tuple[Table, ...] = (SCENARIOS,)
