"""Read endpoints: every projection, with ``as_of``; never the event log."""

from __future__ import annotations

from typing import Any

from flask import Response, abort
from flask_login import current_user
from flask_smorest import Blueprint

from domain.errors import NotFound
from ledger.evidence_file import evidence_filename
from projections import plan_scope as ps
from projections import queries as q
from projections import reference_queries as rq
from web import paging
from web.access import allowed
from web.api import responses as r
from web.api import schemas as s
from web.api.responses import errors
from web.auth import proposal_direction, public, requires
from web.cache import cached_read
from web.state import state

views = Blueprint(
    "api_views",
    __name__,
    url_prefix="/api/v1",
    description="Lectures (portefeuille, budget, décisions, capacité, audit)",
)
reference = Blueprint(
    "api_reference",
    __name__,
    url_prefix="/api/v1",
    description="Référentiels (plan, organisation, axes, grilles, comptes)",
)
integrity = Blueprint(
    "api_integrity",
    __name__,
    url_prefix="/api/v1",
    description="Intégrité du registre (points de contrôle, preuves)",
)
BLUEPRINTS = (views, reference, integrity)
# The paged lists' Link header (web.paging), in the OpenAPI document.
LINK = {
    "Link": {
        "description": 'RFC 8288 : adresses des pages first, prev, next, last (suivre rel="next" pour tout lire)',
        "schema": {"type": "string"},
    }
}


def _store(args: dict[str, Any]) -> Any:
    return state().read_model.at(args.pop("as_of", None))


def _plan_store(args: dict[str, Any]) -> tuple[Any, int | None]:
    """The views of the plan asked (``plan``), as of ``as_of``, and the position
    asked (the plan is described as of that moment)."""
    rm = state().read_model
    asked = args.pop("as_of", None)
    store = rm.at(ps.as_of_for(rm, asked, args.pop("plan", None)))
    return store, ps.position_asked(rm, asked)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


@views.route("/health")
@views.response(200, r.Health)
@errors(views, 503)
@public
def health() -> dict[str, Any]:
    """Liveness: the views' position and the head of the log."""
    rm = state().read_model
    return {"status": "ok", "views_position": rm.current_position()}


@views.route("/me")
@views.response(200, r.Me)
@errors(views, 401, 403, 503)
@requires("home")
def me() -> dict[str, Any]:
    """The signed-in account and its roles."""
    return {
        "username": current_user.username,
        "display_name": current_user.display_name,
        "roles": current_user.grants,
    }


@views.route("/portfolio")
@views.arguments(s.PortfolioQuery, location="query")
@views.response(200, r.Portfolio, headers=LINK)
@errors(views, *r.READ_ERRORS, 404)
@requires("portfolio.view")
@cached_read()
def portfolio(args: dict[str, Any]) -> Any:
    """Proposals of a plan with status, value, risk and rank (filters: plan, status, pôle, direction, axe, année, grille), a page at a time (``page``, ``per_page``, ``sort``; ``Link`` header)."""
    store, at = _plan_store(args)
    asked = paging.from_query(args)
    shown, rows, count, page = ps.portfolio_page(
        store, state().read_model.store, at, asked, **args
    )
    body = paging.paged({"plan": shown.plan, "proposals": rows}, page, count)
    return body, 200, {"Link": paging.link_header(page, count)}


@views.route("/proposals/<code>")
@views.arguments(s.AsOf, location="query")
@views.response(200, r.Proposal)
@errors(views, *r.READ_ERRORS, 404)
@requires("proposal.view", direction_of=proposal_direction)
@cached_read()
def proposal(args: dict[str, Any], code: str) -> dict[str, Any]:
    """One proposal: revisions, scores, decisions with evidence, budget, timeline."""
    doc = q.proposal(_store(args), code)
    if doc is None:
        abort(404)
    return doc


@views.route("/budget")
@views.arguments(s.BudgetPaged, location="query")
@views.response(200, r.Budget, headers=LINK)
@errors(views, *r.READ_ERRORS, 404)
@requires("budget.view")
@cached_read()
def budget(args: dict[str, Any]) -> Any:
    """Budget consumption of a plan per project × year × section, a page of lines at a time (``page``, ``per_page``, ``sort``; ``Link`` header), with envelopes and the totals of every line."""
    store, at = _plan_store(args)
    entity = args.get("entity")
    if entity is not None and entity not in {e["code"] for e in q.entities(store)}:
        raise NotFound(kind="Entité", id=entity)  # unknown then: not an empty budget
    asked = paging.from_query(args)
    shown, data, count, page = ps.budget_page(
        store, state().read_model.store, at, asked, **args
    )
    body = paging.paged({"plan": shown.plan, **data}, page, count)
    return body, 200, {"Link": paging.link_header(page, count)}


@views.route("/budget/moves")
@views.arguments(s.AsOf, location="query")
@views.response(200, r.Moves)
@errors(views, *r.READ_ERRORS)
@requires("budget.view")
@cached_read()
def budget_moves(args: dict[str, Any]) -> dict[str, Any]:
    """BP and DM movements."""
    return {"moves": q.budget_moves(_store(args))}


@views.route("/projects/<code>/budget")
@views.arguments(s.AsOf, location="query")
@views.response(200, r.ProjectBudget)
@errors(views, *r.READ_ERRORS, 404)
@requires("budget.view")
@cached_read()
def project_budget(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A project's AP, CP lines, commitments and payments."""
    doc = q.project_budget(_store(args), code)
    if doc is None:
        abort(404)
    return doc


@views.route("/decisions")
@views.arguments(s.DecisionQuery, location="query")
@views.response(200, r.Decisions)
@errors(views, *r.READ_ERRORS)
@requires("decisions.view")
@cached_read()
def decisions(args: dict[str, Any]) -> dict[str, Any]:
    """Decision history with votes, quorum, grid version, scores, budget state, positions."""
    store = _store(args)
    return {
        "decisions": q.decision_history(
            store,
            session=args["session"],
            proposal=args["proposal"],
            outcome=args["outcome"],
            since=_iso(args["since"]),
            until=_iso(args["until"]),
        )
    }


@views.route("/decisions/<int:position>/evidence")
@views.response(
    200,
    {"type": "object"},
    content_type="application/json",
    description="Le fichier de preuve de la décision (docs/integrity.md, « Evidence "
    "files »), à vérifier avec ``verifier.py evidence``",
)
@errors(views, 401, 403, 404, 409, 503)
@requires("decisions.view")
def decision_evidence(position: int) -> Any:
    """The evidence file of the decision at ``position``: the decision, the events it
    rests on (its session's history, grid version, score sheets), their inclusion
    proofs (C2SP tlog-proof) and the signed checkpoint."""
    from web.auditing import decision_evidence as evidence_of
    from web.errors import api_error

    data, status, problem = evidence_of(state(), position)
    if data is None:
        code = "not_found" if status == 404 else "integrity_broken"
        return api_error(status, code=code, message=problem or "")
    return Response(
        data,
        mimetype="application/json",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{evidence_filename(position)}"'
            )
        },
    )


@views.route("/sessions")
@views.arguments(s.AsOf, location="query")
@views.response(200, r.Sessions)
@errors(views, *r.READ_ERRORS)
@requires("session.view")
@cached_read()
def sessions(args: dict[str, Any]) -> dict[str, Any]:
    """COPIL sessions."""
    return {"sessions": q.sessions(_store(args))}


@views.route("/sessions/<code>")
@views.arguments(s.AsOf, location="query")
@views.response(200, r.SessionDetail)
@errors(views, *r.READ_ERRORS, 404)
@requires("session.view")
@cached_read()
def session(args: dict[str, Any], code: str) -> dict[str, Any]:
    """A session: agenda, attendance, quorum, votes, decisions."""
    doc = q.session(_store(args), code)
    if doc is None:
        abort(404)
    return doc


@views.route("/committee")
@views.arguments(s.AsOf, location="query")
@views.response(200, r.Committee)
@errors(views, *r.READ_ERRORS)
@requires("session.manage")
def committee(args: dict[str, Any]) -> dict[str, Any]:
    """Accounts that may be convened to a session (``can_vote``: members and chairs)."""
    return {"members": q.committee(_store(args))}


@views.route("/capacity")
@views.arguments(s.CapacityQuery, location="query")
@views.response(200, r.Capacity)
@errors(views, *r.READ_ERRORS)
@requires("portfolio.view")
@cached_read()
def capacity(args: dict[str, Any]) -> dict[str, Any]:
    """Capacity per team × year against the workload of approved and planned projects."""
    store = _store(args)
    return {"capacity": q.capacity(store, **args)}


@views.route("/audit")
@views.arguments(s.AuditQuery, location="query")
@views.response(200, r.AuditTrail, headers=LINK)
@errors(views, *r.READ_ERRORS)
@requires("audit.view")
@cached_read()
def audit(args: dict[str, Any]) -> Any:
    """Audit trail: events with position, actor, roles, origin, command, reason, changes; newest first, a page at a time (``page``, ``per_page``, ``sort``; ``Link`` header)."""
    store = _store(args)
    page = paging.from_query(args)

    def read(page: Any) -> dict[str, Any]:
        return q.audit_trail(
            store,
            actor=args["actor"],
            aggregate=args["aggregate"],
            event_type=args["event_type"],
            since=_iso(args["since"]),
            until=_iso(args["until"]),
            limit=page.size,
            offset=page.offset,
            oldest_first=page.sort == "position",
            search=args["search"] or None,
        )

    trail = read(page)
    if not trail["events"] and page.number > page.last(trail["total"]):
        page = page.clamped(trail["total"])
        trail = read(page)
    body = paging.paged(trail, page, trail["total"])
    return body, 200, {"Link": paging.link_header(page, trail["total"])}


@views.route("/views/status")
@views.response(200, r.ViewsStatus)
@errors(views, 401, 403, 503)
@requires("audit.view")
def views_status() -> dict[str, Any]:
    """Each view's position, the head of the log and the lag."""
    return {"views": state().read_model.status()}


# --- reference ---------------------------------------------------------------------------------


@reference.route("/plan")
@reference.arguments(s.AsOf, location="query")
@reference.response(200, r.PlanResponse)
@errors(reference, *r.READ_ERRORS)
@requires("plan.view")
@cached_read()
def plan(args: dict[str, Any]) -> dict[str, Any]:
    """The SDSI plan, its phases and its history."""
    store = _store(args)
    record = rq.plan_record(store)
    return {
        "plan": record["plan"],
        "plans": ps.plans(store),
        "history": record["history"],
    }


@reference.route("/organisation")
@reference.arguments(s.AsOf, location="query")
@reference.response(200, r.Organisation)
@errors(reference, *r.READ_ERRORS)
@requires("plan.view")
@cached_read()
def organisation(args: dict[str, Any]) -> dict[str, Any]:
    """Pôles, directions (with their referents) and teams, open and closed."""
    return rq.organisation(_store(args))


@reference.route("/axes")
@reference.arguments(s.AsOf, location="query")
@reference.response(200, r.Axes)
@errors(reference, *r.READ_ERRORS)
@requires("plan.view")
@cached_read()
def axes(args: dict[str, Any]) -> dict[str, Any]:
    """Strategic axes with their indicators and yearly targets, open and closed."""
    return {"axes": rq.axes(_store(args))}


@reference.route("/grids")
@reference.arguments(s.AsOf, location="query")
@reference.response(200, r.Grids)
@errors(reference, *r.READ_ERRORS)
@requires("grid.view")
@cached_read()
def grids(args: dict[str, Any]) -> dict[str, Any]:
    """Every version of the evaluation grid."""
    return {"grids": q.grids(_store(args))}


@reference.route("/grids/diff")
@reference.arguments(s.GridDiffQuery, location="query")
@reference.response(200, r.GridDiff)
@errors(reference, *r.READ_ERRORS, 404)
@requires("grid.view")
@cached_read()
def grid_diff(args: dict[str, Any]) -> dict[str, Any]:
    """Criteria added, removed and changed between two versions."""
    diff = q.grid_diff(_store(args), args["a"], args["b"])
    if diff is None:
        abort(404)
    return diff


@reference.route("/accounts")
@reference.arguments(s.AsOf, location="query")
@reference.response(200, r.Accounts)
@errors(reference, *r.READ_ERRORS)
@requires("admin.accounts")
def accounts(args: dict[str, Any]) -> dict[str, Any]:
    """Accounts and the history of role grants."""
    store = _store(args)
    return {"accounts": q.accounts(store), "grants": q.grants(store)}


# --- integrity --------------------------------------------------------------------------------------


@integrity.route("/integrity/checkpoint")
@integrity.response(200, r.CheckpointResponse)
@errors(integrity, 401, 403, 503)
@requires("integrity.view")
def checkpoint() -> dict[str, Any]:
    """The latest signed checkpoint and the public key."""
    from ledger.integrity import latest_checkpoint, public_key_json

    ledger = state().ledger
    return {
        "checkpoint": latest_checkpoint(ledger),
        "public_key": public_key_json(ledger),
    }


@integrity.route("/integrity/proof/<int:position>")
@integrity.response(200, r.InclusionProof)
@errors(integrity, 401, 403, 404, 409, 503)
@requires("integrity.view")
def proof(position: int) -> dict[str, Any]:
    """Inclusion proof of one event against the latest checkpoint."""
    from ledger.integrity import ProofError, inclusion_proof

    try:
        return inclusion_proof(state().ledger, position)  # type: ignore[no-any-return]
    except ProofError as exc:
        return _proof_error(exc)


@integrity.route("/integrity/consistency")
@integrity.arguments(s.ConsistencyQuery, location="query")
@integrity.response(200, r.ConsistencyProof)
@errors(integrity, *r.READ_ERRORS, 404, 409)
@requires("integrity.view")
def consistency(args: dict[str, Any]) -> dict[str, Any]:
    """Consistency proof between two tree sizes (of signed checkpoints)."""
    from ledger.integrity import ProofError, consistency_proof

    try:
        return consistency_proof(state().ledger, args["old"], args["new"])  # type: ignore[no-any-return]
    except ProofError as exc:
        return _proof_error(exc)


@integrity.route("/integrity/witnesses")
@integrity.response(200, r.WitnessesResponse)
@errors(integrity, 401, 403, 503)
@requires("integrity.view")
def witnesses() -> dict[str, Any]:
    """Per witness: the latest tree it cosigned, and pending or failing deliveries."""
    from ledger.witness_push import witnesses_json

    return witnesses_json(state().ledger)


def _proof_error(exc: Exception) -> Any:
    """No such position or checkpoint: 404; seals that no longer verify: 409."""
    from ledger.integrity import IntegrityBroken
    from web.errors import api_error

    if isinstance(exc, IntegrityBroken):
        return api_error(409, code="integrity_broken", message=str(exc))
    return api_error(404, message=str(exc))


def can_view_proposal(code: str) -> bool:
    return allowed(current_user.grants, "proposal.view", proposal_direction(code))
