"""The legal entities a plan covers (commune, CCAS, EPCI…) and the cost split of a
proposal shared between them.

The municipality (``domain.municipality``) is the main entity, code ``MAIN``: every
direction, envelope and project of a ledger without entity events belongs to it, so
old ledgers read unchanged. Other entities are declared with their name, kind and
SIREN (checked as the municipality's is); each votes its own envelopes.

A shared proposal splits its cost in percentages (two decimals) summing exactly to
100 %. Every amount is split to the cent by the largest remainder method: each entity
receives the floor of its exact share in cents, then the cents left over go one each
to the largest fractional remainders, ties to the entity listed first (the main
entity, then the others by code). The parts therefore always add up to the amount.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.entity_register import code_key
from domain.errors import InvalidValue
from domain.municipality import siren
from domain.records import check_open, reason_for
from domain.values import (
    PERCENT_EXPECTED,
    DomainEnum,
    Role,
    as_dict,
    as_list,
    code,
    enum_value,
    percent_text,
    text,
)

MAIN = "principale"  # the main entity's code: the municipality itself
HUNDRED = Decimal("100.00")
CENT = Decimal("0.01")


class EntityKind(DomainEnum):
    """The kind of a legal entity."""

    COMMUNE = "commune"
    CCAS = "ccas"
    EPCI = "epci"
    SYNDICAT = "syndicat"
    OTHER = "autre"


def entity_code(value: Any, field: str = "entity") -> str:
    """An entity's code (``MAIN`` for the municipality); empty or None: ``MAIN``."""
    if value in (None, ""):
        return MAIN
    return code(value, field)


def entity_order(entity: str) -> tuple[int, str]:
    """Main entity first, then the others by code."""
    return (entity != MAIN, entity)


class Entity(LedgerAggregate):
    """A legal entity other than the municipality covered by the plan."""

    def __init__(self) -> None:
        self.code = ""
        self.name = ""
        self.kind = EntityKind.OTHER
        self.siren = ""
        self.closed_at: datetime | None = None

    @staticmethod
    def id_for(entity: str) -> UUID:
        return natural_id("entity", entity)

    class Declared(LedgerAggregate.Created):
        code: str
        name: str
        kind: EntityKind
        siren: str

        def apply(self, agg: Entity) -> None:
            agg.code, agg.name, agg.kind, agg.siren = (
                self.code,
                self.name,
                self.kind,
                self.siren,
            )

    class Changed(LedgerAggregate.Event):
        name: str
        kind: EntityKind
        siren: str

        def apply(self, agg: Entity) -> None:
            agg.name, agg.kind, agg.siren = self.name, self.kind, self.siren

    class Closed(LedgerAggregate.Event):
        def apply(self, agg: Entity) -> None:
            agg.closed_at = self.timestamp

    @classmethod
    def declare(cls, entity: Any, name: Any, kind: Any, siren_: Any) -> Entity:
        require("déclarer une entité", Role.ADMIN, Role.DSI)
        entity = code(entity, "code")
        if code_key(entity) == MAIN:  # « PRINCIPALE » too
            raise InvalidValue("code", entity, "code réservé à la collectivité")
        return cls._create(
            cls.Declared,
            id=cls.id_for(entity),
            code=entity,
            name=text(name, "name"),
            kind=enum_value(EntityKind, kind, "kind"),
            siren=siren(siren_),
        )

    def change(self, name: Any, kind: Any, siren_: Any) -> None:
        """New name, kind or SIREN (reason required); the same ones write nothing."""
        require("modifier une entité", Role.ADMIN, Role.DSI)
        self.check_open("modifier")
        new = (text(name, "name"), enum_value(EntityKind, kind, "kind"), siren(siren_))
        if new == (self.name, self.kind, self.siren):
            return
        reason_for("modifier une entité")
        self.trigger_event(self.Changed, name=new[0], kind=new[1], siren=new[2])

    def check_open(self, action: str, field: str | None = None) -> None:
        check_open(self.closed_at, "Entité", self.code, action, field)

    def close(self) -> None:
        """Close the entity (reason required): it receives nothing new."""
        require("fermer une entité", Role.ADMIN, Role.DSI)
        self.check_open("fermer")
        reason_for("fermer une entité")
        self.trigger_event(self.Closed)


# --- cost split ---------------------------------------------------------------------


def parse_shares(value: Any, field: str = "shares") -> dict[str, Decimal]:
    """A split: ``[{"entity", "percent"}]`` (or ``{entity: percent}``), percentages
    positive with at most two decimals, one per entity, summing to exactly 100."""
    if isinstance(value, dict):
        value = [{"entity": k, "percent": v} for k, v in value.items()]
    shares: dict[str, Decimal] = {}
    for i, raw in enumerate(as_list(value, field)):
        d = as_dict(raw, f"{field}[{i}]", ("entity", "percent"))
        entity = entity_code(d.get("entity"), f"{field}[{i}].entity")
        percent = _percent(d.get("percent"), f"{field}[{i}].percent")
        if entity in shares:
            raise InvalidValue(f"{field}[{i}].entity", entity, "une part par entité")
        shares[entity] = percent
    if not shares:
        raise InvalidValue(field, [], "au moins une entité")
    total = sum(shares.values(), Decimal(0))
    if total != HUNDRED:
        raise InvalidValue(field, f"{total} %", "les parts doivent totaliser 100 %")
    return {k: shares[k] for k in sorted(shares, key=entity_order)}


def _percent(value: Any, field: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, str, Decimal)):
        raise InvalidValue(field, value, PERCENT_EXPECTED)
    p = percent_text(value, field) if isinstance(value, str) else Decimal(value)
    if not p.is_finite() or p <= 0 or p > HUNDRED or p != p.quantize(CENT):
        raise InvalidValue(
            field, value, "pourcentage de 0,01 à 100 avec au plus deux décimales"
        )
    return p.quantize(CENT)


def split_cents(amount: int, shares: dict[str, Decimal]) -> dict[str, int]:
    """``amount`` cents split by ``shares`` (largest remainder, ties to the entity
    listed first): the parts add up to ``amount`` exactly."""
    if amount < 0:
        return {k: -v for k, v in split_cents(-amount, shares).items()}
    order = sorted(shares, key=entity_order)
    basis = {k: int(shares[k] * 100) for k in order}  # hundredths of a percent
    total = sum(basis.values())
    parts = {k: amount * basis[k] // total for k in order}
    left = amount - sum(parts.values())
    by_remainder = sorted(order, key=lambda k: -(amount * basis[k] % total))
    for k in by_remainder[:left]:
        parts[k] += 1
    return parts


def split_amount(amount: Decimal, shares: dict[str, Decimal]) -> dict[str, Decimal]:
    """A money amount split by ``shares`` to the cent (:func:`split_cents`)."""
    parts = split_cents(int((amount * 100).to_integral_value()), shares)
    return {k: (Decimal(v) / 100).quantize(CENT) for k, v in parts.items()}


def whole(entity: str) -> dict[str, Decimal]:
    """The split of a project that belongs wholly to ``entity``."""
    return {entity: HUNDRED}


class CostSplit(LedgerAggregate):
    """How a proposal's cost is shared between entities (set before its approval;
    an empty split: the proposal belongs wholly to its direction's entity)."""

    def __init__(self) -> None:
        self.proposal = ""
        self.shares: dict[str, Decimal] = {}

    @staticmethod
    def id_for(proposal: str) -> UUID:
        return natural_id("cost-split", proposal)

    class Defined(LedgerAggregate.Created):
        proposal: str
        shares: dict[str, Decimal]

        def apply(self, agg: CostSplit) -> None:
            agg.proposal, agg.shares = self.proposal, dict(self.shares)

    class Changed(LedgerAggregate.Event):
        shares: dict[str, Decimal]

        def apply(self, agg: CostSplit) -> None:
            agg.shares = dict(self.shares)

    @classmethod
    def define(cls, proposal: str, shares: dict[str, Decimal]) -> CostSplit:
        require("répartir le coût d'une fiche", Role.DSI, Role.CHAIR)
        return cls._create(
            cls.Defined, id=cls.id_for(proposal), proposal=proposal, shares=shares
        )

    def change(self, shares: dict[str, Decimal]) -> None:
        require("répartir le coût d'une fiche", Role.DSI, Role.CHAIR)
        if shares != self.shares:
            self.trigger_event(self.Changed, shares=shares)
