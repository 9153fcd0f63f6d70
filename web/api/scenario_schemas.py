"""The scenario parameters as the API and the UI forms load them: the optimiser's
(``optimiser.api``) — decimal strings for the risk weight and the envelope scaling
(floats refused), forced projects with their reason — with the solver's time capped
for the web, so that one request cannot hold a worker for long.

The UI's forms import these from here, not from the API's routes
(``web.api.scenarios``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import ValidationError, fields, validate, validates_schema

from web.api import schemas as s

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


def split_codes(values: list[str]) -> list[str]:
    """``["A,B", "C"]`` → ``["A", "B", "C"]`` (order kept, duplicates dropped)."""
    out: list[str] = []
    for value in values:
        for code in value.split(","):
            if code.strip() and code.strip() not in out:
                out.append(code.strip())
    return out
