"""Command endpoints: load with a schema, make one ledger call, answer with its result.

Every command accepts ``Idempotency-Key``: the same key again returns the first result
(``replayed: true``, status 200) and writes nothing. The answer waits (boundedly) until
the views include the change, so the client's next read sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import request
from flask_login import current_user
from flask_smorest import Blueprint

from ledger.directory import DirectoryUnavailable
from projections.erasure import after_erasure
from web import convocation
from web.api import schemas as s
from web.auth import (
    TOKEN_MAX_AGE,
    current_session,
    issue_token,
    proposal_direction,
    public,
    requires,
)
from web.auth import sessions as open_sessions  # `sessions` is the blueprint here
from web.errors import api_error
from web.signin import change_own_password, check_password
from web.state import state

auth = Blueprint(
    "api_auth", __name__, url_prefix="/api/v1", description="Authentification"
)
proposals = Blueprint(
    "api_proposals",
    __name__,
    url_prefix="/api/v1",
    description="Fiches projet, notation, exécution",
)
sessions = Blueprint(
    "api_sessions", __name__, url_prefix="/api/v1", description="Séances du COPIL"
)
budget = Blueprint(
    "api_budget",
    __name__,
    url_prefix="/api/v1",
    description="Budget : enveloppes, AP/CP, engagements, mandats",
)
admin = Blueprint(
    "api_admin",
    __name__,
    url_prefix="/api/v1",
    description="Grille, organisation, comptes",
)
BLUEPRINTS = (auth, proposals, sessions, budget, admin)

RESPONSES = {
    "201": s.CommandResponse,
    "400": s.ErrorResponse,
    "401": s.ErrorResponse,
    "403": s.ErrorResponse,
    "404": s.ErrorResponse,
    "409": s.ErrorResponse,
    "422": s.ErrorResponse,
}


def run(
    command: Callable[..., Any], *args: Any, reason: str | None = None, **kwargs: Any
) -> tuple[dict[str, Any], int]:
    """Send one command for the current user; wait for the views; answer."""
    key = request.headers.get("Idempotency-Key")
    result = command(current_user.caller(reason=reason, key=key), *args, **kwargs)
    updated = state().after_command(result.notification_id)
    body = {
        "command": result.command,
        "key": result.key,
        "replayed": result.replayed,
        "notification_id": result.notification_id,
        "views_updated": updated,
        "result": result.data,
    }
    return body, 200 if result.replayed else 201


def ledger() -> Any:
    return state().ledger


def documented(blp: Blueprint) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The common responses of a command endpoint, for the OpenAPI document."""

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        func = blp.response(201, s.CommandResponse)(func)
        for status in ("200",):
            func = blp.alt_response(
                int(status),
                schema=s.CommandResponse,
                description="Clé d'idempotence déjà utilisée : premier résultat, rien d'écrit",
            )(func)
        for status in ("400", "401", "403", "404", "409", "422"):
            func = blp.alt_response(int(status), schema=s.ErrorResponse)(func)
        return func

    return decorate


# --- auth ------------------------------------------------------------------------------------


@auth.route("/auth/token", methods=["POST"])
@auth.arguments(s.TokenRequest)
@auth.response(200, s.TokenResponse)
@auth.alt_response(401, schema=s.ErrorResponse)
@auth.alt_response(429, schema=s.ErrorResponse)
@auth.alt_response(503, schema=s.ErrorResponse)
@public
def token(data: dict[str, Any]) -> Any:
    """Exchange a login and password for a bearer token (8 hours). With LDAP
    sign-in configured, directory accounts give their directory password (503
    ``directory_unavailable`` when the directory does not answer)."""
    try:
        account, retry_after = check_password(data["username"], data["password"])
    except DirectoryUnavailable:
        return api_error(
            503,
            code="directory_unavailable",
            message="L'annuaire de la collectivité ne répond pas : réessayez plus tard (les comptes locaux peuvent se connecter).",
        )
    if retry_after:
        response = api_error(
            429,
            message=f"Trop de tentatives : réessayez dans {retry_after} s.",
            details={"retry_after": retry_after},
        )
        response.headers["Retry-After"] = str(retry_after)
        return response
    if account is None:
        return api_error(
            401,
            code="bad_credentials",
            message="Identifiant ou mot de passe incorrect.",
        )
    return {
        "token": issue_token(account.username),
        "token_type": "Bearer",
        "expires_in": TOKEN_MAX_AGE,
        "username": account.username,
        "roles": account.grants,
    }


@auth.route("/auth/logout", methods=["POST"])
@auth.response(200, s.LogoutResponse)
@auth.alt_response(401, schema=s.ErrorResponse)
@requires("home")
def logout() -> Any:
    """End the token (or session) sending this: it is refused from now on."""
    found = current_session()
    if found is not None:
        open_sessions().end_id(found.id, "logout")
    return {"ended": True}


# --- proposals ----------------------------------------------------------------------------------


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in ("code", "direction", "reason")}


@proposals.route("/proposals", methods=["POST"])
@proposals.arguments(s.DraftProposal)
@documented(proposals)
@requires("proposal.draft")
def draft(data: dict[str, Any]) -> Any:
    """Draft a proposal for a direction (its referent, or the DSI)."""
    return run(ledger().draft_proposal, data["code"], data["direction"], _content(data))


@proposals.route("/proposals/<code>/amend", methods=["POST"])
@proposals.arguments(s.AmendProposal)
@documented(proposals)
@requires("proposal.amend", direction_of=proposal_direction)
def amend(data: dict[str, Any], code: str) -> Any:
    """Amend a proposal: a new revision (reason required)."""
    return run(ledger().amend_proposal, code, _content(data), reason=data["reason"])


@proposals.route("/proposals/<code>/submit", methods=["POST"])
@proposals.arguments(s.NoBody)
@documented(proposals)
@requires("proposal.submit", direction_of=proposal_direction)
def submit(data: dict[str, Any], code: str) -> Any:
    """Submit a draft proposal."""
    return run(ledger().submit_proposal, code, reason=data["reason"])


@proposals.route("/proposals/<code>/withdraw", methods=["POST"])
@proposals.arguments(s.Reason)
@documented(proposals)
@requires("proposal.withdraw", direction_of=proposal_direction)
def withdraw(data: dict[str, Any], code: str) -> Any:
    """Withdraw a proposal (reason required)."""
    return run(ledger().withdraw_proposal, code, reason=data["reason"])


@proposals.route("/proposals/<code>/qualify", methods=["POST"])
@proposals.arguments(s.Qualification)
@documented(proposals)
@requires("proposal.qualify")
def qualify(data: dict[str, Any], code: str) -> Any:
    """The DSI's estimates: costs per year and section, workloads, risks, dependencies."""
    return run(ledger().qualify_proposal, code, data)


@proposals.route("/proposals/<code>/scores", methods=["POST"])
@proposals.arguments(s.Scores)
@documented(proposals)
@requires("proposal.score")
def score(data: dict[str, Any], code: str) -> Any:
    """Score criteria of an adopted grid version, each with its justification."""
    return run(
        ledger().score_proposal,
        code,
        data["revision"],
        data["grid_version"],
        data["scores"],
    )


@proposals.route("/proposals/<code>/cancel", methods=["POST"])
@proposals.arguments(s.Reason)
@documented(proposals)
@requires("proposal.cancel")
def cancel(data: dict[str, Any], code: str) -> Any:
    """Cancel an approved, planned or running project (reason required)."""
    return run(ledger().cancel_project, code, reason=data["reason"])


@proposals.route("/proposals/<code>/plan", methods=["POST"])
@proposals.arguments(s.PlanProject)
@documented(proposals)
@requires("proposal.execute")
def plan(data: dict[str, Any], code: str) -> Any:
    """Plan an approved project."""
    return run(ledger().plan_project, code, data["start"], data["end"])


@proposals.route("/proposals/<code>/start", methods=["POST"])
@proposals.arguments(s.OnDate)
@documented(proposals)
@requires("proposal.execute")
def start(data: dict[str, Any], code: str) -> Any:
    """A planned project starts."""
    return run(ledger().start_project, code, data["on"])


@proposals.route("/proposals/<code>/complete", methods=["POST"])
@proposals.arguments(s.OnDate)
@documented(proposals)
@requires("proposal.execute")
def complete(data: dict[str, Any], code: str) -> Any:
    """A running project is done."""
    return run(ledger().complete_project, code, data["on"])


@proposals.route("/proposals/<code>/milestones", methods=["POST"])
@proposals.arguments(s.MilestoneIn)
@documented(proposals)
@requires("proposal.execute")
def milestone(data: dict[str, Any], code: str) -> Any:
    """Plan or re-plan a milestone."""
    return run(
        ledger().set_milestone,
        code,
        data["code"],
        data["label"],
        data["planned"],
        data["actual"],
    )


@proposals.route("/proposals/<code>/milestones/<milestone>/reached", methods=["POST"])
@proposals.arguments(s.ReachMilestone)
@documented(proposals)
@requires("proposal.execute")
def milestone_reached(data: dict[str, Any], code: str, milestone: str) -> Any:
    """Record the actual date of a milestone."""
    return run(ledger().reach_milestone, code, milestone, data["on"])


@proposals.route("/proposals/<code>/progress", methods=["POST"])
@proposals.arguments(s.Progress)
@documented(proposals)
@requires("proposal.execute")
def progress(data: dict[str, Any], code: str) -> Any:
    """Report progress (0–100 %)."""
    return run(ledger().report_progress, code, data["percent"])


# --- sessions ----------------------------------------------------------------------------------


@sessions.route("/sessions", methods=["POST"])
@sessions.arguments(s.Convene)
@documented(sessions)
@requires("session.manage")
def convene(data: dict[str, Any]) -> Any:
    """Convene a session (the caller chairs it)."""
    return run(
        ledger().convene_session,
        data["code"],
        data["title"],
        data["on"],
        data["voting"],
        data["non_voting"],
        data["quorum"],
    )


@sessions.route("/sessions/<code>/agenda", methods=["POST"])
@sessions.arguments(s.AgendaItem)
@documented(sessions)
@requires("session.manage")
def add_item(data: dict[str, Any], code: str) -> Any:
    """Put a qualified (or deferred) proposal on the agenda."""
    return run(ledger().add_agenda_item, code, data["proposal"])


@sessions.route("/sessions/<code>/agenda/remove", methods=["POST"])
@sessions.arguments(s.AgendaItem)
@documented(sessions)
@requires("session.manage")
def remove_item(data: dict[str, Any], code: str) -> Any:
    """Take a proposal off the agenda (before the session opens)."""
    return run(ledger().remove_agenda_item, code, data["proposal"])


@sessions.route("/sessions/<code>/convocation", methods=["POST"])
@sessions.arguments(s.ConvocationIn)
@documented(sessions)
@requires("session.convocation")
def send_convocation(data: dict[str, Any], code: str) -> Any:
    """Send the convocation of a session not yet open (its chair, or the DSI): one
    e-mail per member with an address, with the agenda and an .ics invitation;
    ``without_email`` names the others."""
    return run(convocation.send, code, data["starts"], data["ends"], data["place"])


@sessions.route("/sessions/<code>/open", methods=["POST"])
@sessions.arguments(s.OpenSession)
@documented(sessions)
@requires("session.manage")
def open_session(data: dict[str, Any], code: str) -> Any:
    """Open the session with its attendance."""
    return run(ledger().open_session, code, data["present"], data["early_reason"])


@sessions.route("/sessions/<code>/attendance", methods=["POST"])
@sessions.arguments(s.Attendance)
@documented(sessions)
@requires("session.manage")
def attendance(data: dict[str, Any], code: str) -> Any:
    """A member arrives or leaves."""
    return run(ledger().set_attendance, code, data["member"], data["present"])


@sessions.route("/sessions/<code>/votes", methods=["POST"])
@sessions.arguments(s.Vote)
@documented(sessions)
@requires("session.vote")
def vote(data: dict[str, Any], code: str) -> Any:
    """Vote on an item (present voting members; a new vote supersedes, both kept)."""
    return run(ledger().cast_vote, code, data["proposal"], data["choice"])


@sessions.route("/sessions/<code>/decisions", methods=["POST"])
@sessions.arguments(s.DecisionIn)
@documented(sessions)
@requires("session.manage")
def decide(data: dict[str, Any], code: str) -> Any:
    """The chair's decision on an item (quorum required)."""
    return run(
        ledger().record_decision,
        code,
        data["proposal"],
        data["outcome"],
        data["rationale"],
        ap_amount=data["ap_amount"],
        cp=data["cp"],
        conditions=data["conditions"],
        justification=data["justification"],
        scenario=data["scenario"],
        override_reason=data["override_reason"],
        evidence=data["evidence"],
    )


@sessions.route("/sessions/<code>/close", methods=["POST"])
@sessions.arguments(s.NoBody)
@documented(sessions)
@requires("session.manage")
def close(data: dict[str, Any], code: str) -> Any:
    """Close the session once every item has a decision."""
    return run(ledger().close_session, code, reason=data["reason"])


# --- budget --------------------------------------------------------------------------------------


@budget.route("/budget/envelopes", methods=["POST"])
@budget.arguments(s.VoteBudget)
@documented(budget)
@requires("budget.edit")
def vote_budget(data: dict[str, Any]) -> Any:
    """Record the BP envelope of a year and section."""
    return run(
        ledger().vote_budget,
        data["year"],
        data["section"],
        data["amount"],
        data["deliberation"],
        data["on"],
        data["entity"],
    )


@budget.route("/budget/adjustments", methods=["POST"])
@budget.arguments(s.AdjustBudget)
@documented(budget)
@requires("budget.edit")
def adjust_budget(data: dict[str, Any]) -> Any:
    """Record a DM on an envelope."""
    return run(
        ledger().adjust_budget,
        data["year"],
        data["section"],
        data["delta"],
        data["deliberation"],
        data["on"],
        data["entity"],
    )


@budget.route("/projects/<code>/ap-revisions", methods=["POST"])
@budget.arguments(s.ReviseAP)
@documented(budget)
@requires("budget.revise_ap")
def revise_ap(data: dict[str, Any], code: str) -> Any:
    """Revise a project's AP and CP schedule (reason required)."""
    return run(
        ledger().revise_ap,
        code,
        data["ap_amount"],
        data["cp"],
        data["deliberation"],
        data["override_reason"],
        reason=data["reason"],
    )


@budget.route("/projects/<code>/commitments", methods=["POST"])
@budget.arguments(s.Commitment)
@documented(budget)
@requires("budget.edit")
def commit(data: dict[str, Any], code: str) -> Any:
    """Record a commitment against a year's CP of a project."""
    return run(
        ledger().record_commitment,
        code,
        data["reference"],
        data["year"],
        data["section"],
        data["amount"],
        data["on"],
        data["supplier"],
        data["override_reason"],
    )


@budget.route("/projects/<code>/imputations", methods=["POST"])
@budget.arguments(s.Imputation)
@documented(budget)
@requires("budget.edit")
def impute(data: dict[str, Any], code: str) -> Any:
    """Record the M57 imputation of a project's AP/CP (by section) or of a
    commitment; codes outside the shipped nomenclature are answered as warnings."""
    return run(
        ledger().impute,
        code,
        {k: data[k] for k in ("chapter", "nature", "fonction", "operation")},
        section=data["section"],
        commitment=data["commitment"],
    )


@budget.route("/projects/<code>/payments", methods=["POST"])
@budget.arguments(s.Payment)
@documented(budget)
@requires("budget.edit")
def pay(data: dict[str, Any], code: str) -> Any:
    """Record a payment against a commitment."""
    return run(
        ledger().record_payment,
        code,
        data["reference"],
        data["commitment"],
        data["amount"],
        data["on"],
        data["override_reason"],
    )


# --- grid, organisation, accounts -------------------------------------------------------------------


@admin.route("/grids", methods=["POST"])
@admin.arguments(s.DraftGrid)
@documented(admin)
@requires("grid.edit")
def draft_grid(data: dict[str, Any]) -> Any:
    """Draft a grid version (empty or copied from another)."""
    return run(
        ledger().draft_grid,
        data["number"],
        data["label"],
        data["based_on"],
        data["criteria"],
    )


@admin.route("/grids/<int:number>/criteria", methods=["POST"])
@admin.arguments(s.CriterionIn)
@documented(admin)
@requires("grid.edit")
def set_criterion(data: dict[str, Any], number: int) -> Any:
    """Add or replace a criterion of a draft version."""
    return run(ledger().set_grid_criterion, number, data)


@admin.route("/grids/<int:number>/criteria/remove", methods=["POST"])
@admin.arguments(s.RemoveCriterion)
@documented(admin)
@requires("grid.edit")
def remove_criterion(data: dict[str, Any], number: int) -> Any:
    """Remove a criterion from a draft version."""
    return run(ledger().remove_grid_criterion, number, data["criterion"])


@admin.route("/grids/<int:number>/adopt", methods=["POST"])
@admin.arguments(s.AdoptGrid)
@documented(admin)
@requires("grid.adopt")
def adopt_grid(data: dict[str, Any], number: int) -> Any:
    """Adopt a grid version: frozen for ever."""
    return run(ledger().adopt_grid, number, data["on"], reason=data["reason"])


@admin.route("/indicators/<code>/measurements", methods=["POST"])
@admin.arguments(s.MeasureIn)
@documented(admin)
@requires("proposal.execute")
def measure(data: dict[str, Any], code: str) -> Any:
    """Record a planned or realised value of an indicator."""
    return run(
        ledger().measure_indicator,
        code,
        data["on"],
        data["value"],
        data["kind"],
        data["comment"],
    )


@admin.route("/accounts", methods=["POST"])
@admin.arguments(s.AccountIn)
@documented(admin)
@requires("admin.accounts")
def add_account(data: dict[str, Any]) -> Any:
    """Create an account (roles: ROLE or referent:DIRECTION)."""
    roles = [
        (r.split(":", 1)[0], r.split(":", 1)[1] if ":" in r else None)
        for r in data["roles"]
    ]
    return run(
        ledger().add_user,
        data["username"],
        data["display_name"],
        data["password"],
        email=data["email"],
        roles=roles,
        reason=data["reason"],
    )


@admin.route("/accounts/<username>/grants", methods=["POST"])
@admin.arguments(s.GrantIn)
@documented(admin)
@requires("admin.accounts")
def grant(data: dict[str, Any], username: str) -> Any:
    """Grant a role (reason required)."""
    return run(
        ledger().grant_role,
        username,
        data["role"],
        data["scope"],
        reason=data["reason"],
    )


@admin.route("/accounts/<username>/revocations", methods=["POST"])
@admin.arguments(s.GrantIn)
@documented(admin)
@requires("admin.accounts")
def revoke(data: dict[str, Any], username: str) -> Any:
    """Revoke a role (reason required)."""
    return run(
        ledger().revoke_role,
        username,
        data["role"],
        data["scope"],
        reason=data["reason"],
    )


@admin.route("/accounts/<username>/disable", methods=["POST"])
@admin.arguments(s.Reason)
@documented(admin)
@requires("admin.accounts")
def disable(data: dict[str, Any], username: str) -> Any:
    """Disable an account (reason required); the last administrator cannot be."""
    return run(ledger().disable_user, username, reason=data["reason"])


@admin.route("/accounts/<username>/erase", methods=["POST"])
@admin.arguments(s.Reason)
@documented(admin)
@requires("admin.accounts")
def erase(data: dict[str, Any], username: str) -> Any:
    """Erase the person's name and e-mail (GDPR art. 17; reason required): their
    data key is destroyed, every seal still verifies. 409 ``account_erased`` when
    already erased, ``official_record_kept`` for an account that voted in office;
    ``result.legacy_plaintext_events`` counts the events stored in clear before
    encryption, which stay in the sealed log (docs/privacy.md)."""
    body, status = run(ledger().erase_user, username, reason=data["reason"])
    if status == 201:
        body["result"]["compacted"] = after_erasure(
            ledger(), state().read_model, views_current=body["views_updated"]
        )
    return body, status


@admin.route("/accounts/<username>/enable", methods=["POST"])
@admin.arguments(s.NoBody)
@documented(admin)
@requires("admin.accounts")
def enable(data: dict[str, Any], username: str) -> Any:
    """Re-enable a disabled account."""
    return run(ledger().enable_user, username, reason=data["reason"])


@admin.route("/accounts/<username>/password", methods=["POST"])
@admin.arguments(s.PasswordChangeIn)
@documented(admin)
@admin.alt_response(429, schema=s.ErrorResponse)
@requires("home")
def password(data: dict[str, Any], username: str) -> Any:
    """Change one's own password, giving the current one (checked under the sign-in
    throttle: a wrong one is a failed login, 422 ``current_password_wrong``). Every
    other session and token of the account ends; the token (or session) sending
    this stays valid. Another account's password is reset by an administrator
    (``/password-reset``)."""
    if username != current_user.username:
        return api_error(
            403,
            message=(
                "Seul son propre mot de passe se change ici ; celui d'un autre compte "
                "est réinitialisé par un administrateur : POST "
                "/api/v1/accounts/<identifiant>/password-reset."
            ),
        )
    found = current_session()
    key = request.headers.get("Idempotency-Key")
    result = change_own_password(
        current_user.caller(key=key),
        data["current_password"],
        data["password"],
        keep=found.id if found else None,
    )
    updated = state().after_command(result.notification_id)
    body = {
        "command": result.command,
        "key": result.key,
        "replayed": result.replayed,
        "notification_id": result.notification_id,
        "views_updated": updated,
        "result": result.data,
    }
    return body, 200 if result.replayed else 201


@admin.route("/accounts/<username>/email", methods=["PUT"])
@admin.arguments(s.EmailIn)
@documented(admin)
@requires("home")
def email(data: dict[str, Any], username: str) -> Any:
    """Set or clear ("") an account's e-mail address: one's own, or any account's
    as an administrator (403 otherwise). Notifications, reset links and
    convocations go to the new address."""
    return run(ledger().change_email, username, data["email"], reason=data["reason"])


@admin.route("/accounts/<username>/password-reset", methods=["POST"])
@admin.arguments(s.PasswordResetIn)
@documented(admin)
@requires("admin.accounts")
def password_reset(data: dict[str, Any], username: str) -> Any:
    """Reset another account's password (reason required); with ``force_change``
    (the default) it must choose a new one at its next sign-in, and can do nothing
    else until then. Every session and token of the account ends."""
    return run(
        ledger().reset_password,
        username,
        data["password"],
        force_change=data["force_change"],
        reason=data["reason"],
    )
