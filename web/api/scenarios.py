"""Scenario endpoints: list, one scenario, side-by-side comparison, the efficient
frontier and the robustness of the selection (all with ``as_of``), and running a
scenario (DSI, chair; ``Idempotency-Key``). The parameters' schemas, which the UI
forms load too, are in ``web.api.scenario_schemas``.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_smorest import Blueprint

from optimiser import api as optimiser
from optimiser.scenarios import compute_and_record
from web.api import responses as r
from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.api.responses import errors
from web.api.scenario_schemas import (
    CompareQuery,
    FrontierQuery,
    RobustnessQuery,
    RunScenario,
    solver_parameters,
    split_codes,
)
from web.auth import requires
from web.state import state

scenarios = Blueprint(
    "api_scenarios",
    __name__,
    url_prefix="/api/v1",
    description="Scénarios d'optimisation, frontière efficace, robustesse",
)
BLUEPRINTS = (scenarios,)


def _store(args: dict[str, Any]) -> Any:
    return state().read_model.at(args.pop("as_of", None))


@scenarios.route("/scenarios")
@scenarios.arguments(s.AsOf, location="query")
@scenarios.response(200, r.Scenarios)
@errors(scenarios, *r.READ_ERRORS)
@requires("scenario.view")
def list_scenarios(args: dict[str, Any]) -> dict[str, Any]:
    """Every recorded scenario, newest first, with its headline figures."""
    return {"scenarios": optimiser.list_scenarios(_store(args))}


@scenarios.route("/scenarios/compare")
@scenarios.arguments(CompareQuery, location="query")
@scenarios.response(200, r.Comparison)
@errors(scenarios, *r.READ_ERRORS, 404)
@requires("scenario.view")
def compare(args: dict[str, Any]) -> dict[str, Any]:
    """Scenarios side by side: projects, value, budget per year, capacity per team."""
    codes = split_codes(args["codes"])
    result = optimiser.compare_scenarios(_store(args), codes, greedy=args["greedy"])
    if not result["columns"]:
        abort(404)
    return result


@scenarios.route("/scenarios/frontier")
@scenarios.arguments(FrontierQuery, location="query")
@scenarios.response(200, r.Frontier)
@errors(scenarios, *r.READ_ERRORS)
@requires("scenario.view")
def frontier(args: dict[str, Any]) -> dict[str, Any]:
    """Best value (and greedy value) against the total envelope."""
    store = _store(args)
    return optimiser.frontier(
        store,
        low=args.pop("low"),
        high=args.pop("high"),
        steps=args.pop("steps"),
        **solver_parameters(args),
    )


@scenarios.route("/scenarios/robustness")
@scenarios.arguments(RobustnessQuery, location="query")
@scenarios.response(200, r.Robustness)
@errors(scenarios, *r.READ_ERRORS)
@requires("scenario.view")
def robustness(args: dict[str, Any]) -> dict[str, Any]:
    """Weight intervals, selection frequencies and where evaluators disagree."""
    store = _store(args)
    extra = {k: args.pop(k) for k in ("draws", "seed", "spread", "tolerance")}
    return optimiser.robustness(store, **extra, **solver_parameters(args))


@scenarios.route("/scenarios/<code>")
@scenarios.arguments(s.AsOf, location="query")
@scenarios.response(200, r.Scenario)
@errors(scenarios, *r.READ_ERRORS, 404)
@requires("scenario.view")
def scenario(args: dict[str, Any], code: str) -> dict[str, Any]:
    """One scenario: inputs, parameters, optimum, greedy fill and their contrast."""
    doc = optimiser.get_scenario(_store(args), code)
    if doc is None:
        abort(404)
    return doc


@scenarios.route("/scenarios", methods=["POST"])
@scenarios.arguments(RunScenario)
@documented(scenarios)
@requires("scenario.run")
def run_scenario(data: dict[str, Any]) -> Any:
    """Optimise the plan on the current views and record the scenario (DSI, chair)."""
    # the optimiser computes from the views, the ledger's ``record_scenario`` records

    def send(caller: Any, code: str, **kwargs: Any) -> Any:
        return compute_and_record(ledger(), caller, code, **kwargs)

    return run(
        send,
        data["code"],
        reason=data["reason"],
        store=state().read_model.store,
        label=data["label"],
        **solver_parameters(data),
    )
