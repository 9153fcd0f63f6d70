"""Notifications: one row per (recipient, event) a rule addresses to someone, one row
per change of a proposal (its followers are read at query time, from the ledger's
operational table of follows), and the role holders the rules address."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ledger.notifications import KINDS  # the kinds, in the preferences' order
from projections.table import Table
from projections.table import table as T

# One row per (recipient login, notification): ``kind`` names the rule (KINDS),
# ``subject`` what it is about (a proposal or session code, an envelope's year/section),
# ``link`` the page to open, ``detail`` what happened (an outcome, an event's name).
NOTIFICATIONS = T(
    "notifications",
    "append",
    ("recipient", "position"),
    "recipient position:int kind subject title link detail actor at",
    (("position",),),
)
# Every change of a proposal, for those who follow it (``kind`` "follow").
PROPOSAL_CHANGES = T(
    "proposal_changes",
    "append",
    ("position",),
    "position:int proposal title link detail actor at",
    (("proposal",),),
)
# Who holds which role (grant labels such as ``dsi`` or ``referent:DSN``), and who is
# disabled: one document, the rules' address book as it stood at each event.
NOTIFY_STATE = T("notify_state", "doc", ("id",), "id doc")

TABLES: tuple[Table, ...] = (NOTIFICATIONS, PROPOSAL_CHANGES, NOTIFY_STATE)

__all__ = ["KINDS", "TABLES", "NotificationRow"]


@dataclass(frozen=True, slots=True)
class NotificationRow:
    """One notification of one recipient (a direct one, or a followed proposal's change)."""

    position: int
    kind: str
    subject: str
    title: str
    link: str
    detail: str
    actor: str
    at: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.position,
            "position": self.position,
            "kind": self.kind,
            "subject": self.subject,
            "title": self.title,
            "link": self.link,
            "detail": self.detail,
            "actor": self.actor,
            "created_at": self.at,
        }
