"""What every reference record shares: closing instead of deleting, and the reason a
change of reference data states.

A record of the reference data (pôle, direction, team, axis, indicator) is never
deleted: it is *closed*. A closed record keeps its history and everything that already
refers to it (a closed direction keeps its proposals, a closed team its reservations),
but receives nothing new — no new child, no new reference, no new value — and is no
longer renamed. Creating a record may state a reason; renaming, closing, moving and
changing a value already set must (``changed``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.base import current_context
from domain.errors import ReasonRequired, RecordClosed


def reason_for(action: str) -> str:
    """The running command's reason, required for ``action`` (a judgement)."""
    reason = current_context().reason
    if not reason:
        raise ReasonRequired(action)
    return reason


def check_open(
    closed_at: datetime | None, kind: str, label: str, action: str, field: Any = None
) -> None:
    """Refuse ``action`` on a closed record, naming it and the day it was closed."""
    if closed_at is not None:
        raise RecordClosed(
            field=field,
            kind=kind,
            id=label,
            action=action,
            closed_on=closed_at.date().isoformat(),
        )
