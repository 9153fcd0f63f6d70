"""The inventory of the information system (phase 4 of the SDSI: the diagnosis).

One aggregate per component — an application or an infrastructure component — with
its description (owner direction, supplier, technology, version, end of support,
users, annual cost, criticality), changed by events that keep the history, and
retired rather than deleted. Each application carries its assessments:

- the DSI's (technical state, risks, obsolescence, comment), recorded by the DSI;
- each using direction's (satisfaction, coverage of needs, comment), recorded by the
  referent of that direction for it only.

A new assessment supersedes the assessor's previous one, which stays in the history.
Every scale is an integer from 1 to 4 whose levels are named in :data:`SCALES`
(documented in ``docs/diagnosis.md``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID

from domain.accounts import has_role, require
from domain.base import LedgerAggregate, current_context, natural_id
from domain.errors import InvalidValue, NotReferentForAssessment
from domain.records import check_open, reason_for
from domain.values import (
    DomainEnum,
    Role,
    code,
    enum_value,
    money,
    positive_int,
    record_date,
    text,
)


class InventoryKind(DomainEnum):
    """An application, or an infrastructure component (servers, network…)."""

    APPLICATION = "application"
    INFRASTRUCTURE = "infrastructure"


# Every assessment scale: level → its French name (1 is always the worst or lowest
# for criticality, risk and obsolescence read "1 = low"; the docs explain each).
SCALES: dict[str, dict[int, str]] = {
    "criticality": {1: "faible", 2: "moyenne", 3: "élevée", 4: "vitale"},
    "technical_state": {1: "mauvais", 2: "médiocre", 3: "correct", 4: "bon"},
    "risk": {1: "faible", 2: "modéré", 3: "élevé", 4: "critique"},
    "obsolescence": {1: "faible", 2: "modérée", 3: "élevée", 4: "critique"},
    "satisfaction": {
        1: "insatisfaite",
        2: "plutôt insatisfaite",
        3: "plutôt satisfaite",
        4: "satisfaite",
    },
    "coverage": {1: "très partielle", 2: "partielle", 3: "large", 4: "complète"},
}
# The description fields an inventory line sets (in the order of the import file).
DESCRIPTION = (
    "kind",
    "name",
    "direction",
    "supplier",
    "technology",
    "product_version",
    "end_of_support",
    "users",
    "annual_cost",
    "criticality",
)
EDITORS = (Role.DSI, Role.ADMIN)  # who keeps the inventory
MAX_USERS = 10_000_000


def level(value: Any, scale: str) -> int:
    """A level of ``scale`` (an integer from 1 to 4, or its digits)."""
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value not in SCALES[scale]
    ):
        names = ", ".join(f"{k} {v}" for k, v in SCALES[scale].items())
        raise InvalidValue(scale, value, f"niveau de 1 à 4 attendu ({names})")
    return value


def description(values: dict[str, Any], kept_end: date | None = None) -> dict[str, Any]:
    """The checked description of a component from ``values`` (keys of
    :data:`DESCRIPTION`; optional ones may be missing or empty); ``kept_end``: the
    component's end of support now, kept as it is (:func:`record_date`)."""
    kind = enum_value(InventoryKind, values.get("kind") or "application", "kind")
    end = values.get("end_of_support")
    users = values.get("users")
    cost = values.get("annual_cost")
    direction = values.get("direction") or None
    return {
        "kind": kind,
        "name": text(values.get("name"), "name"),
        "direction": code(direction, "direction") if direction else None,
        "supplier": text(values.get("supplier"), "supplier", required=False),
        "technology": text(values.get("technology"), "technology", required=False),
        "product_version": text(values.get("product_version"), "product_version", max_len=60, required=False),
        "end_of_support": record_date(end, "end_of_support", kept_end) if end else None,
        "users": _users(users) if users not in (None, "") else None,
        "annual_cost": money(cost, "annual_cost") if cost not in (None, "") else Decimal("0.00"),
        "criticality": level(values.get("criticality"), "criticality"),
    }  # fmt: skip


def users(value: Any) -> int:
    """A number of users (an integer, or its ASCII digits)."""
    return _users(value)


def _users(value: Any) -> int:
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        value = int(value.strip())
    out = positive_int(value, "users")
    if out > MAX_USERS:
        raise InvalidValue("users", value, "nombre d'utilisateurs démesuré")
    return out


class Application(LedgerAggregate):
    """A component of the information system, its description and its assessments."""

    def __init__(self) -> None:
        self.code = ""
        self.kind = InventoryKind.APPLICATION
        self.name = ""
        self.direction: str | None = None
        self.supplier = ""
        self.technology = ""
        self.product_version = ""  # (``version`` is the aggregate's own)
        self.end_of_support: date | None = None
        self.users: int | None = None
        self.annual_cost = Decimal("0.00")
        self.criticality = 1
        self.retired_at: datetime | None = None
        # the DSI's assessments, oldest first; each direction's, oldest first
        self.dsi_assessments: list[dict[str, Any]] = []
        self.direction_assessments: dict[str, list[dict[str, Any]]] = {}

    @staticmethod
    def id_for(application_code: str) -> UUID:
        return natural_id("application", application_code)

    def state(self) -> dict[str, Any]:
        """The description as :func:`description` gives it."""
        return {f: getattr(self, f) for f in DESCRIPTION}

    class Registered(LedgerAggregate.Created):
        code: str
        kind: InventoryKind
        name: str
        direction: str | None
        supplier: str
        technology: str
        product_version: str
        end_of_support: date | None
        users: int | None
        annual_cost: Decimal
        criticality: int

        def apply(self, agg: Application) -> None:
            agg.code = self.code
            for f in DESCRIPTION:
                setattr(agg, f, getattr(self, f))

    class Changed(LedgerAggregate.Event):
        """The whole new description (the history shows what differs)."""

        kind: InventoryKind
        name: str
        direction: str | None
        supplier: str
        technology: str
        product_version: str
        end_of_support: date | None
        users: int | None
        annual_cost: Decimal
        criticality: int

        def apply(self, agg: Application) -> None:
            for f in DESCRIPTION:
                setattr(agg, f, getattr(self, f))

    class Retired(LedgerAggregate.Event):
        def apply(self, agg: Application) -> None:
            agg.retired_at = self.timestamp

    class DsiAssessed(LedgerAggregate.Event):
        technical_state: int
        risk: int
        obsolescence: int
        comment: str

        def apply(self, agg: Application) -> None:
            agg.dsi_assessments.append(
                {
                    "technical_state": self.technical_state,
                    "risk": self.risk,
                    "obsolescence": self.obsolescence,
                    "comment": self.comment,
                }
            )

    class DirectionAssessed(LedgerAggregate.Event):
        direction: str
        satisfaction: int
        coverage: int
        comment: str

        def apply(self, agg: Application) -> None:
            agg.direction_assessments.setdefault(self.direction, []).append(
                {
                    "satisfaction": self.satisfaction,
                    "coverage": self.coverage,
                    "comment": self.comment,
                }
            )

    @classmethod
    def register(cls, application_code: str, values: dict[str, Any]) -> Application:
        """A new component of the inventory (DSI or administrator)."""
        require("inscrire un composant à l'inventaire", *EDITORS)
        return cls._create(
            cls.Registered,
            id=cls.id_for(code(application_code, "code")),
            code=application_code,
            **description(values),
        )

    def check_open(self, action: str, field: str | None = None) -> None:
        check_open(self.retired_at, "Composant", self.code, action, field)

    def change(self, values: dict[str, Any]) -> bool:
        """Record a new description (reason required); nothing if it is the same."""
        require("modifier un composant de l'inventaire", *EDITORS)
        self.check_open("modifier")
        new = description(values, self.end_of_support)
        if new == self.state():
            return False
        reason_for("modifier un composant de l'inventaire")
        self.trigger_event(self.Changed, **new)
        return True

    def retire(self) -> None:
        """The component left the information system (reason required)."""
        require("retirer un composant de l'inventaire", *EDITORS)
        self.check_open("retirer")
        reason_for("retirer un composant de l'inventaire")
        self.trigger_event(self.Retired)

    def assess_technically(
        self, technical_state: Any, risk: Any, obsolescence: Any, comment: Any
    ) -> None:
        """The DSI's assessment; it supersedes the DSI's previous one."""
        require("évaluer techniquement une application", Role.DSI)
        self.check_open("évaluer")
        self.trigger_event(
            self.DsiAssessed,
            technical_state=level(technical_state, "technical_state"),
            risk=level(risk, "risk"),
            obsolescence=level(obsolescence, "obsolescence"),
            comment=text(comment, "comment", max_len=2000, required=False),
        )

    def assess_for_direction(
        self, direction: str, satisfaction: Any, coverage: Any, comment: Any
    ) -> None:
        """A using direction's assessment, by its referent (for that direction only);
        it supersedes that direction's previous one."""
        ctx = current_context()
        if not has_role(ctx.roles, Role.REFERENT, direction):
            if not has_role(ctx.roles, Role.REFERENT):
                require("évaluer une application pour une direction", Role.REFERENT)
            raise NotReferentForAssessment(
                field="direction",
                actor=ctx.actor,
                direction=direction,
                application=self.code,
            )
        self.check_open("évaluer")
        self.trigger_event(
            self.DirectionAssessed,
            direction=direction,
            satisfaction=level(satisfaction, "satisfaction"),
            coverage=level(coverage, "coverage"),
            comment=text(comment, "comment", max_len=2000, required=False),
        )

    def latest_dsi(self) -> dict[str, Any] | None:
        return self.dsi_assessments[-1] if self.dsi_assessments else None
