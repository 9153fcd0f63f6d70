"""The evaluation grid (versions, criteria, weights, diff, drafting and adoption) and
the plan (phases, axes and indicators, organisation)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from domain.plan import Phase
from projections import queries as q
from web.api import schemas as s
from web.auth import requires
from web.cache import cached_read
from web.formatting import local_today
from web.state import state
from web.ui import pictures
from web.ui.actions import run_action, strip_prefix
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store
from web.ui.forms import rows, scalars

FAMILIES = ("value", "risk")
PHASES = tuple(p.value for p in Phase)  # in their order
Page = tuple[str, int]


def _field_labels() -> dict[str, str]:
    return {
        "label": _("Libellé"),
        "family": _("Famille"),
        "weight": _("Poids (%)"),
        "scale": _("Échelle"),
        "axis": _("Axe"),
        "indicator": _("Indicateur"),
    }


@bp.app_template_filter("weight")
def weight(value: Any) -> str:
    """A criterion's weight as a French percentage: ``12,5 %``, ``30 %``."""
    from web.formatting import num

    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    exponent = amount.normalize().as_tuple().exponent
    digits = -exponent if isinstance(exponent, int) and exponent < 0 else 0
    return f"{num(amount, digits)} %"


def _number(raw: str | None) -> int | None:
    """A grid version asked in the query string (ASCII digits: "²" is a digit to
    ``isdigit()``, not to ``int()``, nor are 4,300 digits), else None."""
    if not (raw and raw.isascii() and raw.isdigit() and len(raw) <= 9):
        return None
    return int(raw)


def _weights(criteria: dict[str, Any]) -> dict[str, Decimal]:
    """The weights of each family, summed (adoption needs 100 % per family used)."""
    totals = {f: Decimal(0) for f in FAMILIES}
    for c in criteria.values():
        try:
            totals[c["family"]] += Decimal(str(c["weight"]))
        except (InvalidOperation, KeyError):
            continue
    return totals


def _grids_page(
    failed: str | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
    number: int | None = None,
) -> Page:
    st = store()
    versions = q.grids(st)
    for g in versions:
        g["weights"] = _weights(g["criteria"])
    by_number = {g["number"]: g for g in versions}
    shown = number or _number(request.args.get("v"))
    if shown not in by_number:
        shown = max(by_number) if by_number else None
    grid = by_number.get(shown) if shown is not None else None
    a, b = _number(request.args.get("a")), _number(request.args.get("b"))
    diff = q.grid_diff(st, a, b) if a is not None and b is not None else None
    axes = q.axes(st)
    editing = None
    if grid is not None and failed is None:
        editing = grid["criteria"].get(request.args.get("edit", ""))
    return render_template(
        "grids.html",
        versions=versions,
        grid=grid,
        diff=diff,
        a=a,
        b=b,
        editing=editing,
        axes=axes,
        failed=failed,
        errors=errors if errors is not None else FormErrors(),
        form=request.form,
        next_number=max(by_number, default=0) + 1,
        today=local_today().isoformat(),  # the municipality's day, not the server's
        version_choices=[
            (g["number"], f"v{g['number']} — {g['label']}") for g in versions
        ],
        axis_choices=[(x["code"], f"{x['code']} — {x['label']}") for x in axes],
        field_labels=_field_labels(),
    ), status


@bp.route("/grille")
@requires("grid.view")
@cached_read()
def grids() -> Page:
    """Grid versions with their criteria and weights; the diff between two versions."""
    return _grids_page()


def _criterion_errors(errors: FormErrors, data: dict[str, Any]) -> FormErrors:
    """The schema's "too short" on a scale that has rows means "too few levels"."""
    if data.get("scale") and "scale" in errors:
        errors["scale"] = _(
            "Au moins deux niveaux entiers consécutifs, chacun avec son descripteur."
        )
    return errors


def _grid_action(
    failed: str,
    number: int | None,
    schema: Any,
    data: dict[str, Any],
    send: Any,
    done: Any,
    prefix: str = "",
) -> Response | Page:
    """One command from a form of the grid page; on refusal, the page again."""
    result, errors, status = run_action(schema, data, send)
    if result is None:
        if prefix:
            errors = strip_prefix(errors, prefix)
        if failed == "criterion":
            errors = _criterion_errors(errors, data)
        return _grids_page(failed, errors, status, number)
    flash(done(result), "success")
    return redirect(url_for("ui.grids", v=number or result["number"]))


@bp.route("/grille/versions", methods=["POST"])
@requires("grid.edit")
def draft_grid() -> Response | Page:
    """Draft a new grid version, empty or copied from another."""
    led = state().ledger
    data = scalars(
        request.form, "number", "label", "based_on", integers=("number", "based_on")
    )
    return _grid_action(
        "draft",
        None,
        s.DraftGrid(),
        data,
        lambda c, d: led.draft_grid(c, d["number"], d["label"], d["based_on"]),
        lambda r: _("Version %(n)s de la grille rédigée (brouillon).", n=r["number"]),
    )


@bp.route("/grille/<int:number>/criteres", methods=["POST"])
@requires("grid.edit")
def set_grid_criterion(number: int) -> Response | Page:
    """Add a criterion to a draft version, or replace the one with the same code."""
    led = state().ledger
    data = scalars(
        request.form, "code", "label", "family", "weight", "axis", "indicator"
    )
    if "weight" in data:
        data["weight"] = data["weight"].replace(",", ".").replace(" ", "").rstrip("%")
    data["scale"] = rows(request.form, "scale")
    return _grid_action(
        "criterion",
        number,
        s.CriterionIn(),
        data,
        lambda c, d: led.set_grid_criterion(c, number, d),
        lambda r: _(
            "Critère %(c)s enregistré dans la version %(n)s.",
            c=data.get("code", ""),
            n=number,
        ),
        prefix="criterion.",
    )


@bp.route("/grille/<int:number>/criteres/retirer", methods=["POST"])
@requires("grid.edit")
def remove_grid_criterion(number: int) -> Response | Page:
    """Remove a criterion from a draft version."""
    led = state().ledger
    data = scalars(request.form, "criterion")
    return _grid_action(
        f"remove:{data.get('criterion', '')}",
        number,
        s.RemoveCriterion(),
        data,
        lambda c, d: led.remove_grid_criterion(c, number, d["criterion"]),
        lambda r: _(
            "Critère %(c)s retiré de la version %(n)s.",
            c=data.get("criterion", ""),
            n=number,
        ),
    )


@bp.route("/grille/<int:number>/adopter", methods=["POST"])
@requires("grid.adopt")
def adopt_grid(number: int) -> Response | Page:
    """Adopt a draft version (chair): it is frozen for ever."""
    led = state().ledger
    return _grid_action(
        "adopt",
        number,
        s.AdoptGrid(),
        scalars(request.form, "on", "reason"),
        lambda c, d: led.adopt_grid(c, number, d["on"]),
        lambda r: _("Version %(n)s adoptée : elle est désormais figée.", n=number),
    )


# --- the plan -------------------------------------------------------------------------


@bp.route("/plan")
@requires("plan.view")
@cached_read()
def plan() -> str:
    """The SDSI: its six phases, strategic axes with indicators, the organisation."""
    st = store()
    doc = q.plan(st)
    phases = (
        [{"code": p, **doc["phases"][p]} for p in PHASES if p in doc["phases"]]
        if doc
        else []
    )
    org = q.organisation(st)
    years = (
        list(range(doc["first_year"], doc["last_year"] + 1))
        if doc
        else sorted({int(y) for t in org["teams"] for y in t["capacity"]})
    )
    directions: dict[str, list[dict[str, Any]]] = {}
    for d in org["directions"]:
        directions.setdefault(d["pole"], []).append(d)
    return render_template(
        "plan.html",
        plan=doc,
        phases=phases,
        axes=q.axes(st),
        org=org,
        directions=directions,
        years=years,
        roadmap=pictures.plan_roadmap(st, doc),
    )
