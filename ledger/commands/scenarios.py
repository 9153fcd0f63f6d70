"""Command of arbitration support: record a scenario the optimiser computed.

The write side never reads the views: the optimiser computes a scenario from them
(``optimiser.api``) and sends the result here with the hash of its inputs. The
command checks what it can without the views — who records (the aggregate's rule),
the hash's format and its match with the inputs, the shape of both selections, a code
never used — and records the event.
"""

from __future__ import annotations

from typing import Any

from domain.scenarios import Scenario
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command

# What the optimiser computed, as opposed to what was asked: not part of the request's
# idempotency hash, so that a repeated key after the views moved gets the first result
# instead of a refusal.
COMPUTED = ("source", "inputs", "input_hash", "result", "greedy")


class ScenarioCommands(LedgerCore):
    """Optimisation scenarios: computed on the read side, recorded here for ever."""

    @command(exclude=COMPUTED)
    def record_scenario(
        self,
        caller: Caller,
        scenario_code: str,
        *,
        label: str = "",
        parameters: dict[str, Any],
        source: dict[str, Any],
        inputs: dict[str, Any],
        input_hash: str,
        result: dict[str, Any],
        greedy: dict[str, Any],
    ) -> CommandResult:
        """Record a computed scenario (DSI, chair): ``inputs`` in canonical plain form
        and their SHA-256 ``input_hash``, the optimum ``result`` and the ``greedy``
        fill (each with its selection and usage), the ``parameters`` asked and the
        ``source`` the views were read at (the ledger's head is added here)."""

        def body(unit: Unit) -> dict[str, Any]:
            scenario = Scenario.compute(
                scenario_code,
                label,
                parameters=parameters,
                source={**source, "ledger_head": self.head()},
                inputs=inputs,
                digest=input_hash,
                result=result,
                greedy=greedy,
            )
            Lookups.new(unit, Scenario, scenario.id, "Scénario", scenario.code)
            unit.add(scenario)
            return {
                "code": scenario.code,
                "status": scenario.status,
                "objective": result.get("objective"),
                "gap": result.get("gap"),
                "greedy_objective": greedy.get("objective"),
                "selection": result["selection"],
                "input_hash": scenario.input_hash,
                "diagnosis": result.get("diagnosis"),
                # the optimiser's reason an optimum selects nothing, if it gave one
                "empty_reason": result.get("empty_reason"),
            }

        return self.execute("record_scenario", caller, body)
