"""Messages sent through the accessibility statement's contact form (``/accessibilite``).

Anyone may write, signed in or not; the administrators read them. They are rows of a
plain table of the ledger database (schema version 7), not events: a message is no
act of the plan's governance, and it holds a member of the public's name and e-mail
address, which the municipality must be able to erase on request (GDPR) where the
ledger keeps every event for ever.

Sending is rate-limited per client with the sign-in throttle's counters
(``ledger.throttle``: Redis or the ledger database, shared by every worker): a few
messages an hour are free, then each one waits 1 s, 2 s, 4 s… up to an hour.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from ledger.storage import LedgerStorage
from ledger.throttle import Counters, Rule, spend

TABLE = "accessibility_messages"
NAME_MAX = 200
EMAIL_MAX = 254
MESSAGE_MAX = 5000
# Five messages an hour from one client, then a growing wait (capped at an hour).
CONTACT = Rule("contact", free=5, cap=3600, window=3600)


@dataclass(frozen=True)
class ContactMessage:
    id: int
    received_at: float  # seconds since the epoch (UTC)
    name: str
    email: str
    message: str
    page: str
    lang: str


def may_send(counters: Counters, client: str) -> int:
    """Whole seconds ``client`` must wait before sending (0: go on, and the message
    is counted)."""
    return spend(counters, CONTACT, client)


class ContactMessages:
    """The messages received, oldest first by id."""

    def __init__(
        self, storage: LedgerStorage, clock: Callable[[], float] = time.time
    ) -> None:
        self.storage = storage
        self.clock = clock

    def add(self, name: str, email: str, message: str, page: str, lang: str) -> None:
        """Keep one message (already checked by the form)."""
        self.storage.execute(
            f"INSERT INTO {{t:{TABLE}}} (received_at, name, email, message, page, lang)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (self.clock(), name, email, message, page, lang),
        )

    def count(self) -> int:
        row = self.storage.fetchone(f"SELECT count(*) FROM {{t:{TABLE}}}")
        return int(row[0]) if row else 0

    def newest(self, limit: int = 100, offset: int = 0) -> list[ContactMessage]:
        """The ``limit`` most recent messages after skipping ``offset``."""
        rows = self.storage.fetchall(
            "SELECT id, received_at, name, email, message, page, lang"
            f" FROM {{t:{TABLE}}} ORDER BY id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [
            ContactMessage(int(r[0]), float(r[1]), *(str(v) for v in r[2:]))
            for r in rows
        ]
