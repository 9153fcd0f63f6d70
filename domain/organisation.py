"""The municipality's organisation: pôles, directions, and teams with their capacity.

A team's capacity is also what approvals reserve: each approved project reserves its
workload of each year on the team (``WorkloadReserved``), and only the chair's
motivated override lets a reservation go beyond the capacity. Concurrent approvals
both write the team, so the second is retried on the first's reservation.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.arbitration import Conflict, capacity_conflict
from domain.base import LedgerAggregate, natural_id
from domain.budget import check_override
from domain.entities import MAIN
from domain.errors import InvalidValue, PoleHasOpenDirections
from domain.records import check_open, reason_for
from domain.values import DomainEnum, Role, code, enum_value, positive_int, text, year


class TeamKind(DomainEnum):
    """A DSI team or a business team."""

    DSI = "dsi"
    BUSINESS = "business"


class Pole(LedgerAggregate):
    """A pôle, grouping directions; it knows which of its directions are open, so it
    is closed only once they are closed or attached elsewhere."""

    def __init__(self) -> None:
        self.code = ""
        self.name = ""
        self.closed_at: datetime | None = None
        # The open directions attached to the pôle, sorted; None for a pôle created
        # before pôles listed them (its directions are then found in the log).
        self.directions: list[str] | None = []

    @staticmethod
    def id_for(pole_code: str) -> UUID:
        return natural_id("pole", pole_code)

    class Created(LedgerAggregate.Created):
        code: str
        name: str
        directions_listed: bool

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 pôles did not list their directions."""
            state["directions_listed"] = False

        def apply(self, agg: Pole) -> None:
            agg.code, agg.name = self.code, self.name
            agg.directions = [] if self.directions_listed else None

    class Renamed(LedgerAggregate.Event):
        name: str

        def apply(self, agg: Pole) -> None:
            agg.name = self.name

    class DirectionAttached(LedgerAggregate.Event):
        direction: str

        def apply(self, agg: Pole) -> None:
            if agg.directions is not None and self.direction not in agg.directions:
                agg.directions = sorted([*agg.directions, self.direction])

    class DirectionDetached(LedgerAggregate.Event):
        direction: str

        def apply(self, agg: Pole) -> None:
            if agg.directions is not None and self.direction in agg.directions:
                agg.directions.remove(self.direction)

    class Closed(LedgerAggregate.Event):
        def apply(self, agg: Pole) -> None:
            agg.closed_at = self.timestamp

    @classmethod
    def create(cls, pole_code: str, name: str) -> Pole:
        require("créer un pôle", Role.ADMIN, Role.DSI)
        pole_code = code(pole_code, "code")
        return cls._create(
            cls.Created,
            id=cls.id_for(pole_code),
            code=pole_code,
            name=text(name, "name"),
            directions_listed=True,
        )

    def rename(self, name: str) -> None:
        require("renommer un pôle", Role.ADMIN, Role.DSI)
        self.check_open("renommer")
        new = text(name, "name")
        reason_for("renommer un pôle")
        if new != self.name:
            self.trigger_event(self.Renamed, name=new)

    def check_open(self, action: str, field: str | None = None) -> None:
        check_open(self.closed_at, "Pôle", self.code, action, field)

    def attach(self, direction: str) -> None:
        """A direction joins the pôle (created in it, or moved to it)."""
        self.check_open("recevoir une direction", "pole")
        self.trigger_event(self.DirectionAttached, direction=direction)

    def detach(self, direction: str) -> None:
        """A direction leaves the pôle (moved elsewhere, or closed)."""
        if self.directions is None or direction in self.directions:
            self.trigger_event(self.DirectionDetached, direction=direction)

    def close(self, open_directions: set[str]) -> None:
        """Close the pôle (reason required) once ``open_directions`` — the open
        directions attached to it — is empty."""
        require("fermer un pôle", Role.ADMIN, Role.DSI)
        self.check_open("fermer")
        reason_for("fermer un pôle")
        if open_directions:
            raise PoleHasOpenDirections(
                pole=self.code, directions=", ".join(sorted(open_directions))
            )
        self.trigger_event(self.Closed)


class Direction(LedgerAggregate):
    """A direction (department) of a pôle; proposals are sponsored by directions.

    A closed direction keeps its proposals and their history but receives no new
    proposal, business team or referent."""

    def __init__(self) -> None:
        self.code = ""
        self.name = ""
        self.pole = ""
        self.entity = MAIN
        self.closed_at: datetime | None = None

    @staticmethod
    def id_for(direction_code: str) -> UUID:
        return natural_id("direction", direction_code)

    class Created(LedgerAggregate.Created):
        code: str
        name: str
        pole: str
        entity: str

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Directions created before entities belong to the municipality."""
            state["entity"] = MAIN

        def apply(self, agg: Direction) -> None:
            agg.code, agg.name, agg.pole = self.code, self.name, self.pole
            agg.entity = self.entity

    class EntityChanged(LedgerAggregate.Event):
        entity: str

        def apply(self, agg: Direction) -> None:
            agg.entity = self.entity

    class Moved(LedgerAggregate.Event):
        pole: str

        def apply(self, agg: Direction) -> None:
            agg.pole = self.pole

    class Renamed(LedgerAggregate.Event):
        name: str

        def apply(self, agg: Direction) -> None:
            agg.name = self.name

    class Closed(LedgerAggregate.Event):
        def apply(self, agg: Direction) -> None:
            agg.closed_at = self.timestamp

    @classmethod
    def create(
        cls, direction_code: str, name: str, pole: Pole, entity: str = MAIN
    ) -> Direction:
        """``entity``: the code of an open entity (checked by the command)."""
        require("créer une direction", Role.ADMIN, Role.DSI)
        direction_code = code(direction_code, "code")
        name = text(name, "name")
        pole.attach(direction_code)
        return cls._create(
            cls.Created,
            id=cls.id_for(direction_code),
            code=direction_code,
            name=name,
            pole=pole.code,
            entity=entity,
        )

    def assign_entity(self, entity: str) -> None:
        """The direction belongs to another entity (reason required); projects
        already approved keep the split they were approved with."""
        require("rattacher une direction à une entité", Role.ADMIN, Role.DSI)
        self.check_open("rattacher à une entité")
        if entity == self.entity:
            return
        reason_for("rattacher une direction à une autre entité")
        self.trigger_event(self.EntityChanged, entity=entity)

    def check_open(self, action: str, field: str | None = None) -> None:
        check_open(self.closed_at, "Direction", self.code, action, field)

    def move(self, pole: Pole, current: Pole | None) -> None:
        """Attach the direction to ``pole`` (reason required); ``current`` is the
        pôle it leaves."""
        require("rattacher une direction", Role.ADMIN, Role.DSI)
        self.check_open("rattacher à un autre pôle")
        reason_for("rattacher une direction à un autre pôle")
        if pole.code == self.pole:
            return
        pole.attach(self.code)
        if current is not None:
            current.detach(self.code)
        self.trigger_event(self.Moved, pole=pole.code)

    def rename(self, name: str) -> None:
        require("renommer une direction", Role.ADMIN, Role.DSI)
        self.check_open("renommer")
        new = text(name, "name")
        reason_for("renommer une direction")
        if new != self.name:
            self.trigger_event(self.Renamed, name=new)

    def close(self, pole: Pole | None) -> None:
        """Close the direction (reason required): it leaves its pôle's open ones."""
        require("fermer une direction", Role.ADMIN, Role.DSI)
        self.check_open("fermer")
        reason_for("fermer une direction")
        if pole is not None:
            pole.detach(self.code)
        self.trigger_event(self.Closed)


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
        self.closed_at: datetime | None = None

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

    class Renamed(LedgerAggregate.Event):
        name: str

        def apply(self, agg: Team) -> None:
            agg.name = self.name

    class Closed(LedgerAggregate.Event):
        def apply(self, agg: Team) -> None:
            agg.closed_at = self.timestamp

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
        if direction is not None:
            direction.check_open("recevoir une nouvelle équipe", "direction")
        return cls._create(
            cls.Created,
            id=cls.id_for(team_code),
            code=team_code,
            name=text(name, "name"),
            kind=kind,
            direction=direction.code if direction else None,
        )

    def check_open(self, action: str, field: str | None = None) -> None:
        check_open(self.closed_at, "Équipe", self.code, action, field)

    def set_capacity(self, capacity_year: Any, days: Any) -> None:
        """The capacity of a year; changing one already set states its reason."""
        require("fixer la capacité d'une équipe", Role.DSI, Role.ADMIN)
        y = year(capacity_year, "year")
        d = positive_int(days, "days")
        if d > 100_000:
            raise InvalidValue("days", d, "capacité démesurée (jours-personne par an)")
        self.check_open("fixer sa capacité")
        if self.capacity.get(y) == d:
            return
        if y in self.capacity:
            reason_for("modifier la capacité d'une équipe")
        self.trigger_event(self.CapacitySet, year=y, days=d)

    def rename(self, name: str) -> None:
        require("renommer une équipe", Role.ADMIN, Role.DSI)
        self.check_open("renommer")
        new = text(name, "name")
        reason_for("renommer une équipe")
        if new != self.name:
            self.trigger_event(self.Renamed, name=new)

    def close(self) -> None:
        """Close the team (reason required): no new capacity nor workload; what
        approved projects reserved on it stays."""
        require("fermer une équipe", Role.ADMIN, Role.DSI)
        self.check_open("fermer")
        reason_for("fermer une équipe")
        self.trigger_event(self.Closed)
