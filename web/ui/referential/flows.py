"""What every page of the Référentiel shares: a page shows its record (or 404) with
the errors of the form sent, and each form sends one ledger command, then either
redirects with a message or shows the page again with the form's errors (and the
status the API would answer)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import Schema

from domain.errors import RecordClosed
from web.api import schemas as s
from web.auth import requires
from web.cache import cached_read
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store
from web.ui.formhelp import on_fields, run
from web.ui.forms import scalars

Page = tuple[str, int]
# A page of the Référentiel, shown again with the errors of the form ``sent``.
PageOf = Callable[..., Page]
Send = Callable[[Any, dict[str, Any]], Any]


class Errors(dict[str, FormErrors]):
    """Form name → its errors (none for the forms not sent)."""

    def __missing__(self, key: str) -> FormErrors:
        return FormErrors()


def led() -> Any:
    return state().ledger


def post(rule: str, permission: str) -> Callable[[Callable[..., Any]], Any]:
    """A form's route: ``POST rule`` for holders of ``permission``."""

    def decorate(view: Callable[..., Any]) -> Any:
        return bp.route(rule, methods=["POST"])(requires(permission)(view))

    return decorate


def shown(rule: str) -> Callable[[Callable[..., Any]], Any]:
    """A page's route: ``GET rule`` for whoever may see the Référentiel, cached."""

    def decorate(view: Callable[..., Any]) -> Any:
        return bp.route(rule)(requires("reference.view")(cached_read()(view)))

    return decorate


def page(template: str, context: Callable[[], dict[str, Any]]) -> PageOf:
    """A page rendering ``template`` with ``context()`` and the errors of a form."""

    def show(
        errors: dict[str, FormErrors] | None = None,
        status: int = 200,
        sent: str | None = None,
    ) -> Page:
        values = context()
        return render_template(
            template,
            errors=Errors(errors or {}),
            sent=sent,
            form=request.form,
            **values,
        ), status

    return show


def record_page(
    template: str,
    name: str,
    doc: Callable[[Any], dict[str, Any] | None],
    extra: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None,
) -> PageOf:
    """The page of one record, given to the template as ``name`` (404 if none);
    ``extra`` adds what the page needs beside it."""

    def context() -> dict[str, Any]:
        st = store()
        found = doc(st)
        if found is None:
            abort(404)
        return {name: found, **(extra(st, found) if extra else {})}

    return page(template, context)


def act(
    show: PageOf,
    form: str,
    schema: Schema,
    data: dict[str, Any],
    send: Send,
    done: str,
    target: str | Callable[[], str],
) -> Any:
    """Send one command from a form; on refusal, the page again with the form's
    errors (and the status the API would answer)."""
    result, errors, status = run(schema, data, send)
    if result is None:
        return show(errors={form: errors}, status=status, sent=form)
    flash(done, "success")
    return redirect(target() if callable(target) else target)


def closed(field: str = "reason") -> dict[type, str]:
    """A refusal because the record is closed, shown next to ``field``."""
    return {RecordClosed: field}


@dataclass(frozen=True)
class Record:
    """A kind of record with a page of its own: the page's endpoint, its template, the
    name the template knows the record by, how it is read (by code) and what the page
    shows beside it."""

    endpoint: str
    template: str
    name: str
    read: Callable[[Any, str], dict[str, Any] | None]
    extra: Callable[[Any, dict[str, Any]], dict[str, Any]] | None = None

    def page(self, code: str) -> PageOf:
        """The record's page (404 if there is no record ``code``)."""
        return record_page(
            self.template, self.name, lambda st: self.read(st, code), self.extra
        )

    def url(self, code: str, **values: Any) -> str:
        return url_for(self.endpoint, code=code, **values)


def rename(
    record: Record, code: str, schema: Schema, field: str, send: Send, done: str
) -> Any:
    """The "rename" form of a record: its new ``field`` and a reason."""
    return act(
        record.page(code),
        "rename",
        schema,
        scalars(request.form, field, "reason"),
        on_fields(send, closed(field)),
        done,
        record.url(code),
    )


def close(
    record: Record,
    code: str,
    send: Send,
    done: str,
    refusals: dict[type, str] | None = None,
) -> Any:
    """The "close" form of a record: a reason; ``refusals`` shown next to it too."""
    return act(
        record.page(code),
        "close",
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(send, {**closed(), **(refusals or {})}),
        done,
        record.url(code),
    )


def year_refused(show: PageOf, form: str, year: Any) -> Page | None:
    """The page again with the form's error if ``year`` is not one of 2000–2100."""
    if isinstance(year, int) and 2000 <= year <= 2100:
        return None
    errors = FormErrors({"year": _("Année entre 2000 et 2100 attendue.")})
    errors.message = _("Le formulaire contient des erreurs : rien n'a été enregistré.")
    return show(errors={form: errors}, status=422, sent=form)


def unspaced(data: dict[str, Any], *names: str) -> None:
    """Remove the thousands separators (spaces, no-break spaces) of number fields."""
    for name in names:
        if name in data:
            data[name] = (
                data[name].replace("\u202f", "").replace("\u00a0", "").replace(" ", "")
            )
