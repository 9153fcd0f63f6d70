"""Self-service password reset for local accounts ("Mot de passe oublié ?").

The request form takes a login or an e-mail address and always gives the same answer,
after the same work, whether an account matches or not; a matching local account with
an address gets a single-use link valid 30 minutes, queued in the outbox
(``ledger.resets``). The link's page sets a new password under the rules of the
password change, ends the account's other sessions and API tokens, and says clearly
when the link was already used, has expired or is unknown.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from domain.accounts import Account, username
from domain.errors import DomainError
from ledger.passwords import MIN_LENGTH, check_strength
from ledger.resets import (
    VALIDITY,
    PasswordResets,
    TokenState,
    client_wait,
    no_match,
    redeem,
    request_reset,
    resettable,
)
from projections import queries as q
from web.auth import public
from web.domain_messages import localised
from web.state import state
from web.throttle import client_address, throttle
from web.ui.blueprint import bp
from web.ui.context import FormErrors

LOG = logging.getLogger(__name__)

IDENTIFIER_MAX = 254
PASSWORD_MAX = 200


def _accounts_for(identifier: str) -> list[Account]:
    """The accounts ``identifier`` names: by login, or by e-mail address."""
    led = state().ledger
    found: list[Account] = []
    try:
        account = led.account(username(identifier.lower()))
    except DomainError:
        account = None
    if account is not None:
        found.append(account)
    if "@" in identifier:
        wanted = identifier.lower()
        for doc in q.accounts(state().read_model.store):
            if str(doc.get("email") or "").lower() == wanted and all(
                a.username != doc["username"] for a in found
            ):
                match = led.account(doc["username"])
                if match is not None:
                    found.append(match)
    return found


def _link(token: str) -> str:
    # Never from the request's Host header: whoever asks for a reset chooses it, and
    # the link (with its token) would point at their server (reset poisoning).
    return state().settings.mail.base_url + url_for("ui.password_reset", token=token)


def _text(name: str, url: str) -> str:
    return _(
        "Bonjour %(name)s,\n\n"
        "Une demande de nouveau mot de passe a été faite pour votre compte du "
        "registre SDSI. Pour choisir un nouveau mot de passe, ouvrez ce lien dans "
        "les %(minutes)s minutes :\n\n%(url)s\n\n"
        "Le lien ne sert qu'une fois. Si vous n'avez rien demandé, ignorez ce "
        "message : votre mot de passe actuel reste valable.\n",
        name=name,
        minutes=VALIDITY // 60,
        url=url,
    )


@bp.route("/connexion/mot-de-passe-oublie", methods=["GET", "POST"])
@public
def password_forgotten() -> Any:
    """Ask for a reset link by login or e-mail address."""
    identifier = " ".join(request.form.get("identifier", "").split())
    errors, status, wait = FormErrors(), 200, 0
    if request.method == "POST":
        if not identifier:
            errors["identifier"] = _(
                "%(label)s : champ obligatoire.",
                label=_("Identifiant ou adresse électronique"),
            )
        elif len(identifier) > IDENTIFIER_MAX:
            errors["identifier"] = _(
                "%(label)s : %(most)s caractères au plus (%(n)s saisis).",
                label=_("Identifiant ou adresse électronique"),
                most=IDENTIFIER_MAX,
                n=len(identifier),
            )
        if errors:
            errors.message = _(
                "Le formulaire contient des erreurs : rien n'a été envoyé."
            )
            status = 422
        else:
            wait = client_wait(throttle().counters, client_address())
            if wait:
                errors.message = _(
                    "Trop de demandes depuis votre poste : réessayez dans "
                    "%(seconds)s s. Rien n'a été envoyé.",
                    seconds=wait,
                )
                status = 429
            else:
                found = _accounts_for(identifier)
                if not found:
                    no_match(throttle().counters, identifier)
                elif not state().settings.mail.base_url:
                    LOG.error(
                        "password reset asked for %d account(s), no link sent:"
                        " SDSI_BASE_URL is unset (links are never built from the"
                        " request's Host header)",
                        len(found),
                    )
                    found = []
                for account in found:
                    request_reset(
                        state().ledger,
                        throttle().counters,
                        account,
                        link=_link,
                        subject=_("Registre SDSI : choisir un nouveau mot de passe"),
                        text=_text,
                    )
                flash(_("Si un compte correspond, un message a été envoyé."), "info")
                return redirect(url_for("ui.password_forgotten"))
    response = Response(
        render_template(
            "password_forgotten.html", identifier=identifier, errors=errors
        ),
        status=status,
        mimetype="text/html",
    )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


def _refusal(status: str) -> str:
    if status == "used":
        return _(
            "Ce lien a déjà servi : il ne vaut qu'une fois. Demandez-en un nouveau "
            "si besoin."
        )
    if status == "expired":
        return _(
            "Ce lien a expiré (il vaut %(minutes)s minutes) : demandez-en un nouveau.",
            minutes=VALIDITY // 60,
        )
    if status == "revoked":
        return _(
            "Ce lien n'est plus valable : ce compte ne peut plus choisir son mot de "
            "passe ainsi. Adressez-vous à un administrateur."
        )
    return _("Ce lien n'est pas valable : demandez-en un nouveau.")


def _check_new(password: str, confirm: str) -> FormErrors:
    errors = FormErrors()
    label = _("Nouveau mot de passe")
    if not password:
        errors["password"] = _("%(label)s : champ obligatoire.", label=label)
    elif len(password) > PASSWORD_MAX:
        errors["password"] = _(
            "%(label)s : %(most)s caractères au plus (%(n)s saisis).",
            label=label,
            most=PASSWORD_MAX,
            n=len(password),
        )
    elif len(password) < MIN_LENGTH:
        errors["password"] = _(
            "%(label)s : au moins %(least)s caractères.", label=label, least=MIN_LENGTH
        )
    else:
        try:
            check_strength(password)
        except DomainError as exc:
            errors["password"] = localised(exc)
    if password != confirm:
        errors["password_confirm"] = _(
            "Les deux saisies du nouveau mot de passe diffèrent."
        )
    if errors:
        errors.message = _(
            "Le formulaire contient des erreurs : rien n'a été enregistré."
        )
    return errors


@bp.route("/connexion/nouveau-mot-de-passe/<token>", methods=["GET", "POST"])
@public
def password_reset(token: str) -> Any:
    """The e-mailed link: choose a new password (once, within 30 minutes)."""
    resets = PasswordResets(state().ledger.storage)
    found = resets.state(token)
    errors, status = FormErrors(), 200
    if found.status == "valid" and not resettable(
        state().ledger.account(found.username)
    ):  # disabled, or turned into a directory account, since the link was sent
        found = TokenState("revoked", found.username)
    if found.status != "valid":
        status = 404 if found.status == "unknown" else 410
        return _page(token, errors, _refusal(found.status), status)
    if request.method == "POST":
        password = request.form.get("password", "")  # exactly as typed
        errors = _check_new(password, request.form.get("password_confirm", ""))
        if errors:
            return _page(token, errors, None, 422)
        try:
            result = redeem(state().ledger, token, password)
        except DomainError as exc:
            errors["password"] = localised(exc)
            errors.message = _(
                "Le formulaire contient des erreurs : rien n'a été enregistré."
            )
            return _page(token, errors, None, 422)
        if result is None:  # spent meanwhile (another tab)
            return _page(token, errors, _refusal(resets.state(token).status), 410)
        flash(
            _(
                "Mot de passe changé. Vos autres sessions et jetons d'accès ont été "
                "fermés : connectez-vous avec le nouveau mot de passe."
            ),
            "success",
        )
        return redirect(url_for("ui.login"))
    return _page(token, errors, None, status)


def _page(token: str, errors: FormErrors, refused: str | None, status: int) -> Response:
    response = Response(
        render_template(
            "password_reset.html", token=token, errors=errors, refused=refused
        ),
        status=status,
        mimetype="text/html",
    )
    # the token is in the address: never sent on to another site
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    return response
