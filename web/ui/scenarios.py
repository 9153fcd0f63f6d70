"""Scenario pages (arbitration support): the recorded scenarios, running one (DSI,
chair), one scenario's optimum beside its greedy ranking, several side by side, the
efficient frontier and the robustness of the selection.

Scenarios are read from the views (``optimiser.api``, as of any moment); the frontier
and the robustness are computed on request from the views the page shows, with the
solver's time capped (``web.api.scenario_schemas``).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError
from werkzeug.datastructures import MultiDict

from domain.errors import AlreadyExists, DomainError
from domain.proposals import CANDIDATES, Status
from optimiser import api as optimiser
from optimiser.scenarios import compute_and_record
from projections import queries as q
from web.api import scenario_schemas as sc
from web.auth import requires
from web.charts import lines
from web.domain_messages import localised
from web.state import state
from web.ui.amounts import form_amounts
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store
from web.ui.formhelp import on_fields, run
from web.ui.forms import rows, scalars
from web.validation import flat

STATUS = {
    "optimal": _l("optimal"),
    "time_limit": _l("limite de temps atteinte"),
    "infeasible": _l("infaisable"),
    "no_solution": _l("sans solution"),
    "feasible": _l("réalisable"),
}
CLASSES = {"core": _l("noyau"), "borderline": _l("à la marge"), "out": _l("écarté")}
PARAMETERS = ("risk_weight", "window", "grid_version", "budget_scale", "time_limit")


def _cents(value: int | None) -> Decimal | None:
    return None if value is None else (Decimal(value) / 100).quantize(Decimal("0.01"))


def _parameters(source: MultiDict[str, str], *extra: str) -> dict[str, Any]:
    """Form (or query) fields → the data the parameter schemas load."""
    data = scalars(source, *PARAMETERS, *extra)
    for name in ("forced_in", "forced_out"):
        data[name] = rows(source, name)
    return data


def _load(schema: Schema, data: dict[str, Any]) -> tuple[dict[str, Any], FormErrors]:
    """Load query parameters; errors in French next to their field."""
    errors = FormErrors()
    data, unreadable = form_amounts(schema, data)  # typed integers and amounts
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        errors.update(_flat(exc.messages))
    errors.update(unreadable)
    if not errors:
        return loaded, errors
    errors.message = _("Paramètres invalides : rien n'a été calculé.")
    return {}, errors


def _flat(messages: Any) -> dict[str, str]:
    """Field path → its messages in the page's language (web.validation)."""
    out: dict[str, str] = {}
    for path, message in flat(messages):
        key = path or "_"
        out[key] = f"{out[key]} {message}" if key in out else message
    return out


def _choices() -> dict[str, Any]:
    """Candidates (for forced projects), adopted grids and criteria for the forms."""
    st = store()
    portfolio = q.portfolio(st)
    grids = [g for g in q.grids(st) if g["status"] == "adopted"]
    latest = max(grids, key=lambda g: g["number"]) if grids else None
    return {
        "projects": [
            (p["code"], f"{p['code']} — {p['title']}")
            for p in portfolio
            if p["status"] in Status.names(CANDIDATES)
        ],
        "grids": [(g["number"], f"v{g['number']} — {g['label']}") for g in grids],
        "criteria": [
            (code, f"{code} — {c['label']}")
            for code, c in sorted((latest or {"criteria": {}})["criteria"].items())
        ],
    }


@bp.route("/scenarios")
@requires("scenario.view")
def scenarios() -> str:
    """Every recorded scenario, newest first; choose two or more to compare."""
    return render_template(
        "scenarios.html", scenarios=optimiser.list_scenarios(store()), labels=STATUS
    )


@bp.route("/scenarios/lancer", methods=["GET", "POST"])
@requires("scenario.run")
def run_scenario() -> Any:
    """Compute a scenario on the current views and record it (DSI, chair)."""
    errors, status = FormErrors(), 200
    if request.method == "POST":
        data = {
            **_parameters(request.form),
            **scalars(request.form, "code", "label", "reason"),
        }
        led = state().ledger
        live = state().read_model.store

        def send(caller: Any, d: dict[str, Any]) -> Any:
            return compute_and_record(
                led,
                caller,
                d["code"],
                store=live,
                label=d["label"],
                **sc.solver_parameters(d),
            )

        result, errors, status = run(
            sc.RunScenario(), data, on_fields(send, {AlreadyExists: "code"})
        )
        if result is not None:
            flash(
                _("Scénario %(code)s calculé et enregistré.", code=data["code"]),
                "success",
            )
            return redirect(url_for("ui.scenario", code=data["code"]))
    return render_template(
        "scenario_run.html",
        form=request.form,
        errors=errors,
        forced_in=rows(request.form, "forced_in"),
        forced_out=rows(request.form, "forced_out"),
        **_choices(),
    ), status


@bp.route("/scenarios/comparer")
@requires("scenario.view")
def compare_scenarios() -> Any:
    """Two or more scenarios side by side: projects, value, budget, capacity."""
    codes = sc.split_codes(request.args.getlist("codes"))
    greedy = request.args.get("greedy") in ("1", "on", "true")
    if len(codes) < 2:
        flash(_("Choisissez au moins deux scénarios à comparer."), "error")
        return render_template(
            "scenarios.html",
            scenarios=optimiser.list_scenarios(store()),
            labels=STATUS,
            chosen=codes,
        ), 422
    data = optimiser.compare_scenarios(store(), codes, greedy=greedy)
    if data["missing"]:
        flash(
            _(
                "Scénario(s) introuvable(s) : %(codes)s.",
                codes=", ".join(data["missing"]),
            ),
            "error",
        )
    for row in data["budget"]:
        for cell in row["by"].values():
            if cell is not None:
                cell["used"], cell["available"] = (
                    _cents(cell["used_c"]),
                    _cents(cell["available_c"]),
                )
    for total in data["totals"]:
        total["cost_eur"] = _cents(total["cost_c"])
    return render_template(
        "scenario_compare.html", d=data, codes=codes, greedy=greedy, labels=STATUS
    ), (404 if not data["columns"] else 200)


@bp.route("/scenarios/<code>")
@requires("scenario.view")
def scenario(code: str) -> str:
    """One scenario: inputs and parameters, optimum beside the greedy ranking, budget
    and capacity used."""
    doc = optimiser.get_scenario(store(), code)
    if doc is None:
        abort(404)
    return render_template(
        "scenario.html",
        s=doc,
        ranking=ranking(doc),
        usage=usage(doc),
        labels=STATUS,
        analyse=_analysis_args(doc["parameters"]),
    )


def ranking(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """The candidates as the greedy fill ranks them (imposed first, then by decreasing
    objective), each with whether the greedy fill and the optimum keep it."""
    weight = Decimal(doc["parameters"].get("risk_weight") or "0")
    forced_in = {c for c, _r in doc["parameters"].get("forced_in", [])}
    forced_out = {c for c, _r in doc["parameters"].get("forced_out", [])}
    out = []
    for c in doc["candidates"]:
        value = Decimal(c["value"] or "0")
        risk = Decimal(c["risk"] or "0")
        out.append(
            {
                **c,
                "score": value - weight * risk,
                "cost": _cents(c["cost_c"]),
                "imposed": c["mandatory"] or c["code"] in forced_in,
                "excluded": c["code"] in forced_out,
            }
        )
    out.sort(key=lambda c: (not c["imposed"], -c["score"], c["code"]))
    for i, c in enumerate(out, 1):
        c["rank"] = i
    return out


def usage(doc: dict[str, Any]) -> dict[str, Any]:
    """Budget per year × section and capacity per team × year, optimum beside greedy
    (capacity rows where either uses something)."""
    greedy_budget = {(b["year"], b["section"]): b for b in doc["greedy"]["budget"]}
    budget = [
        {
            "year": b["year"],
            "section": b["section"],
            "available": _cents(b["available_c"]),
            "optimum": _cents(b["used_c"]),
            "greedy": _cents(
                greedy_budget.get((b["year"], b["section"]), {}).get("used_c", 0)
            ),
        }
        for b in doc["optimum"]["budget"]
    ]
    greedy_capacity = {(c["team"], c["year"]): c for c in doc["greedy"]["capacity"]}
    capacity = []
    for c in doc["optimum"]["capacity"]:
        other = greedy_capacity.get((c["team"], c["year"]), {}).get("used", 0)
        if c["used"] or other:
            capacity.append(
                {
                    "team": c["team"],
                    "year": c["year"],
                    "available": c["available"],
                    "optimum": c["used"],
                    "greedy": other,
                }
            )
    return {
        "budget": [b for b in budget if b["optimum"] or b["greedy"]],
        "capacity": capacity,
        "budget_all": budget,
    }


def _analysis_args(parameters: dict[str, Any]) -> dict[str, Any]:
    """A scenario's parameters as query arguments of the frontier and robustness."""
    args: dict[str, Any] = {
        k: parameters[k] for k in PARAMETERS if parameters.get(k) not in (None, "")
    }
    args.pop("time_limit", None)
    for name in ("forced_in", "forced_out"):
        for i, (code, reason) in enumerate(parameters.get(name, [])):
            args[f"{name}-{i}-code"], args[f"{name}-{i}-reason"] = code, reason
    return args


def _computed(
    schema: Schema, extra: tuple[str, ...], compute: Any
) -> tuple[Any, FormErrors]:
    """Load the page's query parameters and compute; refusals next to their field.

    Nothing is computed until the form is sent (or a scenario's link gives the
    parameters): merely opening the page never starts a series of solves."""
    if not set(request.args) - {"as_of", "lang"}:
        return None, FormErrors()
    data = _parameters(request.args, *extra)
    loaded, errors = _load(schema, data)
    if errors:
        return None, errors
    loaded.pop("as_of", None)
    try:
        return compute(loaded), errors
    except DomainError as exc:
        errors[exc.field or "_"] = localised(exc)
        errors.message = _("Calcul refusé : %(message)s", message=localised(exc))
        return None, errors


@bp.route("/scenarios/frontiere")
@requires("scenario.view")
def scenario_frontier() -> Any:
    """The efficient frontier: best value against the total envelope, beside greedy."""
    st = store()

    def compute(d: dict[str, Any]) -> Any:
        d["budget_scale"] = "1"  # the range of factors replaces the single scaling
        return optimiser.frontier(
            st,
            low=d.pop("low"),
            high=d.pop("high"),
            steps=d.pop("steps"),
            **sc.solver_parameters(d),
        )

    result, errors = _computed(sc.FrontierForm(), ("low", "high", "steps"), compute)
    chart = None
    if result and result["points"]:
        chart = lines(
            [
                (
                    _("Optimum"),
                    "#123f73",
                    [
                        (
                            Decimal(p["envelope"]),
                            Decimal(p["objective"] or "0"),
                            f"{p['envelope']} € : {p['objective']}",
                        )
                        for p in result["points"]
                    ],
                ),
                (
                    _("Remplissage glouton"),
                    "#8a4b00",
                    [
                        (
                            Decimal(p["envelope"]),
                            Decimal(p["greedy_objective"] or "0"),
                            f"{p['envelope']} € : {p['greedy_objective']}",
                        )
                        for p in result["points"]
                    ],
                ),
            ],
            title=_("Frontière efficace : objectif atteint selon l'enveloppe totale"),
            x_label=_("Enveloppe totale (€)"),
            y_label=_("Objectif (valeur − poids × risque)"),
            ident="frontier",
        )
    return render_template(
        "scenario_frontier.html",
        result=result,
        errors=errors,
        chart=chart,
        args=request.args,
        labels=STATUS,
        forced_in=rows(request.args, "forced_in"),
        forced_out=rows(request.args, "forced_out"),
        **_choices(),
    ), (422 if errors else 200)


@bp.route("/scenarios/robustesse")
@requires("scenario.view")
def scenario_robustness() -> Any:
    """Weight intervals, selection frequencies (core, borderline, out) and where the
    evaluators disagree, for the adopted grid."""
    st = store()
    bounds = rows(request.args, "bounds")

    def compute(d: dict[str, Any]) -> Any:
        extra = {k: d.pop(k) for k in ("draws", "seed", "spread", "tolerance")}
        chosen = {
            b["criterion"]: (b.get("low", "0"), b.get("high", "100"))
            for b in bounds
            if b.get("criterion")
        }
        return optimiser.robustness(
            st, bounds=chosen or None, **extra, **sc.solver_parameters(d)
        )

    result, errors = _computed(
        sc.RobustnessForm(), ("draws", "seed", "spread", "tolerance"), compute
    )
    if bounds and "parameters" in errors:  # the optimiser's word for a bad bound
        errors["bounds"] = errors.pop("parameters")
    return render_template(
        "scenario_robustness.html",
        result=result,
        errors=errors,
        args=request.args,
        classes=CLASSES,
        labels=STATUS,
        bounds=bounds,
        forced_in=rows(request.args, "forced_in"),
        forced_out=rows(request.args, "forced_out"),
        **_choices(),
    ), (422 if errors else 200)
