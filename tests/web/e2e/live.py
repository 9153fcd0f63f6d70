"""The live server of the browser tests, its scenario clock, and Chromium's path."""

from __future__ import annotations

import os
import shutil
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# The story of the flows happens after the demo's history (its last session is on
# 2026-11-24), on days of its own, so "as of" dates and screenshots are reproducible.
STORY_START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason} (browser tests never skip under CI=true)", pytrace=False)
    pytest.skip(reason)


def chromium_path() -> str:
    """Debian's Chromium (``SDSI_CHROMIUM`` overrides the path)."""
    path = (
        os.environ.get("SDSI_CHROMIUM")
        or shutil.which("chromium")
        or "/usr/bin/chromium"
    )
    if not Path(path).exists():
        unavailable(
            f"Chromium not found at {path}: install Debian's `chromium` "
            "(listed in .ci/system-packages) or set SDSI_CHROMIUM"
        )
    return path


class ScenarioClock:
    """The time the ledger stamps on commands: the story's days, a second each."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        self._lock = threading.Lock()

    def on(self, moment: str) -> None:
        """Jump forward to ``moment`` (ISO, UTC); never backwards."""
        target = datetime.fromisoformat(moment).replace(tzinfo=UTC)
        with self._lock:
            self.current = max(self.current, target)

    def __call__(self) -> datetime:
        with self._lock:
            self.current += timedelta(seconds=1)
            return self.current


@dataclass
class LiveServer:
    """A running app over the demo municipality."""

    backend: str
    url: str
    app: Any
    ledger: Any
    clock: ScenarioClock
    # shared by the tests of one run (the cookies of those who already signed in)
    story: dict[str, Any] = field(default_factory=dict)

    @property
    def inspect(self) -> bool:
        """Whether pages are checked with axe-core and shot (the SQLite run)."""
        return self.backend == "sqlite"

    def caught_up(self, timeout: float = 180.0) -> None:
        read_model = self.app.extensions["sdsi"].read_model
        deadline = time.monotonic() + timeout
        while read_model.current_position() < read_model.head_position():
            if time.monotonic() > deadline:
                raise TimeoutError("the views did not catch up with the ledger")
            time.sleep(0.05)
