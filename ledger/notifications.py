"""Each person's notification settings and reading: delivery per kind of notification
(in the application only, by e-mail at once, or in a daily digest), the proposals they
follow, what they have read; and where the e-mail dispatch stands.

Plain tables of the ledger database (schema version 9), not events: a person's
settings and reading are no act of the plan's governance. The notifications themselves
are a view computed from the events (``projections.views.notifications``).

Read marks are a position below which everything is read (``mark all read``) and the
positions read one by one above it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from domain.errors import InvalidValue
from ledger.storage import LedgerStorage

# The kinds of notification (the rules of projections.views.notifications).
KINDS = (
    "qualify",
    "score",
    "vote",
    "decision",
    "grid",
    "override",
    "follow",
    "answer",
)
DELIVERIES = ("app", "immediate", "digest")
DEFAULT_DELIVERY = "app"
MAX_POSITIONS = 500  # positions marked read in one request


class NotificationSettings:
    """Preferences, follows, read marks and dispatch cursors, in the ledger database."""

    def __init__(self, storage: LedgerStorage) -> None:
        self.storage = storage

    # --- preferences -------------------------------------------------------------------

    def preferences(self, login: str) -> dict[str, str]:
        """The delivery of every kind for ``login`` (``app`` unless chosen)."""
        rows = self.storage.fetchall(
            "SELECT kind, delivery FROM {t:notification_preferences} WHERE login = ?",
            (login,),
        )
        chosen = {str(k): str(d) for k, d in rows}
        return {kind: chosen.get(kind, DEFAULT_DELIVERY) for kind in KINDS}

    def set_preferences(self, login: str, choices: Mapping[str, Any]) -> dict[str, str]:
        """Record the deliveries given (kinds not given keep theirs); all or nothing."""
        for kind, delivery in choices.items():
            if kind not in KINDS:
                raise InvalidValue(kind, kind, "type de notification inconnu")
            if delivery not in DELIVERIES:
                raise InvalidValue(kind, delivery, "attendu : app, immediate ou digest")
        with self.storage.cursor(commit=True) as cur:
            for kind, delivery in sorted(choices.items()):
                cur.execute(
                    self.storage.sql(
                        "INSERT INTO {t:notification_preferences} (login, kind,"
                        " delivery) VALUES (?, ?, ?) ON CONFLICT (login, kind)"
                        " DO UPDATE SET delivery = EXCLUDED.delivery"
                    ),
                    (login, kind, delivery),
                )
        return self.preferences(login)

    def choosing(self, delivery: str) -> dict[str, set[str]]:
        """Who chose ``delivery`` for which kinds."""
        rows = self.storage.fetchall(
            "SELECT login, kind FROM {t:notification_preferences} WHERE delivery = ?",
            (delivery,),
        )
        out: dict[str, set[str]] = {}
        for login, kind in rows:
            out.setdefault(str(login), set()).add(str(kind))
        return out

    # --- follows -------------------------------------------------------------------------

    def follows(self, login: str) -> list[tuple[str, int]]:
        """The proposals ``login`` follows, with the position they followed it at."""
        rows = self.storage.fetchall(
            "SELECT proposal, since_position FROM {t:notification_follows}"
            " WHERE login = ? ORDER BY proposal",
            (login,),
        )
        return [(str(p), int(s)) for p, s in rows]

    def followers(self, proposals: Collection[str]) -> dict[str, list[tuple[str, int]]]:
        """For each of ``proposals``, who follows it and since which position."""
        if not proposals:
            return {}
        marks = ", ".join("?" * len(proposals))
        rows = self.storage.fetchall(
            "SELECT proposal, login, since_position FROM {t:notification_follows}"
            f" WHERE proposal IN ({marks}) ORDER BY proposal, login",
            sorted(proposals),
        )
        out: dict[str, list[tuple[str, int]]] = {}
        for proposal, login, since in rows:
            out.setdefault(str(proposal), []).append((str(login), int(since)))
        return out

    def follow(self, login: str, proposal: str, since: int) -> bool:
        """Follow ``proposal`` from position ``since`` on (False: already followed)."""
        before = self.is_following(login, proposal)
        self.storage.execute(
            "INSERT INTO {t:notification_follows} (login, proposal, since_position)"
            " VALUES (?, ?, ?) ON CONFLICT (login, proposal) DO NOTHING",
            (login, proposal, since),
        )
        return not before

    def unfollow(self, login: str, proposal: str) -> bool:
        """Stop following (False: was not followed)."""
        before = self.is_following(login, proposal)
        self.storage.execute(
            "DELETE FROM {t:notification_follows} WHERE login = ? AND proposal = ?",
            (login, proposal),
        )
        return before

    def is_following(self, login: str, proposal: str) -> bool:
        return (
            self.storage.fetchone(
                "SELECT 1 FROM {t:notification_follows} WHERE login = ?"
                " AND proposal = ?",
                (login, proposal),
            )
            is not None
        )

    # --- read marks ------------------------------------------------------------------------

    def read_marks(self, login: str) -> tuple[int, set[int]]:
        """The position up to which all is read, and the positions read above it."""
        row = self.storage.fetchone(
            "SELECT position FROM {t:notification_seen} WHERE login = ?", (login,)
        )
        seen = int(row[0]) if row else 0
        rows = self.storage.fetchall(
            "SELECT position FROM {t:notification_reads} WHERE login = ?"
            " AND position > ?",
            (login, seen),
        )
        return seen, {int(p) for (p,) in rows}

    def mark_read(self, login: str, positions: Collection[int]) -> None:
        """Mark these notifications read (the caller checked they are ``login``'s)."""
        with self.storage.cursor(commit=True) as cur:
            for position in sorted(set(positions)):
                cur.execute(
                    self.storage.sql(
                        "INSERT INTO {t:notification_reads} (login, position)"
                        " VALUES (?, ?) ON CONFLICT (login, position) DO NOTHING"
                    ),
                    (login, position),
                )

    def mark_all_read(self, login: str, upto: int) -> None:
        """Everything up to position ``upto`` is read (never moves back)."""
        with self.storage.cursor(commit=True) as cur:
            cur.execute(
                self.storage.sql(
                    "INSERT INTO {t:notification_seen} (login, position) VALUES (?, ?)"
                    " ON CONFLICT (login) DO UPDATE SET position = EXCLUDED.position"
                    " WHERE EXCLUDED.position > {t:notification_seen}.position"
                ),
                (login, upto),
            )
            cur.execute(
                self.storage.sql(
                    "DELETE FROM {t:notification_reads} WHERE login = ?"
                    " AND position <= ?"
                ),
                (login, upto),
            )

    # --- dispatch --------------------------------------------------------------------------

    def dispatch_position(self) -> int:
        """The last position whose notifications were handed to the outbox."""
        row = self.storage.fetchone(
            "SELECT position FROM {t:notification_dispatch} WHERE name = ?", ("mail",)
        )
        return int(row[0]) if row else 0

    def advance_dispatch(self, old: int, new: int) -> bool:
        """Move the dispatch from ``old`` to ``new``, unless another did (False)."""
        with self.storage.cursor(commit=True) as cur:
            cur.execute(
                self.storage.sql(
                    "UPDATE {t:notification_dispatch} SET position = ?"
                    " WHERE name = ? AND position = ? RETURNING name"
                ),
                (new, "mail", old),
            )
            return len(cur.fetchall()) == 1

    def digest_state(self, login: str) -> tuple[str, int]:
        """The date of ``login``'s last digest ('' if none) and the position it reached."""
        row = self.storage.fetchone(
            "SELECT last_date, position FROM {t:notification_digests} WHERE login = ?",
            (login,),
        )
        return (str(row[0]), int(row[1])) if row else ("", 0)

    def record_digest(self, login: str, day: str, position: int) -> None:
        """``login``'s digest of ``day`` is queued; it reported up to ``position``."""
        self.storage.execute(
            "INSERT INTO {t:notification_digests} (login, last_date, position)"
            " VALUES (?, ?, ?) ON CONFLICT (login) DO UPDATE SET"
            " last_date = EXCLUDED.last_date, position = EXCLUDED.position"
            " WHERE {t:notification_digests}.last_date < EXCLUDED.last_date",
            (login, day, position),
        )

    def start_at(self, position: int) -> None:
        """Start the dispatch at ``position`` (what is before is never mailed)."""
        self.storage.execute(
            "UPDATE {t:notification_dispatch} SET position = ? WHERE name = ?"
            " AND position < ?",
            (position, "mail", position),
        )
