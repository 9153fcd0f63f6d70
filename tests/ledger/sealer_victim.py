"""A sealer process that stops in the middle of a batch's transaction (to be killed).

``python -m tests.ledger.sealer_victim MARKER`` with ``SDSI_*`` set: it seals in
batches of 500 and, inside the first batch's transaction, writes half of the seal rows,
creates ``MARKER`` and sleeps — the test then kills it with SIGKILL.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

from ledger.app import open_ledger
from ledger.config import Settings
from ledger.sealing import Sealer


class StallingSealer(Sealer):
    """Writes half a batch, then hangs with the transaction open."""

    def __init__(self, ledger: Any, marker: Path) -> None:
        super().__init__(ledger, page=500, every_events=200)
        self.marker = marker

    def _write(self, seals: list[Any], checkpoints: list[Any]) -> None:
        with self.store.storage.cursor(commit=True) as c:
            self.store.write(c, seals[: len(seals) // 2], checkpoints[:1])
            self.marker.write_text("half a batch written, not committed")
            time.sleep(600)


def main() -> None:
    ledger = open_ledger(Settings.from_env())
    StallingSealer(ledger, Path(sys.argv[1])).run_once()


if __name__ == "__main__":
    main()
