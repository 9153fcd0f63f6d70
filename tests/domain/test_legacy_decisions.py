"""Events stored before sessions kept their grid version and decisions their evidence
still load, and a session convened then still decides on the grid in force when it was.

A ledger is built with today's commands, then copied event by event into a second
database as the first release stored it: ``Session.Convened``, ``Session.
DecisionRecorded`` and ``Proposal.Drafted`` without their new fields (v1), and
without the events that did not exist (evaluators listed, exclusions noted, team
reservations). On both backends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.proposals import Proposal
from domain.sessions import Session
from ledger.app import Ledger, open_ledger
from projections import queries as q
from projections.projector import Projector
from projections.store import SQLiteViewStore
from projections.views import load_handlers
from tests.conftest import make_settings
from tests.domain.builders import CHAIR, DSI, YEAR, Town, by, criterion

D = Decimal
NEW_EVENTS = {
    "Proposal.EvaluatorAdded",
    "Proposal.ExcludedBy",
    "Team.WorkloadReserved",
    "Team.WorkloadReleased",
}


def as_first_release(topic: str, state: dict[str, Any]) -> dict[str, Any] | None:
    """The state as the first release stored it (None: no such event then)."""
    name = topic.split(":")[1]
    if name in NEW_EVENTS:
        return None
    if name in ("Session.Convened", "Session.DecisionRecorded", "Proposal.Drafted"):
        assert state.pop("class_version") == 2, name
    if name == "Session.Convened":
        del state["grid_version"]
    elif name == "Session.DecisionRecorded":
        data = state["decision"]["_data_"]
        del data["evidence"], data["conflicts"]
    elif name == "Proposal.Drafted":
        del state["evaluators_listed"]
    return state


def copy_as_first_release(source: Ledger, target: Ledger) -> None:
    versions: dict[Any, int] = {}
    out = []
    for n in source.recorder.select_notifications(start=0, limit=100_000):
        state = as_first_release(n.topic, json.loads(n.state))
        if state is None:
            continue
        versions[n.originator_id] = versions.get(n.originator_id, 0) + 1
        out.append(
            StoredEvent(
                originator_id=n.originator_id,
                originator_version=versions[n.originator_id],
                topic=n.topic,
                state=json.dumps(state).encode(),
            )
        )
    target.recorder.insert_events(out)
    for username in source.storage.usernames():
        target.storage.execute(
            "INSERT INTO {t:credentials} (username, password_hash, changed_at)"
            " VALUES (?, ?, ?)",
            (username, source.storage.password_hash(username), "2025-01-01T00:00:00Z"),
        )


@pytest.fixture
def old(
    ledger: Ledger, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Ledger]:
    """A database holding the first release's events of a small story: P1 approved in
    S1 (v1), P2 scored by one evaluator on v1 and on the agenda of the open session
    S2 (convened on v1), then grid v2 adopted."""
    town = Town(ledger)
    town.adopt_grid()
    town.envelope()
    s1 = town.on_agenda("P1", town.convene("S1"))
    for evaluator in ("eval1", "eval2"):
        ledger.score_proposal(
            by(evaluator), "P1", 1, 1, levels(VAL1=3, VAL2=3, RISK1=2)
        )
    town.open(s1)
    ledger.record_decision(
        CHAIR,
        s1,
        "P1",
        "approved",
        "valeur élevée",
        ap_amount="100000.00",
        cp=[{"year": YEAR, "section": "investissement", "amount": "100000.00"}],
    )
    town.qualified("P2")
    ledger.score_proposal(by("eval1"), "P2", 1, 1, levels(VAL1=4, VAL2=2, RISK1=1))
    town.open(town.on_agenda_only("P2", town.convene("S2")))
    ledger.draft_grid(
        DSI, 2, "Grille 2", based_on=1, criteria=[criterion("VAL1", "value", "50")]
    )
    ledger.set_grid_criterion(DSI, 2, criterion("VAL2", "value", "50"))
    ledger.adopt_grid(CHAIR, 2, f"{YEAR}-06-01")
    url = (
        f"sqlite:///{tmp_path}/old.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    target = open_ledger(make_settings(tmp_path / "old-data", url), create=True)
    try:
        copy_as_first_release(ledger, target)
        yield target
    finally:
        target.close()


def levels(**given: int) -> dict[str, dict[str, Any]]:
    return {c: {"level": lv, "justification": "analyse"} for c, lv in given.items()}


def test_sessions_and_decisions_of_the_first_release_still_load(old: Ledger) -> None:
    s1 = old.load(Session, Session.id_for("S1"))
    assert s1 is not None and s1.grid_version is None
    d = s1.decisions["P1"]
    assert (d.outcome.value, d.grid_version, d.evidence, d.conflicts) == (
        "approved",
        1,
        None,
        (),
    )
    p2 = old.load(Proposal, Proposal.id_for("P2"))
    assert p2 is not None and p2.evaluators is None  # not listed then


def test_an_old_open_session_decides_on_the_grid_in_force_when_it_was_convened(
    old: Ledger,
) -> None:
    """S2 was convened on v1, v2 adopted since: the evidence is on v1, with the
    scores of every evaluator (found without the list the proposal did not keep)."""
    old.record_decision(CHAIR, "S2", "P2", "deferred", "à revoir au prochain COPIL")
    s2 = old.load(Session, Session.id_for("S2"))
    assert s2 is not None
    evidence = s2.decisions["P2"].evidence
    assert (evidence.grid_version, evidence.evaluators) == (1, 1)
    # VAL1 4/4 (share 1), VAL2 2/4 (share 1/3): 60 + 40/3; RISK1 at its lowest
    assert (evidence.value, evidence.risk) == (D("73.33"), D("0.00"))
    stored = [
        json.loads(n.state)
        for n in old.recorder.select_notifications(start=0, limit=100_000)
        if n.topic.endswith("Session.DecisionRecorded")
    ]
    assert [s.get("class_version") for s in stored] == [None, 2]


def test_the_views_of_an_old_ledger_show_what_they_can_and_say_so(
    old: Ledger, tmp_path: Path
) -> None:
    load_handlers()
    store = SQLiteViewStore(tmp_path / "views.db")
    try:
        projector = Projector(old, store)
        projector.ensure_tables()
        projector.catch_up()
        (d,) = q.decision_history(store, proposal="P1")
        assert (d["evidence_recorded"], d["grid_version"], d["value"]) == (
            False,
            1,
            D("66.67"),  # recomputed on v1, as the views always showed it
        )
        assert d["conflicts"] == []
        s2 = q.session(store, "S2")
        assert s2 is not None and s2["grid_version"] == 1  # in force when convened
        assert s2["evidence"]["P2"]["value_x100"] == 7333
    finally:
        store.close()
