"""Sessions of the web UI and bearer tokens of the API, as rows of the ledger database.

A browser's session cookie and an API token each carry a random secret (256 bits from
``secrets``); the database keeps only its SHA-256, the account, when it was opened,
when it expires, when it was last used and, once ended, when and why. Every request
signed in either way is checked here (one indexed read), so a logout, a password
change or reset and a disabled account end sessions in every worker at once, on
SQLite as on PostgreSQL — nothing is kept in a process's memory. Password changes,
resets and deactivations end them in the same transaction as their events
(:class:`ledger.storage.EndSessions`).

Lifetimes (docs/security.md): a web session lasts at most :data:`WEB_LIFETIME` and
ends after :data:`WEB_IDLE` without a request; an API token lasts :data:`API_LIFETIME`
(no idle limit: scripts). An account holds at most :data:`MAX_PER_ACCOUNT` open
sessions and tokens: opening one more ends the oldest.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from ledger.storage import LedgerStorage

WEB_LIFETIME = 10 * 3600  # a working day
WEB_IDLE = 60 * 60
API_LIFETIME = 8 * 3600
MAX_PER_ACCOUNT = 20
TOUCH_EVERY = 60  # seconds between two writes of a session's last use
PURGE_EVERY = 3600  # seconds between two purges of long-ended rows, per process
KINDS = {"web": (WEB_LIFETIME, WEB_IDLE), "api": (API_LIFETIME, None)}


def session_id(secret: str) -> str:
    """The id a session's secret is stored under (its SHA-256, hex)."""
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass(frozen=True)
class OpenSession:
    """A session found valid: whose, which kind, and whether the account must
    change its password before anything else."""

    id: str
    username: str
    kind: str
    must_change_password: bool
    # the newest version of the account's aggregate in the log, read by the same
    # statement (``check(..., account=...)``); ``None`` when not asked or no account
    account_version: int | None = None


class SessionStore:
    """Open, check, and end sessions and tokens (``clock``: seconds, injectable)."""

    def __init__(
        self, storage: LedgerStorage, clock: Callable[[], float] = time.time
    ) -> None:
        self.storage = storage
        self.clock = clock
        self.next_purge = float("-inf")  # when ``open`` next forgets old rows

    def open(self, username: str, kind: str) -> str:
        """A new session or token for ``username``: its secret (never stored)."""
        lifetime, _idle = KINDS[kind]
        secret = secrets.token_urlsafe(32)
        now = self.clock()
        if now >= self.next_purge:  # now and then, forget old rows
            self.next_purge = now + PURGE_EVERY
            self.purge()
        with self.storage.cursor(commit=True) as c:
            c.execute(
                self.storage.sql(
                    "INSERT INTO {t:auth_sessions} (id, username, kind, created_at,"
                    " expires_at, last_seen) VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (session_id(secret), username, kind, now, now + lifetime, now),
            )
            # The oldest open ones beyond the limit end (docs/security.md).
            c.execute(
                self.storage.sql(
                    "UPDATE {t:auth_sessions} SET ended_at = ?, ended_why = 'limit'"
                    " WHERE id IN (SELECT id FROM {t:auth_sessions}"
                    " WHERE username = ? AND ended_at IS NULL AND expires_at > ?"
                    " ORDER BY created_at DESC, id LIMIT -1 OFFSET ?)"
                    if not self.storage.is_postgres
                    else "UPDATE {t:auth_sessions} SET ended_at = ?, ended_why = 'limit'"
                    " WHERE id IN (SELECT id FROM {t:auth_sessions}"
                    " WHERE username = ? AND ended_at IS NULL AND expires_at > ?"
                    " ORDER BY created_at DESC, id OFFSET ?)"
                ),
                (now, username, now, MAX_PER_ACCOUNT),
            )
        return secret

    def check(
        self, secret: Any, username: str | None = None, *, account: UUID | None = None
    ) -> OpenSession | None:
        """The session whose secret is ``secret`` if it is open (for ``username``,
        when given); records its use (at most once a minute). With ``account`` (the
        id of the account's aggregate), the same statement reads the newest version
        of that aggregate in the log (``OpenSession.account_version``): the sign-in
        check is one round trip when the account is cached at that version."""
        if not isinstance(secret, str) or not secret or len(secret) > 200:
            return None
        sid = session_id(secret)
        newest, params = "NULL", (sid,)
        if account is not None:
            newest = (
                "(SELECT MAX(originator_version) FROM {events} WHERE originator_id = ?)"
            )
            key = account if self.storage.is_postgres else account.hex
            params = (key, sid)
        row = self.storage.fetchone(
            "SELECT s.username, s.kind, s.expires_at, s.last_seen, s.ended_at,"
            f" c.must_change, {newest} FROM {{t:auth_sessions}} s"
            " LEFT JOIN {t:credentials} c ON c.username = s.username WHERE s.id = ?",
            params,
        )
        if row is None:
            return None
        owner, kind, expires_at, last_seen, ended_at, must_change, version = row
        now = self.clock()
        if ended_at is not None or (username is not None and owner != username):
            return None
        _lifetime, idle = KINDS.get(kind, (0, 0))
        if now >= expires_at:
            self._end(sid, "expired", now)
            return None
        if idle is not None and now - last_seen >= idle:
            self._end(sid, "idle", now)
            return None
        if now - last_seen >= TOUCH_EVERY:
            self.storage.execute(
                "UPDATE {t:auth_sessions} SET last_seen = ? WHERE id = ?", (now, sid)
            )
        return OpenSession(
            sid,
            str(owner),
            str(kind),
            bool(must_change),
            None if version is None else int(version),
        )

    def end(self, secret: Any, why: str = "logout") -> None:
        """End one session (a logout)."""
        if isinstance(secret, str) and secret:
            self._end(session_id(secret), why, self.clock())

    def end_id(self, sid: str, why: str = "logout") -> None:
        """End the session whose id (not secret) is ``sid``."""
        self._end(sid, why, self.clock())

    def end_all(self, username: str, why: str, keep: str | None = None) -> int:
        """End every open session and token of ``username`` but ``keep`` (an id)."""
        with self.storage.cursor(commit=True) as c:
            c.execute(
                self.storage.sql(
                    "UPDATE {t:auth_sessions} SET ended_at = ?, ended_why = ?"
                    " WHERE username = ? AND ended_at IS NULL AND id <> ?"
                ),
                (self.clock(), why, username, keep or ""),
            )
            return _rowcount(c)

    def end_everyone(self, why: str) -> int:
        """End every open session and token of every account."""
        with self.storage.cursor(commit=True) as c:
            c.execute(
                self.storage.sql(
                    "UPDATE {t:auth_sessions} SET ended_at = ?, ended_why = ?"
                    " WHERE ended_at IS NULL"
                ),
                (self.clock(), why),
            )
            return _rowcount(c)

    def purge(self, older_than: float = 7 * 24 * 3600) -> int:
        """Forget sessions ended or expired more than ``older_than`` seconds ago."""
        limit = self.clock() - older_than
        with self.storage.cursor(commit=True) as c:
            c.execute(
                self.storage.sql(
                    "DELETE FROM {t:auth_sessions} WHERE expires_at < ? OR ended_at < ?"
                ),
                (limit, limit),
            )
            return _rowcount(c)

    def _end(self, sid: str, why: str, now: float) -> None:
        self.storage.execute(
            "UPDATE {t:auth_sessions} SET ended_at = ?, ended_why = ?"
            " WHERE id = ? AND ended_at IS NULL",
            (now, why, sid),
        )


def _rowcount(cursor: Any) -> int:
    """Rows the last statement changed (the library wraps SQLite's cursor)."""
    raw = getattr(cursor, "sqlite_cursor", cursor)
    return max(int(raw.rowcount or 0), 0)
