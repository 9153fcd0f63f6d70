"""The budget by entity and consolidated, on both backends: each entity's envelopes
and its share of the shared projects, to the cent; the entities add up to the
consolidated total exactly; a ledger written before entities reads as the
municipality's alone."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from domain.base import natural_id
from domain.budget import Envelope
from domain.entities import MAIN
from ledger.app import Ledger, open_ledger
from projections import queries as q
from projections.service import ReadModel, init_views
from projections.views.budget.entities import entity_lines
from projections.views.budget.tables import PROJECT_LINES
from tests.conftest import make_settings
from tests.domain.builders import ADMIN, DSI, FIN, INV, YEAR, Town, by

D = Decimal
MONEY = ("cp", "committed", "paid", "available")


def approve(town: Town, code: str, amount: str) -> None:
    session = town.convene()
    town.ledger.add_agenda_item(by("chair"), session, code)
    town.open(session)
    town.ledger.record_decision(
        by("chair"),
        session,
        code,
        "approved",
        "arbitrage",
        ap_amount=amount,
        cp=[{"year": YEAR, "section": INV, "amount": amount}],
    )


def territory(ledger: Ledger) -> Town:
    """The town with a CCAS: P1 (FIN) shared 66.67 % / 33.33 % for 100 000.01 €,
    30 000.03 € committed and 10 000.01 € paid on it; P2 (EDU) the town's alone."""
    town = Town(ledger)
    ledger.declare_entity(ADMIN, "CCAS", "CCAS de Test", "ccas", "267500015")
    ledger.create_direction(ADMIN, "SOC", "Action sociale", "PRS", "CCAS")
    town.envelope()
    ledger.vote_budget(
        FIN, YEAR, INV, "50000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    ledger.adjust_budget(
        FIN, YEAR, INV, "-1000.00", "DM1 CCAS", f"{YEAR}-03-01", "CCAS"
    )
    town.qualified("P1")
    ledger.set_cost_split(
        DSI,
        "P1",
        [{"entity": MAIN, "percent": "66.67"}, {"entity": "CCAS", "percent": "33.33"}],
    )
    approve(town, "P1", "100000.01")
    ledger.record_commitment(
        FIN, "P1", "EJ1", YEAR, INV, "30000.03", f"{YEAR}-04-02", "Titulaire"
    )
    ledger.record_payment(FIN, "P1", "MD1", "EJ1", "10000.01", f"{YEAR}-05-02")
    town.qualified("P2", "EDU")
    approve(town, "P2", "20000.00")
    return town


@pytest.fixture
def read_model(ledger: Ledger, settings: Any) -> Iterator[ReadModel]:
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    yield rm
    rm.close()


def test_each_entity_reads_its_envelopes_and_its_share_to_the_cent(
    ledger: Ledger, read_model: ReadModel
) -> None:
    territory(ledger)
    read_model.projector().catch_up()
    store = read_model.store
    main = q.budget_consumption(store, entity=MAIN)
    ccas = q.budget_consumption(store, entity="CCAS")
    whole = q.budget_consumption(store)
    # P1: 10 000 001 cents at 66.67 % / 33.33 %: floors 6 667 000 / 3 332 999, one
    # cent left to each -> 66 670.01 € / 33 330.00 €; committed 3 000 003 cents
    # -> 2 000 102.0001 / 999 900.9999 -> 20 001.02 / 9 999.01; paid 1 000 001
    # -> 666 700.6667 / 333 300.3333 -> 6 667.01 / 3 333.00
    assert [
        (x["proposal"], x["cp"], x["committed"], x["paid"]) for x in ccas["lines"]
    ] == [("P1", D("33330.00"), D("9999.01"), D("3333.00"))]
    assert [
        (x["proposal"], x["cp"], x["committed"], x["paid"]) for x in main["lines"]
    ] == [
        ("P1", D("66670.01"), D("20001.02"), D("6667.01")),
        ("P2", D("20000.00"), D("0.00"), D("0.00")),
    ]
    assert ccas["lines"][0]["ap_current"] == D("33330.00")
    for f in MONEY:
        assert main["total"][f] + ccas["total"][f] == whole["total"][f]
    assert whole["total"]["cp"] == D("120000.01")
    env = {e: q.envelopes(store, entity=e)[0] for e in (MAIN, "CCAS")}
    assert (env[MAIN]["total"], env[MAIN]["allocated"]) == (
        D("500000.00"),
        D("86670.01"),
    )
    assert (env["CCAS"]["bp"], env["CCAS"]["dm"], env["CCAS"]["allocated"]) == (
        D("50000.00"),
        D("-1000.00"),
        D("33330.00"),
    )
    consolidated = q.envelopes(store)[0]
    assert (
        consolidated["total"],
        consolidated["allocated"],
        consolidated["available"],
    ) == (D("549000.00"), D("120000.01"), D("428999.99"))
    assert [e["code"] for e in q.entities(store)] == [MAIN, "CCAS"]
    assert q.entities(store)[1]["siren"] == "267500015"


def as_before_entities(topic: str, state: dict[str, Any]) -> dict[str, Any]:
    """A direction or envelope as the release before entities stored it."""
    name = topic.split(":")[1]
    if name in ("Direction.Created", "Envelope.BudgetVoted"):
        assert state.pop("class_version") == 2
        assert state.pop("entity") == MAIN
    return state


@pytest.fixture
def old(
    ledger: Ledger, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[Ledger, Any]]:
    """The town with P1 approved and committed, as stored before entities."""
    town = Town(ledger)
    town.approved_budget("P1")
    town.commitment("P1")
    url = (
        f"sqlite:///{tmp_path}/old.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    settings = make_settings(tmp_path / "old-data", url)
    target = open_ledger(settings, create=True)
    out = [
        StoredEvent(
            originator_id=n.originator_id,
            originator_version=n.originator_version,
            topic=n.topic,
            state=json.dumps(as_before_entities(n.topic, json.loads(n.state))).encode(),
        )
        for n in ledger.recorder.select_notifications(start=0, limit=100_000)
    ]
    target.recorder.insert_events(out)
    try:
        yield target, settings
    finally:
        target.close()


def test_a_ledger_without_entities_is_the_municipality_s_alone(
    old: tuple[Ledger, Any],
) -> None:
    ledger, settings = old
    assert Envelope.id_for(YEAR, INV) == natural_id("envelope", f"{YEAR}/{INV}")
    envelope = ledger.load(Envelope, Envelope.id_for(YEAR, INV))
    assert envelope is not None
    assert (envelope.entity, envelope.allocations) == (MAIN, {"P1": D("100000.00")})
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    try:
        rm.projector().catch_up()
        mine = q.budget_consumption(rm.store, entity=MAIN)
        whole = q.budget_consumption(rm.store)
        assert mine["lines"] == whole["lines"]
        assert mine["total"]["committed"] == D("60000.00")
        assert q.envelopes(rm.store, entity=MAIN) == q.envelopes(rm.store)
        assert q.budget_consumption(rm.store, entity="CCAS")["lines"] == []
    finally:
        rm.close()
    # and the old ledger goes on: a second project on the same envelope
    town_commands = ledger.vote_budget(
        FIN, YEAR + 1, INV, "1000.00", "BP", f"{YEAR}-12-15"
    )
    assert str(town_commands["total"]) == "1000.00"


amounts = st.integers(0, 10**10)
cuts = st.lists(st.integers(1, 9_999), max_size=3, unique=True)


@hsettings(max_examples=200, suppress_health_check=[HealthCheck.too_slow])
@given(
    cuts=cuts,
    lines=st.lists(st.tuples(amounts, amounts, amounts), min_size=1, max_size=4),
)
def test_the_entities_shares_of_any_project_add_up_to_its_lines(
    cuts: list[int], lines: list[tuple[int, int, int]]
) -> None:
    bounds = [0, *sorted(cuts), 10_000]
    shares = {
        (MAIN if i == 0 else f"E{i}"): str(D(b - a) / 100)
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    }
    rows = [
        PROJECT_LINES.row(
            proposal="P",
            year=2025 + i,
            section=INV,
            cp_initial_c=cp,
            cp_c=cp,
            committed_c=committed,
            paid_c=paid,
            override_alloc=0,
            override_commit=0,
            override_pay=0,
        )
        for i, (cp, committed, paid) in enumerate(lines)
    ]
    doc = {"shares": shares, "ap_initial_c": sum(r[3] for r in rows), "ap_c": 7}
    got = entity_lines(doc, rows)
    cols = dict.fromkeys(PROJECT_LINES.written)
    index = {c: i for i, c in enumerate(k for k in cols)}
    for row in rows:
        parts = [g for g in got if g[2] == row[index["year"]]]
        assert len(parts) == len(shares)
        for c in ("cp_initial_c", "cp_c", "committed_c", "paid_c"):
            assert sum(p[_col(c)] for p in parts) == row[index[c]]
    assert sum(g[_col("ap_c")] for g in got) == 7 * len(rows)


def _col(name: str) -> int:
    from projections.views.budget.tables import ENTITY_LINES

    return ENTITY_LINES.written.index(name)
