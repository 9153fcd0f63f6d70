"""The "Référentiel": one page per kind of reference record — the municipality, the
plan and its phases, pôles, directions, teams, axes, indicators, the COPIL's
composition — each showing its history (who, when, why) and the forms that create,
rename, close or change it, each form one ledger command.

Errors are shown next to their field and nothing is written; a page read as of a past
moment shows no form. The first-run checklist (also on the administrator's home page)
says what a new municipality has set up and links to where the rest is done.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema

from domain.errors import (
    AccountDisabled,
    AlreadyExists,
    AxisHasOpenIndicators,
    NotFound,
    PoleHasOpenDirections,
    RecordClosed,
)
from domain.plan import Phase
from projections import plan_scope as ps
from projections import queries as q
from projections import reference_queries as rq
from web.api import schemas as s
from web.auth import requires
from web.cache import cached_read
from web.formatting import MEMBER_KIND
from web.i18n import N_
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store
from web.ui.formhelp import on_fields, run
from web.ui.forms import scalars

PHASES = tuple(p.value for p in Phase)
KINDS = ("elu", "dgs", "dga", "dsi", "expert")

# The first run's checklist: item → (label, page, permission to open it, who does it).
CHECKLIST: tuple[tuple[str, str, str, str, str], ...] = (
    ("municipality", N_("Collectivité : nom, SIREN, code INSEE"), "ui.ref_municipality", "reference.view", "municipality.edit"),
    ("plan", N_("Plan et ses six phases"), "ui.ref_plan", "reference.view", "plan.edit"),
    ("organisation", N_("Organisation : pôles et directions"), "ui.ref_poles", "reference.view", "organisation.edit"),
    ("teams", N_("Équipes et capacités"), "ui.ref_teams", "reference.view", "organisation.edit"),
    ("strategy", N_("Axes stratégiques et indicateurs"), "ui.ref_axes", "reference.view", "strategy.edit"),
    ("grid", N_("Première grille d'évaluation (brouillon, puis adoptée)"), "ui.grids", "grid.view", "grid.edit"),
    ("accounts", N_("Comptes et rôles"), "ui.accounts", "admin.accounts", "admin.accounts"),
    ("committee", N_("Composition du COPIL"), "ui.ref_committee", "reference.view", "committee.edit"),
    ("budget", N_("Premières enveloppes budgétaires (BP)"), "ui.budget", "budget.view", "budget.edit"),
)  # fmt: skip


class Errors(dict[str, FormErrors]):
    """Form name → its errors (none for the forms not sent)."""

    def __missing__(self, key: str) -> FormErrors:
        return FormErrors()


Page = tuple[str, int]


def _render(
    template: str,
    errors: dict[str, FormErrors] | None,
    status: int,
    sent: str | None,
    **context: Any,
) -> Page:
    return render_template(
        template, errors=Errors(errors or {}), sent=sent, form=request.form, **context
    ), status


def _act(
    page: Callable[..., Page],
    form: str,
    schema: Schema,
    data: dict[str, Any],
    send: Callable[[Any, dict[str, Any]], Any],
    done: str,
    target: str | Callable[[], str],
) -> Any:
    """Send one command from a form; on refusal, the page again with the form's
    errors (and the status the API would answer)."""
    result, errors, status = run(schema, data, send)
    if result is None:
        return page(errors={form: errors}, status=status, sent=form)
    flash(done, "success")
    return redirect(target() if callable(target) else target)


def led() -> Any:
    return state().ledger


def _closed(field: str = "reason") -> dict[type, str]:
    """A refusal because the record is closed, shown next to ``field``."""
    return {RecordClosed: field}


def checklist(st: Any) -> list[dict[str, Any]]:
    """The first run's items, each with its state, figures, page and who does it."""
    states = rq.setup_checklist(st)
    items = []
    for key, label, endpoint, view, edit in CHECKLIST:
        items.append({
            "key": key, "label": label, **states[key],
            "url": url_for(endpoint) if current_user.can(view) else None,
            "mine": current_user.can(edit),
        })  # fmt: skip
    return items


# --- the index -------------------------------------------------------------------------


@bp.route("/referentiel")
@requires("reference.view")
@cached_read()
def referential() -> str:
    """Every kind of reference record, and what a new municipality has set up."""
    st = store()
    org = rq.organisation(st)
    return render_template(
        "referential.html",
        items=checklist(st),
        municipality=rq.municipality(st),
        plan=q.plan(st),
        org=org,
        axes=rq.axes(st),
        members=[m for m in rq.committee_members(st) if m["sitting"]],
    )


# --- the municipality ------------------------------------------------------------------


def _municipality_page(
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Page:
    return _render(
        "ref_municipality.html", errors, status, sent, **rq.municipality_record(store())
    )


@bp.route("/referentiel/collectivite")
@requires("reference.view")
@cached_read()
def ref_municipality() -> Page:
    """The municipality: its name, SIREN, SIRET and INSEE code, and their history."""
    return _municipality_page()


def _municipality_form() -> dict[str, Any]:
    return scalars(request.form, "name", "siren", "siret", "insee", "reason")


@bp.route("/referentiel/collectivite", methods=["POST"])
@requires("municipality.edit")
def define_municipality() -> Any:
    """Define the municipality (once)."""
    return _act(
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


@bp.route("/referentiel/collectivite/modifier", methods=["POST"])
@requires("municipality.edit")
def change_municipality() -> Any:
    """Change the municipality's name or identifiers (reason required)."""
    return _act(
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


def _plan_page(
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Page:
    st = store()
    return _render(
        "ref_plan.html",
        errors,
        status,
        sent,
        municipality=rq.municipality(st),
        today=datetime.now(UTC).date().isoformat(),
        plans=ps.plans(st),
        **rq.plan_record(st),
    )


@bp.route("/referentiel/plan")
@requires("reference.view")
@cached_read()
def ref_plan() -> Page:
    """The plan: its title, horizon and six phases with planned and actual dates."""
    return _plan_page()


@bp.route("/referentiel/plan", methods=["POST"])
@requires("plan.edit")
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
    return _act(
        _plan_page,
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


@bp.route("/referentiel/plan/renommer", methods=["POST"])
@requires("plan.edit")
def rename_plan() -> Any:
    """Give the plan a new title (reason required)."""
    return _act(
        _plan_page,
        "rename",
        s.Rename(),
        scalars(request.form, "name", "reason"),
        on_fields(lambda c, d: led().rename_plan(c, d["name"]), {NotFound: "name"}),
        _("Plan renommé."),
        url_for("ui.ref_plan"),
    )


def _phase(phase: str) -> str:
    if phase not in PHASES:
        abort(404)
    return phase


@bp.route("/referentiel/plan/phases/<phase>/planifier", methods=["POST"])
@requires("plan.edit")
def schedule_phase(phase: str) -> Any:
    """Plan the dates of a phase."""
    _phase(phase)
    return _act(
        _plan_page,
        f"schedule-{phase}",
        s.PhaseSchedule(),
        scalars(request.form, "planned_start", "planned_end", "reason"),
        on_fields(
            lambda c, d: led().schedule_phase(
                c, phase, d["planned_start"], d["planned_end"]
            ),
            {NotFound: "planned_start"},
        ),
        _("Phase planifiée."),
        url_for("ui.ref_plan", _anchor="phases"),
    )


@bp.route("/referentiel/plan/phases/<phase>/demarrer", methods=["POST"])
@requires("plan.phases")
def start_phase(phase: str) -> Any:
    """A phase starts (its actual date)."""
    _phase(phase)
    return _act(
        _plan_page,
        f"start-{phase}",
        s.PhaseDate(),
        scalars(request.form, "on", "reason"),
        on_fields(lambda c, d: led().start_phase(c, phase, d["on"]), {NotFound: "on"}),
        _("Phase démarrée."),
        url_for("ui.ref_plan", _anchor="phases"),
    )


@bp.route("/referentiel/plan/phases/<phase>/terminer", methods=["POST"])
@requires("plan.phases")
def complete_phase(phase: str) -> Any:
    """A phase is done (its actual date)."""
    _phase(phase)
    return _act(
        _plan_page,
        f"complete-{phase}",
        s.PhaseDate(),
        scalars(request.form, "on", "reason"),
        on_fields(
            lambda c, d: led().complete_phase(c, phase, d["on"]), {NotFound: "on"}
        ),
        _("Phase terminée."),
        url_for("ui.ref_plan", _anchor="phases"),
    )


# --- pôles -----------------------------------------------------------------------------


def _poles_page(
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Page:
    org = rq.organisation(store())
    counts: dict[str, int] = {}
    for d in org["directions"]:
        if d["status"] == "open":
            counts[d["pole"]] = counts.get(d["pole"], 0) + 1
    return _render(
        "ref_poles.html", errors, status, sent, poles=org["poles"], counts=counts
    )


@bp.route("/referentiel/poles")
@requires("reference.view")
@cached_read()
def ref_poles() -> Page:
    """The pôles, open and closed; a new one is created here."""
    return _poles_page()


@bp.route("/referentiel/poles", methods=["POST"])
@requires("organisation.edit")
def create_pole() -> Any:
    """Create a pôle."""
    data = scalars(request.form, "code", "name", "reason")
    return _act(
        _poles_page,
        "create",
        s.PoleIn(),
        data,
        on_fields(
            lambda c, d: led().create_pole(c, d["code"], d["name"]),
            {AlreadyExists: "code"},
        ),
        _("Pôle %(code)s créé.", code=data.get("code", "")),
        lambda: url_for("ui.ref_pole", code=data["code"]),
    )


def _pole_page(code: str) -> Callable[..., Page]:
    def page(
        errors: dict[str, FormErrors] | None = None,
        status: int = 200,
        sent: str | None = None,
    ) -> Page:
        doc = rq.pole(store(), code)
        if doc is None:
            abort(404)
        return _render("ref_pole.html", errors, status, sent, p=doc)

    return page


@bp.route("/referentiel/poles/<code>")
@requires("reference.view")
@cached_read()
def ref_pole(code: str) -> Page:
    """A pôle: its directions and its history."""
    return _pole_page(code)()


@bp.route("/referentiel/poles/<code>/renommer", methods=["POST"])
@requires("organisation.edit")
def rename_pole(code: str) -> Any:
    """Rename a pôle (reason required)."""
    return _act(
        _pole_page(code),
        "rename",
        s.Rename(),
        scalars(request.form, "name", "reason"),
        on_fields(lambda c, d: led().rename_pole(c, code, d["name"]), _closed("name")),
        _("Pôle renommé."),
        url_for("ui.ref_pole", code=code),
    )


@bp.route("/referentiel/poles/<code>/fermer", methods=["POST"])
@requires("organisation.edit")
def close_pole(code: str) -> Any:
    """Close a pôle (reason required) once its directions are closed or moved."""
    return _act(
        _pole_page(code),
        "close",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led().close_pole(c, code),
            {**_closed(), PoleHasOpenDirections: "reason"},
        ),
        _("Pôle fermé."),
        url_for("ui.ref_pole", code=code),
    )


# --- directions ------------------------------------------------------------------------


def _open_poles(org: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (p["code"], f"{p['code']} — {p['name']}")
        for p in org["poles"]
        if p["status"] == "open"
    ]


def _directions_page(
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Page:
    org = rq.organisation(store())
    return _render(
        "ref_directions.html",
        errors,
        status,
        sent,
        directions=org["directions"],
        poles={p["code"]: p for p in org["poles"]},
        pole_options=_open_poles(org),
    )


@bp.route("/referentiel/directions")
@requires("reference.view")
@cached_read()
def ref_directions() -> Page:
    """The directions with their pôle and referents; a new one is created here."""
    return _directions_page()


@bp.route("/referentiel/directions", methods=["POST"])
@requires("organisation.edit")
def create_direction() -> Any:
    """Create a direction in an open pôle."""
    data = scalars(request.form, "code", "name", "pole", "reason")
    return _act(
        _directions_page,
        "create",
        s.DirectionIn(),
        data,
        on_fields(
            lambda c, d: led().create_direction(c, d["code"], d["name"], d["pole"]),
            {AlreadyExists: "code", NotFound: "pole", RecordClosed: "pole"},
        ),
        _("Direction %(code)s créée.", code=data.get("code", "")),
        lambda: url_for("ui.ref_direction", code=data["code"]),
    )


def _direction_page(code: str) -> Callable[..., Page]:
    def page(
        errors: dict[str, FormErrors] | None = None,
        status: int = 200,
        sent: str | None = None,
    ) -> Page:
        st = store()
        doc = rq.direction(st, code)
        if doc is None:
            abort(404)
        org = rq.organisation(st)
        return _render(
            "ref_direction.html",
            errors,
            status,
            sent,
            d=doc,
            pole_options=[o for o in _open_poles(org) if o[0] != doc["pole"]],
        )

    return page


@bp.route("/referentiel/directions/<code>")
@requires("reference.view")
@cached_read()
def ref_direction(code: str) -> Page:
    """A direction: pôle, referents (and their grants), teams, proposals, history."""
    return _direction_page(code)()


@bp.route("/referentiel/directions/<code>/renommer", methods=["POST"])
@requires("organisation.edit")
def rename_direction(code: str) -> Any:
    """Rename a direction (reason required)."""
    return _act(
        _direction_page(code),
        "rename",
        s.Rename(),
        scalars(request.form, "name", "reason"),
        on_fields(
            lambda c, d: led().rename_direction(c, code, d["name"]), _closed("name")
        ),
        _("Direction renommée."),
        url_for("ui.ref_direction", code=code),
    )


@bp.route("/referentiel/directions/<code>/rattacher", methods=["POST"])
@requires("organisation.edit")
def move_direction(code: str) -> Any:
    """Attach a direction to another open pôle (reason required)."""
    return _act(
        _direction_page(code),
        "move",
        s.MoveDirection(),
        scalars(request.form, "pole", "reason"),
        on_fields(
            lambda c, d: led().move_direction(c, code, d["pole"]), {NotFound: "pole"}
        ),
        _("Direction rattachée à son nouveau pôle."),
        url_for("ui.ref_direction", code=code),
    )


@bp.route("/referentiel/directions/<code>/fermer", methods=["POST"])
@requires("organisation.edit")
def close_direction(code: str) -> Any:
    """Close a direction (reason required): its proposals and history stay."""
    return _act(
        _direction_page(code),
        "close",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(lambda c, d: led().close_direction(c, code), _closed()),
        _("Direction fermée."),
        url_for("ui.ref_direction", code=code),
    )


# --- teams -----------------------------------------------------------------------------


def _plan_years(st: Any) -> list[int]:
    plan = q.plan(st)
    return list(range(plan["first_year"], plan["last_year"] + 1)) if plan else []


def _teams_page(
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Page:
    st = store()
    org = rq.organisation(st)
    years = _plan_years(st) or sorted(
        {int(y) for t in org["teams"] for y in t["capacity"]}
    )
    directions = [
        (d["code"], f"{d['code']} — {d['name']}")
        for d in org["directions"]
        if d["status"] == "open"
    ]
    return _render(
        "ref_teams.html",
        errors,
        status,
        sent,
        teams=org["teams"],
        years=years,
        direction_options=directions,
    )


@bp.route("/referentiel/equipes")
@requires("reference.view")
@cached_read()
def ref_teams() -> Page:
    """The DSI and business teams with their capacity per year; a new one is created here."""
    return _teams_page()


@bp.route("/referentiel/equipes", methods=["POST"])
@requires("organisation.edit")
def create_team() -> Any:
    """Create a team, with its capacity for the years given."""
    data = scalars(request.form, "code", "name", "kind", "direction", "reason")
    capacity: dict[str, Any] = {}
    for key, value in request.form.items():
        if key.startswith("capacity-") and value.strip():
            raw = value.strip()
            capacity[key[len("capacity-") :]] = (
                int(raw) if raw.isdigit() and raw.isascii() else raw
            )
    data["capacity"] = capacity
    return _act(
        _teams_page,
        "create",
        s.TeamIn(),
        data,
        on_fields(
            lambda c, d: led().create_team(
                c,
                d["code"],
                d["name"],
                d["kind"],
                d["direction"],
                {int(y): days for y, days in d["capacity"].items()},
            ),
            {AlreadyExists: "code", NotFound: "direction", RecordClosed: "direction"},
        ),
        _("Équipe %(code)s créée.", code=data.get("code", "")),
        lambda: url_for("ui.ref_team", code=data["code"]),
    )


def _team_page(code: str) -> Callable[..., Page]:
    def page(
        errors: dict[str, FormErrors] | None = None,
        status: int = 200,
        sent: str | None = None,
    ) -> Page:
        st = store()
        doc = rq.team(st, code)
        if doc is None:
            abort(404)
        years = sorted(set(_plan_years(st)) | {int(y) for y in doc["capacity"]})
        return _render("ref_team.html", errors, status, sent, t=doc, years=years)

    return page


@bp.route("/referentiel/equipes/<code>")
@requires("reference.view")
@cached_read()
def ref_team(code: str) -> Page:
    """A team: its capacity per year and its history."""
    return _team_page(code)()


@bp.route("/referentiel/equipes/<code>/capacite", methods=["POST"])
@requires("organisation.edit")
def set_team_capacity(code: str) -> Any:
    """Set a year's capacity (reason required to change one already set)."""
    data = scalars(request.form, "year", "days", "reason", integers=("year", "days"))
    year = data.pop("year", None)
    page = _team_page(code)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors = FormErrors({"year": _("Année entre 2000 et 2100 attendue.")})
        errors.message = _(
            "Le formulaire contient des erreurs : rien n'a été enregistré."
        )
        return page(errors={"capacity": errors}, status=422, sent="capacity")
    return _act(
        page,
        "capacity",
        s.CapacityIn(),
        data,
        on_fields(
            lambda c, d: led().set_team_capacity(c, code, year, d["days"]),
            _closed("days"),
        ),
        _("Capacité %(year)s enregistrée.", year=year),
        url_for("ui.ref_team", code=code),
    )


@bp.route("/referentiel/equipes/<code>/renommer", methods=["POST"])
@requires("organisation.edit")
def rename_team(code: str) -> Any:
    """Rename a team (reason required)."""
    return _act(
        _team_page(code),
        "rename",
        s.Rename(),
        scalars(request.form, "name", "reason"),
        on_fields(lambda c, d: led().rename_team(c, code, d["name"]), _closed("name")),
        _("Équipe renommée."),
        url_for("ui.ref_team", code=code),
    )


@bp.route("/referentiel/equipes/<code>/fermer", methods=["POST"])
@requires("organisation.edit")
def close_team(code: str) -> Any:
    """Close a team (reason required)."""
    return _act(
        _team_page(code),
        "close",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(lambda c, d: led().close_team(c, code), _closed()),
        _("Équipe fermée."),
        url_for("ui.ref_team", code=code),
    )


# --- axes and indicators ---------------------------------------------------------------


def _axes_page(
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Page:
    return _render("ref_axes.html", errors, status, sent, axes=rq.axes(store()))


@bp.route("/referentiel/axes")
@requires("reference.view")
@cached_read()
def ref_axes() -> Page:
    """The strategic axes and their indicators; a new axis is created here."""
    return _axes_page()


@bp.route("/referentiel/axes", methods=["POST"])
@requires("strategy.edit")
def create_axis() -> Any:
    """Create a strategic axis."""
    data = scalars(request.form, "code", "label", "description", "reason")
    return _act(
        _axes_page,
        "create",
        s.AxisIn(),
        data,
        on_fields(
            lambda c, d: led().create_axis(c, d["code"], d["label"], d["description"]),
            {AlreadyExists: "code"},
        ),
        _("Axe %(code)s créé.", code=data.get("code", "")),
        lambda: url_for("ui.ref_axis", code=data["code"]),
    )


def _axis_page(code: str) -> Callable[..., Page]:
    def page(
        errors: dict[str, FormErrors] | None = None,
        status: int = 200,
        sent: str | None = None,
    ) -> Page:
        doc = rq.axis(store(), code)
        if doc is None:
            abort(404)
        return _render("ref_axis.html", errors, status, sent, a=doc)

    return page


@bp.route("/referentiel/axes/<code>")
@requires("reference.view")
@cached_read()
def ref_axis(code: str) -> Page:
    """An axis: its indicators with their targets, and its history."""
    return _axis_page(code)()


@bp.route("/referentiel/axes/<code>/renommer", methods=["POST"])
@requires("strategy.edit")
def rename_axis(code: str) -> Any:
    """Give an axis a new label and description (reason required)."""
    data = scalars(request.form, "label", "reason")
    data["description"] = request.form.get("description", "").strip()
    return _act(
        _axis_page(code),
        "rename",
        s.RenameAxis(),
        data,
        on_fields(
            lambda c, d: led().rename_axis(c, code, d["label"], d["description"]),
            _closed("label"),
        ),
        _("Axe renommé."),
        url_for("ui.ref_axis", code=code),
    )


@bp.route("/referentiel/axes/<code>/fermer", methods=["POST"])
@requires("strategy.edit")
def close_axis(code: str) -> Any:
    """Close an axis (reason required) once its indicators are closed."""
    return _act(
        _axis_page(code),
        "close",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led().close_axis(c, code),
            {**_closed(), AxisHasOpenIndicators: "reason"},
        ),
        _("Axe fermé."),
        url_for("ui.ref_axis", code=code),
    )


@bp.route("/referentiel/axes/<code>/indicateurs", methods=["POST"])
@requires("strategy.edit")
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
    for name in ("baseline", "target"):
        if name in data:
            data[name] = (
                data[name].replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
            )
    return _act(
        _axis_page(code),
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
        lambda: url_for("ui.ref_indicator", code=data["code"]),
    )


def _indicator_page(code: str) -> Callable[..., Page]:
    def page(
        errors: dict[str, FormErrors] | None = None,
        status: int = 200,
        sent: str | None = None,
    ) -> Page:
        doc = rq.indicator(store(), code)
        if doc is None:
            abort(404)
        return _render("ref_indicator.html", errors, status, sent, i=doc)

    return page


@bp.route("/referentiel/indicateurs/<code>")
@requires("reference.view")
@cached_read()
def ref_indicator(code: str) -> Page:
    """An indicator: targets per year, measurements over time, history."""
    return _indicator_page(code)()


@bp.route("/referentiel/indicateurs/<code>/cibles", methods=["POST"])
@requires("strategy.edit")
def set_indicator_target(code: str) -> Any:
    """The target of a year (reason required to change one already set)."""
    data = scalars(request.form, "year", "value", "reason", integers=("year",))
    year = data.pop("year", None)
    page = _indicator_page(code)
    if not isinstance(year, int) or not 2000 <= year <= 2100:
        errors = FormErrors({"year": _("Année entre 2000 et 2100 attendue.")})
        errors.message = _(
            "Le formulaire contient des erreurs : rien n'a été enregistré."
        )
        return page(errors={"target": errors}, status=422, sent="target")
    if "value" in data:
        data["value"] = (
            data["value"].replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
        )
    return _act(
        page,
        "target",
        s.TargetIn(),
        data,
        on_fields(
            lambda c, d: led().set_indicator_target(c, code, year, d["value"]),
            _closed("value"),
        ),
        _("Cible %(year)s enregistrée.", year=year),
        url_for("ui.ref_indicator", code=code),
    )


@bp.route("/referentiel/indicateurs/<code>/mesures", methods=["POST"])
@requires("proposal.execute")
def measure_indicator(code: str) -> Any:
    """Record a planned or realised value of the indicator (DSI)."""
    data = scalars(request.form, "on", "value", "kind", "comment")
    if "value" in data:
        data["value"] = (
            data["value"].replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
        )
    return _act(
        _indicator_page(code),
        "measure",
        s.MeasureIn(),
        data,
        on_fields(
            lambda c, d: led().measure_indicator(
                c, code, d["on"], d["value"], d["kind"], d["comment"]
            ),
            _closed("value"),
        ),
        _("Mesure enregistrée."),
        url_for("ui.ref_indicator", code=code, _anchor="mesures"),
    )


@bp.route("/referentiel/indicateurs/<code>/renommer", methods=["POST"])
@requires("strategy.edit")
def rename_indicator(code: str) -> Any:
    """Give an indicator a new label (reason required)."""
    return _act(
        _indicator_page(code),
        "rename",
        s.RenameIndicator(),
        scalars(request.form, "label", "reason"),
        on_fields(
            lambda c, d: led().rename_indicator(c, code, d["label"]), _closed("label")
        ),
        _("Indicateur renommé."),
        url_for("ui.ref_indicator", code=code),
    )


@bp.route("/referentiel/indicateurs/<code>/fermer", methods=["POST"])
@requires("strategy.edit")
def close_indicator(code: str) -> Any:
    """Close an indicator (reason required)."""
    return _act(
        _indicator_page(code),
        "close",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(lambda c, d: led().close_indicator(c, code), _closed()),
        _("Indicateur fermé."),
        url_for("ui.ref_indicator", code=code),
    )


# --- the COPIL's composition -----------------------------------------------------------


def _committee_page(
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Page:
    st = store()
    record = rq.committee_record(st)
    sitting = {m["username"] for m in record["members"] if m["sitting"]}
    candidates = [
        (a["username"], f"{a['username']} — {a['display_name']}")
        for a in q.accounts(st)
        if a["active"] and a["username"] not in sitting
    ]
    kinds = [(k, str(MEMBER_KIND[k])) for k in KINDS]
    return _render(
        "ref_committee.html",
        errors,
        status,
        sent,
        candidates=candidates,
        kinds=kinds,
        **record,
    )


@bp.route("/referentiel/copil")
@requires("reference.view")
@cached_read()
def ref_committee() -> Page:
    """The COPIL's composition (who sits as what, voting or not) and its history."""
    return _committee_page()


@bp.route("/referentiel/copil", methods=["POST"])
@requires("committee.edit")
def appoint_committee_member() -> Any:
    """Seat an account on the COPIL."""
    data = scalars(request.form, "username", "kind", "reason", booleans=("voting",))
    return _act(
        _committee_page,
        "appoint",
        s.CommitteeMemberIn(),
        data,
        on_fields(
            lambda c, d: led().appoint_committee_member(
                c, d["username"], d["kind"], d["voting"]
            ),
            {
                NotFound: "username",
                AlreadyExists: "username",
                AccountDisabled: "username",
            },
        ),
        _("%(name)s siège désormais au COPIL.", name=data.get("username", "")),
        url_for("ui.ref_committee"),
    )


@bp.route("/referentiel/copil/<username>/modifier", methods=["POST"])
@requires("committee.edit")
def change_committee_member(username: str) -> Any:
    """Change what a member sits as, or whether they vote (reason required)."""
    data = scalars(request.form, "kind", "reason", booleans=("voting",))
    return _act(
        _committee_page,
        f"change-{username}",
        s.CommitteeMemberChange(),
        data,
        on_fields(
            lambda c, d: led().change_committee_member(
                c, username, d["kind"], d["voting"]
            ),
            {NotFound: "kind", AccountDisabled: "kind"},
        ),
        _("Siège de %(name)s modifié.", name=username),
        url_for("ui.ref_committee"),
    )


@bp.route("/referentiel/copil/<username>/retirer", methods=["POST"])
@requires("committee.edit")
def remove_committee_member(username: str) -> Any:
    """A member leaves the COPIL (reason required)."""
    return _act(
        _committee_page,
        f"remove-{username}",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led().remove_committee_member(c, username),
            {NotFound: "reason"},
        ),
        _("%(name)s ne siège plus au COPIL.", name=username),
        url_for("ui.ref_committee"),
    )
