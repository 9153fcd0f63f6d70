"""A phase completed while its list of deliverables changes: never done with a
deliverable it did not see validated.

``complete_phase`` reads the phase's deliverables (none missing) and writes the plan;
``add_deliverable`` reads the plan (phase not done) and writes the list. Each runs on
its own ledger instance (as two server processes would), both wait at a barrier
before saving: without a guard both saves pass and the phase is done with a new
expected deliverable never validated and no reason recorded.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.deliverables import PhaseDeliverables
from domain.errors import DeliverablesMissing, PhaseClosed
from domain.plan import Plan
from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from tests.domain.builders import CHAIR, DSI, Town
from tests.ledger.test_last_administrator_race import racing

PDF = b"%PDF-1.4\n% note\n"


@pytest.fixture
def ready(ledger: Ledger, settings: Settings) -> Iterator[list[Ledger]]:
    """Framing started, its two deliverables validated; two more instances."""
    Town(ledger)
    ledger.start_phase(DSI, "cadrage", "2024-01-12")
    for key in ("note_cadrage", "lettre_mission"):
        content = PDF + key.encode()
        ledger.submit_deliverable(
            DSI,
            "cadrage",
            key,
            filename=f"{key}.pdf",
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
        )
        ledger.validate_deliverable(CHAIR, "cadrage", key)
    instances = [open_ledger(settings) for _ in range(2)]
    try:
        yield instances
    finally:
        for led in instances:
            led.close()


ACTS: dict[str, Callable[[Ledger], Any]] = {
    "complete": lambda led: led.complete_phase(DSI, "cadrage", "2024-03-01"),
    "add": lambda led: led.add_deliverable(
        DSI, "cadrage", "annexe", "Annexe budgétaire", "document"
    ),
}


def test_a_deliverable_added_while_the_phase_completes_is_never_skipped(
    ledger: Ledger, ready: list[Ledger]
) -> None:
    barrier = threading.Barrier(2, timeout=60)
    outcomes: dict[str, object] = {}

    def act(led: Ledger, name: str) -> None:
        try:
            outcomes[name] = ACTS[name](led)
        except Exception as exc:  # the assertion names it
            outcomes[name] = exc

    threads = []
    for led, name in zip(ready, ACTS, strict=True):
        racing(led, barrier)
        threads.append(threading.Thread(target=act, args=(led, name)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert not barrier.broken
    failed = {n: o for n, o in outcomes.items() if isinstance(o, Exception)}
    assert len(outcomes) == 2 and len(failed) == 1, outcomes
    # one save conflicted and its command ran again on the new state
    assert sum(led.stats.conflicts for led in ready) == 1
    plan = ledger.load(Plan, Plan.id_for())
    items = ledger.load(PhaseDeliverables, PhaseDeliverables.id_for(1, "cadrage"))
    assert plan is not None and items is not None
    if "add" in failed:  # the phase completed first: the list is closed
        assert isinstance(failed["add"], PhaseClosed)
        assert plan.phases["cadrage"]["status"] == "done"
        assert "annexe" not in items.items
    else:  # the deliverable landed first: completing needs it validated
        assert isinstance(failed["complete"], DeliverablesMissing)
        assert failed["complete"].params["deliverables"] == ["Annexe budgétaire"]
        assert plan.phases["cadrage"]["status"] == "in_progress"
