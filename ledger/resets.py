"""Self-service password reset for local accounts: single-use, short-lived tokens.

A request ("Mot de passe oublié ?") for a local, active account with an e-mail
address issues a token: 32 random bytes, sent in a link through the outbox; only its
SHA-256 is kept (schema version 8, ``password_resets``), valid :data:`VALIDITY`
seconds. Following the link and choosing a new password spends the token — one
conditional update, so two tabs cannot both use it — then records the change as the
account's own ``Account.PasswordChanged`` (the event a password change records) and
ends every session and API token of the account. Directory accounts (LDAP, OpenID
Connect) have no local password: no token is issued for them.

Requests are rate-limited with the shared counters (``ledger.throttle.spend``): per
client (the visitor is told to wait) and per account (silently: the answer never
says whether an account exists).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from domain.accounts import Account
from domain.values import Origin
from ledger.core import Caller, CommandResult
from ledger.outbox import InvalidMail, Outbox, check_recipient
from ledger.passwords import check_strength
from ledger.storage import LedgerStorage
from ledger.throttle import Counters, Rule, spend

TABLE = "password_resets"
VALIDITY = 30 * 60  # seconds a link stays valid
# Ten requests an hour from one client, then a growing wait (capped at an hour).
RESET_CLIENT = Rule("reset-client", free=10, cap=3600, window=3600)
# Three messages an hour to one account; more are silently not sent.
RESET_ACCOUNT = Rule("reset-account", free=3, cap=3600, window=3600)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class TokenState:
    """What a link's token is: ``valid``, ``used``, ``expired`` or ``unknown``."""

    status: str
    username: str = ""


def client_wait(counters: Counters, client: str) -> int:
    """Whole seconds ``client`` must wait before asking again (0: counted, go on)."""
    return spend(counters, RESET_CLIENT, client)


def no_match(counters: Counters, identifier: str) -> None:
    """The work of a request that matched no account, so that its answer comes after
    about as long as a matching one's (one counter written, like the account's)."""
    spend(counters, RESET_ACCOUNT, "?" + identifier.lower())
    secrets.token_urlsafe(32)


def resettable(account: Account | None) -> bool:
    """A local, active account with an e-mail address."""
    if account is None or not account.active or account.directory:
        return False
    try:
        check_recipient(account.email)
    except InvalidMail:
        return False
    return True


class PasswordResets:
    """The reset tokens of the ledger's database."""

    def __init__(
        self, storage: LedgerStorage, clock: Callable[[], float] = time.time
    ) -> None:
        self.storage = storage
        self.clock = clock

    def issue(self, username: str) -> str:
        """A new token for ``username`` (the caller checked the account)."""
        token = secrets.token_urlsafe(32)
        now = self.clock()
        self.storage.execute(
            f"INSERT INTO {{t:{TABLE}}} (token_hash, username, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash(token), username, now, now + VALIDITY),
        )
        return token

    def state(self, token: str) -> TokenState:
        if not token or len(token) > 200:
            return TokenState("unknown")
        row = self.storage.fetchone(
            f"SELECT username, expires_at, used_at FROM {{t:{TABLE}}}"
            " WHERE token_hash = ?",
            (token_hash(token),),
        )
        if row is None:
            return TokenState("unknown")
        username, expires_at, used_at = str(row[0]), float(row[1]), row[2]
        if used_at is not None:
            return TokenState("used", username)
        if expires_at <= self.clock():
            return TokenState("expired", username)
        return TokenState("valid", username)

    def spend(self, token: str) -> str | None:
        """The token's account if it was valid, now used (with every other token of
        that account); None if it was used, expired or unknown."""
        if not token or len(token) > 200:
            return None
        now = self.clock()
        with self.storage.cursor(commit=True) as c:
            c.execute(
                self.storage.sql(
                    f"UPDATE {{t:{TABLE}}} SET used_at = ? WHERE token_hash = ?"
                    " AND used_at IS NULL AND expires_at > ? RETURNING username"
                ),
                (now, token_hash(token), now),
            )
            row = c.fetchone()
            if row is None:
                return None
            username = str(row["username"] if isinstance(row, dict) else row[0])
            c.execute(
                self.storage.sql(
                    f"UPDATE {{t:{TABLE}}} SET used_at = ? WHERE username = ?"
                    " AND used_at IS NULL"
                ),
                (now, username),
            )
        return username

    def forget_expired(self, before: float) -> None:
        """Delete the tokens that expired before ``before`` (housekeeping)."""
        self.storage.execute(
            f"DELETE FROM {{t:{TABLE}}} WHERE expires_at < ?", (before,)
        )


def request_reset(
    ledger: Any,
    counters: Counters,
    account: Account | None,
    *,
    link: Callable[[str], str],
    subject: str,
    text: Callable[[str, str], str],
) -> bool:
    """Issue a token for ``account`` and queue its link (True), or do nothing (False:
    no such local account with an address, or too many requests for it). ``link``
    makes the URL of a token, ``text(display_name, url)`` the message."""
    if account is None or not resettable(account):
        return False
    if spend(counters, RESET_ACCOUNT, account.username):
        return False
    storage: LedgerStorage = ledger.storage
    token = PasswordResets(storage).issue(account.username)
    url = link(token)
    Outbox(storage).add(
        key=f"password-reset:{token_hash(token)}",
        recipient=account.email,
        subject=subject,
        text=text(account.display_name or account.username, url),
    )
    return True


def redeem(ledger: Any, token: str, password: str) -> CommandResult | None:
    """Set ``password`` through ``token``: the strength is checked first (an
    ``InvalidValue``, the token kept), then the token is spent and the change
    recorded; None when the token is used, expired or unknown."""
    check_strength(password)
    storage: LedgerStorage = ledger.storage
    username = PasswordResets(storage).spend(token)
    if username is None:
        return None
    caller = Caller(
        actor=username,
        origin=Origin.WEB,
        reason="mot de passe oublié : lien envoyé par courriel",
    )
    return ledger.set_forgotten_password(caller, username, password)  # type: ignore[no-any-return]
