"""The signed-in person's notifications, for the pages and the API alike: their inbox
(the notifications view, with the proposals they follow), what they have read, their
preferences and follows (the ledger's operational tables, ``ledger.notifications``).

Always the live views: an inbox is about now, never as of a past date."""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from domain.errors import InvalidValue, NotFound
from ledger.notifications import MAX_POSITIONS, NotificationSettings
from projections import access_queries
from projections.paging import Page
from projections.views.notifications import queries as nq
from web.access import allowed
from web.state import state


def settings() -> NotificationSettings:
    return NotificationSettings(state().ledger.storage)


def _views() -> Any:
    return state().read_model.store


def readable(ledger: Any, store: Any) -> Callable[[str, str], bool]:
    """Whether ``login`` may read ``proposal`` now (its grants, the proposal's
    direction): a follow tells only while the proposal is within reach, e.g. not
    after a referent moved to another direction."""
    grants: dict[str, list[str]] = {}

    def may(login: str, proposal: str) -> bool:
        if login not in grants:
            account = ledger.account(login)
            active = account is not None and account.active
            grants[login] = list(account.grants) if active else []
        direction = access_queries.proposal_direction(store, proposal)
        return direction is not None and allowed(
            grants[login], "proposal.view", direction
        )

    return may


def _follows(login: str) -> list[tuple[str, int]]:
    """The proposals ``login`` follows and may still read."""
    may = readable(state().ledger, _views())
    return [(p, since) for p, since in settings().follows(login) if may(login, p)]


def marks(login: str) -> tuple[Any, ...]:
    """What the person's pages show from outside the views (read marks, follows):
    part of the response cache's key."""
    prefs = settings()
    seen, read = prefs.read_marks(login)
    return seen, tuple(sorted(read)), tuple(_follows(login))


def unread(login: str) -> int:
    """How many of ``login``'s notifications are not read."""
    prefs = settings()
    seen, read = prefs.read_marks(login)
    return nq.unread_count(_views(), login, _follows(login), seen, read)


def inbox(login: str, page: Page, *, unread_only: bool = False) -> dict[str, Any]:
    """A page of ``login``'s notifications, newest first, each saying if it is read."""
    prefs = settings()
    seen, read = prefs.read_marks(login)
    rows, total = nq.inbox(
        _views(),
        login,
        _follows(login),
        limit=page.size,
        offset=page.offset,
        unread=(seen, read) if unread_only else None,
    )
    return {
        "notifications": [
            {**r.as_dict(), "read": r.position <= seen or r.position in read}
            for r in rows
        ],
        "total": total,
        "unread": nq.unread_count(_views(), login, _follows(login), seen, read),
    }


def mark_read(login: str, ids: Collection[int]) -> None:
    """Mark these notifications of ``login`` read; an id that is not one of theirs is
    refused (404), nothing marked."""
    wanted = set(ids)
    if len(wanted) > MAX_POSITIONS:
        raise InvalidValue("ids", len(wanted), f"{MAX_POSITIONS} au plus")
    prefs = settings()
    mine = nq.among(_views(), login, _follows(login), wanted)
    missing = sorted(wanted - mine)
    if missing:
        raise NotFound(kind="Notification", id=", ".join(map(str, missing[:10])))
    prefs.mark_read(login, mine)


def mark_all_read(login: str) -> None:
    """Every notification of ``login`` shown so far is read."""
    prefs = settings()
    prefs.mark_all_read(login, nq.newest_position(_views(), login, _follows(login)))


def follow(login: str, proposal: str) -> bool:
    """Follow ``proposal`` from now on (the views' position)."""
    return settings().follow(login, proposal, nq.head(_views()))


def unfollow(login: str, proposal: str) -> bool:
    return settings().unfollow(login, proposal)


def following(login: str, proposal: str) -> bool:
    return settings().is_following(login, proposal)
