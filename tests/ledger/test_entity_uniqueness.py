"""Entity codes unique ignoring case, SIRENs unique across the municipality and the
open entities — also when two processes declare at once (both backends)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from domain.base import command_context
from domain.entities import Entity
from domain.entity_register import EntityRegister
from domain.errors import AlreadyExists, InvalidValue
from domain.values import CommandContext
from ledger.app import Ledger
from ledger.config import Settings
from tests.domain.builders import ADMIN, Town, by, refused
from tests.ledger.test_cost_split_race import in_order
from tests.ledger.test_last_administrator_race import other_instances

CCAS = "267500015"
AGGLO = "200054781"
TOWN = "264500018"


def test_a_code_equal_ignoring_case_to_another_is_refused(ledger: Ledger) -> None:
    led = Town(ledger).ledger
    led.declare_entity(ADMIN, "ccas", "CCAS de Test", "ccas", CCAS)
    with refused(led, InvalidValue) as info:
        led.declare_entity(ADMIN, "CCAS", "CCAS bis", "ccas", AGGLO)
    assert info.value.field == "code"
    assert info.value.params["reason"] == (
        "code déjà pris, à la casse près, par l'entité ccas"
    )
    with refused(led, InvalidValue) as info:
        led.declare_entity(ADMIN, "PRINCIPALE", "Ville", "commune", AGGLO)
    assert (info.value.field, info.value.params["reason"]) == (
        "code",
        "code réservé à la collectivité",
    )
    with refused(led, AlreadyExists):  # the same spelling: as before
        led.declare_entity(ADMIN, "ccas", "CCAS bis", "ccas", AGGLO)
    # a closed entity's code stays taken
    led.close_entity(by("admin", "dissous"), "ccas")
    with refused(led, InvalidValue) as info:
        led.declare_entity(ADMIN, "Ccas", "CCAS bis", "ccas", AGGLO)
    assert info.value.field == "code"
    entity = led.declare_entity(ADMIN, "EPCI", "Agglo", "epci", AGGLO).data
    assert entity["code"] == "EPCI"  # stored as declared


def test_a_siren_is_unique_across_the_municipality_and_open_entities(
    ledger: Ledger,
) -> None:
    led = Town(ledger).ledger
    led.define_municipality(ADMIN, "Ville de test", TOWN, "45234")
    for taken, holder in ((TOWN, "de la collectivité principale"), (CCAS, None)):
        if holder is None:  # the CCAS's, once declared
            led.declare_entity(ADMIN, "CCAS", "CCAS de Test", "ccas", CCAS)
            holder = "de l'entité CCAS"
        with refused(led, InvalidValue) as info:
            led.declare_entity(ADMIN, "EPCI", "Agglo", "epci", taken)
        assert (info.value.field, info.value.params["reason"]) == (
            "siren",
            f"SIREN déjà celui {holder}",
        )
    led.declare_entity(ADMIN, "EPCI", "Agglo", "epci", AGGLO)
    with refused(led, InvalidValue) as info:  # a changed SIREN is checked too
        led.change_entity(by("admin", "erreur"), "EPCI", "Agglo", "epci", CCAS)
    assert info.value.field == "siren"
    with refused(led, InvalidValue) as info:
        led.change_entity(by("admin", "erreur"), "EPCI", "Agglo", "epci", TOWN)
    assert info.value.field == "siren"
    with refused(led, InvalidValue) as info:  # and the municipality's
        led.change_municipality(by("admin", "erreur"), "Ville", AGGLO, "45234")
    assert (info.value.field, info.value.params["reason"]) == (
        "siren",
        "SIREN déjà celui de l'entité EPCI",
    )
    # a closed entity frees its SIREN
    led.close_entity(by("admin", "dissous"), "CCAS")
    led.change_entity(by("admin", "reprise"), "EPCI", "Agglo", "epci", CCAS)
    assert led.load(Entity, Entity.id_for("EPCI")).siren == CCAS
    led.declare_entity(ADMIN, "SYND", "Syndicat", "syndicat", AGGLO)  # EPCI's old one


@pytest.fixture
def two(ledger: Ledger, settings: Settings) -> Iterator[list[Ledger]]:
    Town(ledger)
    yield from other_instances(settings)


@pytest.mark.parametrize(
    ("first", "second", "field"),
    [
        (("CCAS", CCAS), ("ccas", AGGLO), "code"),
        (("CCAS", CCAS), ("EPCI", CCAS), "siren"),
    ],
)
def test_two_processes_declaring_the_same_code_or_siren_one_is_refused(
    ledger: Ledger,
    two: list[Ledger],
    first: tuple[str, str],
    second: tuple[str, str],
    field: str,
) -> None:
    barrier = threading.Barrier(2, timeout=60)
    outcomes: dict[int, object] = {}

    def act(i: int, code: str, siren: str) -> None:
        try:
            outcomes[i] = two[i].declare_entity(ADMIN, code, "E", "autre", siren)
        except Exception as exc:  # the assertion names it
            outcomes[i] = exc

    in_order(two, barrier)
    threads = [
        threading.Thread(target=act, args=(i, *args))
        for i, args in enumerate((first, second))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not barrier.broken
    assert not isinstance(outcomes[0], Exception), outcomes
    assert isinstance(outcomes[1], InvalidValue), outcomes
    assert outcomes[1].field == field
    assert ledger.load(Entity, Entity.id_for(second[0])) is None
    assert sum(led.stats.conflicts for led in two) == 1


def test_a_ledger_written_before_the_register_opens_it_with_its_entities(
    ledger: Ledger,
) -> None:
    """Entities declared before the register existed (no ``EntityRegister``) still
    hold their code and SIREN: the first declaration opens the register with them."""
    Town(ledger)
    ctx = CommandContext(
        actor="admin", roles=("admin",), at=datetime.now(UTC), origin="cli",
        command="declare_entity", key="legacy",
    )  # fmt: skip
    with command_context(ctx):
        ledger.save(Entity.declare("ccas", "CCAS", "ccas", CCAS))
    assert ledger.load(EntityRegister, EntityRegister.ID) is None
    with refused(ledger, InvalidValue) as info:
        ledger.declare_entity(ADMIN, "CCAS", "CCAS bis", "ccas", AGGLO)
    assert info.value.field == "code"
    with refused(ledger, InvalidValue) as info:
        ledger.declare_entity(ADMIN, "EPCI", "Agglo", "epci", CCAS)
    assert info.value.field == "siren"
    ledger.declare_entity(ADMIN, "EPCI", "Agglo", "epci", AGGLO)
    register = ledger.load(EntityRegister, EntityRegister.ID)
    assert register is not None
    assert (register.codes, register.sirens) == (
        {"ccas": "ccas", "epci": "EPCI"},
        {CCAS: "ccas", AGGLO: "EPCI"},
    )
