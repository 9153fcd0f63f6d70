"""Scenario endpoints: list, one scenario, side-by-side comparison, the efficient
frontier and the robustness of the selection (all with ``as_of``), and running a
scenario (DSI, chair; ``Idempotency-Key``). The UI forms load the same schemas.

Parameters are the optimiser's (``optimiser.api``): decimal strings for the risk
weight and the envelope scaling (floats refused), forced projects with their reason.
The web caps the solver's time so that one request cannot hold a worker for long.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_smorest import Blueprint
from marshmallow import ValidationError, fields, validate, validates_schema

from optimiser import api as optimiser
from optimiser.scenarios import compute_and_record
from web.api import responses as r
from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.api.responses import errors
from web.auth import requires
from web.state import state

scenarios = Blueprint(
    "api_scenarios",
    __name__,
    url_prefix="/api/v1",
    description="Scénarios d'optimisation, frontière efficace, robustesse",
)
BLUEPRINTS = (scenarios,)

MAX_TIME_LIMIT = 60  # seconds per solve, from the web
DECIMAL = validate.Regexp(
    r"^[0-9]{1,4}([.,][0-9]{1,6})?$", error="Nombre décimal positif attendu (ex. 1,1)."
)


class Forced(s.Base):
    """A project forced in or out of the selection, with the reason."""

    code = fields.String(required=True, validate=s.CODE)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500))


class Parameters(s.Base):
    """What a scenario, the frontier and the robustness analysis are computed with."""

    risk_weight = fields.String(
        load_default="0",
        validate=DECIMAL,
        metadata={"description": 'Objectif = valeur − poids × risque (ex. "0.5")'},
    )
    window = fields.Integer(
        load_default=0,
        validate=validate.Range(0, 10),
        metadata={"description": "Années dont le démarrage d'un projet peut glisser"},
    )
    forced_in = fields.List(fields.Nested(Forced), load_default=list)
    forced_out = fields.List(fields.Nested(Forced), load_default=list)
    grid_version = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 10_000)
    )
    budget_scale = fields.String(
        load_default="1",
        validate=DECIMAL,
        metadata={"description": "Facteur appliqué à chaque enveloppe (1.1 = +10 %)"},
    )
    time_limit = fields.Integer(
        load_default=10,
        validate=validate.Range(1, MAX_TIME_LIMIT),
        metadata={"description": "Secondes par résolution"},
    )


class RunScenario(Parameters):
    """Compute a scenario on the current views and record it."""

    code = fields.String(required=True, validate=s.CODE)
    label = fields.String(load_default="", validate=validate.Length(max=200))
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


def _pairs(values: list[str], field: str) -> list[dict[str, str]]:
    out = []
    for value in values:
        code, sep, reason = value.partition("=")
        if not sep or not code.strip() or not reason.strip():
            raise ValidationError("CODE=MOTIF attendu.", field)
        out.append({"code": code.strip(), "reason": reason.strip()})
    return out


class ParametersQuery(s.AsOf):
    """The parameters in a query string (forced projects as ``CODE=MOTIF``)."""

    risk_weight = fields.String(load_default="0", validate=DECIMAL)
    window = fields.Integer(load_default=0, validate=validate.Range(0, 10))
    forced_in = fields.List(fields.String(), load_default=list)
    forced_out = fields.List(fields.String(), load_default=list)
    grid_version = fields.Integer(
        load_default=None, allow_none=True, validate=validate.Range(1, 10_000)
    )
    budget_scale = fields.String(load_default="1", validate=DECIMAL)
    time_limit = fields.Integer(
        load_default=5, validate=validate.Range(1, MAX_TIME_LIMIT)
    )

    @validates_schema
    def _forced(self, data: dict[str, Any], **_: Any) -> None:
        for name in ("forced_in", "forced_out"):
            _pairs(data.get(name, []), name)


class FrontierRange(s.Base):
    """Envelopes scaled from ``low`` to ``high`` in ``steps`` points."""

    low = fields.String(load_default="0.5", validate=DECIMAL)
    high = fields.String(load_default="1.5", validate=DECIMAL)
    steps = fields.Integer(load_default=11, validate=validate.Range(2, 21))
    time_limit = fields.Integer(
        load_default=5, validate=validate.Range(1, MAX_TIME_LIMIT)
    )


class Draws(s.Base):
    """Monte Carlo draws of the weights within ± ``spread`` of each weight, and the
    tolerance of the weight intervals."""

    draws = fields.Integer(load_default=100, validate=validate.Range(0, 500))
    seed = fields.Integer(load_default=1, validate=validate.Range(0, 2**31 - 1))
    spread = fields.String(load_default="0.25", validate=DECIMAL)
    tolerance = fields.String(load_default="0.1", validate=DECIMAL)
    time_limit = fields.Integer(
        load_default=5, validate=validate.Range(1, MAX_TIME_LIMIT)
    )


class FrontierQuery(FrontierRange, ParametersQuery):
    """The frontier's query string."""


class RobustnessQuery(Draws, ParametersQuery):
    """The robustness analysis' query string."""


class FrontierForm(FrontierRange, Parameters):
    """The frontier page's form (forced projects as rows)."""


class RobustnessForm(Draws, Parameters):
    """The robustness page's form (forced projects as rows)."""


class CompareQuery(s.AsOf):
    """Two or more scenarios (``codes=A&codes=B`` or ``codes=A,B``)."""

    codes = fields.List(fields.String(), required=True)
    greedy = fields.Boolean(load_default=True)


def solver_parameters(data: dict[str, Any]) -> dict[str, Any]:
    """The optimiser's keyword arguments from loaded parameters."""
    out = {
        k: data[k]
        for k in ("risk_weight", "window", "grid_version", "budget_scale", "time_limit")
        if k in data
    }
    for name in ("forced_in", "forced_out"):
        items = data.get(name, [])
        if items and isinstance(items[0], str):
            items = _pairs(items, name)
        out[name] = [[f["code"], f["reason"]] for f in items]
    return out


def _store(args: dict[str, Any]) -> Any:
    return state().read_model.at(args.pop("as_of", None))


def split_codes(values: list[str]) -> list[str]:
    """``["A,B", "C"]`` → ``["A", "B", "C"]`` (order kept, duplicates dropped)."""
    out: list[str] = []
    for value in values:
        for code in value.split(","):
            if code.strip() and code.strip() not in out:
                out.append(code.strip())
    return out


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
    """Optimise the plan on the current views and record the scenario (DSI, chair):
    the optimiser computes, the ledger's ``record_scenario`` records."""

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
