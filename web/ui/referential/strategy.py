"""The strategy in the Référentiel: axes and their indicators (targets per year,
measurements over time), each created, renamed or closed by one ledger command."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from domain.errors import AlreadyExists, AxisHasOpenIndicators, RecordClosed
from projections import reference_queries as rq
from web.api import schemas as s
from web.ui.context import store
from web.ui.formhelp import on_fields
from web.ui.forms import scalars
from web.ui.referential.flows import (
    Record,
    act,
    close,
    closed,
    led,
    page,
    post,
    rename,
    shown,
    unspaced,
    year_refused,
)

# --- axes ------------------------------------------------------------------------------

_axes_page = page("ref_axes.html", lambda: {"axes": rq.axes(store())})


@shown("/referentiel/axes")
def ref_axes() -> Any:
    """The strategic axes and their indicators; a new axis is created here."""
    return _axes_page()


@post("/referentiel/axes", "strategy.edit")
def create_axis() -> Any:
    """Create a strategic axis."""
    data = scalars(request.form, "code", "label", "description", "reason")
    return act(
        _axes_page,
        "create",
        s.AxisIn(),
        data,
        on_fields(
            lambda c, d: led().create_axis(c, d["code"], d["label"], d["description"]),
            {AlreadyExists: "code"},
        ),
        _("Axe %(code)s créé.", code=data.get("code", "")),
        lambda: AXIS.url(data["code"]),
    )


AXIS = Record("ui.ref_axis", "ref_axis.html", "a", rq.axis)


@shown("/referentiel/axes/<code>")
def ref_axis(code: str) -> Any:
    """An axis: its indicators with their targets, and its history."""
    return AXIS.page(code)()


@post("/referentiel/axes/<code>/renommer", "strategy.edit")
def rename_axis(code: str) -> Any:
    """Give an axis a new label and description (reason required)."""
    data = scalars(request.form, "label", "reason")
    data["description"] = request.form.get("description", "").strip()
    return act(
        AXIS.page(code),
        "rename",
        s.RenameAxis(),
        data,
        on_fields(
            lambda c, d: led().rename_axis(c, code, d["label"], d["description"]),
            closed("label"),
        ),
        _("Axe renommé."),
        AXIS.url(code),
    )


@post("/referentiel/axes/<code>/fermer", "strategy.edit")
def close_axis(code: str) -> Any:
    """Close an axis (reason required) once its indicators are closed."""
    return close(
        AXIS,
        code,
        lambda c, d: led().close_axis(c, code),
        _("Axe fermé."),
        {AxisHasOpenIndicators: "reason"},
    )


# --- indicators ------------------------------------------------------------------------


@post("/referentiel/axes/<code>/indicateurs", "strategy.edit")
def create_indicator(code: str) -> Any:
    """Create an indicator of the axis."""
    data = scalars(
        request.form,
        "code",
        "label",
        "unit",
        "baseline",
        "target",
        "target_year",
        "reason",
        integers=("target_year",),
    )
    unspaced(data, "baseline", "target")
    return act(
        AXIS.page(code),
        "indicator",
        s.IndicatorIn(),
        data,
        on_fields(
            lambda c, d: led().create_indicator(
                c,
                d["code"],
                code,
                d["label"],
                d["unit"],
                d["baseline"],
                d["target"],
                d["target_year"],
            ),
            {AlreadyExists: "code", RecordClosed: "code"},
        ),
        _("Indicateur %(code)s créé.", code=data.get("code", "")),
        lambda: INDICATOR.url(data["code"]),
    )


INDICATOR = Record("ui.ref_indicator", "ref_indicator.html", "i", rq.indicator)


@shown("/referentiel/indicateurs/<code>")
def ref_indicator(code: str) -> Any:
    """An indicator: targets per year, measurements over time, history."""
    return INDICATOR.page(code)()


@post("/referentiel/indicateurs/<code>/cibles", "strategy.edit")
def set_indicator_target(code: str) -> Any:
    """The target of a year (reason required to change one already set)."""
    data = scalars(request.form, "year", "value", "reason", integers=("year",))
    year = data.pop("year", None)
    show = INDICATOR.page(code)
    refused = year_refused(show, "target", year)
    if refused is not None:
        return refused
    unspaced(data, "value")
    return act(
        show,
        "target",
        s.TargetIn(),
        data,
        on_fields(
            lambda c, d: led().set_indicator_target(c, code, year, d["value"]),
            closed("value"),
        ),
        _("Cible %(year)s enregistrée.", year=year),
        INDICATOR.url(code),
    )


@post("/referentiel/indicateurs/<code>/mesures", "proposal.execute")
def measure_indicator(code: str) -> Any:
    """Record a planned or realised value of the indicator (DSI)."""
    data = scalars(request.form, "on", "value", "kind", "comment")
    unspaced(data, "value")
    return act(
        INDICATOR.page(code),
        "measure",
        s.MeasureIn(),
        data,
        on_fields(
            lambda c, d: led().measure_indicator(
                c, code, d["on"], d["value"], d["kind"], d["comment"]
            ),
            closed("value"),
        ),
        _("Mesure enregistrée."),
        INDICATOR.url(code, _anchor="mesures"),
    )


@post("/referentiel/indicateurs/<code>/renommer", "strategy.edit")
def rename_indicator(code: str) -> Any:
    """Give an indicator a new label (reason required)."""
    return rename(
        INDICATOR,
        code,
        s.RenameIndicator(),
        "label",
        lambda c, d: led().rename_indicator(c, code, d["label"]),
        _("Indicateur renommé."),
    )


@post("/referentiel/indicateurs/<code>/fermer", "strategy.edit")
def close_indicator(code: str) -> Any:
    """Close an indicator (reason required)."""
    return close(
        INDICATOR,
        code,
        lambda c, d: led().close_indicator(c, code),
        _("Indicateur fermé."),
    )
