"""What one web process holds: the ledger, the read model, the embedded follower."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ledger.config import Settings
from ledger.outage import is_outage, views_unavailable
from projections.service import Follower, ReadModel

log = logging.getLogger(__name__)
READ_YOUR_WRITES_TIMEOUT = 5.0
LAGGING_PROBE = 0.05  # how long a command waits for views known to be lagging


@dataclass
class WebState:
    """Per-process state, in ``app.extensions["sdsi"]``."""

    settings: Settings
    ledger: Any
    read_model: ReadModel
    follower: Follower | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    views_lagging: bool = False

    def after_command(self, notification_id: int | None) -> bool:
        """Read-your-writes: wake the follower and wait until the views include it.

        When the views did not follow last time (the follower is down or far behind),
        commands answer at once — with the position they wrote, the views flagged as
        catching up — rather than each waiting the full timeout; the first command
        that finds the views caught up again restores the wait."""
        if self.follower is not None:
            self.follower.notify()
        timeout = LAGGING_PROBE if self.views_lagging else READ_YOUR_WRITES_TIMEOUT
        try:
            updated = self.read_model.wait_for(notification_id, timeout)
        except Exception as exc:
            if not (is_outage(exc) or views_unavailable(exc)):
                raise
            updated = False  # the command landed; only the views cannot be read
        self.views_lagging = not updated
        return updated

    def close(self) -> None:
        if self.follower is not None:
            self.follower.close()
        self.read_model.close()
        self.ledger.close()


def state() -> WebState:
    """The state of the running app."""
    return current_app.extensions["sdsi"]  # type: ignore[no-any-return]
