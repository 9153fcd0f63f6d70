"""Commands on the plan, the organisation, axes and indicators, and the grid."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from domain.accounts import Account
from domain.axes import Axis, Indicator
from domain.committee import Committee
from domain.entities import MAIN, CostSplit, Entity, entity_code, whole
from domain.errors import AlreadyExists, InvalidValue, NotFound
from domain.grids import Criterion, GridVersion
from domain.municipality import Municipality
from domain.organisation import Direction, Pole, Team
from domain.plan import Plan
from domain.proposals import Proposal
from domain.values import Role, as_dict, as_list
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command


class Lookups:
    """Loading aggregates by natural key, with French 'not found' messages."""

    @staticmethod
    def plan(unit: Unit) -> Plan | None:
        return unit.find(Plan, Plan.id_for())

    @staticmethod
    def municipality(unit: Unit) -> Municipality | None:
        return unit.find(Municipality, Municipality.id_for())

    @staticmethod
    def committee(unit: Unit) -> Committee | None:
        return unit.find(Committee, Committee.id_for())

    @staticmethod
    def pole(unit: Unit, pole_code: str) -> Pole:
        return unit.get(Pole, Pole.id_for(pole_code), kind="Pôle", label=pole_code)

    @staticmethod
    def direction(unit: Unit, direction_code: str) -> Direction:
        return unit.get(
            Direction,
            Direction.id_for(direction_code),
            kind="Direction",
            label=direction_code,
        )

    @staticmethod
    def team(unit: Unit, team_code: str) -> Team:
        return unit.get(Team, Team.id_for(team_code), kind="Équipe", label=team_code)

    @staticmethod
    def axis(unit: Unit, axis_code: str) -> Axis:
        return unit.get(
            Axis, Axis.id_for(axis_code), kind="Axe stratégique", label=axis_code
        )

    @staticmethod
    def indicator(unit: Unit, indicator_code: str) -> Indicator:
        return unit.get(
            Indicator,
            Indicator.id_for(indicator_code),
            kind="Indicateur",
            label=indicator_code,
        )

    @staticmethod
    def grid(unit: Unit, number: int) -> GridVersion:
        return unit.get(
            GridVersion, GridVersion.id_for(number), kind="Grille", label=f"v{number}"
        )

    @staticmethod
    def account(unit: Unit, username: str) -> Account:
        return unit.get(
            Account, Account.id_for(username), kind="Compte", label=username
        )

    @staticmethod
    def proposal(unit: Unit, proposal_code: str) -> Proposal:
        return unit.get(
            Proposal,
            Proposal.id_for(str(proposal_code)),
            kind="Fiche projet",
            label=proposal_code,
        )

    @staticmethod
    def entity(unit: Unit, entity: Any, field: str = "entity") -> str:
        """The code of an open entity (``MAIN`` when none is given)."""
        found = entity_code(entity, field)
        if found != MAIN:
            owner = unit.get(Entity, Entity.id_for(found), kind="Entité", label=found)
            owner.check_open("recevoir une direction, une enveloppe ou une part", field)
            unit.guard(owner)  # closed meanwhile: the command runs again, refused
        return found

    @staticmethod
    def shares(unit: Unit, proposal: Proposal) -> dict[str, Decimal]:
        """How ``proposal``'s cost is split: its cost split, or wholly its
        direction's entity — every entity open (a closed one receives nothing new)."""
        shares = Lookups._shares(unit, proposal)
        for entity in shares:
            Lookups.entity(unit, entity, "shares")
        return shares

    @staticmethod
    def _shares(unit: Unit, proposal: Proposal) -> dict[str, Decimal]:
        # the split and the direction are guarded: changed meanwhile, the command
        # runs again on the new ones
        split = unit.find(CostSplit, CostSplit.id_for(proposal.code))
        if split is None:
            unit.guard_absent(CostSplit.id_for(proposal.code))
        else:
            unit.guard(split)
            if split.shares:
                return dict(split.shares)
        direction = (
            unit.find(Direction, Direction.id_for(proposal.direction))
            if proposal.direction
            else None
        )
        if direction is None:
            return whole(MAIN)
        return whole(unit.guard(direction).entity)

    @staticmethod
    def adopted_grid(unit: Unit, at: datetime | None = None) -> GridVersion | None:
        """The adopted grid version in force (the highest adopted number), now or as
        it was at ``at`` (adopted at or before it)."""
        latest = None
        number = 1
        while (grid := unit.find(GridVersion, GridVersion.id_for(number))) is not None:
            if grid.adopted and (
                at is None or (grid.adopted_at is not None and grid.adopted_at <= at)
            ):
                latest = grid
            number += 1
        return latest

    @staticmethod
    def new(
        unit: Unit, cls: type[Any], aggregate_id: Any, kind: str, label: str
    ) -> None:
        if unit.find(cls, aggregate_id) is not None:
            raise AlreadyExists(kind=kind, id=label)


class OrganisationCommands(LedgerCore):
    """Plan, pôles, directions, teams, axes, indicators and grid versions."""

    # --- plan ------------------------------------------------------------------------

    @command()
    def define_plan(
        self,
        caller: Caller,
        name: str,
        municipality: str | None,
        first_year: int,
        last_year: int,
    ) -> CommandResult:
        """Define the SDSI plan (once) with its horizon; without ``municipality``, the
        plan is the municipality's as defined (``define_municipality``)."""

        def body(unit: Unit) -> dict[str, Any]:
            town = municipality
            if town in (None, ""):
                defined = Lookups.municipality(unit)
                town = defined.name if defined is not None else town
            plan = Plan.define(name, town, first_year, last_year)  # checks the fields
            Lookups.new(unit, Plan, Plan.id_for(), "Plan", plan.name)
            unit.add(plan)
            return {
                "name": plan.name,
                "first_year": plan.first_year,
                "last_year": plan.last_year,
            }

        return self.execute("define_plan", caller, body)

    @command()
    def schedule_phase(
        self, caller: Caller, phase: str, planned_start: Any, planned_end: Any
    ) -> CommandResult:
        """Plan the dates of one of the six phases."""
        return self.execute(
            "schedule_phase",
            caller,
            lambda u: self._plan(u).schedule_phase(phase, planned_start, planned_end),
        )

    @command()
    def start_phase(self, caller: Caller, phase: str, on: Any) -> CommandResult:
        """Mark a phase in progress."""
        return self.execute(
            "start_phase", caller, lambda u: self._plan(u).start_phase(phase, on)
        )

    def _plan(self, unit: Unit) -> Plan:
        plan = Lookups.plan(unit)
        if plan is None:
            raise NotFound(kind="Plan", id="SDSI")
        return plan

    # --- organisation ------------------------------------------------------------------

    @command()
    def create_pole(self, caller: Caller, pole_code: str, name: str) -> CommandResult:
        """Create a pôle."""

        def body(unit: Unit) -> dict[str, Any]:
            Lookups.new(unit, Pole, Pole.id_for(str(pole_code)), "Pôle", pole_code)
            pole = unit.add(Pole.create(pole_code, name))
            return {"code": pole.code}

        return self.execute("create_pole", caller, body)

    @command()
    def create_direction(
        self,
        caller: Caller,
        direction_code: str,
        name: str,
        pole_code: str,
        entity: str | None = None,
    ) -> CommandResult:
        """Create a direction in a pôle, belonging to ``entity`` (default: the
        municipality)."""

        def body(unit: Unit) -> dict[str, Any]:
            owner = Lookups.entity(unit, entity)
            pole = Lookups.pole(unit, pole_code)
            Lookups.new(
                unit,
                Direction,
                Direction.id_for(str(direction_code)),
                "Direction",
                direction_code,
            )
            direction = unit.add(Direction.create(direction_code, name, pole, owner))
            return {"code": direction.code, "pole": pole.code, "entity": owner}

        return self.execute("create_direction", caller, body)

    @command()
    def move_direction(
        self, caller: Caller, direction_code: str, pole_code: str
    ) -> CommandResult:
        """Attach a direction to another pôle (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            direction = Lookups.direction(unit, direction_code)
            pole = Lookups.pole(unit, pole_code)
            current = unit.find(Pole, Pole.id_for(direction.pole))
            direction.move(pole, current)
            return {"code": direction.code, "pole": direction.pole}

        return self.execute("move_direction", caller, body)

    @command()
    def create_team(
        self,
        caller: Caller,
        team_code: str,
        name: str,
        kind: str,
        direction_code: str | None = None,
        capacity: dict[int, int] | None = None,
    ) -> CommandResult:
        """Create a DSI or business team, optionally with its yearly capacity."""

        def body(unit: Unit) -> dict[str, Any]:
            direction = (
                Lookups.direction(unit, direction_code) if direction_code else None
            )
            Lookups.new(unit, Team, Team.id_for(str(team_code)), "Équipe", team_code)
            team = unit.add(Team.create(team_code, name, kind, direction))
            days_by_year = as_dict(capacity, "capacity") if capacity is not None else {}
            plan = Lookups.plan(unit)
            for capacity_year, days in sorted(
                days_by_year.items(), key=lambda item: str(item[0])
            ):
                if plan is not None:
                    plan.check_year(capacity_year, f"capacity.{capacity_year}")
                team.set_capacity(capacity_year, days)
            return {"code": team.code}

        return self.execute("create_team", caller, body)

    @command()
    def set_team_capacity(
        self, caller: Caller, team_code: str, capacity_year: int, days: int
    ) -> CommandResult:
        """Set a team's capacity in person-days for a year."""

        def body(unit: Unit) -> None:
            plan = Lookups.plan(unit)
            if plan is not None:
                plan.check_year(capacity_year)
            Lookups.team(unit, team_code).set_capacity(capacity_year, days)

        return self.execute("set_team_capacity", caller, body)

    def _check_scope(self, unit: Unit, role: str, scope: str | None) -> None:
        # A referent's scope names an existing, open direction.
        if role == Role.REFERENT.value and scope:
            Lookups.direction(unit, scope).check_open("recevoir un référent", "scope")

    # --- axes and indicators -----------------------------------------------------------

    @command()
    def create_axis(
        self, caller: Caller, axis_code: str, label: str, description: str = ""
    ) -> CommandResult:
        """Create a strategic axis."""

        def body(unit: Unit) -> dict[str, Any]:
            Lookups.new(
                unit, Axis, Axis.id_for(str(axis_code)), "Axe stratégique", axis_code
            )
            return {"code": unit.add(Axis.create(axis_code, label, description)).code}

        return self.execute("create_axis", caller, body)

    @command()
    def create_indicator(
        self,
        caller: Caller,
        indicator_code: str,
        axis_code: str,
        label: str,
        unit_label: str,
        baseline: Any,
        target: Any,
        target_year: int,
    ) -> CommandResult:
        """Create an indicator of an axis, with baseline and target."""

        def body(unit: Unit) -> dict[str, Any]:
            axis = Lookups.axis(unit, axis_code)
            Lookups.new(
                unit,
                Indicator,
                Indicator.id_for(str(indicator_code)),
                "Indicateur",
                indicator_code,
            )
            ind = unit.add(
                Indicator.create(
                    indicator_code,
                    axis,
                    label,
                    unit_label,
                    baseline,
                    target,
                    target_year,
                )
            )
            return {"code": ind.code, "axis": axis.code}

        return self.execute("create_indicator", caller, body)

    @command()
    def measure_indicator(
        self,
        caller: Caller,
        indicator_code: str,
        on: Any,
        value: Any,
        kind: str = "realised",
        comment: str = "",
    ) -> CommandResult:
        """Record a planned or realised value of an indicator."""

        def body(unit: Unit) -> dict[str, Any]:
            Lookups.indicator(unit, indicator_code).measure(on, value, kind, comment)
            return {"code": indicator_code}

        return self.execute("measure_indicator", caller, body)

    # --- grid ----------------------------------------------------------------------------

    @command()
    def draft_grid(
        self,
        caller: Caller,
        number: int,
        label: str,
        based_on: int | None = None,
        criteria: list[Any] | None = None,
    ) -> CommandResult:
        """Draft grid version ``number``, empty or copied from ``based_on``, plus criteria."""

        def body(unit: Unit) -> dict[str, Any]:
            base = Lookups.grid(unit, based_on) if based_on is not None else None
            if not isinstance(number, int) or isinstance(number, bool):
                raise InvalidValue("number", number, "numéro de version entier")
            Lookups.new(
                unit, GridVersion, GridVersion.id_for(number), "Grille", f"v{number}"
            )
            previous = (
                unit.find(GridVersion, GridVersion.id_for(number - 1))
                if number > 1
                else None
            )
            if number > 1 and previous is None:
                raise InvalidValue(
                    "number", number, f"la version {number - 1} n'existe pas"
                )
            grid = unit.add(GridVersion.draft(number, label, base))
            for i, raw in enumerate(as_list(criteria, "criteria")):
                grid.set_criterion(self._criterion(unit, raw, f"criteria[{i}]"))
            return {"number": grid.number, "criteria": sorted(grid.criteria)}

        return self.execute("draft_grid", caller, body)

    @command()
    def set_grid_criterion(
        self, caller: Caller, number: int, criterion: Any
    ) -> CommandResult:
        """Add or replace a criterion of a draft grid version."""

        def body(unit: Unit) -> dict[str, Any]:
            grid = Lookups.grid(unit, number)
            grid.set_criterion(self._criterion(unit, criterion, "criterion"))
            return {"number": grid.number, "criteria": sorted(grid.criteria)}

        return self.execute("set_grid_criterion", caller, body)

    @command()
    def remove_grid_criterion(
        self, caller: Caller, number: int, criterion_code: str
    ) -> CommandResult:
        """Remove a criterion from a draft grid version."""

        def body(unit: Unit) -> dict[str, Any]:
            grid = Lookups.grid(unit, number)
            grid.remove_criterion(criterion_code)
            return {"number": grid.number, "criteria": sorted(grid.criteria)}

        return self.execute("remove_grid_criterion", caller, body)

    @command()
    def adopt_grid(self, caller: Caller, number: int, on: Any) -> CommandResult:
        """Adopt a grid version (chair): it is frozen for ever."""

        def body(unit: Unit) -> dict[str, Any]:
            grid = Lookups.grid(unit, number)
            grid.adopt(on)
            return {"number": grid.number}

        return self.execute("adopt_grid", caller, body)

    def _criterion(self, unit: Unit, raw: Any, field: str) -> Criterion:
        return criterion_for(unit, raw, field)


def criterion_for(unit: Unit, raw: Any, field: str) -> Criterion:
    """A criterion from plain data, its axis and indicator open and consistent."""
    crit = Criterion.parse(raw, field)
    if crit.axis:
        Lookups.axis(unit, crit.axis).check_open(
            "être lié à un critère", f"{field}.axis"
        )
    if crit.indicator:
        ind = Lookups.indicator(unit, crit.indicator)
        ind.check_open("être lié à un critère", f"{field}.indicator")
        if crit.axis and ind.axis != crit.axis:
            raise InvalidValue(
                f"{field}.indicator",
                crit.indicator,
                f"appartient à l'axe {ind.axis}, pas {crit.axis}",
            )
    return crit
