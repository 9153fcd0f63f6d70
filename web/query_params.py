"""The query parameters each page and download accepts; anything else is refused.

A misspelt filter (``/portefeuille?stauts=approved``) must not answer the unfiltered
list as if it had been applied. Every GET route of the UI and of the exports is listed
here with the parameters it reads; a route not listed accepts only the parameters
every page takes (``lang``, ``as_of``, ``plan``, which the navigation carries everywhere).
A page refused answers 400 in French naming the parameter; a download (``/exports/…``)
answers 422 JSON, as the API does. The API (``/api/v1``) checks its own parameters
against its OpenAPI document (``web.api.refuse_unknown_query``).

Justified exceptions: the static files (their cache-busting query strings are not
ours to read).
"""

from __future__ import annotations

import re

from flask import Flask, Response, current_app, render_template, request
from flask_babel import gettext as _

from web.errors import api_error

# Every page takes these: the language switch, and the moment and the plan shown, which
# every read of the views honours (``web.ui.context.store``) and the navigation carries.
EVERY_PAGE = frozenset({"lang", "as_of", "plan"})
SCENARIO = ("risk_weight", "window", "grid_version", "budget_scale", "time_limit")
ROWS = re.compile(r"^(?P<name>[a-z_]+)-[0-9]{1,3}-[a-z_]+$")

# endpoint → the parameters it reads (``name-*``: the rows ``name-<i>-<field>``)
ACCEPTED: dict[str, tuple[str, ...]] = {
    "ui.login": ("next",),
    # the citizens' pages: the day they show (web.publication)
    "ui.public_plan": ("date",),
    "ui.public_project": ("date",),
    "ui.public_decisions": ("date",),
    "ui.public_checkpoint": ("date",),
    # what an OpenID provider sends back (RFC 6749 §4.1.2, RFC 9207, OIDC sessions)
    "ui.oidc_callback": (
        "code",
        "state",
        "error",
        "error_description",
        "error_uri",
        "iss",
        "session_state",
    ),
    "ui.portfolio": (
        "status",
        "pole",
        "direction",
        "axis",
        "year",
        "grid_version",
        "q",
        "page",
        "per_page",
        "sort",
    ),
    "ui.portfolio_export": (
        "status",
        "pole",
        "direction",
        "axis",
        "year",
        "grid_version",
        "q",
        "page",
        "per_page",
        "sort",
    ),
    "ui.budget": (
        "entity",
        "year",
        "section",
        "pole",
        "axis",
        "direction",
        "detail",
        "q",
        "page",
        "per_page",
        "sort",
        "detail_page",
        "detail_per_page",
        "detail_sort",
    ),
    "ui.record_commitment": ("proposal",),
    "ui.record_payment": ("proposal",),
    "ui.finance_profiles": ("depuis",),
    "ui.decisions": (
        "session",
        "proposal",
        "outcome",
        "since",
        "until",
        "q",
        "page",
        "per_page",
        "sort",
    ),
    "ui.sessions": ("q", "page", "per_page", "sort"),
    # the diagnosis' inventory filters (projections.views.diagnosis.queries.FILTERS)
    "ui.diagnosis": ("kind", "direction", "criticality", "q", "status", "risk"),
    # the document review's search and filters (views.document_review.queries.FILTERS)
    "ui.document_review": ("q", "kind", "axis", "status"),
    "ui.document_register_file": ("q", "kind", "axis", "status"),
    "ui.inventory_template": ("actuel",),
    "ui.audit": (
        "actor",
        "aggregate",
        "event_type",
        "q",
        "since",
        "until",
        "per_page",
        "page",
        "position",
        "as_of_position",
        "sort",
    ),
    "ui.audit_diff": ("a", "b"),
    "ui.issued_documents": ("sha256",),
    "ui.audit_goto_proposal": ("code",),
    "ui.grids": ("v", "a", "b", "edit"),
    "ui.compare_scenarios": ("codes", "greedy"),
    "ui.scenario_frontier": (
        *SCENARIO,
        "low",
        "high",
        "steps",
        "forced_in-*",
        "forced_out-*",
    ),
    "ui.scenario_robustness": (
        *SCENARIO,
        "draws",
        "seed",
        "spread",
        "tolerance",
        "forced_in-*",
        "forced_out-*",
        "bounds-*",
    ),
}
EXPORT_PARAMETERS = ("format", "session", "entity")  # entity: the budget's
EXEMPT = frozenset({"static", "ui.static"})


def accepted(endpoint: str) -> frozenset[str]:
    """The parameters a non-API GET route reads (with those every page takes)."""
    if endpoint.startswith("ui.export_"):
        return EVERY_PAGE | frozenset(EXPORT_PARAMETERS)
    return EVERY_PAGE | frozenset(ACCEPTED.get(endpoint, ()))


def unknown_parameters(endpoint: str, names: list[str]) -> list[str]:
    """The ``names`` the route does not read."""
    known = accepted(endpoint)
    out = []
    for name in names:
        rows = ROWS.match(name)
        if name in known or (rows and f"{rows.group('name')}-*" in known):
            continue
        out.append(name)
    return sorted(out)


def refuse_unknown_page_query() -> Response | tuple[str, int] | None:
    """Before a UI page or a download: refuse a parameter it does not read."""
    if not request.args or request.path.startswith("/api/v1/"):
        return None
    if request.method not in ("GET", "HEAD"):
        return None
    endpoint = request.endpoint or ""
    if endpoint in EXEMPT or endpoint not in current_app.view_functions:
        return None  # static files; no such route (404/405 follow)
    unknown = unknown_parameters(endpoint, list(request.args))
    if not unknown:
        return None
    shown = ", ".join(unknown)
    known = ", ".join(sorted(accepted(endpoint))) or "aucun"
    if endpoint.startswith("ui.export_"):
        reason = f"Paramètre inconnu (paramètres acceptés : {known})."
        return api_error(
            422,
            message="Paramètre de requête inconnu : " + shown + ".",
            details={name: [reason] for name in unknown},
        )
    message = _(
        "Paramètre d'adresse inconnu : %(names)s. Paramètres acceptés par cette "
        "page : %(known)s.",
        names=shown,
        known=known,
    )
    return render_template("error.html", status=400, message=message, details={}), 400


def init_query_params(app: Flask) -> None:
    app.before_request(refuse_unknown_page_query)
