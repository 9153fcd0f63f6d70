"""Entities and cost splits: SIREN checked as the municipality's, splits that sum to
100 % and amounts split to the cent by the largest remainder, on both backends."""

from __future__ import annotations

import itertools
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.budget import Envelope
from domain.entities import (
    MAIN,
    entity_order,
    parse_shares,
    split_amount,
    split_cents,
)
from domain.errors import (
    AlreadyExists,
    InvalidValue,
    NotAllowed,
    NotFound,
    RecordClosed,
)
from tests.domain.builders import ADMIN, DSI, FIN, INV, YEAR, Town, by, refused

CCAS_SIREN = "267500015"


def declare_ccas(town: Town) -> None:
    town.ledger.declare_entity(ADMIN, "CCAS", "CCAS de Test", "ccas", CCAS_SIREN)


# --- pure rules ----------------------------------------------------------------------


def test_shares_are_percentages_summing_to_exactly_one_hundred() -> None:
    assert parse_shares(
        [{"entity": "", "percent": "60"}, {"entity": "CCAS", "percent": "40.00"}]
    ) == {
        MAIN: Decimal("60.00"),
        "CCAS": Decimal("40.00"),
    }
    assert parse_shares({"CCAS": "33,34", MAIN: "66.66"}) == {
        MAIN: Decimal("66.66"),
        "CCAS": Decimal("33.34"),
    }


@pytest.mark.parametrize(
    ("shares", "field", "reason"),
    [
        ([{"entity": "CCAS", "percent": "60"}], "shares", "totaliser 100"),
        ({"CCAS": "50", MAIN: "49.99"}, "shares", "totaliser 100"),
        ({"CCAS": "0", MAIN: "100"}, "shares[0].percent", "0,01 à 100"),
        ({"CCAS": "33.333", MAIN: "66.667"}, "shares[0].percent", "deux décimales"),
        ({"CCAS": "-10", MAIN: "110"}, "shares[0].percent", "chiffres sans signe"),
        ({"CCAS": "1e2"}, "shares[0].percent", "au plus deux décimales"),
        ({"CCAS": "100.000"}, "shares[0].percent", "au plus deux décimales"),
        ({"CCAS": "5 0", MAIN: "50"}, "shares[0].percent", "chiffres sans signe"),
        ({"CCAS": "beaucoup", MAIN: "100"}, "shares[0].percent", "pourcentage"),
        ([], "shares", "au moins une entité"),
        (
            [{"entity": "CCAS", "percent": "50"}, {"entity": "CCAS", "percent": "50"}],
            "shares[1].entity",
            "une part par entité",
        ),
        ([{"entity": "C C", "percent": "100"}], "shares[0].entity", "code"),
    ],
)
def test_a_bad_split_is_refused_naming_its_field(
    shares: object, field: str, reason: str
) -> None:
    with pytest.raises(InvalidValue) as info:
        parse_shares(shares)
    assert info.value.field == field
    assert reason in str(info.value)


def test_largest_remainder_gives_the_left_over_cents_to_the_largest_fractions() -> None:
    thirds = {MAIN: Decimal("33.33"), "A": Decimal("33.33"), "B": Decimal("33.34")}
    # 100 cents: exact 33.33, 33.33, 33.34 -> floors 33, 33, 33; one cent left,
    # to the largest remainder (B's .34)
    assert split_cents(100, thirds) == {MAIN: 33, "A": 33, "B": 34}
    halves = {"B": Decimal("50"), MAIN: Decimal("50")}
    # a tie: the entity listed first (the municipality) takes the odd cent
    assert split_cents(1, halves) == {MAIN: 1, "B": 0}
    assert split_amount(Decimal("1000.01"), halves) == {
        MAIN: Decimal("500.01"),
        "B": Decimal("500.00"),
    }
    assert split_cents(-3, halves) == {MAIN: -2, "B": -1}


percents = st.lists(st.integers(1, 9_999), min_size=0, max_size=4, unique=True)


@given(cuts=percents, amount=st.integers(-(10**12), 10**12))
def test_the_parts_of_any_amount_add_up_to_it_to_the_cent(
    cuts: list[int], amount: int
) -> None:
    bounds = [0, *sorted(cuts), 10_000]
    shares = {
        (MAIN if i == 0 else f"E{i}"): Decimal(b - a) / 100
        for i, (a, b) in enumerate(itertools.pairwise(bounds))
    }
    parts = split_cents(amount, shares)
    assert sum(parts.values()) == amount
    assert list(parts) == sorted(shares, key=entity_order)
    for entity, part in parts.items():
        exact = Decimal(amount) * shares[entity] / 100
        assert abs(part - exact) < 1  # never more than a cent from the exact share


# --- through the ledger (both backends) ------------------------------------------------


def test_an_entity_is_declared_with_a_valid_siren_once(town: Town) -> None:
    declare_ccas(town)
    with refused(town.ledger, AlreadyExists):
        declare_ccas(town)
    with refused(town.ledger, InvalidValue) as info:
        town.ledger.declare_entity(ADMIN, "EPCI", "Agglo", "epci", "267500016")
    assert "SIREN invalide" in str(info.value)
    with refused(town.ledger, InvalidValue) as info:
        town.ledger.declare_entity(ADMIN, MAIN, "Ville", "commune", CCAS_SIREN)
    assert info.value.field == "code"
    with refused(town.ledger, InvalidValue) as info:
        town.ledger.declare_entity(ADMIN, "X", "X", "région", CCAS_SIREN)
    assert info.value.field == "kind"
    with refused(town.ledger, NotAllowed):
        town.ledger.declare_entity(FIN, "EPCI", "Agglo", "epci", "200054781")


def test_a_direction_and_an_envelope_belong_to_an_open_entity(town: Town) -> None:
    with refused(town.ledger, NotFound):
        town.ledger.create_direction(ADMIN, "SOC", "Action sociale", "PRS", "CCAS")
    declare_ccas(town)
    out = town.ledger.create_direction(ADMIN, "SOC", "Action sociale", "PRS", "CCAS")
    assert out["entity"] == "CCAS"
    town.ledger.vote_budget(
        FIN, YEAR, INV, "50000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    town.envelope()
    ccas = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV, "CCAS"))
    main = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV))
    assert (ccas.entity, ccas.total) == ("CCAS", Decimal("50000.00"))
    assert (main.entity, main.total) == (MAIN, Decimal("500000.00"))
    town.ledger.close_entity(by("admin", "dissous"), "CCAS")
    with refused(town.ledger, RecordClosed) as info:
        town.ledger.create_direction(ADMIN, "SOC2", "Social 2", "PRS", "CCAS")
    assert info.value.field == "entity"


def test_a_shared_project_draws_each_entity_envelope_by_its_share(town: Town) -> None:
    declare_ccas(town)
    town.ledger.vote_budget(
        FIN, YEAR, INV, "50000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    town.qualified("P1")
    out = town.ledger.set_cost_split(DSI, "P1", {"CCAS": "33.33", MAIN: "66.67"})
    assert out["shares"] == [
        {"entity": MAIN, "percent": "66.67"},
        {"entity": "CCAS", "percent": "33.33"},
    ]
    session = town.convene()
    town.ledger.add_agenda_item(by("chair"), session, "P1")
    town.open(session)
    town.envelope()
    town.ledger.record_decision(
        by("chair"),
        session,
        "P1",
        "approved",
        "arbitrage",
        ap_amount="100000.01",
        cp=[{"year": YEAR, "section": INV, "amount": "100000.01"}],
    )
    main = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV))
    ccas = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV, "CCAS"))
    # 10 000 001 cents: 66.67 % = 6 667 000.6667, 33.33 % = 3 332 999.3333 ->
    # floors 6 667 000 and 3 332 999: two cents left, one to each remainder
    assert main.allocations == {"P1": Decimal("66670.01")}
    assert ccas.allocations == {"P1": Decimal("33330.00")}
    with refused(town.ledger, InvalidValue) as info:
        town.ledger.set_cost_split(DSI, "P1", {"CCAS": "50", MAIN: "50"})
    assert "fixée à son approbation" in str(info.value)


def test_a_share_beyond_an_entity_envelope_is_a_conflict(town: Town) -> None:
    declare_ccas(town)
    town.ledger.vote_budget(
        FIN, YEAR, INV, "10000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    town.qualified("P1")
    town.ledger.set_cost_split(DSI, "P1", {"CCAS": "50", MAIN: "50"})
    session = town.convene()
    town.ledger.add_agenda_item(by("chair"), session, "P1")
    town.open(session)
    town.envelope()
    head = town.ledger.head()
    with pytest.raises(Exception) as info:
        town.ledger.record_decision(
            by("chair"),
            session,
            "P1",
            "approved",
            "arbitrage",
            ap_amount="100000.00",
            cp=[{"year": YEAR, "section": INV, "amount": "100000.00"}],
        )
    assert "entité CCAS" in str(info.value)
    assert town.ledger.head() == head


def test_a_proposal_of_a_direction_of_an_entity_is_wholly_that_entity(
    town: Town,
) -> None:
    declare_ccas(town)
    town.ledger.assign_direction_entity(by("admin", "transfert au CCAS"), "EDU", "CCAS")
    town.ledger.vote_budget(
        FIN, YEAR, INV, "200000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    town.ledger.draft_proposal(by("ref.edu"), "P2", "EDU", town.content())
    town.ledger.submit_proposal(by("ref.edu"), "P2")
    town.ledger.qualify_proposal(DSI, "P2", town.qualification())
    session = town.convene()
    town.ledger.add_agenda_item(by("chair"), session, "P2")
    town.open(session)
    town.ledger.record_decision(
        by("chair"),
        session,
        "P2",
        "approved",
        "arbitrage",
        ap_amount="100000.00",
        cp=[{"year": YEAR, "section": INV, "amount": "100000.00"}],
    )
    ccas = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV, "CCAS"))
    assert ccas.allocations == {"P2": Decimal("100000.00")}
    assert town.ledger.load(Envelope, Envelope.id_for(YEAR, INV)) is None


def test_a_closed_entity_receives_no_share_at_approval_and_no_dm(town: Town) -> None:
    """Closed after the split was set: the approval naming it is refused, nothing
    written, as is a DM on its envelope."""
    declare_ccas(town)
    town.ledger.vote_budget(
        FIN, YEAR, INV, "500000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    town.envelope()
    town.qualified("P1")
    town.ledger.set_cost_split(DSI, "P1", {"CCAS": "50", MAIN: "50"})
    town.ledger.close_entity(by("admin", "dissous"), "CCAS")
    session = town.convene()
    town.ledger.add_agenda_item(by("chair"), session, "P1")
    town.open(session)
    with refused(town.ledger, RecordClosed) as info:
        town.ledger.record_decision(
            by("chair"),
            session,
            "P1",
            "approved",
            "arbitrage",
            ap_amount="100000.00",
            cp=[{"year": YEAR, "section": INV, "amount": "100000.00"}],
        )
    assert info.value.field == "shares"
    assert info.value.params["id"] == "CCAS"
    ccas = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV, "CCAS"))
    assert ccas.allocations == {}
    with refused(town.ledger, RecordClosed) as info:
        town.ledger.adjust_budget(
            FIN, YEAR, INV, "1000.00", "DM 1", f"{YEAR}-06-01", "CCAS"
        )
    assert info.value.field == "entity"
    # the split back to the municipality alone: the approval goes through
    town.ledger.set_cost_split(by("dsi", "CCAS dissous"), "P1", [])
    town.ledger.record_decision(
        by("chair"),
        session,
        "P1",
        "approved",
        "arbitrage",
        ap_amount="100000.00",
        cp=[{"year": YEAR, "section": INV, "amount": "100000.00"}],
    )
    main = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV))
    assert main.allocations == {"P1": Decimal("100000.00")}


def test_a_closed_entity_gets_no_more_ap_but_a_lower_one_goes_through(
    town: Town,
) -> None:
    """Approved while open, then closed: an AP revision adding money is refused
    naming the AP, nothing written; one lowering it goes through, its share too."""
    declare_ccas(town)
    town.ledger.vote_budget(
        FIN, YEAR, INV, "500000.00", "BP CCAS", f"{YEAR - 1}-12-15", "CCAS"
    )
    town.envelope()
    town.qualified("P1")
    town.ledger.set_cost_split(DSI, "P1", {"CCAS": "50", MAIN: "50"})
    session = town.convene()
    town.ledger.add_agenda_item(by("chair"), session, "P1")
    town.open(session)
    town.ledger.record_decision(
        by("chair"),
        session,
        "P1",
        "approved",
        "arbitrage",
        ap_amount="100000.00",
        cp=[{"year": YEAR, "section": INV, "amount": "100000.00"}],
    )
    town.ledger.close_entity(by("admin", "dissous"), "CCAS")
    more = [{"year": YEAR, "section": INV, "amount": "120000.00"}]
    with refused(town.ledger, RecordClosed) as info:
        town.ledger.revise_ap(by("fin", "hausse"), "P1", "120000.00", more, "DCM 1")
    assert (info.value.field, info.value.params["id"]) == ("ap_amount", "CCAS")
    ccas = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV, "CCAS"))
    assert ccas.allocations == {"P1": Decimal("50000.00")}
    less = [{"year": YEAR, "section": INV, "amount": "80000.00"}]
    town.ledger.revise_ap(by("fin", "baisse"), "P1", "80000.00", less, "DCM 2")
    ccas = town.ledger.load(Envelope, Envelope.id_for(YEAR, INV, "CCAS"))
    assert ccas.allocations == {"P1": Decimal("40000.00")}
