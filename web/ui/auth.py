"""Sign in and out; failed attempts are throttled (shared across workers with Redis)."""

from __future__ import annotations

import logging
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from web.auth import User, load_user, public
from web.state import state
from web.ui import bp

log = logging.getLogger("sdsi.access")


def _throttle_keys(username: str) -> list[str]:
    ip = request.remote_addr or "?"
    return [f"user:{username.lower()}", f"ip:{ip}"]


def check_password(username: str, password: str) -> tuple[User | None, int]:
    """(account, 0) on success; (None, 0) on bad credentials; (None, seconds) when throttled."""
    throttle = state().extra["throttle"]
    keys = _throttle_keys(username)
    wait = max(throttle.blocked(k) for k in keys)
    if wait:
        log.warning("login throttled for %s from %s", username, request.remote_addr)
        return None, wait
    account = state().ledger.authenticate(username, password)
    user = load_user(username) if account is not None else None
    if user is None:
        for k in keys:
            throttle.fail(k)
        log.warning("failed login for %r from %s", username, request.remote_addr)
        return None, 0
    throttle.reset(keys[0])
    return user, 0


@bp.route("/connexion", methods=["GET", "POST"])
@public
def login() -> Any:
    """Sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("ui.home"))
    error, status = None, 200
    username = request.form.get("username", "").strip()
    if request.method == "POST":
        user, wait = check_password(username, request.form.get("password", ""))
        if wait:
            error, status = _("Trop de tentatives : réessayez dans %(minutes)s minute(s).", minutes=wait // 60 + 1), 429
        elif user is None:
            error, status = _("Identifiant ou mot de passe incorrect."), 401
        else:
            lang = session.get("lang")  # the language chosen survives signing in
            session.clear()
            if lang:
                session["lang"] = lang
            login_user(user)
            session.permanent = True
            target = request.args.get("next", "")
            if not target.startswith("/") or target.startswith("//"):
                target = url_for("ui.home")
            return redirect(target)
    return render_template("login.html", error=error, username=username), status


@bp.route("/deconnexion", methods=["POST"])
@public
def logout() -> Response:
    """Sign out."""
    logout_user()
    lang = session.get("lang")  # ... and signing out
    session.clear()
    if lang:
        session["lang"] = lang
    flash(_("Vous êtes déconnecté(e)."), "info")
    return redirect(url_for("ui.login"))
