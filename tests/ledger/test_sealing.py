"""Sealing: every event exactly once, in log order; checkpoints when due."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent

import ledger.sealing as sealing
from ledger.keys import ensure_signing_key
from ledger.leaf import leaf_hash_of
from ledger.log import read_log
from ledger.merkle import CompactRange, verify_consistency
from ledger.notes import (
    Checkpoint,
    NoteVerifier,
    open_note,
    sign_note,
    trusted_verifiers,
)
from ledger.sealing import Sealer, SealingError
from ledger.sealstore import SealStore
from ledger.verify import verify_ledger
from tests.conftest import ADMIN
from tests.ledger.integrity_helpers import (
    ROOT,
    Tamperer,
    bulk_accounts,
    cli_env,
    insert_session_closed,
)

PASSWORD = "secret-password-1"


@pytest.fixture
def ledger(ledger: Any, settings: Any) -> Any:
    """The suite's ledger, with the signing key `sdsi init` would have made."""
    ensure_signing_key(settings)
    return ledger


def assert_sealed_exactly_once(ledger: Any) -> int:
    """Seal rows = the log: positions 1..N, same notification ids, recomputed leaves."""
    store = SealStore(ledger.storage)
    seals = list(store.iter_seals())
    entries = [e for batch in read_log(ledger.recorder) for e in batch]
    assert [s.position for s in seals] == list(range(1, len(entries) + 1))
    assert [s.notification_id for s in seals] == [e.notification_id for e in entries]
    for seal, entry in zip(seals, entries, strict=True):
        n = entry.notification
        leaf = leaf_hash_of(
            entry.position, n.originator_id, n.originator_version, n.topic, n.state
        )
        assert seal.leaf == leaf, entry.position
    report = verify_ledger(ledger)
    assert report.ok, report.lines()
    assert report.sealed == len(entries)
    return len(entries)


def test_every_event_is_sealed_once_in_log_order(ledger: Any) -> None:
    ledger.add_user(ADMIN, "alice", "Alice", PASSWORD, roles=[("dsi", None)])
    sealer = Sealer(ledger)
    assert sealer.run_once() == 4
    assert sealer.run_once() == 0
    ledger.reset_password(ADMIN, "alice", "other-password-2")
    assert Sealer(ledger).run_once() == 1  # a second sealer resumes from the seal table
    assert sealer.run_once() == 0  # and the first one notices
    assert assert_sealed_exactly_once(ledger) == 5


def test_checkpoints_come_every_n_events_and_when_a_session_closes(ledger: Any) -> None:
    bulk_accounts(ledger, 9)  # positions 3..11
    insert_session_closed(ledger)  # position 12
    bulk_accounts(ledger, 3, prefix="later")  # 13..15
    sealer = Sealer(ledger, every_events=5, every_seconds=10**6, page=4)
    assert sealer.run_once() == 15
    store = SealStore(ledger.storage)
    rows = store.checkpoints()
    assert [(r.seq, r.tree_size, r.reason) for r in rows] == [
        (1, 5, "every-events"),
        (2, 10, "every-events"),
        (3, 12, "session-closed"),
    ]
    verifiers = trusted_verifiers(ledger.settings)
    leaves = [s.leaf for s in store.iter_seals()]
    for previous, row in zip([None, *rows], rows, strict=False):
        signed = Checkpoint.parse(open_note(row.note, verifiers))
        compact = CompactRange()
        compact.extend(leaves[: row.tree_size])
        assert (signed.origin, signed.tree_size, signed.root) == (
            ledger.settings.ledger_origin,
            row.tree_size,
            compact.root(),
        )
        assert (
            CompactRange.from_bytes(row.tree_size, row.frontier).root() == signed.root
        )
        if previous is not None:
            assert verify_consistency(
                previous.tree_size,
                row.tree_size,
                previous.root,
                row.root,
                row.consistency_proof,
            )
    assert sealer.checkpoint_now().tree_size == 15
    assert sealer.checkpoint_now().seq == 4  # nothing new: no second checkpoint


def test_a_checkpoint_is_signed_when_the_configured_time_has_passed(
    ledger: Any,
) -> None:
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    sealer = Sealer(ledger, every_events=1000, every_seconds=3600, clock=lambda: now[0])
    sealer.checkpoint_now()  # size 2, at 12:00
    bulk_accounts(ledger, 2)
    now[0] += timedelta(minutes=59)
    sealer.run_once()
    assert sealer.latest_checkpoint.tree_size == 2
    now[0] += timedelta(minutes=2)
    sealer.run_once()
    latest = sealer.latest_checkpoint
    assert (latest.tree_size, latest.reason, latest.issued_at) == (
        4,
        "every-seconds",
        "2026-03-01T13:01:00+00:00",
    )


def test_sealing_refuses_to_extend_a_checkpoint_signed_by_another_key(
    ledger: Any, backend: str, settings: Any, request: pytest.FixtureRequest
) -> None:
    Sealer(ledger).checkpoint_now()
    bulk_accounts(ledger, 2)
    forger = Sealer(ledger, signing_key=Ed25519PrivateKey.generate())
    with pytest.raises(SealingError, match="does not match the trusted public key"):
        forger.checkpoint_now()
    stranger = Sealer(
        ledger,
        verifiers=[
            NoteVerifier(
                settings.ledger_origin, Ed25519PrivateKey.generate().public_key()
            )
        ],
    )
    with pytest.raises(SealingError, match=r"#1 .*signed by an unknown key"):
        stranger.run_once()
    server = request.getfixturevalue("pg_server_url") if backend == "postgres" else None
    row = SealStore(ledger.storage).latest_checkpoint()
    other = Ed25519PrivateKey.generate()
    forged_note = sign_note(
        Checkpoint(settings.ledger_origin, row.tree_size, row.root).text(),
        settings.ledger_origin,
        other,
    )
    Tamperer(backend, settings, server).replace_checkpoints(
        row.tree_size, [type(row)(**{**row.__dict__, "note": forged_note})]
    )
    with pytest.raises(SealingError, match="refusing to extend checkpoint #1"):
        Sealer(ledger).run_once()


def test_sealing_stops_at_an_unreadable_event_and_names_it(ledger: Any) -> None:
    ledger.recorder.insert_events(
        [StoredEvent(uuid4(), 1, "domain.x:Y", b"\xff not json")]
    )
    with pytest.raises(SealingError, match=r"position 3 .*not JSON"):
        Sealer(ledger).run_once()
    assert SealStore(ledger.storage).head()[0] == 2  # the events before it are sealed


def test_sealing_keeps_up_with_8_concurrent_writers(ledger: Any) -> None:
    stop = threading.Event()
    sealers = [Sealer(ledger, every_events=25, page=7) for _ in range(2)]
    errors: list[BaseException] = []

    def follow(sealer: Sealer) -> None:
        try:
            sealer.follow(stop, poll_interval=0.005)
        except BaseException as exc:
            errors.append(exc)

    def write(worker: int) -> None:
        try:
            for i in range(12):
                ledger.add_user(
                    ADMIN,
                    f"w{worker}u{i}",
                    "Writer",
                    PASSWORD,
                    roles=[("evaluator", None)],
                )
        except BaseException as exc:
            errors.append(exc)

    followers = [threading.Thread(target=follow, args=(s,)) for s in sealers]
    writers = [threading.Thread(target=write, args=(w,)) for w in range(8)]
    for t in followers + writers:
        t.start()
    for t in writers:
        t.join()
    time.sleep(0.2)
    stop.set()
    for t in followers:
        t.join()
    assert errors == []
    Sealer(ledger).run_once()
    assert assert_sealed_exactly_once(ledger) == 2 + 8 * 12 * 2


def test_a_sealer_killed_mid_batch_resumes_with_the_same_seals(
    ledger: Any, settings: Any, database_url: str, tmp_path: Path
) -> None:
    bulk_accounts(ledger, 1200)
    marker = tmp_path / "marker"
    env = {**os.environ, **cli_env(settings, database_url)}
    victim = subprocess.Popen(
        [sys.executable, "-m", "tests.ledger.sealer_victim", str(marker)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert victim.poll() is None, victim.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(victim.pid, signal.SIGKILL)
    finally:
        victim.wait(timeout=30)
    assert victim.returncode == -signal.SIGKILL
    store = SealStore(ledger.storage)
    assert store.head() == (0, 0) and store.latest_checkpoint() is None
    sealer = Sealer(ledger, every_events=200)
    assert sealer.run_once() == 1202
    assert assert_sealed_exactly_once(ledger) == 1202
    assert [r.tree_size for r in store.checkpoints()] == [
        200,
        400,
        600,
        800,
        1000,
        1200,
    ]


def test_a_following_sealer_killed_at_any_time_resumes(
    ledger: Any, settings: Any, database_url: str
) -> None:
    bulk_accounts(ledger, 3000)
    env = {
        **os.environ,
        **cli_env(settings, database_url),
        "SDSI_CHECKPOINT_EVERY_EVENTS": "300",
    }
    follower = subprocess.Popen(
        [sys.executable, "-m", "sdsi", "seal", "--follow"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    store = SealStore(ledger.storage)
    deadline = time.monotonic() + 60
    while store.head()[0] < 1000 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.kill(follower.pid, signal.SIGKILL)
    follower.wait(timeout=30)
    assert 1000 <= store.head()[0] < 3002
    Sealer(ledger, every_events=300).run_once()
    assert assert_sealed_exactly_once(ledger) == 3002
    sizes = [r.tree_size for r in store.checkpoints()]
    assert sizes == list(range(300, 3001, 300))


def test_a_checkpoint_inconsistent_with_the_previous_one_is_never_signed(
    ledger: Any,
    backend: str,
    settings: Any,
    request: pytest.FixtureRequest,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sealer = Sealer(ledger)
    first = sealer.checkpoint_now()
    bulk_accounts(ledger, 3)
    # A stored compact range that does not match its signed root: refused on load.
    server = request.getfixturevalue("pg_server_url") if backend == "postgres" else None
    forged = type(first)(**{**first.__dict__, "frontier": bytes(32)})
    Tamperer(backend, settings, server).replace_checkpoints(first.tree_size, [forged])
    with pytest.raises(SealingError, match="differ from the signed root"):
        Sealer(ledger).run_once()
    Tamperer(backend, settings, server).replace_checkpoints(first.tree_size, [first])
    # A proof that does not link the new root to the previous one: refused on signing.
    monkeypatch.setattr(sealing, "consistency_proof_from", lambda old, new: [bytes(32)])
    with pytest.raises(
        SealingError, match="would not be consistent with checkpoint #1"
    ):
        Sealer(ledger).checkpoint_now()
    monkeypatch.undo()
    assert SealStore(ledger.storage).last_checkpoint_seq() == 1
    assert Sealer(ledger).checkpoint_now().seq == 2
