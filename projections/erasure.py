"""Erasure of a person's name and e-mail, end to end (``docs/privacy.md``): the ledger
command (``Account.Erased`` + the key destroyed, one transaction), the views brought
past that event (the accounts view drops the plain text in the transaction that
records it), the past views cached by every process of the ledger deleted, then the freed pages of
the ledger's and the views' files compacted."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from typing import Any

from ledger.erasure import secure_delete

# The view tables that held a person's name or e-mail (the audit trail never keeps
# them: ``projections.views.audit.rendering.PERSONAL``).
PERSONAL_VIEW_TABLES = ("accounts",)


@dataclass
class ErasureReport:
    """What an erasure did, for the command line and the API."""

    username: str
    notification_id: int | None
    legacy_plaintext_events: int
    compacted: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "position": self.notification_id,
            "legacy_plaintext_events": self.legacy_plaintext_events,
            "compacted": self.compacted,
        }


def erase_person(
    ledger: Any, read_model: Any, caller: Any, login: str, *, catch_up: bool
) -> ErasureReport:
    """Erase ``login``'s personal data (domain errors refuse it, writing nothing).
    ``catch_up``: project the views here (the command line); otherwise wait for the
    follower (the web)."""
    from projections.projector import OutOfOrder

    result = ledger.erase_user(caller, login)
    report = ErasureReport(
        result["username"],
        result.notification_id,
        int(result["legacy_plaintext_events"]),
    )
    if result.replayed:  # the same idempotency key again: nothing more to do
        return report
    if catch_up:
        with contextlib.suppress(OutOfOrder):
            read_model.projector().catch_up()
        current = True
    else:
        current = read_model.wait_for(result.notification_id, timeout=10.0)
    report.compacted = after_erasure(ledger, read_model, views_current=current)
    return report


def after_erasure(ledger: Any, read_model: Any, *, views_current: bool) -> list[str]:
    """Once ``Account.Erased`` is recorded: this process's cached past views
    dropped, and the freed pages of the views and the ledger compacted (the views
    only if they already include the event). What was done, per line."""
    from projections.service import purge_past_views

    read_model.forget_past_views()
    purged = purge_past_views(ledger.settings)
    if views_current:
        done = [read_model.store.compact(PERSONAL_VIEW_TABLES)]
    else:
        done = [
            "vues en retard : relancer `sdsi users compact` quand elles sont à jour"
        ]
    if purged:
        done.append(f"vues passées en cache supprimées : {purged} fichier(s)")
    return done + secure_delete(ledger)
