"""A follower process killed with SIGKILL at any moment loses and duplicates nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ledger.app import open_ledger
from projections import queries as q
from projections.projector import Projector
from projections.service import ReadModel
from projections.store import SQLiteViewStore
from tests.conftest import make_settings
from tests.demo_template import demo_copy


def _demo(request: Any, backend: str, tmp_path: Path, stage: str) -> tuple[Any, Any]:
    """A copy of the demo (tests/demo_template.py), closed after the test."""
    url = demo_copy(request, backend, tmp_path / "demo", stage)
    settings = make_settings(tmp_path / "demo" / "data", url)
    ledger = open_ledger(settings)
    request.addfinalizer(ledger.close)
    return ledger, settings


def test_follower_killed_mid_batch_repeatedly_then_restarted_equals_a_rebuild(
    request: Any, backend: str, tmp_path: Path
) -> None:
    ledger, settings = _demo(request, backend, tmp_path, "raw")
    env = {
        **os.environ,
        "SDSI_DATA_DIR": str(settings.data_dir),
        "SDSI_DATABASE_URL": _url(settings),
        "SDSI_PASSWORD_HASHING": "fast",
    }
    rm = ReadModel(ledger, settings)
    rng = random.Random(7)
    head = rm.head_position()
    positions = []
    for i in range(5):
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sdsi",
                "projections",
                "follow",
                "--no-seal",
                "--batch-size",
                "40",
                "--poll",
                "0.05",
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        target = head * (i + 1) // 7 + rng.randrange(40)
        deadline = time.monotonic() + 60
        while rm.current_position() < target and time.monotonic() < deadline:
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)  # most likely in the middle of the next batch
        proc.wait()
        positions.append(rm.current_position())
    assert positions == sorted(positions)
    assert 0 < positions[0] < rm.head_position(), (
        "killed before the end: the test must kill mid-stream"
    )
    done = subprocess.run(
        [sys.executable, "-m", "sdsi", "projections", "follow", "--once", "--no-seal"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert rm.current_position() == rm.head_position()

    fresh = SQLiteViewStore(tmp_path / "fresh.db")
    projector = Projector(ledger, fresh)
    projector.ensure_tables()
    projector.rebuild()
    assert q.dump(rm.store) == q.dump(fresh)
    fresh.close()
    rm.close()


def _url(settings) -> str:  # type: ignore[no-untyped-def]
    db = settings.database
    if db.is_postgres:
        return (
            f"postgresql://{db.user}@{db.host}:{db.port}/{db.dbname}?schema={db.schema}"
        )
    return f"sqlite:///{db.sqlite_path}"


def test_a_rebuild_killed_midway_is_completed_by_a_follower_with_its_indexes(
    request: Any, backend: str, tmp_path: Path
) -> None:
    """``sdsi projections rebuild`` killed with SIGKILL between two batches: the
    views stand at a consistent position, a follower completes them, and they equal
    a rebuild — their secondary indexes (created at a rebuild's end) included."""
    ledger, settings = _demo(request, backend, tmp_path, "projected")
    env = {
        **os.environ,
        "SDSI_DATA_DIR": str(settings.data_dir),
        "SDSI_DATABASE_URL": _url(settings),
        "SDSI_PASSWORD_HASHING": "fast",
    }
    rm = ReadModel(ledger, settings)
    rm.projector().catch_up()
    indexes = _indexes(rm.store)
    head = rm.head_position()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sdsi", "projections", "rebuild", "--batch-size", "40"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    # the rebuild starts from 0: wait until it is on its way again, then kill it
    deadline = time.monotonic() + 60
    while not (0 < _position(rm) < head // 2) and time.monotonic() < deadline:
        time.sleep(0.001)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < rm.current_position() < head, "the test must kill mid-rebuild"
    done = subprocess.run(
        [sys.executable, "-m", "sdsi", "projections", "follow", "--once", "--no-seal"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert rm.current_position() == head

    fresh = SQLiteViewStore(tmp_path / "fresh.db")
    projector = Projector(ledger, fresh)
    projector.ensure_tables()
    projector.rebuild()
    assert q.dump(rm.store) == q.dump(fresh)
    assert _indexes(rm.store) == indexes
    fresh.close()
    rm.close()


def _position(rm: ReadModel) -> int:
    """Where the views stand; -1 while a rebuild has them dropped (the web answers
    503 then, ``tests/web/test_read_your_writes.py``)."""
    try:
        return rm.current_position()
    except Exception:  # no such table / relation does not exist, on either backend
        return -1


def _indexes(store) -> set[str]:  # type: ignore[no-untyped-def]
    if isinstance(store, SQLiteViewStore):
        sql = "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        return {name for (name,) in store.fetchall(sql)}
    schema = store.prefix.split(".")[0].strip('"')
    rows = store.fetchall(
        "SELECT indexname FROM pg_indexes WHERE schemaname = ?"
        " AND indexname NOT LIKE '%%_pkey'",
        (schema,),
    )
    return {name for (name,) in rows}
