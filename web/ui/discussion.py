"""The "Discussion" section of a proposal's page and of a grid version's page: its
threads (``discussion_of``, for the templates) and the forms that post, reply, edit,
mark a question answered and hide a comment (the chair). A refused form shows the
page again with its errors next to the fields; new comments and replies are limited
per account (429, nothing written)."""

from __future__ import annotations

from typing import Any

from flask import flash, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from domain.discussion import ANSWERERS, INTERNAL_WRITERS, reads_internal
from domain.values import Role
from ledger.commands.discussion import may_comment
from projections import queries as q
from web.access import allowed
from web.api import discussion_schemas as api
from web.auth import proposal_direction, requires
from web.state import state
from web.throttle import throttle
from web.ui.actions import run_action, strip_prefix
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store
from web.ui.forms import scalars
from web.ui.grids import _grids_page
from web.ui.proposals import _proposal_page

PROPOSITION_FIELDS = ("criterion_label", "criterion_code", "family", "weight")


@bp.app_template_global("discussion_of")
def discussion_of(
    kind: str, subject_id: Any, direction: str | None = None, closed: bool = False
) -> dict[str, Any]:
    """What the discussion section of a page shows, for the signed-in user."""
    grants = list(current_user.grants)
    internal = reads_internal(grants)
    sid = str(subject_id)
    writes = allowed(grants, f"{kind}.discuss", direction) and not closed
    roles = set(current_user.roles)
    return {
        "kind": kind,
        "id": sid,
        "args": {"code": sid} if kind == "proposal" else {"number": int(sid)},
        "page": "ui.proposal" if kind == "proposal" else "ui.grids",
        "threads": q.discussion(store(), kind, sid, internal=internal),
        "counts": q.discussion_counts(store(), kind, sid, internal=internal),
        "closed": closed,
        "can_write": writes,
        "can_internal": writes and bool(roles & Role.names(INTERNAL_WRITERS)),
        "can_answer": bool(roles & Role.names(ANSWERERS)),
        "can_moderate": allowed(grants, "discussion.moderate"),
        # the chair consolidates a grid draft's propositions (web.ui.grid_building)
        "can_consolidate": kind == "grid"
        and not closed
        and allowed(grants, "grid.consolidate"),
        "me": current_user.username,
    }


def _page(kind: str, subject: Any, failed: str, errors: FormErrors, status: int) -> Any:
    if kind == "proposal":
        return _proposal_page(str(subject), failed, errors, status)
    return _grids_page(failed, errors, status, int(subject))


def _done(kind: str, subject: Any, message: str, anchor: str) -> Response:
    flash(message, "success")
    if kind == "proposal":
        return redirect(url_for("ui.proposal", code=subject, _anchor=anchor))
    return redirect(url_for("ui.grids", v=subject, _anchor=anchor))


def _act(
    kind: str,
    subject: Any,
    failed: str,
    schema: Any,
    data: dict[str, Any],
    send: Any,
    message: str,
    *,
    limited: bool = False,
) -> Any:
    """One command from a form of the discussion; on refusal, the page again."""
    if limited:
        wait = may_comment(throttle().counters, current_user.username)
        if wait:
            errors = FormErrors(
                {
                    "body": _(
                        "Trop de commentaires publiés par votre compte dans l'heure : "
                        "réessayez dans %(seconds)s s. Rien n'a été enregistré.",
                        seconds=wait,
                    )
                }
            )
            errors.message = errors["body"]
            refused = make_response(*_page(kind, subject, failed, errors, 429))
            refused.headers["Retry-After"] = str(wait)
            return refused
    result, errors, status = run_action(schema, data, send)
    if result is None:
        if failed == "comment":  # the proposition's fields are named alone
            errors = strip_prefix(errors, "proposition.")
            if any(k.startswith("scale") for k in errors):  # the descriptors' field
                errors["descriptors"] = next(
                    v for k, v in errors.items() if k.startswith("scale")
                )
        return _page(kind, subject, failed, errors, status)
    return _done(kind, subject, message, f"c-{result['parent'] or result['id']}")


def _with_names(data: dict[str, Any]) -> dict[str, Any]:
    """The form's « names the persons » field (logins separated by commas or
    spaces) as the schema's list; left empty: not given."""
    names = (request.form.get("names") or "").replace(",", " ").split()
    if names:
        data["names"] = names
    return data


def _comment_data(kind: str) -> dict[str, Any]:
    data = _with_names(scalars(request.form, "kind", "body"))
    data["internal"] = request.form.get("internal") == "1"
    if kind == "grid" and data.get("kind") == "proposition":
        data["proposition"] = {
            k: v for k, v in scalars(request.form, *PROPOSITION_FIELDS).items() if v
        }
        lines = [
            line.strip()
            for line in (request.form.get("descriptors") or "").splitlines()
            if line.strip()
        ]
        if lines:  # one descriptor a line, level 1 first
            data["proposition"]["scale"] = [
                {"level": n, "descriptor": text} for n, text in enumerate(lines, 1)
            ]
    return data


def _post(send: Any, kind: str, subject: Any) -> Any:
    return _act(
        kind,
        subject,
        "comment",
        api.CommentIn(),
        _comment_data(kind),
        lambda c, d: send(
            c,
            kind,
            subject,
            kind=d["kind"],
            body=d["body"],
            internal=d["internal"],
            proposition=d["proposition"],
            names=d["names"],
        ),
        _("Commentaire publié."),
        limited=True,
    )


def _reply(send: Any, kind: str, subject: Any, comment_id: str) -> Any:
    return _act(
        kind,
        subject,
        f"reply-{comment_id}",
        api.BodyIn(),
        _with_names(scalars(request.form, "body")),
        lambda c, d: send(
            c, kind, subject, comment_id, body=d["body"], names=d["names"]
        ),
        _("Réponse publiée."),
        limited=True,
    )


def _edit(send: Any, kind: str, subject: Any, comment_id: str) -> Any:
    return _act(
        kind,
        subject,
        f"edit-{comment_id}",
        api.BodyIn(),
        _with_names(scalars(request.form, "body")),
        lambda c, d: send(
            c, kind, subject, comment_id, body=d["body"], names=d["names"]
        ),
        _("Commentaire modifié ; le texte précédent reste consultable."),
    )


def _answer(send: Any, kind: str, subject: Any, comment_id: str) -> Any:
    return _act(
        kind,
        subject,
        f"answer-{comment_id}",
        api.AnswerIn(),
        {},
        lambda c, d: send(c, kind, subject, comment_id),
        _("Question marquée comme répondue."),
    )


def _hide(send: Any, kind: str, subject: Any, comment_id: str) -> Any:
    return _act(
        kind,
        subject,
        f"hide-{comment_id}",
        api.HideIn(),
        scalars(request.form, "reason"),
        lambda c, d: send(c, kind, subject, comment_id),
        _("Commentaire masqué."),
    )


# --- proposals -------------------------------------------------------------------------


@bp.route("/fiches/<code>/discussion", methods=["POST"])
@requires("proposal.discuss", direction_of=proposal_direction)
def post_proposal_comment(code: str) -> Any:
    """Post a comment or a question on a proposal."""
    return _post(state().ledger.post_comment, "proposal", code)


@bp.route("/fiches/<code>/discussion/<comment_id>/repondre", methods=["POST"])
@requires("proposal.discuss", direction_of=proposal_direction)
def reply_proposal_comment(code: str, comment_id: str) -> Any:
    """Reply to a comment of a proposal."""
    return _reply(state().ledger.reply_to_comment, "proposal", code, comment_id)


@bp.route("/fiches/<code>/discussion/<comment_id>/modifier", methods=["POST"])
@requires("proposal.discuss", direction_of=proposal_direction)
def edit_proposal_comment(code: str, comment_id: str) -> Any:
    """Edit one's own comment on a proposal."""
    return _edit(state().ledger.edit_comment, "proposal", code, comment_id)


@bp.route("/fiches/<code>/discussion/<comment_id>/repondue", methods=["POST"])
@requires("proposal.discuss", direction_of=proposal_direction)
def answer_proposal_comment(code: str, comment_id: str) -> Any:
    """Mark a question on a proposal answered."""
    return _answer(state().ledger.mark_answered, "proposal", code, comment_id)


@bp.route("/fiches/<code>/discussion/<comment_id>/masquer", methods=["POST"])
@requires("discussion.moderate")
def hide_proposal_comment(code: str, comment_id: str) -> Any:
    """Hide a comment on a proposal (the chair)."""
    return _hide(state().ledger.hide_comment, "proposal", code, comment_id)


# --- grid versions ---------------------------------------------------------------------


@bp.route("/grille/<int:number>/discussion", methods=["POST"])
@requires("grid.discuss")
def post_grid_comment(number: int) -> Any:
    """Post a comment, a question or a proposed criterion on a grid draft."""
    return _post(state().ledger.post_comment, "grid", number)


@bp.route("/grille/<int:number>/discussion/<comment_id>/repondre", methods=["POST"])
@requires("grid.discuss")
def reply_grid_comment(number: int, comment_id: str) -> Any:
    """Reply to a comment of a grid draft."""
    return _reply(state().ledger.reply_to_comment, "grid", number, comment_id)


@bp.route("/grille/<int:number>/discussion/<comment_id>/modifier", methods=["POST"])
@requires("grid.discuss")
def edit_grid_comment(number: int, comment_id: str) -> Any:
    """Edit one's own comment on a grid version."""
    return _edit(state().ledger.edit_comment, "grid", number, comment_id)


@bp.route("/grille/<int:number>/discussion/<comment_id>/repondue", methods=["POST"])
@requires("grid.discuss")
def answer_grid_comment(number: int, comment_id: str) -> Any:
    """Mark a question on a grid version answered."""
    return _answer(state().ledger.mark_answered, "grid", number, comment_id)


@bp.route("/grille/<int:number>/discussion/<comment_id>/masquer", methods=["POST"])
@requires("discussion.moderate")
def hide_grid_comment(number: int, comment_id: str) -> Any:
    """Hide a comment on a grid version (the chair)."""
    return _hide(state().ledger.hide_comment, "grid", number, comment_id)
