"""Reference data endpoints: the municipality, the plan and its phases, pôles,
directions, teams and their capacity, axes, indicators and their targets, the COPIL's
composition — each command one ledger call (``Idempotency-Key`` honoured), each read
with ``as_of`` and the record's history (who, when, why).

Renaming, closing, moving and changing a value already set need a ``reason``;
creating takes one if given. Closing never deletes: a closed record keeps its history
and what refers to it, and receives nothing new.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema

from projections import reference_queries as rq
from web.api import responses as r
from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.api.phase_schemas import PhaseComplete
from web.api.responses import errors
from web.auth import requires
from web.cache import cached_read
from web.state import state

referential = Blueprint(
    "api_referential",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Référentiel : collectivité, plan et phases, pôles, directions, équipes et "
        "capacités, axes et indicateurs, composition du COPIL — avec leur historique"
    ),
)
BLUEPRINTS = (referential,)
View = Callable[..., Any]


def command(
    rule: str, schema: type[Schema], permission: str, method: str = "POST"
) -> Callable[[View], View]:
    """A command's route: ``schema`` loads the body, the common command responses are
    documented, only holders of ``permission`` may send it."""

    def decorate(view: View) -> View:
        view = documented(referential)(requires(permission)(view))
        view = referential.arguments(schema)(view)
        return referential.route(rule, methods=[method])(view)

    return decorate


def record(rule: str, schema: type[Schema], *statuses: int) -> Callable[[View], View]:
    """A record's route: read as of ``as_of`` (query), answered with ``schema``, for
    whoever may see the Référentiel; ``statuses`` documented beside the read errors."""

    def decorate(view: View) -> View:
        view = requires("reference.view")(cached_read()(view))
        view = referential.response(200, schema)(
            errors(referential, *r.READ_ERRORS, *statuses)(view)
        )
        view = referential.arguments(s.AsOf, location="query")(view)
        return referential.route(rule)(view)

    return decorate


def _store(args: dict[str, Any]) -> Any:
    return state().read_model.at(args.pop("as_of", None))


def _found(doc: dict[str, Any] | None) -> dict[str, Any]:
    if doc is None:
        abort(404)
    return doc


# --- the municipality --------------------------------------------------------------------


@record("/municipality", r.MunicipalityRecord)
def municipality(args: dict[str, Any]) -> dict[str, Any]:
    """The municipality (name, SIREN, SIRET, INSEE code) and its history."""
    return rq.municipality_record(_store(args))


@command("/municipality", s.MunicipalityIn, "municipality.edit")
def define_municipality(data: dict[str, Any]) -> Any:
    """Define the municipality (once): SIREN with its Luhn key, INSEE code (2A/2B for
    Corsica), optional SIRET of the same SIREN."""
    return run(
        ledger().define_municipality,
        data["name"],
        data["siren"],
        data["insee"],
        data["siret"],
        reason=data["reason"],
    )


@command("/municipality", s.MunicipalityChange, "municipality.edit", method="PUT")
def change_municipality(data: dict[str, Any]) -> Any:
    """Change the municipality's name or identifiers (reason required)."""
    return run(
        ledger().change_municipality,
        data["name"],
        data["siren"],
        data["insee"],
        data["siret"],
        reason=data["reason"],
    )


# --- the plan and its phases -----------------------------------------------------------


@command("/plan", s.PlanIn, "plan.edit")
def define_plan(data: dict[str, Any]) -> Any:
    """Define the SDSI plan (once): title and horizon; the municipality's by default."""
    return run(
        ledger().define_plan,
        data["name"],
        data["municipality"],
        data["first_year"],
        data["last_year"],
        reason=data["reason"],
    )


@command("/plan/rename", s.Rename, "plan.edit")
def rename_plan(data: dict[str, Any]) -> Any:
    """Give the plan a new title (reason required)."""
    return run(ledger().rename_plan, data["name"], reason=data["reason"])


@command("/plan/extend", s.PlanExtend, "plan.extend")
def extend_plan(data: dict[str, Any]) -> Any:
    """Give the plan in force a new last year (reason required): later to extend it,
    earlier to shorten it, never before a year already costed (409)."""
    return run(ledger().extend_plan, data["last_year"], reason=data["reason"])


@command("/plans", s.NextPlanIn, "plan.follow")
def follow_plan(data: dict[str, Any]) -> Any:
    """Adopt the plan that follows the one in force (reason required). The current
    plan ends as it stands (``GET /portfolio?plan=N``, ``/budget?plan=N`` and the
    exports still show it); approved, planned and running projects carry over with
    their AP, workload and remaining CP (each earlier year's CP not committed moves
    to the new first year); the open axes and indicators continue; the grid in force
    is copied as a draft to revise."""
    return run(
        ledger().follow_plan,
        data["name"],
        data["first_year"],
        data["last_year"],
        reason=data["reason"],
    )


@command("/plan/phases/<phase>/schedule", s.PhaseSchedule, "plan.edit")
def schedule_phase(data: dict[str, Any], phase: str) -> Any:
    """Plan the dates of a phase (cadrage, revue_documentaire, alignement_strategique,
    diagnostic_si, evolutions_demandees, plan_strategique_numerique)."""
    return run(
        ledger().schedule_phase,
        phase,
        data["planned_start"],
        data["planned_end"],
        reason=data["reason"],
    )


@command("/plan/phases/<phase>/start", s.PhaseDate, "plan.phases")
def start_phase(data: dict[str, Any], phase: str) -> Any:
    """A phase starts (its actual date, not in the future)."""
    return run(ledger().start_phase, phase, data["on"], reason=data["reason"])


@command("/plan/phases/<phase>/complete", PhaseComplete, "plan.phases")
def complete_phase(data: dict[str, Any], phase: str) -> Any:
    """A phase is done (its actual date, not before its start nor in the future):
    refused (409 ``deliverables_missing``, naming them) while expected deliverables
    are not validated, unless ``without_deliverables`` with a ``reason``."""
    return run(
        ledger().complete_phase,
        phase,
        data["on"],
        override=data["without_deliverables"],
        reason=data["reason"],
    )


# --- pôles ------------------------------------------------------------------------------


@command("/organisation/poles", s.PoleIn, "organisation.edit")
def create_pole(data: dict[str, Any]) -> Any:
    """Create a pôle."""
    return run(ledger().create_pole, data["code"], data["name"], reason=data["reason"])


@record("/organisation/poles/<code>", r.PoleRecord, 404)
def pole(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A pôle, its directions and its history."""
    return _found(rq.pole(_store(args), code))


@command("/organisation/poles/<code>/rename", s.Rename, "organisation.edit")
def rename_pole(data: dict[str, Any], code: str) -> Any:
    """Rename a pôle (reason required)."""
    return run(ledger().rename_pole, code, data["name"], reason=data["reason"])


@command("/organisation/poles/<code>/close", s.RequiredReason, "organisation.edit")
def close_pole(data: dict[str, Any], code: str) -> Any:
    """Close a pôle (reason required) once its directions are closed or moved."""
    return run(ledger().close_pole, code, reason=data["reason"])


# --- directions -------------------------------------------------------------------------


@command("/organisation/directions", s.DirectionIn, "organisation.edit")
def create_direction(data: dict[str, Any]) -> Any:
    """Create a direction in an open pôle."""
    return run(
        ledger().create_direction,
        data["code"],
        data["name"],
        data["pole"],
        data["entity"],
        reason=data["reason"],
    )


@record("/organisation/directions/<code>", r.DirectionRecord, 404)
def direction(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A direction, its referents, teams, proposals and history (and the history of
    its referent grants, for administrators and auditors)."""
    doc = _found(rq.direction(_store(args), code))
    if not (current_user.can("admin.accounts") or current_user.can("audit.view")):
        doc["referent_grants"] = []
    return doc


@command("/organisation/directions/<code>/rename", s.Rename, "organisation.edit")
def rename_direction(data: dict[str, Any], code: str) -> Any:
    """Rename a direction (reason required)."""
    return run(ledger().rename_direction, code, data["name"], reason=data["reason"])


@command("/organisation/directions/<code>/move", s.MoveDirection, "organisation.edit")
def move_direction(data: dict[str, Any], code: str) -> Any:
    """Attach a direction to another open pôle (reason required)."""
    return run(ledger().move_direction, code, data["pole"], reason=data["reason"])


@command("/organisation/directions/<code>/close", s.RequiredReason, "organisation.edit")
def close_direction(data: dict[str, Any], code: str) -> Any:
    """Close a direction (reason required): its proposals and history stay; it
    receives no new proposal, business team or referent."""
    return run(ledger().close_direction, code, reason=data["reason"])


# --- teams ------------------------------------------------------------------------------


@command("/organisation/teams", s.TeamIn, "organisation.edit")
def create_team(data: dict[str, Any]) -> Any:
    """Create a DSI or business team (a business team belongs to a direction), with
    its capacity per year if given."""
    capacity = {int(y): days for y, days in data["capacity"].items()}
    return run(
        ledger().create_team,
        data["code"],
        data["name"],
        data["kind"],
        data["direction"],
        capacity,
        reason=data["reason"],
    )


@record("/organisation/teams/<code>", r.TeamRecord, 404)
def team(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A team, its capacity per year and its history."""
    return _found(rq.team(_store(args), code))


@command("/organisation/teams/<code>/rename", s.Rename, "organisation.edit")
def rename_team(data: dict[str, Any], code: str) -> Any:
    """Rename a team (reason required)."""
    return run(ledger().rename_team, code, data["name"], reason=data["reason"])


@command("/organisation/teams/<code>/close", s.RequiredReason, "organisation.edit")
def close_team(data: dict[str, Any], code: str) -> Any:
    """Close a team (reason required): no new capacity nor workload."""
    return run(ledger().close_team, code, reason=data["reason"])


@command(
    "/organisation/teams/<code>/capacity/<int:year>",
    s.CapacityIn,
    "organisation.edit",
    method="PUT",
)
def set_capacity(data: dict[str, Any], code: str, year: int) -> Any:
    """A team's capacity of a year in person-days (reason required to change one
    already set; the same value writes nothing)."""
    return run(
        ledger().set_team_capacity, code, year, data["days"], reason=data["reason"]
    )


# --- axes and indicators ----------------------------------------------------------------


@command("/axes", s.AxisIn, "strategy.edit")
def create_axis(data: dict[str, Any]) -> Any:
    """Create a strategic axis."""
    return run(
        ledger().create_axis,
        data["code"],
        data["label"],
        data["description"],
        reason=data["reason"],
    )


@record("/axes/<code>", r.AxisRecord, 404)
def axis(args: dict[str, Any], code: str) -> dict[str, Any]:
    """An axis, its indicators with their targets, and its history."""
    return _found(rq.axis(_store(args), code))


@command("/axes/<code>/rename", s.RenameAxis, "strategy.edit")
def rename_axis(data: dict[str, Any], code: str) -> Any:
    """Give an axis a new label (and description); reason required."""
    return run(
        ledger().rename_axis,
        code,
        data["label"],
        data["description"],
        reason=data["reason"],
    )


@command("/axes/<code>/close", s.RequiredReason, "strategy.edit")
def close_axis(data: dict[str, Any], code: str) -> Any:
    """Close an axis (reason required) once its indicators are closed."""
    return run(ledger().close_axis, code, reason=data["reason"])


@command("/axes/<code>/indicators", s.IndicatorIn, "strategy.edit")
def create_indicator(data: dict[str, Any], code: str) -> Any:
    """Create an indicator of an open axis: unit, baseline, a first target and year."""
    return run(
        ledger().create_indicator,
        data["code"],
        code,
        data["label"],
        data["unit"],
        data["baseline"],
        data["target"],
        data["target_year"],
        reason=data["reason"],
    )


@record("/indicators/<code>", r.IndicatorRecord, 404)
def indicator(args: dict[str, Any], code: str) -> dict[str, Any]:
    """An indicator: targets per year, measurements over time, history."""
    return _found(rq.indicator(_store(args), code))


@command("/indicators/<code>/rename", s.RenameIndicator, "strategy.edit")
def rename_indicator(data: dict[str, Any], code: str) -> Any:
    """Give an indicator a new label (reason required)."""
    return run(ledger().rename_indicator, code, data["label"], reason=data["reason"])


@command("/indicators/<code>/close", s.RequiredReason, "strategy.edit")
def close_indicator(data: dict[str, Any], code: str) -> Any:
    """Close an indicator (reason required): no new target, measurement or link."""
    return run(ledger().close_indicator, code, reason=data["reason"])


@command(
    "/indicators/<code>/targets/<int:year>", s.TargetIn, "strategy.edit", method="PUT"
)
def set_target(data: dict[str, Any], code: str, year: int) -> Any:
    """The target of an indicator for a year (reason required to change one already
    set; the same value writes nothing)."""
    return run(
        ledger().set_indicator_target, code, year, data["value"], reason=data["reason"]
    )


# --- the COPIL's composition ------------------------------------------------------------


@record("/committee/members", r.CommitteeRecord)
def committee(args: dict[str, Any]) -> dict[str, Any]:
    """The COPIL's composition (sitting members first, then those who left) and its
    history."""
    return rq.committee_record(_store(args))


@command("/committee/members", s.CommitteeMemberIn, "committee.edit")
def appoint(data: dict[str, Any]) -> Any:
    """Seat an account on the COPIL (élu, DGS, DGA, DSI or invited expert), voting
    or not; once a composition exists, sessions are convened from it."""
    return run(
        ledger().appoint_committee_member,
        data["username"],
        data["kind"],
        data["voting"],
        reason=data["reason"],
    )


@command(
    "/committee/members/<username>",
    s.CommitteeMemberChange,
    "committee.edit",
    method="PUT",
)
def change_member(data: dict[str, Any], username: str) -> Any:
    """Change what a member sits as, or whether they vote (reason required)."""
    return run(
        ledger().change_committee_member,
        username,
        data["kind"],
        data["voting"],
        reason=data["reason"],
    )


@command("/committee/members/<username>/remove", s.RequiredReason, "committee.edit")
def remove_member(data: dict[str, Any], username: str) -> Any:
    """A member leaves the COPIL (reason required); past sessions keep them."""
    return run(ledger().remove_committee_member, username, reason=data["reason"])
