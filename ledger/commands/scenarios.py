"""Commands of arbitration support: compute a scenario from the views and record it."""

from __future__ import annotations

from typing import Any

from domain.accounts import SYSTEM, has_role
from domain.errors import AlreadyExists, InvalidValue, NotAllowed
from domain.scenarios import Scenario
from domain.values import Role
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command

MAY_RUN = (Role.DSI, Role.CHAIR)


class ScenarioCommands(LedgerCore):
    """Optimisation scenarios: computed from the live views, recorded for ever."""

    _scenario_views: Any = None

    @command(exclude=("store",))
    def run_scenario(
        self,
        caller: Caller,
        scenario_code: str,
        *,
        label: str = "",
        risk_weight: Any = "0",
        window: Any = 0,
        forced_in: Any = None,
        forced_out: Any = None,
        grid_version: Any = None,
        budget_scale: Any = "1",
        time_limit: Any = None,
        store: Any = None,
    ) -> CommandResult:
        """Optimise the plan on the current views and record the scenario (DSI, chair).

        ``store`` is the view store to read (the web app's); by default the live views
        of the ledger's database. The solve happens before the command, once: only the
        recording runs in the command (and is what a retry repeats)."""
        from optimiser.greedy import greedy
        from optimiser.inputs import Parameters, from_views
        from optimiser.model import ProblemError
        from optimiser.solve import solve

        landed = self.landed(caller)  # a repeated request: before any new solve
        if landed is not None:
            return landed
        self._check_may_run(caller)
        if self.load(Scenario, Scenario.id_for(str(scenario_code))) is not None:
            raise AlreadyExists(kind="Scénario", id=str(scenario_code))
        try:
            params = Parameters.parse(
                risk_weight=risk_weight,
                window=window,
                forced_in=forced_in,
                forced_out=forced_out,
                grid_version=grid_version,
                budget_scale=budget_scale,
                time_limit=time_limit,
            )
            inputs = from_views(store or self._views(), params)
        except ProblemError as exc:
            raise InvalidValue(
                exc.field, str(exc), "entrée du scénario refusée"
            ) from None
        problem = inputs.problem
        result = solve(problem, time_limit=params.time_limit)
        fill = greedy(problem)
        from optimiser.check import usage_tables

        source = {**inputs.source, "ledger_head": self.head()}
        result_doc = {
            **result.to_dict(),
            "usage": usage_tables(problem, result.selection),
        }
        greedy_doc = {**fill.to_dict(), "usage": usage_tables(problem, fill.selection)}
        plain = problem.to_dict()
        digest = problem.input_hash()

        def body(unit: Unit) -> dict[str, Any]:
            Lookups.new(
                unit,
                Scenario,
                Scenario.id_for(str(scenario_code)),
                "Scénario",
                str(scenario_code),
            )
            scenario = unit.add(
                Scenario.compute(
                    scenario_code,
                    label,
                    parameters=params.to_dict(),
                    source=source,
                    inputs=plain,
                    digest=digest,
                    result=result_doc,
                    greedy=greedy_doc,
                )
            )
            return {
                "code": scenario.code,
                "status": result.status,
                "objective": result_doc["objective"],
                "gap": result_doc["gap"],
                "greedy_objective": greedy_doc["objective"],
                "selection": result_doc["selection"],
                "input_hash": digest,
                "diagnosis": result_doc["diagnosis"],
            }

        return self.execute("run_scenario", caller, body)

    def _check_may_run(self, caller: Caller) -> None:
        """The domain's rule, checked before the (possibly long) solve."""
        roles = self._roles_of(caller.actor)
        if caller.actor != SYSTEM and not any(has_role(roles, r) for r in MAY_RUN):
            raise NotAllowed(
                actor=caller.actor,
                action="lancer un scénario d'optimisation",
                roles=", ".join(roles) or "aucun",
            )

    def _views(self) -> Any:
        """The live views of this ledger's database (opened once)."""
        if self._scenario_views is None:
            from projections.store import open_store

            self._scenario_views = open_store(
                self.settings.database, self.settings.data_dir
            )
        return self._scenario_views

    def close(self) -> None:
        if self._scenario_views is not None:
            self._scenario_views.close()
            self._scenario_views = None
        super().close()
