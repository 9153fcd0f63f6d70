"""Small helpers of the finance, administration and scenario forms.

A refusal that names no field (an existing reference, an unknown commitment…) is
still shown next to the field it concerns: ``on_fields`` attaches it before
``run_form`` sorts the errors; ``run`` makes sure any other refusal still shows at
the top of its form, in French. Amounts typed the French way are read by
``web.ui.amounts`` inside ``run_form``, for every form alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema

from domain.errors import DomainError
from web.ui.actions import run_action
from web.ui.context import FormErrors

Send = Callable[[Any, dict[str, Any]], Any]


def run(
    schema: Schema,
    data: dict[str, Any],
    send: Send,
    checks: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Any, FormErrors, int]:
    """``run_action``, with every refusal visible and in French.

    A refusal that names no field keeps its message at the top of the form (the
    ``"_"`` entry makes the errors non-empty); schema messages are already in the
    page's language (web.validation).
    """
    result, errors, status = run_action(schema, data, send, checks)
    if result is None and not errors:
        errors["_"] = errors.message or _("Action refusée : rien n'a été enregistré.")
    return result, errors, status


def on_fields(send: Send, fields: dict[type[DomainError], str]) -> Send:
    """``send``, with the refusals of the given types attached to a form field."""

    def guarded(caller: Any, loaded: dict[str, Any]) -> Any:
        try:
            return send(caller, loaded)
        except DomainError as exc:
            if not exc.field:
                for kind, field in fields.items():
                    if isinstance(exc, kind):
                        exc.field = field
                        break
            raise

    return guarded
