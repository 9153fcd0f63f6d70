"""One form, one command: the result, the errors per field, and the status to answer.

``run_form`` (web.ui.context) validates and sends; this adds the HTTP status of a
refusal so a page re-rendered with its errors answers 422 (invalid field), 409 (rule
of the domain), 403 or 404 as the API would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema

from domain.errors import DomainError
from web.ui.context import FormErrors, run_form


def run_action(
    schema: Schema,
    data: dict[str, Any],
    send: Callable[[Any, dict[str, Any]], Any],
    checks: Callable[[dict[str, Any]], None] | None = None,
) -> tuple[Any, FormErrors, int]:
    """``run_form`` plus the status of a refusal (422 for a schema error)."""
    refused = {"status": 422}

    def guarded(caller: Any, loaded: dict[str, Any]) -> Any:
        try:
            return send(caller, loaded)
        except DomainError as exc:
            refused["status"] = exc.status
            raise

    def checked(loaded: dict[str, Any]) -> None:
        try:
            if checks is not None:
                checks(loaded)
        except DomainError as exc:
            refused["status"] = exc.status
            raise
        except ExceptionGroup as group:
            refused["status"] = getattr(group.exceptions[0], "status", 422)
            raise

    result, errors = run_form(schema, data, guarded, checks=checked)
    return result, errors, (200 if result is not None else refused["status"])


def strip_prefix(errors: FormErrors, prefix: str) -> FormErrors:
    """Errors named ``criterion.code`` by the ledger become ``code`` for the form."""
    out = FormErrors(
        {k[len(prefix) :] if k.startswith(prefix) else k: v for k, v in errors.items()}
    )
    out.message = errors.message
    return out
