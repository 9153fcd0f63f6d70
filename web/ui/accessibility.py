"""The accessibility statement (``/accessibilite``, public, linked from every page's
footer) with its contact form, and the messages received, for the administrators.

The statement follows the RGAA 4.1 model (conformance status, known
non-conformities, how it was established, feedback and contact, remedies). Messages
are kept in a plain table (``ledger.contact``, not events: they hold a member of the
public's personal data, which must be erasable), and their sending is rate-limited per
client with the sign-in throttle's shared counters.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ledger.contact import (
    EMAIL_MAX,
    MESSAGE_MAX,
    NAME_MAX,
    ContactMessages,
    may_send,
)
from projections import queries as q
from projections import reference_queries as rq
from web.auth import public, requires
from web.state import state
from web.throttle import client_address, throttle
from web.ui.blueprint import bp
from web.ui.context import FormErrors

PAGE_MAX = 500
# something@somewhere.tld, without spaces: what a person types, not RFC 5322's all
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def messages() -> ContactMessages:
    return ContactMessages(state().ledger.storage)


def municipality_name() -> str:
    """The municipality's name, as the statement names the body responsible."""
    views = state().read_model.store
    municipality, plan = rq.municipality(views) or {}, q.plan(views) or {}
    name = municipality.get("name") or plan.get("municipality")
    return str(name) if name else _("La collectivité")


def cleaned(name: str) -> str:
    """A field as typed, without the control characters no one types (NUL is
    refused before, ``web.security``); line breaks are kept in the message only."""
    value = _CONTROL.sub("", request.form.get(name, ""))
    if name != "message":
        value = " ".join(value.split())
    return value.strip()


def check(form: dict[str, str]) -> FormErrors:
    """A French message per field in error, naming the field by its label."""
    errors = FormErrors()
    limits = (
        ("name", _("Nom"), NAME_MAX),
        ("email", _("Adresse électronique"), EMAIL_MAX),
        ("message", _("Message"), MESSAGE_MAX),
    )
    for field, label, most in limits:
        if not form[field]:
            errors[field] = _("%(label)s : champ obligatoire.", label=label)
        elif len(form[field]) > most:
            errors[field] = _(
                "%(label)s : %(most)s caractères au plus (%(n)s saisis).",
                label=label,
                most=most,
                n=len(form[field]),
            )
    if "email" not in errors and not _EMAIL.fullmatch(form["email"]):
        errors["email"] = _(
            "Adresse électronique : adresse invalide (attendu : nom@domaine.fr)."
        )
    if len(form["page"]) > PAGE_MAX:
        errors["page"] = _(
            "%(label)s : %(most)s caractères au plus (%(n)s saisis).",
            label=_("Page concernée"),
            most=PAGE_MAX,
            n=len(form["page"]),
        )
    if errors:
        errors.message = _("Le formulaire contient des erreurs : rien n'a été envoyé.")
    return errors


@bp.route("/accessibilite", methods=["GET", "POST"])
@public
def accessibility() -> Any:
    """The accessibility statement; its form sends a message to the administrators."""
    form = {k: cleaned(k) for k in ("name", "email", "message", "page")}
    errors, status, wait = FormErrors(), 200, 0
    if request.method == "POST":
        errors = check(form)
        if errors:
            status = 422
        else:
            wait = may_send(throttle().counters, client_address())
            if wait:
                errors.message = _(
                    "Trop de messages envoyés depuis votre poste : réessayez dans "
                    "%(seconds)s s. Rien n'a été envoyé.",
                    seconds=wait,
                )
                status = 429
            else:
                messages().add(
                    form["name"],
                    form["email"],
                    form["message"],
                    form["page"],
                    str(get_locale() or "fr"),
                )
                flash(
                    _(
                        "Merci : votre message a été transmis aux administrateurs "
                        "du registre, qui vous répondront par courriel."
                    ),
                    "success",
                )
                return redirect(url_for("ui.accessibility") + "#contact")
    response = Response(
        render_template(
            "accessibility.html",
            form=form,
            errors=errors,
            municipality=municipality_name(),
            limits={"name": NAME_MAX, "email": EMAIL_MAX, "message": MESSAGE_MAX},
        ),
        status=status,
        mimetype="text/html",
    )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


@bp.route("/admin/accessibilite")
@requires("accessibility.messages")
def accessibility_messages() -> str:
    """The messages received through the statement's form, newest first."""
    found = messages()
    rows = [
        {
            "received": datetime.fromtimestamp(m.received_at, UTC),
            "name": m.name,
            "email": m.email,
            "message": m.message,
            "page": m.page,
            "lang": m.lang,
        }
        for m in found.newest(limit=500)
    ]
    return render_template(
        "accessibility_messages.html", rows=rows, total=found.count()
    )
