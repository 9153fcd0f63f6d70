"""The organisation in the Référentiel: pôles, directions and teams (with their
capacity per year), each list creating new ones and each record's page renaming,
moving or closing it — one ledger command per form."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import gettext as _

from domain.errors import AlreadyExists, NotFound, PoleHasOpenDirections, RecordClosed
from projections import queries as q
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
    year_refused,
)

# --- pôles -----------------------------------------------------------------------------


def _poles_context() -> dict[str, Any]:
    org = rq.organisation(store())
    counts: dict[str, int] = {}
    for d in org["directions"]:
        if d["status"] == "open":
            counts[d["pole"]] = counts.get(d["pole"], 0) + 1
    return {"poles": org["poles"], "counts": counts}


_poles_page = page("ref_poles.html", _poles_context)


@shown("/referentiel/poles")
def ref_poles() -> Any:
    """The pôles, open and closed; a new one is created here."""
    return _poles_page()


@post("/referentiel/poles", "organisation.edit")
def create_pole() -> Any:
    """Create a pôle."""
    data = scalars(request.form, "code", "name", "reason")
    return act(
        _poles_page,
        "create",
        s.PoleIn(),
        data,
        on_fields(
            lambda c, d: led().create_pole(c, d["code"], d["name"]),
            {AlreadyExists: "code"},
        ),
        _("Pôle %(code)s créé.", code=data.get("code", "")),
        lambda: POLE.url(data["code"]),
    )


POLE = Record("ui.ref_pole", "ref_pole.html", "p", rq.pole)


@shown("/referentiel/poles/<code>")
def ref_pole(code: str) -> Any:
    """A pôle: its directions and its history."""
    return POLE.page(code)()


@post("/referentiel/poles/<code>/renommer", "organisation.edit")
def rename_pole(code: str) -> Any:
    """Rename a pôle (reason required)."""
    return rename(
        POLE,
        code,
        s.Rename(),
        "name",
        lambda c, d: led().rename_pole(c, code, d["name"]),
        _("Pôle renommé."),
    )


@post("/referentiel/poles/<code>/fermer", "organisation.edit")
def close_pole(code: str) -> Any:
    """Close a pôle (reason required) once its directions are closed or moved."""
    return close(
        POLE,
        code,
        lambda c, d: led().close_pole(c, code),
        _("Pôle fermé."),
        {PoleHasOpenDirections: "reason"},
    )


# --- directions ------------------------------------------------------------------------


def _open_poles(org: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (p["code"], f"{p['code']} — {p['name']}")
        for p in org["poles"]
        if p["status"] == "open"
    ]


def _directions_context() -> dict[str, Any]:
    org = rq.organisation(store())
    return {
        "directions": org["directions"],
        "poles": {p["code"]: p for p in org["poles"]},
        "pole_options": _open_poles(org),
    }


_directions_page = page("ref_directions.html", _directions_context)


@shown("/referentiel/directions")
def ref_directions() -> Any:
    """The directions with their pôle and referents; a new one is created here."""
    return _directions_page()


@post("/referentiel/directions", "organisation.edit")
def create_direction() -> Any:
    """Create a direction in an open pôle."""
    data = scalars(request.form, "code", "name", "pole", "reason")
    return act(
        _directions_page,
        "create",
        s.DirectionIn(),
        data,
        on_fields(
            lambda c, d: led().create_direction(c, d["code"], d["name"], d["pole"]),
            {AlreadyExists: "code", NotFound: "pole", RecordClosed: "pole"},
        ),
        _("Direction %(code)s créée.", code=data.get("code", "")),
        lambda: DIRECTION.url(data["code"]),
    )


def _other_poles(st: Any, doc: dict[str, Any]) -> dict[str, Any]:
    options = _open_poles(rq.organisation(st))
    return {"pole_options": [o for o in options if o[0] != doc["pole"]]}


DIRECTION = Record(
    "ui.ref_direction", "ref_direction.html", "d", rq.direction, _other_poles
)


@shown("/referentiel/directions/<code>")
def ref_direction(code: str) -> Any:
    """A direction: pôle, referents (and their grants), teams, proposals, history."""
    return DIRECTION.page(code)()


@post("/referentiel/directions/<code>/renommer", "organisation.edit")
def rename_direction(code: str) -> Any:
    """Rename a direction (reason required)."""
    return rename(
        DIRECTION,
        code,
        s.Rename(),
        "name",
        lambda c, d: led().rename_direction(c, code, d["name"]),
        _("Direction renommée."),
    )


@post("/referentiel/directions/<code>/rattacher", "organisation.edit")
def move_direction(code: str) -> Any:
    """Attach a direction to another open pôle (reason required)."""
    return act(
        DIRECTION.page(code),
        "move",
        s.MoveDirection(),
        scalars(request.form, "pole", "reason"),
        on_fields(
            lambda c, d: led().move_direction(c, code, d["pole"]), {NotFound: "pole"}
        ),
        _("Direction rattachée à son nouveau pôle."),
        DIRECTION.url(code),
    )


@post("/referentiel/directions/<code>/fermer", "organisation.edit")
def close_direction(code: str) -> Any:
    """Close a direction (reason required): its proposals and history stay."""
    return close(
        DIRECTION,
        code,
        lambda c, d: led().close_direction(c, code),
        _("Direction fermée."),
    )


# --- teams -----------------------------------------------------------------------------


def _plan_years(st: Any) -> list[int]:
    plan = q.plan(st)
    return list(range(plan["first_year"], plan["last_year"] + 1)) if plan else []


def _teams_context() -> dict[str, Any]:
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
    return {"teams": org["teams"], "years": years, "direction_options": directions}


_teams_page = page("ref_teams.html", _teams_context)


@shown("/referentiel/equipes")
def ref_teams() -> Any:
    """The DSI and business teams with their capacity per year; a new one is created here."""
    return _teams_page()


def _capacity_form() -> dict[str, Any]:
    """The ``capacity-YEAR`` fields filled in: year → days (as typed if not digits)."""
    capacity: dict[str, Any] = {}
    for key, value in request.form.items():
        if key.startswith("capacity-") and value.strip():
            raw = value.strip()
            capacity[key[len("capacity-") :]] = (
                int(raw) if raw.isdigit() and raw.isascii() else raw
            )
    return capacity


@post("/referentiel/equipes", "organisation.edit")
def create_team() -> Any:
    """Create a team, with its capacity for the years given."""
    data = scalars(request.form, "code", "name", "kind", "direction", "reason")
    data["capacity"] = _capacity_form()
    return act(
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
        lambda: TEAM.url(data["code"]),
    )


def _team_years(st: Any, doc: dict[str, Any]) -> dict[str, Any]:
    return {"years": sorted(set(_plan_years(st)) | {int(y) for y in doc["capacity"]})}


TEAM = Record("ui.ref_team", "ref_team.html", "t", rq.team, _team_years)


@shown("/referentiel/equipes/<code>")
def ref_team(code: str) -> Any:
    """A team: its capacity per year and its history."""
    return TEAM.page(code)()


@post("/referentiel/equipes/<code>/capacite", "organisation.edit")
def set_team_capacity(code: str) -> Any:
    """Set a year's capacity (reason required to change one already set)."""
    data = scalars(request.form, "year", "days", "reason", integers=("year", "days"))
    year = data.pop("year", None)
    show = TEAM.page(code)
    refused = year_refused(show, "capacity", year)
    if refused is not None:
        return refused
    return act(
        show,
        "capacity",
        s.CapacityIn(),
        data,
        on_fields(
            lambda c, d: led().set_team_capacity(c, code, year, d["days"]),
            closed("days"),
        ),
        _("Capacité %(year)s enregistrée.", year=year),
        TEAM.url(code),
    )


@post("/referentiel/equipes/<code>/renommer", "organisation.edit")
def rename_team(code: str) -> Any:
    """Rename a team (reason required)."""
    return rename(
        TEAM,
        code,
        s.Rename(),
        "name",
        lambda c, d: led().rename_team(c, code, d["name"]),
        _("Équipe renommée."),
    )


@post("/referentiel/equipes/<code>/fermer", "organisation.edit")
def close_team(code: str) -> Any:
    """Close a team (reason required)."""
    return close(
        TEAM,
        code,
        lambda c, d: led().close_team(c, code),
        _("Équipe fermée."),
    )
