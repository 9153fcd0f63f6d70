"""Replays against lagging views: a moment is resolved to a position from the log
itself, so "as of" a date or a position gives the same answer whether the live views
stand at 0, half way or at the head (right after `sdsi demo --no-serve` they stood at
0 and `sdsi replay --as-of 2100-01-01` answered "position 0", no rows)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from ledger.app import open_ledger
from projections import queries as q
from projections.service import ReadModel, init_views
from tests.conftest import make_settings
from tests.projections.test_generated import advance, setup

START = datetime(2025, 7, 2, 8, 0, tzinfo=UTC)  # after the facts the steps record
STEP = timedelta(minutes=5)


def _world(url: str, tmp: Path) -> tuple[Any, Any]:
    """A ledger whose k-th event is stamped START + k × STEP; views not followed."""
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg, create=True)
    moment = [START]

    def clock() -> datetime:
        moment[0] += STEP
        return moment[0]

    led.clock = clock
    init_views(cfg, led)
    setup(led)
    for n in range(40):
        advance(led, n % 4, n % 10)
    return led, cfg


def _answers(rm: ReadModel, head: int) -> dict[str, Any]:
    """Positions and views designated by dates and positions across the log."""
    out: dict[str, Any] = {}
    times = [q.audit_trail(rm.at(f"position:{head}"), limit=head)["events"]]
    stamps = {e["position"]: e["at"] for e in times[0]}
    for p in (0, 1, head // 3, head // 2, head - 1, head):
        out[f"position:{p}"] = (p, q.dump(rm.at(f"position:{p}")))
    for p in (1, head // 3, head // 2, head):
        at = stamps[p]  # the instant the p-th event was recorded
        out[at] = (rm.position_of(at), q.dump(rm.at(at)))
        assert out[at][0] >= p
    for when in ("2000-01-01T00:00:00Z", "2100-01-01"):
        out[when] = (rm.position_of(when), q.dump(rm.at(when)))
    return out


def test_as_of_by_date_and_position_is_the_same_with_views_at_0_half_and_head(
    database_url: str, tmp_path: Path
) -> None:
    led, cfg = _world(database_url, tmp_path)
    try:
        rm = ReadModel(led, cfg)
        head = led.head()
        assert rm.current_position() == 0
        at_zero = _answers(rm, head)
        assert at_zero["2100-01-01"][0] == head
        assert at_zero["2000-01-01T00:00:00Z"][0] == 0
        assert at_zero["2100-01-01"][1]["proposals"], "as of after the log: every row"
        rm.projector().catch_up(stop_position=head // 2)
        assert rm.current_position() == head // 2
        half = _answers(ReadModel(led, cfg), head)
        rm.projector().catch_up()
        assert rm.current_position() == head
        full = _answers(ReadModel(led, cfg), head)
        assert at_zero == half == full
        rm.close()
    finally:
        led.close()


def test_replay_command_resolves_dates_from_the_log_when_views_are_behind(
    database_url: str, tmp_path: Path
) -> None:
    led, _cfg = _world(database_url, tmp_path)
    head = led.head()
    led.close()
    env = {
        **os.environ,
        "SDSI_DATA_DIR": str(tmp_path / "data"),
        "SDSI_DATABASE_URL": database_url,
    }
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "sdsi",
            "replay",
            "--as-of",
            "2100-01-01",
            "--format",
            "json",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert answer.returncode == 0, answer.stderr
    replayed = json.loads(answer.stdout)
    assert replayed["position"] == head
    assert sorted(r["code"] for r in replayed["rows"]) == ["P0", "P1", "P2", "P3"]
    beyond = subprocess.run(
        [sys.executable, "-m", "sdsi", "replay", "--as-of", f"position:{head + 1}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert beyond.returncode == 2
    assert f"position au-delà de la dernière ({head})" in beyond.stderr
