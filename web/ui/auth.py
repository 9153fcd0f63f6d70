"""Sign in and out, and change one's password; failed attempts are throttled per
account, per account and client, and per client, with counters every worker shares
(``ledger.throttle``: Redis or the ledger database)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote, urlsplit

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ledger.directory import DirectoryUnavailable
from web.api import schemas as s
from web.auth import User, current_session, open_web_session, public, requires, sessions
from web.signin import change_own_password, check_password
from web.state import state
from web.throttle import TooManyAttempts
from web.ui.blueprint import bp
from web.ui.context import FormErrors, _flatten
from web.ui.formhelp import run


def directory_down() -> str:
    return _(
        "L'annuaire de la collectivité ne répond pas : la connexion par l'annuaire "
        "est impossible pour l'instant. Réessayez plus tard ; les comptes locaux "
        "peuvent se connecter."
    )


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login() -> Any:
    """Sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("ui.home"))
    error, status, wait = None, 200, 0
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        try:
            user, wait = check_password(username, request.form.get("password", ""))
        except DirectoryUnavailable:
            user, wait = None, 0
            error, status = directory_down(), 503
        if error:
            pass  # the directory did not answer
        elif wait:
            error = _(
                "Trop de tentatives : réessayez dans %(seconds)s s.", seconds=wait
            )
            status = 429
        elif user is None:
            error, status = _("Identifiant ou mot de passe incorrect."), 401
        else:
            start_session(user)
            return redirect(local_target(request.args.get("next", "")))
    response = Response(
        render_template(
            "login.html", error=error, username=username, oidc=state().settings.oidc
        ),
        status=status,
        mimetype="text/html",
    )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response


_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def local_target(value: str) -> str:
    """Where to go after signing in: ``value`` if it is a path on this site, read
    as a browser reads it (control characters and spaces dropped, ``\\`` taken
    for ``/``), else the home page. A scheme, a host (``//host``, ``/\\host``,
    ``/%09/host``) or anything but a path is refused."""
    cleaned = _CONTROL.sub("", value).replace("\\", "/")
    parts = urlsplit(cleaned)
    decoded = _CONTROL.sub("", unquote(parts.path)).replace("\\", "/")
    if (
        not cleaned.startswith("/")
        or cleaned.startswith("//")
        or parts.scheme
        or parts.netloc
        or decoded.startswith("//")
    ):
        return url_for("ui.home")
    return cleaned


def start_session(user: User) -> None:
    """A new session (a new secret) for ``user``; the browser's previous one ends."""
    sessions().end(session.get("sid"), "replaced")
    lang = session.get("lang")  # the language chosen survives signing in
    session.clear()
    if lang:
        session["lang"] = lang
    login_user(user)
    session["sid"] = open_web_session(user.username)
    session.permanent = True


@bp.route("/deconnexion", methods=["POST"])
@public
def logout() -> Response:
    """Sign out: the session ends in the database too (its cookie is worth nothing)."""
    sessions().end(session.get("sid"), "logout")
    logout_user()
    lang = session.get("lang")  # ... and signing out
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Vous êtes déconnecté(e)."), "info")
    return redirect(url_for("ui.login"))


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@requires("home")
def password() -> Any:
    """Change one's own password: the current one, then the new one twice. Every
    other session and API token of the account ends; this browser gets a new
    session."""
    found = current_session()
    forced = bool(found and found.must_change_password)
    errors, status, wait = FormErrors(), 200, 0
    if request.method == "POST":
        # exactly as typed: never stripped nor changed (docs/security.md)
        current = request.form.get("current_password", "")
        new = request.form.get("password", "")
        if new != request.form.get("password_confirm", ""):
            # every error at once: the fields' own, then the two entries that differ
            schema_errors = s.PasswordChangeIn().validate(
                {"current_password": current, "password": new}
            )
            for field, messages in _flatten(schema_errors).items():
                errors[field] = "; ".join(messages)
            errors["password_confirm"] = _(
                "Les deux saisies du nouveau mot de passe diffèrent."
            )
            errors.message = _(
                "Le formulaire contient des erreurs : rien n'a été enregistré."
            )
            status = 422
        else:
            try:
                result, errors, status = run(
                    s.PasswordChangeIn(),
                    {"current_password": current, "password": new},
                    lambda caller, d: change_own_password(
                        caller, d["current_password"], d["password"], keep=None
                    ),
                )
            except TooManyAttempts as exc:
                wait, status = exc.wait, 429
                errors.message = _(
                    "Trop de tentatives : réessayez dans %(seconds)s s.", seconds=wait
                )
                errors["_"] = errors.message
            else:
                if result is not None:
                    start_session(current_user._get_current_object())  # type: ignore[attr-defined]
                    flash(
                        _(
                            "Mot de passe changé. Vos autres sessions et jetons "
                            "d'accès ont été fermés."
                        ),
                        "success",
                    )
                    return redirect(url_for("ui.home"))
    response = Response(
        render_template("password.html", errors=errors, forced=forced),
        status=status,
        mimetype="text/html",
    )
    if wait:
        response.headers["Retry-After"] = str(wait)
    return response
