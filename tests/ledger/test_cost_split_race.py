"""A cost split changed while the proposal is approved: the project's split (fixed at
its approval) is always the one the proposal shows.

``record_decision`` reads the proposal's split and writes the proposal;
``set_cost_split`` reads that no project budget exists yet and writes the split.
Each runs on its own ledger instance, both wait at a barrier before saving: without
a guard both pass, and the project is approved wholly the municipality's while its
split says 50/50.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from domain.budget import ProjectBudget
from domain.entities import MAIN, CostSplit
from domain.errors import InvalidValue
from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from tests.domain.builders import ADMIN, DSI, FIN, INV, YEAR, Town, by


@pytest.fixture
def on_session(ledger: Ledger, settings: Settings) -> Iterator[list[Ledger]]:
    """P1 qualified, on an open session; a CCAS with its envelope; two instances."""
    town = Town(ledger)
    ledger.declare_entity(ADMIN, "CCAS", "CCAS de Test", "ccas", "267500015")
    ledger.vote_budget(
        FIN, YEAR, INV, "500000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    town.envelope()
    town.qualified("P1")
    ledger.add_agenda_item(by("chair"), town.convene("S1"), "P1")
    town.open("S1")
    instances = [open_ledger(settings) for _ in range(2)]
    try:
        yield instances
    finally:
        for led in instances:
            led.close()


ACTS: dict[str, Callable[[Ledger], Any]] = {
    "split": lambda led: led.set_cost_split(DSI, "P1", {"CCAS": "50", MAIN: "50"}),
    "approve": lambda led: led.record_decision(
        by("chair"),
        "S1",
        "P1",
        "approved",
        "arbitrage",
        ap_amount="100000.00",
        cp=[{"year": YEAR, "section": INV, "amount": "100000.00"}],
    ),
}


def in_order(instances: list[Ledger], barrier: threading.Barrier) -> None:
    """Both read before either saves; then the first saves, then the second."""
    first_saved = threading.Event()
    for i, led in enumerate(instances):
        led.save = _ordered(led.save, i, barrier, first_saved)  # type: ignore[method-assign]


def _ordered(
    save: Any, i: int, barrier: threading.Barrier, first_saved: threading.Event
) -> Any:
    waited: list[bool] = []

    def ordered(*args: Any, **kwargs: Any) -> Any:
        if waited:
            return save(*args, **kwargs)
        waited.append(True)
        barrier.wait()
        if i == 1:
            first_saved.wait(timeout=60)
        try:
            return save(*args, **kwargs)
        finally:
            first_saved.set()

    return ordered


@pytest.mark.parametrize("first", sorted(ACTS))
def test_a_split_set_while_the_proposal_is_approved_is_the_one_it_keeps(
    ledger: Ledger, on_session: list[Ledger], first: str
) -> None:
    barrier = threading.Barrier(2, timeout=60)
    order = [first, *(n for n in ACTS if n != first)]
    outcomes: dict[str, object] = {}

    def act(led: Ledger, name: str) -> None:
        try:
            outcomes[name] = ACTS[name](led)
        except Exception as exc:  # the assertion names it
            outcomes[name] = exc

    in_order(on_session, barrier)
    threads = [
        threading.Thread(target=act, args=(led, name))
        for led, name in zip(on_session, order, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not barrier.broken
    assert not isinstance(outcomes["approve"], Exception), outcomes
    budget = ledger.load(ProjectBudget, ProjectBudget.id_for("P1"))
    split = ledger.load(CostSplit, CostSplit.id_for("P1"))
    assert budget is not None
    if first == "approve":  # the split ran again and was refused
        assert isinstance(outcomes["split"], InvalidValue), outcomes
        assert "fixée à son approbation" in str(outcomes["split"])
        assert split is None
        assert budget.entity_shares() == {MAIN: Decimal("100.00")}
    else:  # the approval ran again and used the split
        assert split is not None
        assert budget.entity_shares() == split.shares
    assert sum(led.stats.conflicts for led in on_session) == 1
