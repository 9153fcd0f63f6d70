"""What every page shares: the store to read (live or as of a date), the navigation,
and running a command from a form (errors shown next to the field concerned)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from flask import flash, g, request
from flask_babel import gettext as _
from flask_login import current_user
from marshmallow import Schema, ValidationError

from domain.errors import DomainError, InvalidValue, NotFound
from projections import plan_scope as ps
from web.access import allowed
from web.cache import note_key
from web.domain_messages import localised
from web.i18n import N_
from web.state import state
from web.ui.amounts import form_amounts
from web.ui.blueprint import bp
from web.validation import flat

log = logging.getLogger(__name__)

NAV = [
    ("ui.home", N_("Accueil"), "home"),
    ("ui.notifications", N_("Notifications"), "notifications"),
    ("ui.portfolio", N_("Portefeuille"), "portfolio.view"),
    ("ui.sessions", N_("Séances du COPIL"), "session.view"),
    ("ui.decisions", N_("Arbitrages"), "decisions.view"),
    ("ui.budget", N_("Budget"), "budget.view"),
    ("ui.grids", N_("Grille d'évaluation"), "grid.view"),
    ("ui.plan", N_("Plan"), "plan.view"),
    ("ui.document_review", N_("Revue documentaire"), "document_review.view"),
    ("ui.diagnosis", N_("Diagnostic du SI"), "diagnosis.view"),
    ("ui.referential", N_("Référentiel"), "reference.view"),
    ("ui.scenarios", N_("Scénarios"), "scenario.view"),
    ("ui.audit", N_("Audit"), "audit.view"),
    ("ui.exports", N_("Exports"), "export.opendata"),
    ("ui.accounts", N_("Administration"), "admin.accounts"),
]


def as_of() -> str | None:
    """The moment a read page shows (``?as_of=``), or None for now."""
    value = request.args.get("as_of", "").strip()
    return value or None


def plan_number() -> int | None:
    """The plan a page shows (``?plan=N``), or None for the plan in force."""
    value = request.args.get("plan", "").strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 4):
        raise InvalidValue("plan", value, "numéro de plan")
    return int(value)


def store() -> Any:
    """The views to read for this request (validated ``as_of``; ``plan``: a plan that
    ended is shown as it stood when it ended)."""
    if "store" not in g:
        moment = as_of()
        try:
            rm = state().read_model
            g.asked_position = ps.position_asked(rm, moment)
            moment = ps.as_of_for(rm, moment, plan_number())
            g.store = rm.at(moment)
            g.as_of_position = rm.position_of(moment) if moment else None
            g.as_of_effective = moment
        except (InvalidValue, NotFound) as exc:
            flash(localised(exc), "error")
            g.store, g.as_of_position = state().read_model.store, None
            g.asked_position = None
            g.as_of_invalid = True
    return g.store


def asked_position() -> int | None:
    """The position this request asked to read at (``None``: now)."""
    store()
    return g.get("asked_position")


@bp.app_context_processor
def _inject() -> dict[str, Any]:
    def can(permission: str, direction: str | None = None) -> bool:
        return current_user.is_authenticated and allowed(
            current_user.grants, permission, direction
        )

    def nav() -> list[tuple[str, str]]:
        from flask import current_app

        return [
            (endpoint, label)
            for endpoint, label, perm in NAV
            if endpoint in current_app.view_functions and can(perm)
        ]

    from web.ui.forms import rows

    return {
        "rows_from": rows,
        "can": can,
        "nav": nav,
        "as_of": g.get("as_of_effective", as_of())
        if not g.get("as_of_invalid")
        else None,
        "as_of_position": g.get("as_of_position"),
        "new_key": new_key,
    }


@bp.app_template_global("new_key")
def new_key() -> str:
    """A fresh idempotency key for a form (a double submission writes once; a cached
    copy of the page gets new ones, :mod:`web.cache`)."""
    return note_key(uuid.uuid4().hex)


@bp.app_template_filter("plain_costs")
def plain_costs(costs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cost lines in cents as form rows with decimal-string amounts."""
    return [
        {
            "year": c["year"],
            "section": c["section"],
            "amount": format(Decimal(c["amount_c"]) / 100, ".2f"),
        }
        for c in costs
    ]


class FormErrors(dict[str, str]):
    """Field → message, for the form to show next to each field."""

    message: str | None = None


def run_form(
    schema: Schema,
    data: dict[str, Any],
    send: Callable[[Any, dict[str, Any]], Any],
    *,
    reason_field: str = "reason",
    checks: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Any, FormErrors]:
    """Validate ``data`` with ``schema``, then ``send(caller, loaded)`` one command.

    Returns ``(result, {})`` on success (the views are waited for), or ``(None, errors)``
    with a French message per field and nothing written. ``checks(data)`` raises the
    refusals the command would raise for each field (an existing name, a weak
    password…), so that every error of the form is told at once, not one per submit:
    it runs with the schema, on the data as typed.
    """
    errors = FormErrors()
    data, unreadable = form_amounts(schema, data)  # French amounts → the API's form
    try:
        loaded = schema.load(data)
    except ValidationError as exc:
        for field, messages in _flatten(exc.messages).items():
            errors[field] = "; ".join(messages)
    errors.update(unreadable)
    for field, message in _checked(checks, data).items():
        errors.setdefault(field, message)
    if errors:
        errors.message = _(
            "Le formulaire contient des erreurs : rien n'a été enregistré."
        )
        return None, errors
    caller = current_user.caller(
        reason=loaded.get(reason_field), key=request.form.get("idempotency_key") or None
    )
    try:
        result = send(caller, loaded)
    except DomainError as exc:
        if exc.status >= 500:  # the ledger's integrity, not the form: tell the operator
            log.error("%s: %s", exc.code, exc.message)
        message = localised(exc)
        if exc.field:
            errors[exc.field] = message
        errors.message = message
        return None, errors
    if not state().after_command(result.notification_id):
        flash(
            _("Action enregistrée ; l'affichage sera à jour dans un instant."), "info"
        )
    return result, errors


def _checked(
    checks: Callable[[dict[str, Any]], None] | None, data: dict[str, Any]
) -> dict[str, str]:
    """Field → message of each refusal ``checks`` gathers (a ``DomainError`` each,
    or a group of them in an ``ExceptionGroup``)."""
    if checks is None:
        return {}
    try:
        checks(data)
    except DomainError as exc:
        return {exc.field or "_": localised(exc)}
    except ExceptionGroup as group:
        found: dict[str, str] = {}
        for exc in group.exceptions:
            if isinstance(exc, DomainError):
                found.setdefault(exc.field or "_", localised(exc))
            else:
                raise
        return found
    return {}


def _flatten(messages: Any) -> dict[str, list[str]]:
    """Field path → its messages, in the page's language (web.validation)."""
    out: dict[str, list[str]] = {}
    for path, message in flat(messages):
        out.setdefault(path or "_", []).append(message)
    return out
