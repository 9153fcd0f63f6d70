"""Diagnosis endpoints (phase 4): the inventory of the information system, the DSI's
and the directions' assessments, the findings, the suggested findings, the
obsolescence risks no proposal covers, and the applications and findings a proposal
cites. Each command is one ledger call (``Idempotency-Key`` honoured); each read
takes ``as_of``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort
from flask_smorest import Blueprint
from marshmallow import Schema

from projections.views.diagnosis import queries as dq
from projections.views.diagnosis.queries import day_of
from web.api import diagnosis_schemas as ds
from web.api import responses as r
from web.api.commands import documented, ledger, run
from web.api.responses import errors
from web.api.schemas import AsOf
from web.auth import proposal_direction, requires
from web.cache import cached_read
from web.state import state

diagnosis = Blueprint(
    "api_diagnosis",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Diagnostic du SI : inventaire des applications et de l'infrastructure, "
        "évaluations de la DSI et des directions, constats, risques d'obsolescence "
        "non couverts, liens des fiches projet"
    ),
)
BLUEPRINTS = (diagnosis,)
View = Callable[..., Any]


def command(
    rule: str,
    schema: type[Schema],
    permission: str,
    method: str = "POST",
    direction_of: Callable[..., str | None] | None = None,
) -> Callable[[View], View]:
    """A command's route, for holders of ``permission`` (for the direction)."""

    def decorate(view: View) -> View:
        view = documented(diagnosis)(requires(permission, direction_of)(view))
        view = diagnosis.arguments(schema)(view)
        return diagnosis.route(rule, methods=[method])(view)

    return decorate


def read(
    rule: str, schema: type[Schema], query: type[Schema] = AsOf, *statuses: int
) -> Callable[[View], View]:
    """A read's route, for whoever may see the diagnosis."""

    def decorate(view: View) -> View:
        view = requires("diagnosis.view")(cached_read()(view))
        view = diagnosis.response(200, schema)(
            errors(diagnosis, *r.READ_ERRORS, *statuses)(view)
        )
        view = diagnosis.arguments(query, location="query")(view)
        return diagnosis.route(rule)(view)

    return decorate


def _store(args: dict[str, Any]) -> Any:
    return state().read_model.at(args.get("as_of"))


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ds.Description._declared_fields}


# --- inventory -------------------------------------------------------------------------


@read("/inventory", ds.Inventory, ds.InventoryQuery)
def inventory(args: dict[str, Any]) -> dict[str, Any]:
    """The components, filtered (type, owner direction, minimum criticality, text,
    current/retired, only obsolescence risks)."""
    filters = {k: args.get(k) for k in dq.FILTERS}
    filters["risk"] = "1" if args.get("risk") else None
    apps = dq.applications(_store(args), filters, day_of(args.get("as_of")))
    return {"applications": apps}


@read("/inventory/<code>", ds.ApplicationRecord, AsOf, 404)
def application(args: dict[str, Any], code: str) -> dict[str, Any]:
    """One component: the DSI's latest view beside each direction's, every
    assessment (superseded ones too), its history, findings and proposals."""
    found = dq.application(_store(args), code)
    if found is None:
        abort(404)
    found["risks"] = dq.obsolescence_risk(found, day_of(args.get("as_of")))
    return found


@command("/inventory", ds.ApplicationIn, "diagnosis.inventory")
def register_application(data: dict[str, Any]) -> Any:
    """Add a component to the inventory (DSI)."""
    return run(
        ledger().register_application,
        data["code"],
        _values(data),
        reason=data["reason"],
    )


@command("/inventory/import", ds.InventoryImport, "diagnosis.inventory")
def import_inventory(data: dict[str, Any]) -> Any:
    """Register or change many components at once, all or nothing (the file import
    of ``sdsi inventory import`` and of the page, as JSON): lines equal to the
    inventory write nothing."""
    lines = [{"code": line["code"], **_values(line)} for line in data["lines"]]
    return run(
        ledger().import_inventory,
        lines,
        reason=data["reason"] or "Import de l'inventaire du SI (API)",
    )


@command("/inventory/<code>", ds.ApplicationChange, "diagnosis.inventory", "PUT")
def change_application(data: dict[str, Any], code: str) -> Any:
    """Replace a component's description (reason required)."""
    return run(ledger().change_application, code, _values(data), reason=data["reason"])


@command("/inventory/<code>/retire", ds.RequiredReason, "diagnosis.inventory")
def retire_application(data: dict[str, Any], code: str) -> Any:
    """The component left the information system (reason required)."""
    return run(ledger().retire_application, code, reason=data["reason"])


@command("/inventory/<code>/assessments/dsi", ds.DsiAssessmentIn, "diagnosis.assess")
def assess_application(data: dict[str, Any], code: str) -> Any:
    """The DSI's assessment (supersedes its previous one, kept in the history)."""
    return run(
        ledger().assess_application,
        code,
        technical_state=data["technical_state"],
        risk=data["risk"],
        obsolescence=data["obsolescence"],
        comment=data["comment"],
        reason=data["reason"],
    )


@command(
    "/inventory/<code>/assessments/<direction>",
    ds.UseAssessmentIn,
    "diagnosis.assess_use",
)
def assess_application_use(data: dict[str, Any], code: str, direction: str) -> Any:
    """A direction's assessment, by its referent (supersedes that direction's
    previous one)."""
    return run(
        ledger().assess_application_use,
        code,
        direction,
        satisfaction=data["satisfaction"],
        coverage=data["coverage"],
        comment=data["comment"],
        reason=data["reason"],
    )


# --- findings --------------------------------------------------------------------------


@read("/findings", ds.Findings, ds.FindingsQuery)
def findings(args: dict[str, Any]) -> dict[str, Any]:
    """The findings (current, withdrawn or all), each with the proposals citing it."""
    return {"findings": dq.findings(_store(args), args["status"])}


@command("/findings", ds.FindingIn, "diagnosis.findings")
def record_finding(data: dict[str, Any]) -> Any:
    """Record a finding with the applications and assessments it rests on."""
    return run(
        ledger().record_finding,
        kind=data["kind"],
        title=data["title"],
        statement=data["statement"],
        applications=data["applications"],
        assessments=data["assessments"],
        suggestion=data["suggestion"],
        documents=data["documents"],
        reason=data["reason"],
    )


@command("/findings/<code>/withdraw", ds.RequiredReason, "diagnosis.findings")
def withdraw_finding(data: dict[str, Any], code: str) -> Any:
    """Withdraw a finding (reason required); it stays visible as withdrawn."""
    return run(ledger().withdraw_finding, code, reason=data["reason"])


@read("/diagnosis/suggestions", ds.Suggestions)
def suggestions(args: dict[str, Any]) -> dict[str, Any]:
    """The findings the rules suggest and no finding confirmed yet."""
    return {"suggestions": dq.suggested(_store(args), day_of(args.get("as_of")))}


@read("/diagnosis/uncovered-risks", ds.UncoveredRisks)
def uncovered_risks(args: dict[str, Any]) -> dict[str, Any]:
    """Obsolescence risks that no live proposal replaces or changes."""
    return _uncovered(args)


def _uncovered(args: dict[str, Any]) -> dict[str, Any]:
    return {"risks": dq.uncovered_risks(_store(args), day_of(args.get("as_of")))}


@diagnosis.route("/portfolio/uncovered-risks")
@diagnosis.arguments(AsOf, location="query")
@errors(diagnosis, *r.READ_ERRORS)
@diagnosis.response(200, ds.UncoveredRisks)
@requires("portfolio.view")
@cached_read()
def portfolio_uncovered_risks(args: dict[str, Any]) -> dict[str, Any]:
    """The portfolio's panel: the obsolescence risks no live proposal covers (the
    same list as ``/diagnosis/uncovered-risks``, for the portfolio's readers)."""
    return _uncovered(args)


# --- proposals' links ------------------------------------------------------------------


@diagnosis.route("/proposals/<code>/links")
@diagnosis.arguments(AsOf, location="query")
@errors(diagnosis, *r.READ_ERRORS, 404)
@diagnosis.response(200, ds.LinksOut)
@requires("proposal.view", direction_of=proposal_direction)
def proposal_links(args: dict[str, Any], code: str) -> dict[str, Any]:
    """The applications a proposal replaces or changes and the findings it cites."""
    return dq.proposal_links(_store(args), code)


@command(
    "/proposals/<code>/links",
    ds.LinksIn,
    "proposal.link",
    "PUT",
    direction_of=proposal_direction,
)
def link_proposal(data: dict[str, Any], code: str) -> Any:
    """Set the applications the proposal replaces or changes, the findings it
    answers and (``documents``, unless absent) the documents of the review register it
    cites (replaces the previous set; the history keeps it)."""
    return run(
        ledger().link_proposal,
        code,
        applications=data["applications"],
        findings=data["findings"],
        documents=data["documents"],
        reason=data["reason"],
    )
