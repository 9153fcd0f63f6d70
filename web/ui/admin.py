"""Administration: accounts, their roles and active state, the history of every grant
and revocation (who, when, why), and the forms that change them — each one ledger
command, with the reason the domain requires."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from domain.accounts import username as valid_username
from domain.errors import (
    AccountDisabled,
    AccountErased,
    AlreadyExists,
    DomainError,
    InvalidValue,
    NotFound,
    OfficialRecordKept,
    RoleAlreadyGranted,
    RoleNotHeld,
)
from domain.values import Role
from ledger.passwords import check_strength
from projections import queries as q
from projections.erasure import after_erasure
from web.api import schemas as s
from web.auth import requires
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store
from web.ui.formhelp import on_fields, run
from web.ui.forms import scalars

# The roles an administrator grants, in the order the forms list them (the domain's).
ROLES = tuple(r.value for r in Role)
FORMS = ("grant", "revoke", "disable", "enable", "reset", "email", "erase")


def _split(grant: str) -> tuple[str, str | None]:
    """``referent:DSN`` → ``("referent", "DSN")``; ``dsi`` → ``("dsi", None)``."""
    role, _sep, scope = grant.partition(":")
    return role, scope or None


def _directions() -> list[tuple[str, str]]:
    org = q.organisation(state().read_model.store)
    return [(d["code"], f"{d['code']} — {d['name']}") for d in org["directions"]]


@bp.route("/admin/comptes")
@requires("admin.accounts")
def accounts() -> str:
    """Every account with its roles and state, and the history of grants."""
    st = store()
    return render_template(
        "accounts.html", accounts=q.accounts(st), grants=list(reversed(q.grants(st)))
    )


@bp.route("/admin/comptes/nouveau", methods=["GET", "POST"])
@requires("admin.accounts")
def new_account() -> Any:
    """Create an account with its first roles (``ROLE`` or ``referent:DIRECTION``)."""
    errors, status = FormErrors(), 200
    if request.method == "POST":
        data = scalars(request.form, "username", "display_name", "email", "reason")
        # a password is kept exactly as typed (spaces included): never stripped
        if request.form.get("password"):
            data["password"] = request.form["password"]
        roles = [r for r in request.form.getlist("roles") if r != "referent"]
        if request.form.get("referent"):
            roles.append(f"referent:{request.form['referent'].strip()}")
        data["roles"] = roles
        led = state().ledger

        def send(caller: Any, d: dict[str, Any]) -> Any:
            return led.add_user(
                caller,
                d["username"],
                d["display_name"],
                d["password"],
                email=d["email"],
                roles=[_split(r) for r in d["roles"]],
            )

        result, errors, status = run(
            s.AccountIn(),
            data,
            on_fields(send, {AlreadyExists: "username", NotFound: "referent"}),
            checks=_account_checks,
        )
        for field in ("role", "scope"):
            if field in errors:
                errors["roles" if field == "role" else "referent"] = errors.pop(field)
        if result is not None:
            flash(_("Compte %(name)s créé.", name=data["username"]), "success")
            return redirect(url_for("ui.account", username=data["username"]))
    return render_template(
        "account_new.html",
        form=request.form,
        errors=errors,
        roles=[r for r in ROLES if r != "referent"],
        directions=_directions(),
    ), status


def _account_checks(data: dict[str, Any]) -> None:
    """The refusals ``add_user`` would raise one at a time, gathered (the name's
    form, a name already taken, a password too simple), so that the form tells them
    all at once; the command checks them again."""
    found: list[DomainError] = []
    name = data.get("username")
    if isinstance(name, str) and len(name) >= 2:
        try:
            valid_username(name)
            if q.account(state().read_model.store, name) is not None:
                found.append(AlreadyExists(kind="Compte", id=name, field="username"))
        except DomainError as exc:
            found.append(exc)
    password = data.get("password")
    if isinstance(password, str) and len(password) >= 10:
        try:
            check_strength(password)
        except DomainError as exc:
            found.append(exc)
    if found:
        raise ExceptionGroup("account", found)


@bp.route("/admin/comptes/<username>")
@requires("admin.accounts")
def account(username: str) -> Any:
    """One account: roles, state, its grant history and the forms that change them."""
    return _account_page(username)


def _account_page(
    username: str,
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Any:
    st = store()
    doc = q.account(st, username)
    if doc is None:
        abort(404)
    errors = errors or {}
    return render_template(
        "account.html",
        a=doc,
        grants=list(reversed(q.grants(st, username))),
        errors={name: errors.get(name, FormErrors()) for name in FORMS},
        sent=sent,
        form=request.form,
        roles=ROLES,
        directions=_directions(),
    ), status


def _act(
    username: str, name: str, schema: Any, data: dict[str, Any], send: Any, done: str
) -> Any:
    """Send one account command; re-render the account page with errors if refused."""
    if q.account(state().read_model.store, username) is None:
        abort(404)
    result, errors, status = run(schema, data, send)
    if result is None:
        return _account_page(username, {name: errors}, status, sent=name)
    flash(done, "success")
    return redirect(url_for("ui.account", username=username))


@bp.route("/admin/comptes/<username>/attribuer", methods=["POST"])
@requires("admin.accounts")
def grant_role(username: str) -> Any:
    """Grant a role (a referent's scope is a direction); reason required."""
    data = scalars(request.form, "role", "scope", "reason")
    led = state().ledger
    return _act(
        username,
        "grant",
        s.GrantIn(),
        data,
        on_fields(
            lambda c, d: led.grant_role(c, username, d["role"], d["scope"]),
            {NotFound: "scope", RoleAlreadyGranted: "role"},
        ),
        _("Rôle attribué à %(name)s.", name=username),
    )


@bp.route("/admin/comptes/<username>/retirer", methods=["POST"])
@requires("admin.accounts")
def revoke_role(username: str) -> Any:
    """Revoke a role the account holds; reason required."""
    data = scalars(request.form, "grant", "reason")
    role, scope = _split(data.pop("grant", ""))
    if role:
        data["role"] = role
    if scope:
        data["scope"] = scope
    led = state().ledger
    return _act(
        username,
        "revoke",
        s.GrantIn(),
        data,
        on_fields(
            lambda c, d: led.revoke_role(c, username, d["role"], d["scope"]),
            {RoleNotHeld: "grant"},
        ),
        _("Rôle retiré à %(name)s.", name=username),
    )


@bp.route("/admin/comptes/<username>/desactiver", methods=["POST"])
@requires("admin.accounts")
def disable_account(username: str) -> Any:
    """Disable an account: it can no longer sign in nor act; reason required."""
    led = state().ledger
    return _act(
        username,
        "disable",
        s.Reason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led.disable_user(c, username), {AccountDisabled: "reason"}
        ),
        _("Compte %(name)s désactivé.", name=username),
    )


@bp.route("/admin/comptes/<username>/effacer", methods=["POST"])
@requires("admin.accounts")
def erase_account(username: str) -> Any:
    """Erase the person's name and e-mail (GDPR art. 17) once the box confirming
    it is ticked; reason required. Their data key is destroyed: irreversible."""
    led = state().ledger

    def send(caller: Any, data: dict[str, Any]) -> Any:
        if request.form.get("confirm") != "on":
            raise InvalidValue(
                "confirm", "", _("cochez la case pour confirmer l'effacement")
            )
        result = led.erase_user(caller, username)
        if not result.replayed:
            current = state().after_command(result.notification_id)
            after_erasure(led, state().read_model, views_current=bool(current))
        return result

    return _act(
        username,
        "erase",
        s.Reason(),
        scalars(request.form, "reason"),
        on_fields(send, {AccountErased: "reason", OfficialRecordKept: "reason"}),
        _("Données personnelles de %(name)s effacées.", name=username),
    )


@bp.route("/admin/comptes/<username>/reactiver", methods=["POST"])
@requires("admin.accounts")
def enable_account(username: str) -> Any:
    """Re-enable a disabled account (the reason is recorded if given)."""
    led = state().ledger
    return _act(
        username,
        "enable",
        s.NoBody(),
        scalars(request.form, "reason"),
        lambda c, d: led.enable_user(c, username),
        _("Compte %(name)s réactivé.", name=username),
    )


@bp.route("/admin/comptes/<username>/adresse", methods=["POST"])
@requires("admin.accounts")
def change_email(username: str) -> Any:
    """Set or clear ("") the account's e-mail address (the reason is recorded if
    given)."""
    data = scalars(request.form, "reason")
    data["email"] = request.form.get("email", "").strip()  # "" clears it
    led = state().ledger
    return _act(
        username,
        "email",
        s.EmailIn(),
        data,
        lambda c, d: led.change_email(c, username, d["email"]),
        _("Adresse électronique de %(name)s enregistrée.", name=username),
    )


@bp.route("/admin/comptes/<username>/mot-de-passe", methods=["POST"])
@requires("admin.accounts")
def reset_password(username: str) -> Any:
    """Reset another account's password (reason required); by default the account
    must choose a new one at its next sign-in. Its sessions and tokens end."""
    data = scalars(request.form, "reason")
    if request.form.get("password"):
        data["password"] = request.form["password"]  # exactly as typed
    data["force_change"] = request.form.get("force_change") in ("on", "true", "1")
    led = state().ledger
    return _act(
        username,
        "reset",
        s.PasswordResetIn(),
        data,
        lambda c, d: led.reset_password(
            c, username, d["password"], force_change=d["force_change"]
        ),
        _(
            "Mot de passe de %(name)s réinitialisé ; ses sessions ont été fermées.",
            name=username,
        ),
    )
