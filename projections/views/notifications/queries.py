"""Reading the notifications view: a person's inbox (their own rows and the changes of
the proposals they follow, since they followed them), unread counts, and the rows a
dispatch of e-mails has not seen yet.

Follows and read marks are operational data of the ledger database
(``ledger.notifications``): the caller passes them in — ``follows`` as
``(proposal, since_position)`` pairs, read marks as a position below which everything is
read and the positions read above it.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from typing import Any

from projections.records import Store, fetch, names, scalar
from projections.views.notifications.tables import NotificationRow

Follows = Sequence[tuple[str, int]]
_COLUMNS = ", ".join(names(NotificationRow))


def _inbox(login: str, follows: Follows) -> tuple[str, list[Any]]:
    """The SQL of ``login``'s rows (the NotificationRow columns), and its parameters.

    A followed proposal's change is shown unless the person made it, or a rule
    already addressed them the same event."""
    sql = (
        "SELECT position, kind, subject, title, link, detail, actor, at"
        " FROM {notifications} WHERE recipient = ?"
    )
    params: list[Any] = [login]
    if follows:
        which = " OR ".join("(c.proposal = ? AND c.position > ?)" for _ in follows)
        sql += (
            " UNION ALL SELECT c.position, 'follow', c.proposal, c.title, c.link,"
            " c.detail, c.actor, c.at FROM {proposal_changes} c"
            f" WHERE ({which}) AND c.actor <> ? AND NOT EXISTS (SELECT 1"
            " FROM {notifications} n WHERE n.recipient = ? AND n.position = c.position)"
        )
        for proposal, since in follows:
            params += [proposal, since]
        params += [login, login]
    return sql, params


def _filtered(
    login: str,
    follows: Follows,
    *,
    after: int = 0,
    unread: tuple[int, Collection[int]] | None = None,
    kinds: Collection[str] | None = None,
    before_at: str | None = None,
) -> tuple[str, list[Any]]:
    inner, params = _inbox(login, follows)
    where = ["position > ?"]
    params.append(after)
    if unread is not None:
        seen, read = unread
        where.append("position > ?")
        params.append(seen)
        if read:
            where.append(f"position NOT IN ({', '.join('?' * len(read))})")
            params += sorted(read)
    if kinds is not None:
        if not kinds:
            where.append("1 = 0")
        else:
            where.append(f"kind IN ({', '.join('?' * len(kinds))})")
            params += sorted(kinds)
    if before_at is not None:
        where.append("at < ?")
        params.append(before_at)
    sql = f"SELECT {_COLUMNS} FROM ({inner}) inbox WHERE {' AND '.join(where)}"
    return sql, params


def inbox(
    store: Store,
    login: str,
    follows: Follows = (),
    *,
    limit: int = 50,
    offset: int = 0,
    unread: tuple[int, Collection[int]] | None = None,
) -> tuple[list[NotificationRow], int]:
    """A page of ``login``'s notifications, newest first, and how many there are
    (``unread``: only those not read, given the read marks)."""
    sql, params = _filtered(login, follows, unread=unread)
    total = scalar(store, f"SELECT count(*) FROM ({sql}) counted", params)
    rows = fetch(
        store,
        NotificationRow,
        f"{sql} ORDER BY position DESC LIMIT ? OFFSET ?",
        [*params, limit, offset],
    )
    return rows, int(total or 0)


def unread_count(
    store: Store, login: str, follows: Follows, seen: int, read: Collection[int]
) -> int:
    """How many of ``login``'s notifications are not read."""
    sql, params = _filtered(login, follows, unread=(seen, read))
    return int(scalar(store, f"SELECT count(*) FROM ({sql}) counted", params) or 0)


def among(
    store: Store, login: str, follows: Follows, positions: Collection[int]
) -> set[int]:
    """Which of ``positions`` are notifications of ``login`` (what may be marked read)."""
    if not positions:
        return set()
    sql, params = _filtered(login, follows)
    marks = ", ".join("?" * len(positions))
    rows = store.fetchall(
        f"SELECT position FROM ({sql}) mine WHERE position IN ({marks})",
        [*params, *sorted(positions)],
    )
    return {int(p) for (p,) in rows}


def newest_position(store: Store, login: str, follows: Follows) -> int:
    """The position of ``login``'s newest notification (0: none)."""
    sql, params = _filtered(login, follows)
    return int(scalar(store, f"SELECT max(position) FROM ({sql}) mine", params) or 0)


def pending(
    store: Store,
    login: str,
    follows: Follows,
    *,
    after: int,
    kinds: Collection[str],
    before_at: str | None = None,
) -> list[NotificationRow]:
    """``login``'s notifications of ``kinds`` after position ``after`` (and created
    before ``before_at``), oldest first: what a digest reports."""
    sql, params = _filtered(
        login, follows, after=after, kinds=kinds, before_at=before_at
    )
    return fetch(store, NotificationRow, f"{sql} ORDER BY position", params)


def addressed(store: Store, after: int, upto: int) -> list[tuple[str, NotificationRow]]:
    """Every (recipient, notification) a rule addressed in positions (after, upto]."""
    rows = store.fetchall(
        f"SELECT recipient, {_COLUMNS} FROM {{notifications}}"
        " WHERE position > ? AND position <= ? ORDER BY position, recipient",
        (after, upto),
    )
    return [(str(r[0]), NotificationRow(*r[1:])) for r in rows]


def changes(store: Store, after: int, upto: int) -> list[NotificationRow]:
    """Every change of a proposal in positions (after, upto] (kind ``follow``)."""
    return fetch(
        store,
        NotificationRow,
        "SELECT position, 'follow' AS kind, proposal AS subject, title, link, detail,"
        " actor, at FROM {proposal_changes} WHERE position > ? AND position <= ?"
        " ORDER BY position",
        (after, upto),
    )


def recipients_at(store: Store, position: int) -> set[str]:
    """Who a rule addressed the event at ``position``."""
    rows = store.fetchall(
        "SELECT recipient FROM {notifications} WHERE position = ?", (position,)
    )
    return {str(r[0]) for r in rows}


def head(store: Store) -> int:
    """The position the views stand at."""
    value = scalar(
        store, "SELECT position FROM {tracking} WHERE view = ?", ("portfolio",)
    )
    return int(value or 0)


def accounts(store: Store, logins: Collection[str]) -> dict[str, tuple[str, str, bool]]:
    """E-mail address, display name and whether active, of each of ``logins``."""
    if not logins:
        return {}
    marks = ", ".join("?" * len(logins))
    rows = store.fetchall(
        f"SELECT username, doc FROM {{accounts}} WHERE username IN ({marks})",
        sorted(logins),
    )
    out = {}
    for username, doc in rows:
        d = json.loads(doc)
        out[str(username)] = (
            str(d.get("email") or ""),
            str(d.get("display_name") or username),
            bool(d.get("active", True)),
        )
    return out
