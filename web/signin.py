"""Checking a password the way a person types it: signing in (local accounts by
their password, directory accounts by the directory) and changing one's own
password, both under the sign-in throttle. The UI's forms and the API's endpoints
call these, neither importing the other."""

from __future__ import annotations

import logging

from domain.errors import WrongPassword
from domain.values import Origin
from ledger.core import Caller, CommandResult
from ledger.directory import (
    DirectoryUnavailable,
    NotTheSameAccount,
    account_name,
    record_sign_in,
)
from web.auth import User, load_user
from web.state import state
from web.throttle import TooManyAttempts, client_address, throttle

log = logging.getLogger("sdsi.access")


def check_password(username: str, password: str) -> tuple[User | None, int]:
    """(account, 0) on success; (None, 0) on bad credentials; (None, seconds) when
    throttled — the same whether the login exists or not, local or in the directory.
    :class:`DirectoryUnavailable` when the directory had to be asked and did not
    answer (the attempt does not count)."""
    limiter, client = throttle(), client_address()
    wait = limiter.attempt(username, client)
    if wait:
        log.warning("login throttled for %r from %s (%s s)", username, client, wait)
        return None, wait
    try:
        user = _sign_in(username, password)
    except DirectoryUnavailable as exc:
        limiter.withdrawn(username, client)
        log.error("directory unavailable for %r from %s: %s", username, client, exc)
        raise
    except BaseException:
        limiter.withdrawn(username, client)  # no answer: the attempt does not count
        raise
    if user is None:
        log.warning("failed login for %r from %s", username, client)
        return None, 0
    limiter.succeeded(username, client)
    return user, 0


def _sign_in(login: str, password: str) -> User | None:
    """Local accounts by their password; directory accounts, and logins no account
    has yet, by the directory when one is configured (``ledger.directory``)."""
    led, ldap = state().ledger, state().extra.get("ldap")
    name = account_name(login) if ldap is not None else None
    account = led.account(name) if name is not None else None
    if ldap is None or (account is not None and not account.directory):
        account = led.authenticate(login, password)  # local: the directory is not asked
        return load_user(login) if account is not None else None
    if account is not None and account.directory != "ldap":
        return None  # signs in through another directory
    found = ldap.authenticate(login, password)
    if found is None:
        return None
    try:
        record_sign_in(led, found, "ldap", state().settings.ldap.mapping, Origin.WEB)
    except NotTheSameAccount:  # registered meanwhile, by another door
        return None
    return load_user(found.username)


def change_own_password(
    caller: Caller, current: str, password: str, *, keep: str | None
) -> CommandResult:
    """The signed-in account changes its password: the current one is checked under
    the same throttle as a sign-in (a wrong one is a failed login)."""
    username = caller.actor
    limiter, client = throttle(), client_address()
    wait = limiter.attempt(username, client)
    if wait:
        log.warning("password change throttled for %r from %s", username, client)
        raise TooManyAttempts(wait)
    try:
        result = state().ledger.change_password(
            caller, username, current, password, keep_session=keep
        )
    except WrongPassword:
        log.warning("wrong current password for %r from %s", username, client)
        raise
    except BaseException:
        limiter.withdrawn(username, client)  # refused before the password was checked
        raise
    limiter.succeeded(username, client)
    return result
