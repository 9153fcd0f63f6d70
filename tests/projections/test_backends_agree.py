"""The read side answers alike on SQLite and PostgreSQL: the same commands, stamped by
the same clock, give every query the same values of the same types (a SUM is numeric
on PostgreSQL and an integer on SQLite: a JSON export then showed "12" on one and 12
on the other)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.app import open_ledger
from projections import queries as q
from projections.service import ReadModel, init_views
from tests.conftest import make_settings
from tests.projections.test_generated import ACTIONS, advance, setup, step


def typed(value: Any) -> Any:
    """``value`` with the type of every leaf made explicit (``1 == Decimal(1)``)."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [typed(v) for v in value]
    if isinstance(value, str) and value.startswith("auto-"):
        return ("str", "auto-…")  # a generated idempotency key differs by run
    return (type(value).__name__, value)


def _queries(store: Any) -> dict[str, Any]:
    return {
        "portfolio": q.portfolio(store),
        "proposal": [q.proposal(store, f"P{i}") for i in range(4)],
        "envelopes": q.envelopes(store),
        "budget_lines": q.budget_lines(store),
        "budget_consumption": q.budget_consumption(store),
        "project_budget": [q.project_budget(store, f"P{i}") for i in range(4)],
        "budget_moves": q.budget_moves(store),
        "sessions": q.sessions(store),
        "session": [q.session(store, s) for s in ("S0", "S1")],
        "votes": q.votes(store),
        "decision_history": q.decision_history(store),
        "capacity": q.capacity(store),
        "audit_trail": q.audit_trail(store, limit=1000),
        "plan": q.plan(store),
        "organisation": q.organisation(store),
        "axes": q.axes(store),
        "grids": q.grids(store),
        "grid_diff": q.grid_diff(store, 1, 1),
        "accounts": q.accounts(store),
        "committee": q.committee(store),
        "account": q.account(store, "chair"),
        "grants": q.grants(store),
        "measurements": q.measurements(store),
    }


def _run(url: str, tmp: Path, steps: list[tuple[str, int, int]]) -> dict[str, Any]:
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg, create=True)
    # after every date the generated commands record as done (DMs of June 2025)
    moment = [datetime(2025, 7, 2, 8, 0, tzinfo=UTC)]

    def clock() -> datetime:
        moment[0] += timedelta(minutes=7)
        return moment[0]

    led.clock = clock
    try:
        init_views(cfg, led)
        setup(led)
        for action, i, n in steps:
            advance(led, i, n) if action != "close" else step(led, action, i, n)
        rm = ReadModel(led, cfg)
        try:
            rm.projector().catch_up()
            return typed(_queries(rm.store))
        finally:
            rm.close()
    finally:
        led.close()


@pytest.mark.parametrize("seed", [1, 2])
def test_every_query_gives_the_same_values_and_types_on_both_backends(
    seed: int, tmp_path: Path, new_pg_schema_url: Any
) -> None:
    rng = random.Random(seed)
    steps = [
        (rng.choice(ACTIONS), rng.randrange(4), rng.randrange(10)) for _ in range(90)
    ]
    on_sqlite = _run(f"sqlite:///{tmp_path}/ledger.db", tmp_path / "s", steps)
    on_postgres = _run(new_pg_schema_url(), tmp_path / "p", steps)
    assert on_sqlite["decision_history"], "the sequence should reach decisions"
    assert {c["workload"][0] for c in on_sqlite["capacity"]} == {"int"}
    for name in on_sqlite:
        assert on_postgres[name] == on_sqlite[name], name
