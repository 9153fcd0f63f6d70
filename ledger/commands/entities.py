"""Commands on the entities a plan covers and on a proposal's cost split."""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.budget import ProjectBudget
from domain.entities import CostSplit, Entity, parse_shares
from domain.entity_register import EntityRegister, register_args
from domain.errors import InvalidValue
from domain.municipality import Municipality
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command
from ledger.queries import iter_events


def entity_register(
    ledger: LedgerCore, unit: Unit, *, write: bool = True
) -> EntityRegister:
    """The register of the entities' codes and SIRENs, guarded. A ledger without
    one opens it with the entities it has (``write``: to be saved with the command;
    else only read, its absence guarded)."""
    found = unit.find(EntityRegister, EntityRegister.ID)
    if found is not None:
        return unit.guard(found)
    topics = [get_topic(Entity.Declared)]
    ids = [ev.originator_id for _n, ev in iter_events(ledger, topics)]
    entities = [unit.get(Entity, i, kind="Entité", label=i) for i in ids]
    register = EntityRegister.open(register_args(entities))
    if write:
        return unit.add(register)
    unit.guard_absent(EntityRegister.ID)
    return register


def municipality_siren(unit: Unit) -> str:
    """The municipality's SIREN (empty before it is defined), guarded."""
    town = Lookups.municipality(unit)
    if town is None:
        unit.guard_absent(Municipality.id_for())
        return ""
    return unit.guard(town).siren


def _entity(entity: Entity) -> dict[str, Any]:
    return {
        "code": entity.code,
        "name": entity.name,
        "kind": entity.kind,
        "siren": entity.siren,
    }


class EntityCommands(LedgerCore):
    """Entities (CCAS, EPCI…) beside the municipality, directions' entities and
    cost splits."""

    def _entity(self, unit: Unit, entity_code: str) -> Entity:
        return unit.get(
            Entity, Entity.id_for(str(entity_code)), kind="Entité", label=entity_code
        )

    @command()
    def declare_entity(
        self, caller: Caller, entity_code: str, name: str, kind: str, siren: str
    ) -> CommandResult:
        """Declare an entity covered by the plan with its kind and SIREN."""

        def body(unit: Unit) -> dict[str, Any]:
            entity = Entity.declare(entity_code, name, kind, siren)  # checks fields
            Lookups.new(unit, Entity, entity.id, "Entité", entity.code)
            register = entity_register(self, unit)
            register.check_code(entity.code)
            register.check_siren(entity.siren, entity.code, municipality_siren(unit))
            register.claim(entity.code, entity.siren)
            return _entity(unit.add(entity))

        return self.execute("declare_entity", caller, body)

    @command()
    def change_entity(
        self, caller: Caller, entity_code: str, name: str, kind: str, siren: str
    ) -> CommandResult:
        """Change an entity's name, kind or SIREN (reason required)."""

        def body(unit: Unit) -> dict[str, Any]:
            entity = self._entity(unit, entity_code)
            before = entity.siren
            entity.change(name, kind, siren)
            if entity.siren != before:
                register = entity_register(self, unit)
                town = municipality_siren(unit)
                register.check_siren(entity.siren, entity.code, town)
                register.change_siren(entity.code, entity.siren)
            return _entity(entity)

        return self.execute("change_entity", caller, body)

    @command()
    def close_entity(self, caller: Caller, entity_code: str) -> CommandResult:
        """Close an entity (reason required): no new direction, envelope or share."""

        def body(unit: Unit) -> dict[str, Any]:
            entity = self._entity(unit, entity_code)
            entity.close()
            entity_register(self, unit).release(entity.code)  # its SIREN is free
            return {"code": entity.code}

        return self.execute("close_entity", caller, body)

    @command()
    def assign_direction_entity(
        self, caller: Caller, direction_code: str, entity: str
    ) -> CommandResult:
        """Attach a direction to another entity (reason required); its projects
        approved before keep their split."""

        def body(unit: Unit) -> dict[str, Any]:
            direction = Lookups.direction(unit, direction_code)
            direction.assign_entity(Lookups.entity(unit, entity))
            return {"code": direction.code, "entity": direction.entity}

        return self.execute("assign_direction_entity", caller, body)

    @command()
    def set_cost_split(
        self, caller: Caller, proposal_code: str, shares: Any
    ) -> CommandResult:
        """Share a proposal's cost between entities, in percentages summing to 100
        (an empty list: wholly its direction's entity), before its approval."""

        def body(unit: Unit) -> dict[str, Any]:
            proposal = Lookups.proposal(unit, proposal_code)
            parsed = parse_shares(shares) if shares not in (None, [], {}) else {}
            for i, entity in enumerate(parsed):
                Lookups.entity(unit, entity, f"shares[{i}].entity")
            # approved meanwhile: the split runs again, and is refused
            unit.guard_absent(ProjectBudget.id_for(proposal.code))
            if unit.find(ProjectBudget, ProjectBudget.id_for(proposal.code)):
                raise InvalidValue(
                    "shares",
                    proposal.code,
                    "la répartition d'une fiche approuvée est fixée à son approbation",
                )
            split = unit.find(CostSplit, CostSplit.id_for(proposal.code))
            if split is None:
                split = unit.add(CostSplit.define(proposal.code, parsed))
            else:
                split.change(parsed)
            shares_now = Lookups.shares(unit, proposal)
            return {
                "proposal": proposal.code,
                "shares": [{"entity": k, "percent": v} for k, v in shares_now.items()],
            }

        return self.execute("set_cost_split", caller, body)
