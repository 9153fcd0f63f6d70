"""Commands on the reference data: the municipality, the plan's title, renaming and
closing pôles, directions, teams, axes and indicators, indicator targets, and the
composition of the steering committee.

Creating records and moving the plan's phases are in ``organisation``; everything
here states its reason when it changes what exists (``domain.records``). A setup
import reuses these commands: each writes nothing when the record already is as
asked (a change of the same value is not an event), so importing a file twice
changes nothing.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.accounts import Account
from domain.axes import Axis, Indicator
from domain.committee import Committee
from domain.errors import AlreadyExists, NotFound
from domain.municipality import Municipality
from domain.organisation import Direction, Pole
from ledger.commands.entities import entity_register
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command
from ledger.queries import iter_events


class ReferenceCommands(LedgerCore):
    """The municipality, renaming and closing reference records, indicator targets
    and the COPIL's composition."""

    # --- the municipality ------------------------------------------------------------

    @command()
    def define_municipality(
        self, caller: Caller, name: str, siren: str, insee: str, siret: str = ""
    ) -> CommandResult:
        """Define the municipality (once): its name, SIREN, INSEE code and SIRET."""

        def body(unit: Unit) -> dict[str, Any]:
            town = Municipality.define(name, siren, siret, insee)  # checks the fields
            if Lookups.municipality(unit) is not None:
                raise AlreadyExists(kind="Collectivité", id=town.name)
            entity_register(self, unit, write=False).check_siren(town.siren, "", "")
            return self._municipality(unit.add(town))

        return self.execute("define_municipality", caller, body)

    @command()
    def change_municipality(
        self, caller: Caller, name: str, siren: str, insee: str, siret: str = ""
    ) -> CommandResult:
        """Change the municipality's name or identifiers (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            town = Lookups.municipality(unit)
            if town is None:
                raise NotFound(kind="Collectivité", id="—")
            town.change(name, siren, siret, insee)
            entity_register(self, unit, write=False).check_siren(town.siren, "", "")
            return self._municipality(town)

        return self.execute("change_municipality", caller, body)

    @staticmethod
    def _municipality(town: Municipality) -> dict[str, Any]:
        return {
            "name": town.name,
            "siren": town.siren,
            "siret": town.siret,
            "insee": town.insee,
        }

    # --- the plan ----------------------------------------------------------------------

    @command()
    def rename_plan(self, caller: Caller, name: str) -> CommandResult:
        """Give the plan a new title (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            plan = Lookups.plan(unit)
            if plan is None:
                raise NotFound(kind="Plan", id="SDSI")
            plan.rename(name)
            return {"name": plan.name}

        return self.execute("rename_plan", caller, body)

    # --- pôles, directions, teams ----------------------------------------------------

    @command()
    def rename_pole(self, caller: Caller, pole_code: str, name: str) -> CommandResult:
        """Rename a pôle (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            pole = Lookups.pole(unit, pole_code)
            pole.rename(name)
            return {"code": pole.code, "name": pole.name}

        return self.execute("rename_pole", caller, body)

    @command()
    def close_pole(self, caller: Caller, pole_code: str) -> CommandResult:
        """Close a pôle (reason required) once its directions are closed or moved."""

        def body(unit: Unit) -> dict[str, Any]:
            pole = Lookups.pole(unit, pole_code)
            pole.close(self._open_directions(pole))
            return {"code": pole.code, "closed": True}

        return self.execute("close_pole", caller, body)

    def _open_directions(self, pole: Pole) -> set[str]:
        """The open directions of a pôle (read from the log for a pôle created
        before pôles listed them)."""
        if pole.directions is not None:
            return set(pole.directions)
        found: dict[str, str | None] = {}  # direction → its pôle while open
        topics = [Direction.Created, Direction.Moved, Direction.Closed]
        by_id: dict[Any, str] = {}
        for _nid, event in iter_events(self, [_topic(t) for t in topics]):
            if isinstance(event, Direction.Created):
                by_id[event.originator_id] = event.code
                found[event.code] = event.pole
            elif isinstance(event, Direction.Moved):
                found[by_id[event.originator_id]] = event.pole
            else:
                found[by_id[event.originator_id]] = None
        return {code for code, where in found.items() if where == pole.code}

    @command()
    def rename_direction(
        self, caller: Caller, direction_code: str, name: str
    ) -> CommandResult:
        """Rename a direction (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            direction = Lookups.direction(unit, direction_code)
            direction.rename(name)
            return {"code": direction.code, "name": direction.name}

        return self.execute("rename_direction", caller, body)

    @command()
    def close_direction(self, caller: Caller, direction_code: str) -> CommandResult:
        """Close a direction (reason required): its proposals and history stay; it
        receives no new proposal, business team or referent."""

        def body(unit: Unit) -> dict[str, Any]:
            direction = Lookups.direction(unit, direction_code)
            direction.close(unit.find(Pole, Pole.id_for(direction.pole)))
            return {"code": direction.code, "closed": True}

        return self.execute("close_direction", caller, body)

    @command()
    def rename_team(self, caller: Caller, team_code: str, name: str) -> CommandResult:
        """Rename a team (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            team = Lookups.team(unit, team_code)
            team.rename(name)
            return {"code": team.code, "name": team.name}

        return self.execute("rename_team", caller, body)

    @command()
    def close_team(self, caller: Caller, team_code: str) -> CommandResult:
        """Close a team (reason required): no new capacity nor workload."""

        def body(unit: Unit) -> dict[str, Any]:
            team = Lookups.team(unit, team_code)
            team.close()
            return {"code": team.code, "closed": True}

        return self.execute("close_team", caller, body)

    # --- axes and indicators ---------------------------------------------------------

    @command()
    def rename_axis(
        self,
        caller: Caller,
        axis_code: str,
        label: str,
        description: str | None = None,
    ) -> CommandResult:
        """Give an axis a new label (and description); reason required."""

        def body(unit: Unit) -> dict[str, Any]:
            axis = Lookups.axis(unit, axis_code)
            axis.rename(label, description)
            return {"code": axis.code, "label": axis.label}

        return self.execute("rename_axis", caller, body)

    @command()
    def close_axis(self, caller: Caller, axis_code: str) -> CommandResult:
        """Close an axis (reason required) once its indicators are closed."""

        def body(unit: Unit) -> dict[str, Any]:
            axis = Lookups.axis(unit, axis_code)
            axis.close(self._open_indicators(axis))
            return {"code": axis.code, "closed": True}

        return self.execute("close_axis", caller, body)

    def _open_indicators(self, axis: Axis) -> set[str]:
        """The open indicators of an axis (read from the log for an axis created
        before axes listed them)."""
        if axis.indicators is not None:
            return set(axis.indicators)
        found: dict[str, bool] = {}
        by_id: dict[Any, str] = {}
        topics = [Indicator.Created, Indicator.Closed]
        for _nid, event in iter_events(self, [_topic(t) for t in topics]):
            if isinstance(event, Indicator.Created):
                if event.axis == axis.code:
                    by_id[event.originator_id] = event.code
                    found[event.code] = True
            elif event.originator_id in by_id:
                found[by_id[event.originator_id]] = False
        return {code for code, still_open in found.items() if still_open}

    @command()
    def rename_indicator(
        self, caller: Caller, indicator_code: str, label: str
    ) -> CommandResult:
        """Give an indicator a new label (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            indicator = Lookups.indicator(unit, indicator_code)
            indicator.rename(label)
            return {"code": indicator.code, "label": indicator.label}

        return self.execute("rename_indicator", caller, body)

    @command()
    def set_indicator_target(
        self, caller: Caller, indicator_code: str, target_year: int, value: Any
    ) -> CommandResult:
        """The target of an indicator for a year (changing one states its reason)."""

        def body(unit: Unit) -> dict[str, Any]:
            indicator = Lookups.indicator(unit, indicator_code)
            indicator.set_target(target_year, value)
            return {
                "code": indicator.code,
                "targets": {str(y): v for y, v in sorted(indicator.targets.items())},
            }

        return self.execute("set_indicator_target", caller, body)

    @command()
    def close_indicator(self, caller: Caller, indicator_code: str) -> CommandResult:
        """Close an indicator (reason required): no new target, measurement or link."""

        def body(unit: Unit) -> dict[str, Any]:
            indicator = Lookups.indicator(unit, indicator_code)
            indicator.close(unit.find(Axis, Axis.id_for(indicator.axis)))
            return {"code": indicator.code, "closed": True}

        return self.execute("close_indicator", caller, body)

    # --- the steering committee's composition ----------------------------------------

    @command()
    def appoint_committee_member(
        self, caller: Caller, username: str, kind: str, voting: bool
    ) -> CommandResult:
        """Seat an account on the COPIL as an elected official, the DGS, a DGA, the
        DSI or an invited expert, voting or not."""

        def body(unit: Unit) -> dict[str, Any]:
            account = Lookups.account(unit, str(username))
            committee = Lookups.committee(unit) or unit.add(Committee.create())
            committee.appoint(
                account.username, account.grants, account.active, kind, voting
            )
            return self._seat(committee, account.username)

        return self.execute("appoint_committee_member", caller, body)

    @command()
    def change_committee_member(
        self, caller: Caller, username: str, kind: str, voting: bool
    ) -> CommandResult:
        """Change what a member sits as, or whether they vote (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            account = Lookups.account(unit, str(username))
            committee = self._committee(unit, account)
            committee.change(
                account.username, account.grants, account.active, kind, voting
            )
            return self._seat(committee, account.username)

        return self.execute("change_committee_member", caller, body)

    @command()
    def remove_committee_member(self, caller: Caller, username: str) -> CommandResult:
        """A member leaves the COPIL (reason required); past sessions keep them."""

        def body(unit: Unit) -> dict[str, Any]:
            account = Lookups.account(unit, str(username))
            committee = self._committee(unit, account)
            committee.remove(account.username)
            return {"username": account.username, "sitting": False}

        return self.execute("remove_committee_member", caller, body)

    @staticmethod
    def _committee(unit: Unit, account: Account) -> Committee:
        committee = Lookups.committee(unit)
        if committee is None:
            raise NotFound(
                field="username", kind="Membre du COPIL", id=account.username
            )
        return committee

    @staticmethod
    def _seat(committee: Committee, username: str) -> dict[str, Any]:
        seat = committee.members[username]
        return {"username": username, "sitting": True, **seat}


def _topic(cls: type) -> str:
    return get_topic(cls)
