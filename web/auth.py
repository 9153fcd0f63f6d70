"""Who is asking: session cookies for the UI, bearer tokens for the API, permissions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from flask import abort, current_app, g, redirect, request, session, url_for
from flask_login import UserMixin, current_user
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from domain.accounts import Account
from domain.values import Origin
from ledger.core import Caller
from ledger.sessions import API_LIFETIME, OpenSession, SessionStore
from projections import access_queries
from web.access import PERMISSIONS, allowed, referent_directions, role_names
from web.errors import api_error
from web.extensions import csrf, login_manager
from web.state import state

F = TypeVar("F", bound=Callable[..., Any])
TOKEN_MAX_AGE = API_LIFETIME
denied_log = logging.getLogger("sdsi.access")


@dataclass
class User(UserMixin):
    """A signed-in account, as the log knows it."""

    username: str
    display_name: str
    grants: list[str]
    active: bool = True
    via_token: bool = False

    def get_id(self) -> str:
        return self.username

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active

    @property
    def roles(self) -> set[str]:
        return role_names(self.grants)

    @property
    def directions(self) -> set[str]:
        return referent_directions(self.grants)

    def can(self, permission: str, direction: str | None = None) -> bool:
        return allowed(self.grants, permission, direction)

    def caller(self, reason: str | None = None, key: str | None = None) -> Caller:
        """The ledger caller for a command sent by this user."""
        return Caller(
            actor=self.username,
            origin=Origin.API if self.via_token else Origin.WEB,
            reason=reason or None,
            key=key or None,
        )


def load_user(
    username: str, *, via_token: bool = False, found: OpenSession | None = None
) -> User | None:
    account = _account(username, found)
    if account is None or not account["active"]:
        return None
    return User(
        account["username"],
        account["display_name"],
        list(account["roles"]),
        True,
        via_token,
    )


def _account(username: str, found: OpenSession | None = None) -> dict[str, Any] | None:
    """The account as the log holds it now, not as the views do: a revoked role or a
    deactivation takes effect at the next request whatever the views' lag, and signing
    in works while the views are rebuilt or behind (read-only: no copy of the
    library's cached aggregate; one query for any newer event).

    ``found``: the session checked by the statement that also read the newest
    version of the account's aggregate (``SessionStore.check(account=…)``); the
    library's cached aggregate at that very version is then the account as the log
    holds it, without another round trip (no version: the account does not exist)."""
    led = state().ledger
    account_id = Account.id_for(username)
    account: Any = None
    if found is not None:
        if found.account_version is None:
            return None
        account = _cached(led.repository, account_id, found.account_version)
    if account is None:
        try:
            account = led.repository.get(account_id, deepcopy_from_cache=False)
        except AggregateNotFoundError:
            return None
    if not isinstance(account, Account):
        return None
    return {
        "username": account.username,
        "display_name": account.display_name,
        "roles": list(account.grants),
        "active": account.active,
    }


def _cached(repository: Any, account_id: UUID, version: int) -> Any:
    """The library's cached aggregate if it stands at ``version``, else ``None``."""
    cache = getattr(repository, "cache", None)
    if cache is None:
        return None
    try:
        account = cache.get(account_id)
    except KeyError:
        return None
    return account if getattr(account, "version", None) == version else None


def sessions() -> SessionStore:
    """The running app's sessions and tokens (rows of the ledger database)."""
    return state().extra["sessions"]  # type: ignore[no-any-return]


def current_session() -> OpenSession | None:
    """The session or token this request is signed in with, if any."""
    return g.get("sdsi_session")  # type: ignore[no-any-return]


@login_manager.user_loader
def _user_loader(username: str) -> User | None:
    """A browser's session: its cookie names the account and carries the session's
    secret, which must still be open in the database (not logged out, expired, idle
    or ended by a password change or a deactivation)."""
    found = sessions().check(
        session.get("sid"), username, account=Account.id_for(username)
    )
    if found is None or found.kind != "web":
        return None
    g.sdsi_session = found
    return load_user(username, found=found)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.config["SECRET_KEY"], salt="sdsi-api-token"
    )


def issue_token(username: str) -> str:
    """A new API token for ``username``: signed, and open in the database until it
    expires or ends (its secret is stored hashed)."""
    return _serializer().dumps({"u": username, "t": sessions().open(username, "api")})


def open_web_session(username: str) -> str:
    """A new browser session for ``username`` (its secret goes in the cookie)."""
    return sessions().open(username, "web")


@login_manager.request_loader
def _token_loader(req: Any) -> User | None:
    header = req.headers.get("Authorization", "")
    if not header.startswith("Bearer "):
        return None
    try:
        data = _serializer().loads(header[7:].strip(), max_age=TOKEN_MAX_AGE)
    except (SignatureExpired, BadSignature):
        return None
    username = data.get("u") if isinstance(data, dict) else None
    if not isinstance(username, str):
        return None
    found = sessions().check(data.get("t"), username, account=Account.id_for(username))
    if found is None or found.kind != "api":
        return None
    g.sdsi_session = found
    return load_user(username, via_token=True, found=found)


# While an administrator's reset obliges the account to choose a new password, only
# these (and public pages) answer: the change itself, and signing out.
PASSWORD_CHANGE_ENDPOINTS = frozenset(
    {"ui.password", "ui.logout", "api_admin.password", "api_auth.logout"}
)


def require_password_change() -> Any:
    """Before every request: an account whose password was reset with a forced
    change is sent to the change-password page (the API answers 403
    ``password_change_required``) for anything but the change and signing out."""
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "permission", None) is None:
        return None  # public: sign in, health, the API's document, static files
    if not current_user.is_authenticated:
        return None
    found = current_session()
    if found is None or not found.must_change_password:
        return None
    if request.endpoint in PASSWORD_CHANGE_ENDPOINTS:
        return None
    if is_api_request():
        return api_error(
            403,
            code="password_change_required",
            message=(
                "Mot de passe réinitialisé par un administrateur : choisissez-en un "
                "nouveau (POST /api/v1/accounts/<vous>/password) avant toute autre "
                "opération."
            ),
        )
    return redirect(url_for("ui.password"))


def is_api_request() -> bool:
    return request.path.startswith("/api/")


def requires(
    permission: str, direction_of: Callable[..., str | None] | None = None
) -> Callable[[F], F]:
    """Allow the view only to users holding ``permission`` (for the proposal's
    direction).

    The check runs before anything reads the request (:func:`authorise_request`), so a
    refused caller learns nothing from validation errors; the wrapper checks again for
    views called another way.
    """
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            refusal = authorise(permission, direction_of, kwargs)
            if refusal is not None:
                return refusal
            return view(*args, **kwargs)

        wrapper.permission = permission  # type: ignore[attr-defined]
        wrapper.direction_of = direction_of  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


def authorise(
    permission: str,
    direction_of: Callable[..., str | None] | None,
    view_args: dict[str, Any],
) -> Any:
    """``None`` when the current user holds ``permission``; else the refusal.

    Anonymous: 401 on the API, the login page in the UI. Signed in without the
    permission: 403, logged on ``sdsi.access``. Checked once per request and permission.
    """
    checked: set[str] = g.setdefault("authorised", set())
    if permission in checked:
        return None
    if not current_user.is_authenticated:
        if is_api_request():
            abort(401)
        return login_manager.unauthorized()
    direction = direction_of(**view_args) if direction_of else None
    if not current_user.can(permission, direction):
        denied_log.warning(
            "denied: %s (%s) asked %s %s needing %s%s",
            current_user.username,
            ",".join(current_user.grants),
            request.method,
            request.path,
            permission,
            f" for direction {direction}" if direction else "",
        )
        g.denied_permission = permission
        abort(403)
    checked.add(permission)
    _csrf_for_cookies()
    return None


def _csrf_for_cookies() -> None:
    """A browser's session cookie writing to the API needs the CSRF token too.

    Bearer-token calls need none (a cross-site page cannot send the header); a write
    authenticated by the session cookie is checked like a UI form
    (``X-CSRFToken`` header). ``WTF_CSRF_ENABLED = False`` (tests) turns it off.
    """
    if (
        is_api_request()
        and request.method not in ("GET", "HEAD", "OPTIONS")
        and not current_user.via_token
        and current_app.config.get("WTF_CSRF_ENABLED", True)
    ):
        csrf.protect()


def authorise_request() -> Any:
    """Before every request: the matched view's permission, before CSRF or parsing."""
    view = current_app.view_functions.get(request.endpoint or "")
    permission = getattr(view, "permission", None)
    if permission is None:
        return None
    direction_of = getattr(view, "direction_of", None)
    return authorise(permission, direction_of, dict(request.view_args or {}))


def public(view: F) -> F:
    """Mark a view as reachable without signing in (login page, health, OpenAPI)."""
    view.permission = None  # type: ignore[attr-defined]
    return view


def proposal_direction(code: str, **_: Any) -> str | None:
    """The direction of a proposal (for referents' scoped permissions)."""
    return access_queries.proposal_direction(state().read_model.store, code)
