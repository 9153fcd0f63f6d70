"""The discussion of a proposal or of a grid draft: read the threads, post, reply,
edit, mark a question answered, hide (the chair).

Readers see what the access matrix lets them: internal comments only for the DSI,
evaluators, the chair, the consultant, the administrator and the auditor
(``domain.discussion``).
New comments and replies are limited per account (``ledger.commands.discussion``):
past the limit, 429 with ``Retry-After`` and nothing written.
"""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint

from domain.discussion import reads_internal
from ledger.commands.discussion import may_comment
from projections import queries as q
from web.api import responses as r
from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.api.discussion_schemas import (
    AcceptIn,
    AnswerIn,
    BodyIn,
    CommentIn,
    DeclineIn,
    Discussion,
    HideIn,
)
from web.api.responses import errors
from web.auth import proposal_direction, requires
from web.cache import cached_read
from web.errors import api_error
from web.state import state
from web.throttle import throttle

discussion = Blueprint(
    "api_discussion",
    __name__,
    url_prefix="/api/v1",
    description="Discussion des fiches projet et des brouillons de grille",
)
BLUEPRINTS = (discussion,)


# --- helpers ---------------------------------------------------------------------------


def _read(kind: str, subject_id: str, as_of: str | None) -> dict[str, Any]:
    store = state().read_model.at(as_of)
    if kind == "proposal":
        exists = q.proposal(store, subject_id) is not None
    else:
        exists = any(str(g["number"]) == subject_id for g in q.grids(store))
    if not exists:
        abort(404)
    internal = reads_internal(current_user.grants)
    return {
        "subject_kind": kind,
        "subject_id": subject_id,
        **q.discussion_counts(store, kind, subject_id, internal=internal),
        "threads": q.discussion(store, kind, subject_id, internal=internal),
    }


def _limited(send: Any) -> Any:
    """Send a new comment unless the account wrote too many this hour (429)."""
    wait = may_comment(throttle().counters, current_user.username)
    if wait:
        response = api_error(
            429,
            message=(
                "Trop de commentaires publiés par votre compte dans l'heure : "
                f"réessayez dans {wait} s. Rien n'a été enregistré."
            ),
            details={"retry_after": wait},
        )
        response.headers["Retry-After"] = str(wait)
        return response
    return send()


def _post(send: Any, kind: str, subject: str | int, data: dict[str, Any]) -> Any:
    return _limited(
        lambda: run(
            send,
            kind,
            subject,
            kind=data["kind"],
            body=data["body"],
            internal=data["internal"],
            proposition=data["proposition"],
            names=data["names"],
        )
    )


def _reply(send: Any, kind: str, subject: str | int, comment_id: str, data: Any) -> Any:
    return _limited(
        lambda: run(
            send, kind, subject, comment_id, body=data["body"], names=data["names"]
        )
    )


def _text(data: dict[str, Any]) -> dict[str, Any]:
    """The new text and the persons it names (``names``: None keeps the flag)."""
    return {"body": data["body"], "names": data["names"]}


def limited(blp: Blueprint) -> Any:
    def decorate(func: Any) -> Any:
        return blp.alt_response(429, schema=s.ErrorResponse)(func)

    return decorate


# --- proposals -------------------------------------------------------------------------


@discussion.route("/proposals/<code>/comments")
@discussion.arguments(s.AsOf, location="query")
@discussion.response(200, Discussion)
@errors(discussion, *r.READ_ERRORS, 404)
@requires("proposal.view", direction_of=proposal_direction)
@cached_read()
def proposal_comments(args: dict[str, Any], code: str) -> dict[str, Any]:
    """The discussion of a proposal: threads (comments and questions, each with its
    replies), oldest first; internal comments only for those who read them."""
    return _read("proposal", code, args.get("as_of"))


@discussion.route("/proposals/<code>/comments", methods=["POST"])
@discussion.arguments(CommentIn)
@documented(discussion)
@limited(discussion)
@requires("proposal.discuss", direction_of=proposal_direction)
def post_proposal_comment(data: dict[str, Any], code: str) -> Any:
    """Post a comment or a question on a proposal (``internal``: DSI, evaluators,
    chair only)."""
    return _post(ledger().post_comment, "proposal", code, data)


@discussion.route("/proposals/<code>/comments/<comment_id>/replies", methods=["POST"])
@discussion.arguments(BodyIn)
@documented(discussion)
@limited(discussion)
@requires("proposal.discuss", direction_of=proposal_direction)
def reply_proposal_comment(data: dict[str, Any], code: str, comment_id: str) -> Any:
    """Reply to a comment of a proposal (one level of replies)."""
    return _reply(ledger().reply_to_comment, "proposal", code, comment_id, data)


@discussion.route("/proposals/<code>/comments/<comment_id>", methods=["PATCH"])
@discussion.arguments(BodyIn)
@documented(discussion)
@requires("proposal.discuss", direction_of=proposal_direction)
def edit_proposal_comment(data: dict[str, Any], code: str, comment_id: str) -> Any:
    """Edit one's own comment (the earlier text stays in the history)."""
    return run(ledger().edit_comment, "proposal", code, comment_id, **_text(data))


@discussion.route("/proposals/<code>/comments/<comment_id>/answer", methods=["POST"])
@discussion.arguments(AnswerIn)
@documented(discussion)
@requires("proposal.discuss", direction_of=proposal_direction)
def answer_proposal_comment(data: dict[str, Any], code: str, comment_id: str) -> Any:
    """Mark a question answered (its author, the DSI or the chair)."""
    return run(ledger().mark_answered, "proposal", code, comment_id)


@discussion.route("/proposals/<code>/comments/<comment_id>/hide", methods=["POST"])
@discussion.arguments(HideIn)
@documented(discussion)
@requires("discussion.moderate")
def hide_proposal_comment(data: dict[str, Any], code: str, comment_id: str) -> Any:
    """Hide a comment (the chair), with the reason shown in its place."""
    return run(
        ledger().hide_comment, "proposal", code, comment_id, reason=data["reason"]
    )


# --- grid drafts -----------------------------------------------------------------------


@discussion.route("/grids/<int:number>/comments")
@discussion.arguments(s.AsOf, location="query")
@discussion.response(200, Discussion)
@errors(discussion, *r.READ_ERRORS, 404)
@requires("grid.view")
@cached_read()
def grid_comments(args: dict[str, Any], number: int) -> dict[str, Any]:
    """The discussion of a grid version: comments, questions and the criteria and
    weights proposed while it was a draft."""
    return _read("grid", str(number), args.get("as_of"))


@discussion.route("/grids/<int:number>/comments", methods=["POST"])
@discussion.arguments(CommentIn)
@documented(discussion)
@limited(discussion)
@requires("grid.discuss")
def post_grid_comment(data: dict[str, Any], number: int) -> Any:
    """Post a comment, a question or a proposition (``kind: proposition`` with the
    criterion's label, and optionally its code, family and weight) on a grid draft."""
    return _post(ledger().post_comment, "grid", number, data)


@discussion.route("/grids/<int:number>/comments/<comment_id>/replies", methods=["POST"])
@discussion.arguments(BodyIn)
@documented(discussion)
@limited(discussion)
@requires("grid.discuss")
def reply_grid_comment(data: dict[str, Any], number: int, comment_id: str) -> Any:
    """Reply to a comment of a grid draft."""
    return _reply(ledger().reply_to_comment, "grid", number, comment_id, data)


@discussion.route("/grids/<int:number>/comments/<comment_id>", methods=["PATCH"])
@discussion.arguments(BodyIn)
@documented(discussion)
@requires("grid.discuss")
def edit_grid_comment(data: dict[str, Any], number: int, comment_id: str) -> Any:
    """Edit one's own comment on a grid version."""
    return run(ledger().edit_comment, "grid", number, comment_id, **_text(data))


@discussion.route("/grids/<int:number>/comments/<comment_id>/answer", methods=["POST"])
@discussion.arguments(AnswerIn)
@documented(discussion)
@requires("grid.discuss")
def answer_grid_comment(data: dict[str, Any], number: int, comment_id: str) -> Any:
    """Mark a question on a grid version answered."""
    return run(ledger().mark_answered, "grid", number, comment_id)


@discussion.route("/grids/<int:number>/comments/<comment_id>/hide", methods=["POST"])
@discussion.arguments(HideIn)
@documented(discussion)
@requires("discussion.moderate")
def hide_grid_comment(data: dict[str, Any], number: int, comment_id: str) -> Any:
    """Hide a comment on a grid version (the chair)."""
    return run(ledger().hide_comment, "grid", number, comment_id, reason=data["reason"])


# --- consolidation of a grid draft (the chair) ----------------------------------------


@discussion.route("/grids/<int:number>/comments/<comment_id>/accept", methods=["POST"])
@discussion.arguments(AcceptIn)
@documented(discussion)
@requires("grid.consolidate")
def accept_grid_proposition(data: dict[str, Any], number: int, comment_id: str) -> Any:
    """Take a proposition into the grid draft (the chair): the draft's change names
    the proposition, which shows it was accepted."""
    return run(
        ledger().accept_proposition, number, comment_id, criterion=data["criterion"]
    )


@discussion.route("/grids/<int:number>/comments/<comment_id>/decline", methods=["POST"])
@discussion.arguments(DeclineIn)
@documented(discussion)
@requires("grid.consolidate")
def decline_grid_proposition(data: dict[str, Any], number: int, comment_id: str) -> Any:
    """Decline a proposition of the grid draft (the chair), with the reason shown on
    it."""
    return run(ledger().decline_proposition, number, comment_id, reason=data["reason"])
