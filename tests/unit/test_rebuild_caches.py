"""What the rebuild keeps instead of recomputing: a grid's criteria built once per
content, an envelope's running totals in place of its list of allocations.

The two-backend tests (rebuild == follow == as-of, the demo replay) check the views
these produce; here, the bookkeeping itself, in memory.
"""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

from projections.views.budget.handlers import allocated, envelope_doc
from projections.views.portfolio.handlers import grid_criteria


def _criterion(code: str, weight: str) -> dict[str, Any]:
    return {
        "code": code,
        "label": code.upper(),
        "family": "value",
        "weight": weight,
        "scale": [
            {"level": 1, "descriptor": "faible"},
            {"level": 4, "descriptor": "fort"},
        ],
        "axis": None,
        "indicator": None,
    }


def test_grid_criteria_are_built_once_per_content() -> None:
    grid = {"criteria": {"c1": _criterion("c1", "2"), "c2": _criterion("c2", "1.5")}}
    same = {"criteria": {"c1": _criterion("c1", "2"), "c2": _criterion("c2", "1.5")}}
    first, again = grid_criteria(grid), grid_criteria(same)
    assert [(c.code, c.weight, c.low, c.high) for c in first] == [
        ("c1", Decimal("2"), 1, 4),
        ("c2", Decimal("1.5"), 1, 4),
    ]
    assert all(a is b for a, b in zip(first, again, strict=True))
    # a changed grid is another content: its criteria, never the cached ones
    grid["criteria"]["c2"] = _criterion("c2", "3")
    assert [(c.code, c.weight) for c in grid_criteria(grid)] == [
        ("c1", Decimal("2")),
        ("c2", Decimal("3")),
    ]


class _Batch:
    """The little of ``projections.projector.Batch`` the budget handler uses."""

    def __init__(self, env: dict[str, Any]) -> None:
        self.docs: dict[tuple[str, tuple[Any, ...]], dict[str, Any]] = {
            ("envelopes", ("principale", 2026, "investissement")): env
        }
        self.rows: list[tuple[Any, ...]] = []

    def doc(self, table: str, key: tuple[Any, ...]) -> dict[str, Any] | None:
        return self.docs.get((table, key))

    def touch(self, table: str, key: tuple[Any, ...]) -> dict[str, Any]:
        return self.docs[(table, key)]

    def append(self, table: str, row: tuple[Any, ...]) -> None:
        self.rows.append(row)


def _allocate(
    batch: _Batch,
    position: int,
    proposal: str,
    amount: str,
    previous: str,
    reason: str | None = None,
) -> None:
    event = SimpleNamespace(
        proposal=proposal,
        amount=Decimal(amount),
        previous=Decimal(previous),
        override_reason=reason,
    )
    meta = SimpleNamespace(
        key="2026/investissement",
        position=position,
        at=f"2026-01-0{position}T00:00:00.000000Z",
        context=SimpleNamespace(actor="finances"),
    )
    allocated(batch, event, meta)  # type: ignore[arg-type]


def test_an_envelope_keeps_running_totals_of_its_allocations() -> None:
    env = {
        "year": 2026,
        "section": "investissement",
        "bp_c": 100_000_00,
        "dm_c": 0,
        "dm_count": 0,
        "allocated_c": 0,
        "override_reasons": {},
        "overrides": 0,
        "positions": [1],
    }
    batch = _Batch(env)
    _allocate(batch, 2, "P1", "600.00", "0")
    _allocate(batch, 3, "P2", "250.50", "0", reason="urgence")
    _allocate(batch, 4, "P1", "400.00", "600.00")  # reduced
    _allocate(batch, 5, "P3", "10.00", "0")
    _allocate(batch, 6, "P3", "0", "10.00")  # withdrawn
    _allocate(batch, 7, "P4", "1.00", "0")
    assert env["allocated_c"] == 400_00 + 250_50 + 1_00
    assert env["override_reasons"] == {"P2": "urgence"}
    assert (env["overrides"], env["positions"]) == (1, [3, 4, 5, 6, 7])
    _allocate(batch, 8, "P2", "0", "250.50")  # its overridden allocation withdrawn
    assert (env["allocated_c"], env["override_reasons"]) == (401_00, {})
    assert len(batch.rows) == 7


def test_an_envelope_written_before_the_running_totals_is_upgraded() -> None:
    old = {
        "year": 2026,
        "section": "investissement",
        "bp_c": 100_000_00,
        "dm_c": 5_00,
        "dm_count": 1,
        "allocations": {
            "P1": {"amount_c": 400_00, "override_reason": None, "position": 4},
            "P2": {"amount_c": 250_50, "override_reason": "urgence", "position": 3},
        },
        "overrides": 1,
        "positions": [1, 2, 3, 4, 5, 6, 7],
    }
    assert envelope_doc(old) == {
        "year": 2026,
        "section": "investissement",
        "bp_c": 100_000_00,
        "dm_c": 5_00,
        "dm_count": 1,
        "allocated_c": 650_50,
        "override_reasons": {"P2": "urgence"},
        "overrides": 1,
        "positions": [3, 4, 5, 6, 7],
    }
    assert envelope_doc(old)["allocated_c"] == 650_50  # upgrading twice changes nothing
