"""The SDSI plan: its name, horizon and the six phases of building it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import dates
from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import (
    InvalidValue,
    PhaseTransitionRefused,
    YearOutsideHorizon,
)
from domain.records import reason_for
from domain.values import DomainEnum, Role, enum_value, text, year


class Phase(DomainEnum):
    """The six phases of building the SDSI, in order."""

    CADRAGE = "cadrage"
    REVUE_DOCUMENTAIRE = "revue_documentaire"
    ALIGNEMENT_STRATEGIQUE = "alignement_strategique"
    DIAGNOSTIC_SI = "diagnostic_si"
    EVOLUTIONS_DEMANDEES = "evolutions_demandees"
    PLAN_STRATEGIQUE = "plan_strategique_numerique"


class PhaseStatus(DomainEnum):
    """Planned → in progress → done."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class Plan(LedgerAggregate):
    """The one SDSI plan of the municipality."""

    def __init__(self) -> None:
        self.name = ""
        self.municipality = ""
        self.first_year = 0
        self.last_year = 0
        self.phases: dict[str, dict[str, Any]] = {}

    @staticmethod
    def id_for() -> UUID:
        return natural_id("plan")

    class Defined(LedgerAggregate.Created):
        name: str
        municipality: str
        first_year: int
        last_year: int

        def apply(self, agg: Plan) -> None:
            agg.name, agg.municipality = self.name, self.municipality
            agg.first_year, agg.last_year = self.first_year, self.last_year
            agg.phases = {
                p.value: {
                    "status": PhaseStatus.PLANNED.value,
                    "planned_start": None,
                    "planned_end": None,
                    "started_on": None,
                    "done_on": None,
                }
                for p in Phase
            }

    class Renamed(LedgerAggregate.Event):
        name: str

        def apply(self, agg: Plan) -> None:
            agg.name = self.name

    class HorizonChanged(LedgerAggregate.Event):
        first_year: int
        last_year: int

        def apply(self, agg: Plan) -> None:
            agg.first_year, agg.last_year = self.first_year, self.last_year

    class PhaseScheduled(LedgerAggregate.Event):
        phase: Phase
        planned_start: date
        planned_end: date

        def apply(self, agg: Plan) -> None:
            agg.phases[self.phase.value].update(
                planned_start=self.planned_start, planned_end=self.planned_end
            )

    class PhaseStarted(LedgerAggregate.Event):
        phase: Phase
        on: date

        def apply(self, agg: Plan) -> None:
            agg.phases[self.phase.value].update(
                status=PhaseStatus.IN_PROGRESS.value, started_on=self.on
            )

    class PhaseCompleted(LedgerAggregate.Event):
        phase: Phase
        on: date

        def apply(self, agg: Plan) -> None:
            agg.phases[self.phase.value].update(
                status=PhaseStatus.DONE.value, done_on=self.on
            )

    @classmethod
    def define(
        cls, name: str, municipality: str, first_year: int, last_year: int
    ) -> Plan:
        require("définir le plan", Role.DSI, Role.CHAIR, Role.ADMIN)
        first, last = _horizon(first_year, last_year)
        return cls._create(
            cls.Defined,
            id=cls.id_for(),
            name=text(name, "name"),
            municipality=text(municipality, "municipality"),
            first_year=first,
            last_year=last,
        )

    def rename(self, name: str) -> None:
        """A new title for the plan (reason required)."""
        require("renommer le plan", Role.DSI, Role.CHAIR, Role.ADMIN)
        new = text(name, "name")
        reason_for("renommer le plan")
        if new != self.name:
            self.trigger_event(self.Renamed, name=new)

    def change_horizon(self, first_year: int, last_year: int) -> None:
        require("modifier l'horizon du plan", Role.DSI, Role.CHAIR)
        first, last = _horizon(first_year, last_year)
        self.trigger_event(self.HorizonChanged, first_year=first, last_year=last)

    def schedule_phase(self, phase: Any, planned_start: Any, planned_end: Any) -> None:
        require("planifier une phase", Role.DSI, Role.CHAIR, Role.ADMIN)
        phase = enum_value(Phase, phase, "phase")
        start = dates.planned(planned_start, "planned_start", self)
        end = dates.planned(planned_end, "planned_end", self)
        dates.not_before(end, start, "planned_end", "son début", "une phase planifiée")
        self.trigger_event(
            self.PhaseScheduled, phase=phase, planned_start=start, planned_end=end
        )

    def start_phase(self, phase: Any, on: Any) -> None:
        require("démarrer une phase", Role.DSI, Role.CHAIR)
        phase = enum_value(Phase, phase, "phase")
        self._move(phase, PhaseStatus.PLANNED, PhaseStatus.IN_PROGRESS)
        self.trigger_event(self.PhaseStarted, phase=phase, on=_actual(on))

    def complete_phase(self, phase: Any, on: Any) -> None:
        require("terminer une phase", Role.DSI, Role.CHAIR)
        phase = enum_value(Phase, phase, "phase")
        self._move(phase, PhaseStatus.IN_PROGRESS, PhaseStatus.DONE)
        day = _actual(on)
        started = self.phases[phase.value]["started_on"]
        dates.not_before(day, started, "on", "son démarrage", "une phase terminée")
        self.trigger_event(self.PhaseCompleted, phase=phase, on=day)

    def check_year(self, value: Any, field: str = "year") -> int:
        """A year inside the plan's horizon."""
        y = year(value, field)
        if not self.first_year <= y <= self.last_year:
            raise YearOutsideHorizon(
                field=field, year=y, first=self.first_year, last=self.last_year
            )
        return y

    def _move(self, phase: Phase, source: PhaseStatus, target: PhaseStatus) -> None:
        status = self.phases[phase.value]["status"]
        if status != source.value:
            raise PhaseTransitionRefused(
                phase=phase.value, status=status, target=target.value
            )


def _actual(value: Any) -> date:
    """The actual date of a phase's start or end: not after the day it is recorded."""
    return dates.fact(value, "on", "une phase démarrée ou terminée")


def _horizon(first_year: Any, last_year: Any) -> tuple[int, int]:
    first, last = year(first_year, "first_year"), year(last_year, "last_year")
    if last < first:
        raise InvalidValue("last_year", last, "la dernière année précède la première")
    if last - first > 15:
        raise InvalidValue("last_year", last, "horizon de 16 ans au plus")
    return first, last
