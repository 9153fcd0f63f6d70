"""Small read-side helpers for the CLI, answered from the event log itself.

Pages and the API never call these: they read the projections.
"""

from __future__ import annotations

from typing import Any

from eventsourcing.utils import get_topic

from domain.accounts import Account, grant_label
from domain.personal import ERASED
from ledger.core import LedgerCore

ACCOUNT_TOPICS = [
    get_topic(cls)
    for cls in (
        Account.Registered,
        Account.RoleGranted,
        Account.RoleRevoked,
        Account.Disabled,
        Account.Enabled,
        Account.PasswordChanged,
        Account.PasswordReset,
        Account.DirectoryLinked,
        Account.EmailChanged,
        Account.Erased,
    )
]


def iter_events(
    ledger: LedgerCore, topics: list[str] | None = None, page: int = 1000
) -> Any:
    """Every event (of ``topics``) in log order, with its notification id."""
    start = 0
    while True:
        batch = ledger.recorder.select_notifications(
            start=start, limit=page, topics=topics or (), inclusive_of_start=False
        )
        for n in batch:
            yield n.id, ledger.mapper.to_domain_event(n)
        if len(batch) < page:
            return
        start = batch[-1].id


def account_history(ledger: LedgerCore) -> list[dict[str, Any]]:
    """Accounts with current roles and the history of every change to them."""
    accounts: dict[str, dict[str, Any]] = {}
    by_id: dict[Any, str] = {}
    for _nid, ev in iter_events(ledger, ACCOUNT_TOPICS):
        ctx = ev.context
        if isinstance(ev, Account.Registered):
            by_id[ev.originator_id] = ev.username
            accounts[ev.username] = {
                "username": ev.username,
                "display_name": ev.display_name.shown,
                "roles": [],
                "active": True,
                "history": [],
            }
        acc = accounts[by_id[ev.originator_id]]
        change = type(ev).__name__
        if isinstance(ev, Account.RoleGranted):
            acc["roles"].append(grant_label(ev.role, ev.scope))
            change = f"+{grant_label(ev.role, ev.scope)}"
        elif isinstance(ev, Account.RoleRevoked):
            acc["roles"].remove(grant_label(ev.role, ev.scope))
            change = f"-{grant_label(ev.role, ev.scope)}"
        elif isinstance(ev, Account.Disabled):
            acc["active"] = False
        elif isinstance(ev, Account.Enabled):
            acc["active"] = True
        elif isinstance(ev, Account.Erased):
            acc["active"] = False
            acc["display_name"] = ERASED
        acc["history"].append(
            {
                "at": ev.timestamp.isoformat(),
                "change": change,
                "actor": ctx.actor,
                "reason": ctx.reason,
            }
        )
    return sorted(accounts.values(), key=lambda a: a["username"])
