"""What one web process holds: the ledger, the read model, the embedded follower."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from flask import current_app

from ledger.config import Settings
from projections.service import Follower, ReadModel

log = logging.getLogger(__name__)
READ_YOUR_WRITES_TIMEOUT = 5.0


@dataclass
class WebState:
    """Per-process state, in ``app.extensions["sdsi"]``."""

    settings: Settings
    ledger: Any
    read_model: ReadModel
    follower: Follower | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def after_command(self, notification_id: int | None) -> bool:
        """Read-your-writes: wake the follower and wait until the views include it."""
        if self.follower is not None:
            self.follower.notify()
        return self.read_model.wait_for(notification_id, READ_YOUR_WRITES_TIMEOUT)

    def close(self) -> None:
        if self.follower is not None:
            self.follower.close()
        self.read_model.close()
        self.ledger.close()


def state() -> WebState:
    """The state of the running app."""
    return current_app.extensions["sdsi"]  # type: ignore[no-any-return]
