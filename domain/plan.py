"""The SDSI plan: its name, horizon and the six phases of building it."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from domain import dates
from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import (
    DeliverablesMissing,
    HorizonBelowCosted,
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


def _fresh_phases() -> dict[str, dict[str, Any]]:
    return {
        p.value: {
            "status": PhaseStatus.PLANNED.value,
            "planned_start": None,
            "planned_end": None,
            "started_on": None,
            "done_on": None,
        }
        for p in Phase
    }


class Plan(LedgerAggregate):
    """The SDSI plan of the municipality, through its cycles: the current plan (its
    number, title, horizon and phases) and the plans it followed, kept as they ended.

    One aggregate holds every cycle so that whatever checks a year against "the plan"
    checks it against the plan in force; a new plan (``follow``) ends the current one.
    """

    def __init__(self) -> None:
        self.number = 1
        self.name = ""
        self.municipality = ""
        self.first_year = 0
        self.last_year = 0
        self.phases: dict[str, dict[str, Any]] = {}
        # The plans this one followed, oldest first, each as it stood when it ended.
        self.previous: list[dict[str, Any]] = []
        # Projects carried over into the current plan from the one before.
        self.carried: list[str] = []

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
            agg.phases = _fresh_phases()

    class Renamed(LedgerAggregate.Event):
        name: str

        def apply(self, agg: Plan) -> None:
            agg.name = self.name

    class HorizonChanged(LedgerAggregate.Event):
        first_year: int
        last_year: int

        def apply(self, agg: Plan) -> None:
            agg.first_year, agg.last_year = self.first_year, self.last_year

    class Followed(LedgerAggregate.Event):
        """A new plan follows the current one, which ends as it stands: the new one
        takes over the projects carried over, the proposals still open (``pending``:
        not yet decided, or deferred), the open axes and indicators, and a draft of
        the grid to revise."""

        number: int
        name: str
        first_year: int
        last_year: int
        projects: list[str]
        pending: list[str]
        axes: list[str]
        indicators: list[str]
        grid: int | None

        def apply(self, agg: Plan) -> None:
            agg.previous.append(
                {
                    "number": agg.number,
                    "name": agg.name,
                    "first_year": agg.first_year,
                    "last_year": agg.last_year,
                }
            )
            agg.number, agg.name = self.number, self.name
            agg.first_year, agg.last_year = self.first_year, self.last_year
            agg.phases = _fresh_phases()
            agg.carried = list(self.projects)

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

    class PhaseCompletedWithReason(LedgerAggregate.Event):
        """A phase done although deliverables were not validated: the command's
        reason (required) says why; ``missing`` names them."""

        phase: Phase
        on: date
        missing: list[str]

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

    def extend(self, last_year: Any, costed_until: int | None) -> None:
        """A new last year (reason required): later to extend the plan, earlier to
        shorten it, never before ``costed_until`` — the last year something (a
        proposal's costs or workload, a CP, an envelope) is already costed in."""
        require("prolonger le plan", Role.DSI, Role.ADMIN)
        _first, last = _horizon(self.first_year, last_year)
        reason_for("prolonger le plan")
        if costed_until is not None and last < costed_until:
            raise HorizonBelowCosted(field="last_year", year=last, costed=costed_until)
        if last != self.last_year:
            self.trigger_event(
                self.HorizonChanged, first_year=self.first_year, last_year=last
            )

    def check_successor(self, first_year: Any, last_year: Any) -> tuple[int, int]:
        """The horizon of the plan that follows this one: it starts after this one
        starts and at the latest the year after it ends (no year left without a
        plan), and ends no earlier than this one."""
        require("adopter le plan suivant", Role.DSI, Role.CHAIR)
        first, last = _horizon(first_year, last_year)
        if not self.first_year < first <= self.last_year + 1:
            raise InvalidValue(
                "first_year",
                first,
                f"le plan suivant commence entre {self.first_year + 1} et "
                f"{self.last_year + 1}",
            )
        if last < self.last_year:
            raise InvalidValue(
                "last_year",
                last,
                f"le plan suivant ne finit pas avant le plan en cours ({self.last_year})",
            )
        return first, last

    def follow(
        self,
        name: str,
        first_year: int,
        last_year: int,
        projects: list[str],
        pending: list[str],
        axes: list[str],
        indicators: list[str],
        grid: int | None,
    ) -> None:
        """Start the next plan (reason required); ``check_successor`` first."""
        first, last = self.check_successor(first_year, last_year)
        title = text(name, "name")
        reason_for("adopter le plan suivant")
        self.trigger_event(
            self.Followed,
            number=self.number + 1,
            name=title,
            first_year=first,
            last_year=last,
            projects=sorted(projects),
            pending=sorted(pending),
            axes=sorted(axes),
            indicators=sorted(indicators),
            grid=grid,
        )

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

    def complete_phase(
        self, phase: Any, on: Any, *, missing: list[str], override: bool = False
    ) -> None:
        """The phase is done: ``missing`` (``domain.deliverables.missing_for``) names
        its expected deliverables not validated; with any, only ``override`` with a
        reason completes it."""
        require("terminer une phase", Role.DSI, Role.CHAIR)
        phase = enum_value(Phase, phase, "phase")
        self._move(phase, PhaseStatus.IN_PROGRESS, PhaseStatus.DONE)
        day = _actual(on)
        started = self.phases[phase.value]["started_on"]
        dates.not_before(day, started, "on", "son démarrage", "une phase terminée")
        if not missing:
            self.trigger_event(self.PhaseCompleted, phase=phase, on=day)
            return
        if not override:
            raise DeliverablesMissing(
                field="deliverables",
                phase=phase.value,
                missing=", ".join(f"« {m} »" for m in missing),
                deliverables=list(missing),
            )
        reason_for("terminer une phase sans tous ses livrables validés")
        self.trigger_event(
            self.PhaseCompletedWithReason, phase=phase, on=day, missing=list(missing)
        )

    def check_year(self, value: Any, field: str = "year") -> int:
        """A year inside the plan's horizon."""
        y = year(value, field)
        if not self.first_year <= y <= self.last_year:
            raise YearOutsideHorizon(
                field=field, year=y, first=self.first_year, last=self.last_year
            )
        return y

    @property
    def first_executable_year(self) -> int:
        """The first year money may still be executed in: the first year of the
        first plan (the plans follow each other with no year left out)."""
        return self.previous[0]["first_year"] if self.previous else self.first_year

    def check_executable_year(self, value: Any, field: str = "year") -> int:
        """A year money is executed in (a commitment, a DM, an AP revision): inside
        the years of this plan *or of the plans it followed* — a new plan adopted
        before the current year ends never closes that year's execution."""
        y = year(value, field)
        if not self.first_executable_year <= y <= self.last_year:
            raise YearOutsideHorizon(
                field=field,
                year=y,
                first=self.first_executable_year,
                last=self.last_year,
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
