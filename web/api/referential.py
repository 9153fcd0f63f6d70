"""Reference data endpoints: the municipality, the plan and its phases, pôles,
directions, teams and their capacity, axes, indicators and their targets, the COPIL's
composition — each command one ledger call (``Idempotency-Key`` honoured), each read
with ``as_of`` and the record's history (who, when, why).

Renaming, closing, moving and changing a value already set need a ``reason``;
creating takes one if given. Closing never deletes: a closed record keeps its history
and what refers to it, and receives nothing new.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from projections import reference_queries as rq
from web.api import responses as r
from web.api import schemas as s
from web.api.commands import documented, ledger, run
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


def _store(args: dict[str, Any]) -> Any:
    return state().read_model.at(args.pop("as_of", None))


def _found(doc: dict[str, Any] | None) -> dict[str, Any]:
    if doc is None:
        abort(404)
    return doc


# --- the municipality --------------------------------------------------------------------


@referential.route("/municipality")
@referential.arguments(s.AsOf, location="query")
@referential.response(200, r.MunicipalityRecord)
@errors(referential, *r.READ_ERRORS)
@requires("reference.view")
@cached_read()
def municipality(args: dict[str, Any]) -> dict[str, Any]:
    """The municipality (name, SIREN, SIRET, INSEE code) and its history."""
    return rq.municipality_record(_store(args))


@referential.route("/municipality", methods=["POST"])
@referential.arguments(s.MunicipalityIn)
@documented(referential)
@requires("municipality.edit")
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


@referential.route("/municipality", methods=["PUT"])
@referential.arguments(s.MunicipalityChange)
@documented(referential)
@requires("municipality.edit")
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


@referential.route("/plan", methods=["POST"])
@referential.arguments(s.PlanIn)
@documented(referential)
@requires("plan.edit")
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


@referential.route("/plan/rename", methods=["POST"])
@referential.arguments(s.Rename)
@documented(referential)
@requires("plan.edit")
def rename_plan(data: dict[str, Any]) -> Any:
    """Give the plan a new title (reason required)."""
    return run(ledger().rename_plan, data["name"], reason=data["reason"])


@referential.route("/plan/extend", methods=["POST"])
@referential.arguments(s.PlanExtend)
@documented(referential)
@requires("plan.extend")
def extend_plan(data: dict[str, Any]) -> Any:
    """Give the plan in force a new last year (reason required): later to extend it,
    earlier to shorten it, never before a year already costed (409)."""
    return run(ledger().extend_plan, data["last_year"], reason=data["reason"])


@referential.route("/plans", methods=["POST"])
@referential.arguments(s.NextPlanIn)
@documented(referential)
@requires("plan.follow")
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


@referential.route("/plan/phases/<phase>/schedule", methods=["POST"])
@referential.arguments(s.PhaseSchedule)
@documented(referential)
@requires("plan.edit")
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


@referential.route("/plan/phases/<phase>/start", methods=["POST"])
@referential.arguments(s.PhaseDate)
@documented(referential)
@requires("plan.phases")
def start_phase(data: dict[str, Any], phase: str) -> Any:
    """A phase starts (its actual date, not in the future)."""
    return run(ledger().start_phase, phase, data["on"], reason=data["reason"])


@referential.route("/plan/phases/<phase>/complete", methods=["POST"])
@referential.arguments(s.PhaseDate)
@documented(referential)
@requires("plan.phases")
def complete_phase(data: dict[str, Any], phase: str) -> Any:
    """A phase is done (its actual date, not before its start nor in the future)."""
    return run(ledger().complete_phase, phase, data["on"], reason=data["reason"])


# --- pôles ------------------------------------------------------------------------------


@referential.route("/organisation/poles", methods=["POST"])
@referential.arguments(s.PoleIn)
@documented(referential)
@requires("organisation.edit")
def create_pole(data: dict[str, Any]) -> Any:
    """Create a pôle."""
    return run(ledger().create_pole, data["code"], data["name"], reason=data["reason"])


@referential.route("/organisation/poles/<code>")
@referential.arguments(s.AsOf, location="query")
@referential.response(200, r.PoleRecord)
@errors(referential, *r.READ_ERRORS, 404)
@requires("reference.view")
@cached_read()
def pole(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A pôle, its directions and its history."""
    return _found(rq.pole(_store(args), code))


@referential.route("/organisation/poles/<code>/rename", methods=["POST"])
@referential.arguments(s.Rename)
@documented(referential)
@requires("organisation.edit")
def rename_pole(data: dict[str, Any], code: str) -> Any:
    """Rename a pôle (reason required)."""
    return run(ledger().rename_pole, code, data["name"], reason=data["reason"])


@referential.route("/organisation/poles/<code>/close", methods=["POST"])
@referential.arguments(s.RequiredReason)
@documented(referential)
@requires("organisation.edit")
def close_pole(data: dict[str, Any], code: str) -> Any:
    """Close a pôle (reason required) once its directions are closed or moved."""
    return run(ledger().close_pole, code, reason=data["reason"])


# --- directions -------------------------------------------------------------------------


@referential.route("/organisation/directions", methods=["POST"])
@referential.arguments(s.DirectionIn)
@documented(referential)
@requires("organisation.edit")
def create_direction(data: dict[str, Any]) -> Any:
    """Create a direction in an open pôle."""
    return run(
        ledger().create_direction,
        data["code"],
        data["name"],
        data["pole"],
        reason=data["reason"],
    )


@referential.route("/organisation/directions/<code>")
@referential.arguments(s.AsOf, location="query")
@referential.response(200, r.DirectionRecord)
@errors(referential, *r.READ_ERRORS, 404)
@requires("reference.view")
@cached_read()
def direction(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A direction, its referents, teams, proposals and history (and the history of
    its referent grants, for administrators and auditors)."""
    doc = _found(rq.direction(_store(args), code))
    if not (current_user.can("admin.accounts") or current_user.can("audit.view")):
        doc["referent_grants"] = []
    return doc


@referential.route("/organisation/directions/<code>/rename", methods=["POST"])
@referential.arguments(s.Rename)
@documented(referential)
@requires("organisation.edit")
def rename_direction(data: dict[str, Any], code: str) -> Any:
    """Rename a direction (reason required)."""
    return run(ledger().rename_direction, code, data["name"], reason=data["reason"])


@referential.route("/organisation/directions/<code>/move", methods=["POST"])
@referential.arguments(s.MoveDirection)
@documented(referential)
@requires("organisation.edit")
def move_direction(data: dict[str, Any], code: str) -> Any:
    """Attach a direction to another open pôle (reason required)."""
    return run(ledger().move_direction, code, data["pole"], reason=data["reason"])


@referential.route("/organisation/directions/<code>/close", methods=["POST"])
@referential.arguments(s.RequiredReason)
@documented(referential)
@requires("organisation.edit")
def close_direction(data: dict[str, Any], code: str) -> Any:
    """Close a direction (reason required): its proposals and history stay; it
    receives no new proposal, business team or referent."""
    return run(ledger().close_direction, code, reason=data["reason"])


# --- teams ------------------------------------------------------------------------------


@referential.route("/organisation/teams", methods=["POST"])
@referential.arguments(s.TeamIn)
@documented(referential)
@requires("organisation.edit")
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


@referential.route("/organisation/teams/<code>")
@referential.arguments(s.AsOf, location="query")
@referential.response(200, r.TeamRecord)
@errors(referential, *r.READ_ERRORS, 404)
@requires("reference.view")
@cached_read()
def team(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A team, its capacity per year and its history."""
    return _found(rq.team(_store(args), code))


@referential.route("/organisation/teams/<code>/rename", methods=["POST"])
@referential.arguments(s.Rename)
@documented(referential)
@requires("organisation.edit")
def rename_team(data: dict[str, Any], code: str) -> Any:
    """Rename a team (reason required)."""
    return run(ledger().rename_team, code, data["name"], reason=data["reason"])


@referential.route("/organisation/teams/<code>/close", methods=["POST"])
@referential.arguments(s.RequiredReason)
@documented(referential)
@requires("organisation.edit")
def close_team(data: dict[str, Any], code: str) -> Any:
    """Close a team (reason required): no new capacity nor workload."""
    return run(ledger().close_team, code, reason=data["reason"])


@referential.route("/organisation/teams/<code>/capacity/<int:year>", methods=["PUT"])
@referential.arguments(s.CapacityIn)
@documented(referential)
@requires("organisation.edit")
def set_capacity(data: dict[str, Any], code: str, year: int) -> Any:
    """A team's capacity of a year in person-days (reason required to change one
    already set; the same value writes nothing)."""
    return run(
        ledger().set_team_capacity, code, year, data["days"], reason=data["reason"]
    )


# --- axes and indicators ----------------------------------------------------------------


@referential.route("/axes", methods=["POST"])
@referential.arguments(s.AxisIn)
@documented(referential)
@requires("strategy.edit")
def create_axis(data: dict[str, Any]) -> Any:
    """Create a strategic axis."""
    return run(
        ledger().create_axis,
        data["code"],
        data["label"],
        data["description"],
        reason=data["reason"],
    )


@referential.route("/axes/<code>")
@referential.arguments(s.AsOf, location="query")
@referential.response(200, r.AxisRecord)
@errors(referential, *r.READ_ERRORS, 404)
@requires("reference.view")
@cached_read()
def axis(args: dict[str, Any], code: str) -> dict[str, Any]:
    """An axis, its indicators with their targets, and its history."""
    return _found(rq.axis(_store(args), code))


@referential.route("/axes/<code>/rename", methods=["POST"])
@referential.arguments(s.RenameAxis)
@documented(referential)
@requires("strategy.edit")
def rename_axis(data: dict[str, Any], code: str) -> Any:
    """Give an axis a new label (and description); reason required."""
    return run(
        ledger().rename_axis,
        code,
        data["label"],
        data["description"],
        reason=data["reason"],
    )


@referential.route("/axes/<code>/close", methods=["POST"])
@referential.arguments(s.RequiredReason)
@documented(referential)
@requires("strategy.edit")
def close_axis(data: dict[str, Any], code: str) -> Any:
    """Close an axis (reason required) once its indicators are closed."""
    return run(ledger().close_axis, code, reason=data["reason"])


@referential.route("/axes/<code>/indicators", methods=["POST"])
@referential.arguments(s.IndicatorIn)
@documented(referential)
@requires("strategy.edit")
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


@referential.route("/indicators/<code>")
@referential.arguments(s.AsOf, location="query")
@referential.response(200, r.IndicatorRecord)
@errors(referential, *r.READ_ERRORS, 404)
@requires("reference.view")
@cached_read()
def indicator(args: dict[str, Any], code: str) -> dict[str, Any]:
    """An indicator: targets per year, measurements over time, history."""
    return _found(rq.indicator(_store(args), code))


@referential.route("/indicators/<code>/rename", methods=["POST"])
@referential.arguments(s.RenameIndicator)
@documented(referential)
@requires("strategy.edit")
def rename_indicator(data: dict[str, Any], code: str) -> Any:
    """Give an indicator a new label (reason required)."""
    return run(ledger().rename_indicator, code, data["label"], reason=data["reason"])


@referential.route("/indicators/<code>/close", methods=["POST"])
@referential.arguments(s.RequiredReason)
@documented(referential)
@requires("strategy.edit")
def close_indicator(data: dict[str, Any], code: str) -> Any:
    """Close an indicator (reason required): no new target, measurement or link."""
    return run(ledger().close_indicator, code, reason=data["reason"])


@referential.route("/indicators/<code>/targets/<int:year>", methods=["PUT"])
@referential.arguments(s.TargetIn)
@documented(referential)
@requires("strategy.edit")
def set_target(data: dict[str, Any], code: str, year: int) -> Any:
    """The target of an indicator for a year (reason required to change one already
    set; the same value writes nothing)."""
    return run(
        ledger().set_indicator_target, code, year, data["value"], reason=data["reason"]
    )


# --- the COPIL's composition ------------------------------------------------------------


@referential.route("/committee/members")
@referential.arguments(s.AsOf, location="query")
@referential.response(200, r.CommitteeRecord)
@errors(referential, *r.READ_ERRORS)
@requires("reference.view")
@cached_read()
def committee(args: dict[str, Any]) -> dict[str, Any]:
    """The COPIL's composition (sitting members first, then those who left) and its
    history."""
    return rq.committee_record(_store(args))


@referential.route("/committee/members", methods=["POST"])
@referential.arguments(s.CommitteeMemberIn)
@documented(referential)
@requires("committee.edit")
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


@referential.route("/committee/members/<username>", methods=["PUT"])
@referential.arguments(s.CommitteeMemberChange)
@documented(referential)
@requires("committee.edit")
def change_member(data: dict[str, Any], username: str) -> Any:
    """Change what a member sits as, or whether they vote (reason required)."""
    return run(
        ledger().change_committee_member,
        username,
        data["kind"],
        data["voting"],
        reason=data["reason"],
    )


@referential.route("/committee/members/<username>/remove", methods=["POST"])
@referential.arguments(s.RequiredReason)
@documented(referential)
@requires("committee.edit")
def remove_member(data: dict[str, Any], username: str) -> Any:
    """A member leaves the COPIL (reason required); past sessions keep them."""
    return run(ledger().remove_committee_member, username, reason=data["reason"])
