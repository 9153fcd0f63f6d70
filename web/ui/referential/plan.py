"""The municipality and the plan with its six phases in the Référentiel: each page
shows the record and its history, each form one ledger command (the plan's cycle,
extending it and adopting the next, is in ``cycle``)."""

from __future__ import annotations

from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _

from domain.errors import AlreadyExists, NotFound
from domain.plan import Phase
from projections import plan_scope as ps
from projections import reference_queries as rq
from web.api import schemas as s
from web.formatting import local_today
from web.ui.context import store
from web.ui.formhelp import on_fields
from web.ui.forms import scalars
from web.ui.referential.flows import act, led, page, post, shown

PHASES = tuple(p.value for p in Phase)


# --- the municipality ------------------------------------------------------------------

_municipality_page = page(
    "ref_municipality.html", lambda: rq.municipality_record(store())
)


@shown("/referentiel/collectivite")
def ref_municipality() -> Any:
    """The municipality: its name, SIREN, SIRET and INSEE code, and their history."""
    return _municipality_page()


def _municipality_form() -> dict[str, Any]:
    return scalars(request.form, "name", "siren", "siret", "insee", "reason")


@post("/referentiel/collectivite", "municipality.edit")
def define_municipality() -> Any:
    """Define the municipality (once)."""
    return act(
        _municipality_page,
        "define",
        s.MunicipalityIn(),
        _municipality_form(),
        on_fields(
            lambda c, d: led().define_municipality(
                c, d["name"], d["siren"], d["insee"], d["siret"]
            ),
            {AlreadyExists: "name"},
        ),
        _("Collectivité enregistrée."),
        url_for("ui.ref_municipality"),
    )


@post("/referentiel/collectivite/modifier", "municipality.edit")
def change_municipality() -> Any:
    """Change the municipality's name or identifiers (reason required)."""
    return act(
        _municipality_page,
        "change",
        s.MunicipalityChange(),
        _municipality_form(),
        lambda c, d: led().change_municipality(
            c, d["name"], d["siren"], d["insee"], d["siret"]
        ),
        _("Collectivité modifiée."),
        url_for("ui.ref_municipality"),
    )


# --- the plan and its phases -----------------------------------------------------------


def _plan_context() -> dict[str, Any]:
    st = store()
    return {
        "municipality": rq.municipality(st),
        "today": local_today().isoformat(),  # the municipality's day, not UTC's
        "plans": ps.plans(st),
        **rq.plan_record(st),
    }


plan_page = page("ref_plan.html", _plan_context)


@shown("/referentiel/plan")
def ref_plan() -> Any:
    """The plan: its title, horizon and six phases with planned and actual dates."""
    return plan_page()


@post("/referentiel/plan", "plan.edit")
def define_plan() -> Any:
    """Define the plan (once): its title and horizon."""
    data = scalars(
        request.form,
        "name",
        "municipality",
        "first_year",
        "last_year",
        "reason",
        integers=("first_year", "last_year"),
    )
    return act(
        plan_page,
        "define",
        s.PlanIn(),
        data,
        on_fields(
            lambda c, d: led().define_plan(
                c, d["name"], d["municipality"], d["first_year"], d["last_year"]
            ),
            {AlreadyExists: "name"},
        ),
        _("Plan défini."),
        url_for("ui.ref_plan"),
    )


@post("/referentiel/plan/renommer", "plan.edit")
def rename_plan() -> Any:
    """Give the plan a new title (reason required)."""
    return act(
        plan_page,
        "rename",
        s.Rename(),
        scalars(request.form, "name", "reason"),
        on_fields(lambda c, d: led().rename_plan(c, d["name"]), {NotFound: "name"}),
        _("Plan renommé."),
        url_for("ui.ref_plan"),
    )


def _phase_act(
    phase: str, form: str, schema: Any, fields: tuple[str, ...], send: Any, done: str
) -> Any:
    """One form of a phase (404 for an unknown phase), back to the phases."""
    if phase not in PHASES:
        abort(404)
    return act(
        plan_page,
        f"{form}-{phase}",
        schema,
        scalars(request.form, *fields, "reason"),
        send,
        done,
        url_for("ui.ref_plan", _anchor="phases"),
    )


@post("/referentiel/plan/phases/<phase>/planifier", "plan.edit")
def schedule_phase(phase: str) -> Any:
    """Plan the dates of a phase."""
    return _phase_act(
        phase,
        "schedule",
        s.PhaseSchedule(),
        ("planned_start", "planned_end"),
        on_fields(
            lambda c, d: led().schedule_phase(
                c, phase, d["planned_start"], d["planned_end"]
            ),
            {NotFound: "planned_start"},
        ),
        _("Phase planifiée."),
    )


@post("/referentiel/plan/phases/<phase>/demarrer", "plan.phases")
def start_phase(phase: str) -> Any:
    """A phase starts (its actual date)."""
    return _phase_act(
        phase,
        "start",
        s.PhaseDate(),
        ("on",),
        on_fields(lambda c, d: led().start_phase(c, phase, d["on"]), {NotFound: "on"}),
        _("Phase démarrée."),
    )


@post("/referentiel/plan/phases/<phase>/terminer", "plan.phases")
def complete_phase(phase: str) -> Any:
    """A phase is done (its actual date)."""
    return _phase_act(
        phase,
        "complete",
        s.PhaseDate(),
        ("on",),
        on_fields(
            lambda c, d: led().complete_phase(c, phase, d["on"]), {NotFound: "on"}
        ),
        _("Phase terminée."),
    )
