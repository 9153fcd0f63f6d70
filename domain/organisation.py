"""The municipality's organisation: pôles, directions, and teams with their capacity.

A team's capacity is also what approvals reserve: each approved project reserves its
workload of each year on the team (``WorkloadReserved``), and only the chair's
motivated override lets a reservation go beyond the capacity. Concurrent approvals
both write the team, so the second is retried on the first's reservation.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.arbitration import Conflict, capacity_conflict
from domain.base import LedgerAggregate, natural_id
from domain.budget import check_override
from domain.errors import InvalidValue
from domain.values import DomainEnum, Role, code, enum_value, positive_int, text, year


class TeamKind(DomainEnum):
    """A DSI team or a business team."""

    DSI = "dsi"
    BUSINESS = "business"


class Pole(LedgerAggregate):
    """A pôle, grouping directions."""

    def __init__(self) -> None:
        self.code = ""
        self.name = ""

    @staticmethod
    def id_for(pole_code: str) -> UUID:
        return natural_id("pole", pole_code)

    class Created(LedgerAggregate.Created):
        code: str
        name: str

        def apply(self, agg: Pole) -> None:
            agg.code, agg.name = self.code, self.name

    class Renamed(LedgerAggregate.Event):
        name: str

        def apply(self, agg: Pole) -> None:
            agg.name = self.name

    @classmethod
    def create(cls, pole_code: str, name: str) -> Pole:
        require("créer un pôle", Role.ADMIN, Role.DSI)
        pole_code = code(pole_code, "code")
        return cls._create(
            cls.Created,
            id=cls.id_for(pole_code),
            code=pole_code,
            name=text(name, "name"),
        )

    def rename(self, name: str) -> None:
        require("renommer un pôle", Role.ADMIN, Role.DSI)
        self.trigger_event(self.Renamed, name=text(name, "name"))


class Direction(LedgerAggregate):
    """A direction (department) of a pôle; proposals are sponsored by directions."""

    def __init__(self) -> None:
        self.code = ""
        self.name = ""
        self.pole = ""

    @staticmethod
    def id_for(direction_code: str) -> UUID:
        return natural_id("direction", direction_code)

    class Created(LedgerAggregate.Created):
        code: str
        name: str
        pole: str

        def apply(self, agg: Direction) -> None:
            agg.code, agg.name, agg.pole = self.code, self.name, self.pole

    class Moved(LedgerAggregate.Event):
        pole: str

        def apply(self, agg: Direction) -> None:
            agg.pole = self.pole

    @classmethod
    def create(cls, direction_code: str, name: str, pole: Pole) -> Direction:
        require("créer une direction", Role.ADMIN, Role.DSI)
        direction_code = code(direction_code, "code")
        return cls._create(
            cls.Created,
            id=cls.id_for(direction_code),
            code=direction_code,
            name=text(name, "name"),
            pole=pole.code,
        )

    def move(self, pole: Pole) -> None:
        require("rattacher une direction", Role.ADMIN, Role.DSI)
        if pole.code != self.pole:
            self.trigger_event(self.Moved, pole=pole.code)


class Team(LedgerAggregate):
    """A DSI or business team with a capacity in person-days per year."""

    def __init__(self) -> None:
        self.code = ""
        self.name = ""
        self.kind = TeamKind.DSI
        self.direction: str | None = None
        self.capacity: dict[int, int] = {}
        # proposal -> year -> person-days reserved by its approval
        self.reservations: dict[str, dict[int, int]] = {}

    @staticmethod
    def id_for(team_code: str) -> UUID:
        return natural_id("team", team_code)

    class Created(LedgerAggregate.Created):
        code: str
        name: str
        kind: TeamKind
        direction: str | None

        def apply(self, agg: Team) -> None:
            agg.code, agg.name, agg.kind, agg.direction = (
                self.code,
                self.name,
                self.kind,
                self.direction,
            )

    class CapacitySet(LedgerAggregate.Event):
        year: int
        days: int

        def apply(self, agg: Team) -> None:
            agg.capacity[self.year] = self.days

    class WorkloadReserved(LedgerAggregate.Event):
        proposal: str
        year: int
        days: int
        override_reason: str | None

        def apply(self, agg: Team) -> None:
            agg.reservations.setdefault(self.proposal, {})[self.year] = self.days

    class WorkloadReleased(LedgerAggregate.Event):
        proposal: str

        def apply(self, agg: Team) -> None:
            agg.reservations.pop(self.proposal, None)

    def reserved(self, year: int) -> int:
        """Person-days of ``year`` reserved by approved projects."""
        return sum(r.get(year, 0) for r in self.reservations.values())

    def conflict(self, proposal: str, year: int, days: int) -> Conflict | None:
        """Reserving ``days`` of ``year`` for ``proposal`` exceeds the capacity."""
        already = self.reservations.get(proposal, {}).get(year, 0)
        return capacity_conflict(
            self.code,
            year,
            self.capacity.get(year),
            self.reserved(year) - already,
            days,
        )

    def reserve(
        self, proposal: str, year: int, days: int, override_reason: str | None
    ) -> None:
        """Reserve the workload of an approved project (the approval's command);
        beyond the capacity only with the chair's override, flagged on the event."""
        if days <= 0 or self.reservations.get(proposal, {}).get(year) == days:
            return
        reason = check_override(
            override_reason, Role.CHAIR, "une réservation au-delà de la capacité"
        )
        conflict = self.conflict(proposal, year, days)
        if conflict is not None and reason is None:
            raise conflict.error(proposal)
        self.trigger_event(
            self.WorkloadReserved,
            proposal=proposal,
            year=year,
            days=days,
            override_reason=reason if conflict is not None else None,
        )

    def release(self, proposal: str) -> None:
        """Give back what a project reserved (it was cancelled)."""
        if proposal in self.reservations:
            self.trigger_event(self.WorkloadReleased, proposal=proposal)

    @classmethod
    def create(
        cls, team_code: str, name: str, kind: Any, direction: Direction | None = None
    ) -> Team:
        require("créer une équipe", Role.ADMIN, Role.DSI)
        team_code = code(team_code, "code")
        kind = enum_value(TeamKind, kind, "kind")
        if kind is TeamKind.BUSINESS and direction is None:
            raise InvalidValue(
                "direction", None, "une équipe métier appartient à une direction"
            )
        return cls._create(
            cls.Created,
            id=cls.id_for(team_code),
            code=team_code,
            name=text(name, "name"),
            kind=kind,
            direction=direction.code if direction else None,
        )

    def set_capacity(self, capacity_year: Any, days: Any) -> None:
        require("fixer la capacité d'une équipe", Role.DSI, Role.ADMIN)
        y = year(capacity_year, "year")
        d = positive_int(days, "days")
        if d > 100_000:
            raise InvalidValue("days", d, "capacité démesurée (jours-personne par an)")
        if self.capacity.get(y) != d:
            self.trigger_event(self.CapacitySet, year=y, days=d)
