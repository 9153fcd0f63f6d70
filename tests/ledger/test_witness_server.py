"""The witness (`sdsi witness serve`) against C2SP tlog-witness / tlog-cosignature,
over HTTP on loopback: every status of add-checkpoint, byte-exact cosignatures,
split views refused, restarts that keep refusing, lost state refused at start."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from ledger.witness_state import WitnessState
from tests.conftest import _free_port
from tests.ledger.witness_helpers import (
    HandLog,
    add_checkpoint,
    new_witness,
    served,
)

ORIGIN = "ville.example/sdsi"
SIZE_TYPE = "text/x.tlog.size"


@pytest.fixture
def log() -> HandLog:
    return HandLog(ORIGIN).grow(5)


@pytest.fixture
def witness_dir(tmp_path: Path, log: HandLog) -> Path:
    new_witness(tmp_path / "w", "prefecture.example/w1", log)
    return tmp_path / "w"


def _witness_key(directory: Path) -> Ed25519PublicKey:
    key = serialization.load_pem_private_key(
        (directory / "witness.key").read_bytes(), None
    )
    assert isinstance(key, Ed25519PrivateKey)
    return key.public_key()


def check_cosignature_bytes(
    line: str, name: str, key: Ed25519PublicKey, text: str
) -> int:
    """The spec, recomputed by hand: key ID with type 0x04, u64 big-endian time,
    Ed25519 over 'cosignature/v1\\ntime T\\n' + the checkpoint text. Returns T."""
    assert line.startswith(f"— {name} ") and line.endswith("\n")
    blob = base64.b64decode(line.rstrip("\n").split(" ")[2], validate=True)
    assert len(blob) == 4 + 8 + 64
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert blob[:4] == hashlib.sha256(name.encode() + b"\n\x04" + raw).digest()[:4]
    timestamp = int.from_bytes(blob[4:12], "big")
    key.verify(
        blob[12:], f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()
    )
    return timestamp


def test_every_status_of_add_checkpoint(witness_dir: Path, log: HandLog) -> None:
    name, key = "prefecture.example/w1", _witness_key(witness_dir)
    stranger = HandLog("autre.example/log").grow(3)
    with served(witness_dir) as url:
        # 404: an origin the witness does not follow
        assert add_checkpoint(url, stranger.body(0))[0] == 404
        # 403: the right origin signed by another key; or a forged signature
        forged = HandLog(ORIGIN).grow(5)
        assert add_checkpoint(url, forged.body(0))[0] == 403
        note = log.note()
        sig = base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])
        bad = sig[:4] + bytes(64)
        tampered = note.rsplit(" ", 1)[0] + " " + base64.b64encode(bad).decode() + "\n"
        assert add_checkpoint(url, b"old 0\n\n" + tampered.encode())[0] == 403
        # 400: malformed bodies, and an old size above the checkpoint's
        for body in (
            b"",
            b"old 0\n" + log.note().encode(),  # no blank line
            b"old 05\n\n" + log.note().encode(),
            b"old x\n\n" + log.note().encode(),
            b"old 0\nnot base64!\n\n" + log.note().encode(),
            b"old 0\n" + b"AAAA\n" + b"\n" + log.note().encode(),  # not 32 bytes
            b"old 0\n"
            + b"".join([base64.b64encode(bytes(32)) + b"\n"] * 64)
            + b"\n"
            + log.note().encode(),
            b"old 9\n\n" + log.note().encode(),
            b"old 0\n\n" + log.text().encode(),  # no signature
            b"\xff\xfe",
        ):
            status, _ctype, _text = add_checkpoint(url, body)
            assert status == 400, body[:40]
        # 422: the witness holds nothing, yet a proof is given
        assert (
            add_checkpoint(
                url,
                b"old 0\n"
                + base64.b64encode(bytes(32))
                + b"\n\n"
                + log.note().encode(),
            )[0]
            == 422
        )
        # 200: the first checkpoint, from size 0
        status, ctype, text = add_checkpoint(url, log.body(0))
        assert status == 200
        assert text.count("\n") == 1
        stamp = check_cosignature_bytes(text, name, key, log.text())
        assert abs(stamp - time.time()) < 600
        # 409: the old size is not the one held (body: that size, text/x.tlog.size)
        log.grow(3)
        status, ctype, text = add_checkpoint(url, log.body(0))
        assert (status, ctype, text) == (409, SIZE_TYPE, "5\n")
        # 422: a proof that does not verify
        proof = log.proof(5)
        proof[0] = hashlib.sha256(b"wrong").digest()
        from ledger.witness_push import request_body

        assert add_checkpoint(url, request_body(5, proof, log.note()))[0] == 422
        # 200: extended with a valid proof
        status, _ctype, text = add_checkpoint(url, log.body(5))
        assert status == 200
        check_cosignature_bytes(text, name, key, log.text())
        # the same checkpoint again: cosigned again, nothing changes
        status, _ctype, text = add_checkpoint(url, log.body(8))
        assert status == 200
        check_cosignature_bytes(text, name, key, log.text())
        # 409: the same size with another root
        other = HandLog(ORIGIN, log.key).grow(8, tag="b")
        status, ctype, text = add_checkpoint(url, other.body(8))
        assert (status, ctype, text) == (409, SIZE_TYPE, "8\n")
        # other methods and paths
        with urllib.request.urlopen(url + "/") as response:
            assert response.read().decode().split("\n")[0] == name
        try:
            urllib.request.urlopen(url + "/add-checkpoint")
        except urllib.error.HTTPError as exc:
            assert exc.code == 405
    held = WitnessState.open(witness_dir).held()
    assert [(h.origin, h.tree_size) for h in held] == [(ORIGIN, 8)]


def test_signature_by_an_unknown_key_is_ignored(
    witness_dir: Path, log: HandLog
) -> None:
    """A second signature line by an unknown key does not stop the trusted one."""
    extra = Ed25519PrivateKey.generate()
    from ledger.notes import sign_note

    note = log.note()
    other = sign_note(log.text(), "someone.else", extra)
    both = note + other[other.rindex("\n\n") + 2 :]
    with served(witness_dir) as url:
        status, _ctype, text = add_checkpoint(url, b"old 0\n\n" + both.encode())
    assert status == 200
    check_cosignature_bytes(
        text, "prefecture.example/w1", _witness_key(witness_dir), log.text()
    )


def test_split_view_is_refused(tmp_path: Path, log: HandLog) -> None:
    """The log shows tree A to a witness and a fork B (same origin, same key) to it
    and to another: the first witness refuses B, each cosigns one tree only."""
    log.grow(1)  # A: 6 leaves
    fork = HandLog(ORIGIN, log.key)
    fork.leaves = log.leaves[:4]
    fork.grow(4, tag="fork")  # B: 8 leaves, the same first 4
    new_witness(tmp_path / "w1", "w1.example/w", log)
    new_witness(tmp_path / "w2", "w2.example/w", log)
    with served(tmp_path / "w1") as w1, served(tmp_path / "w2") as w2:
        assert add_checkpoint(w1, log.body(0))[0] == 200
        # B to the same witness: from 0 → 409 "6"; from 6 with B's proof → 422
        assert add_checkpoint(w1, fork.body(0))[:3] == (409, SIZE_TYPE, "6\n")
        from ledger.witness_push import request_body

        assert add_checkpoint(w1, request_body(6, fork.proof(6), fork.note()))[0] == 422
        # nor can a proof from A's own tree make B pass
        assert (
            add_checkpoint(w1, request_body(6, log.proof(4, 6), fork.note()))[0] == 422
        )
        # B to the other witness is cosigned; then A is refused there
        assert add_checkpoint(w2, fork.body(0))[0] == 200
        assert add_checkpoint(w2, log.body(0))[:3] == (409, SIZE_TYPE, "8\n")
    refusals = _refusals(tmp_path / "w1")
    assert [r[0] for r in refusals] == [422, 422]
    assert all("old 6\n" in r[1] for r in refusals)


def _refusals(directory: Path) -> list[tuple[int, str]]:
    import sqlite3

    conn = sqlite3.connect(directory / "witness.db")
    try:
        return conn.execute("SELECT status, body FROM refusals ORDER BY id").fetchall()
    finally:
        conn.close()


# --- the real command, in its own process -------------------------------------------


@contextmanager
def serving(state: Path, *extra: str) -> Iterator[str]:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "sdsi", "witness", "serve", "--state", str(state),
            "--listen", f"127.0.0.1:{port}", "--threads", "2", *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(url + "/", timeout=1).read()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    _out, err = process.communicate(timeout=5)
                    raise AssertionError(
                        f"the witness did not start: {err.decode()}"
                    ) from None
                time.sleep(0.1)
        yield url
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        for stream in (process.stdout, process.stderr):
            if stream:
                stream.close()


def _start_fails(state: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "sdsi", "witness", "serve", "--state", str(state),
         "--listen", f"127.0.0.1:{_free_port()}"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "--reset" in done.stderr
    return done.stderr


def test_restarted_witness_keeps_refusing_to_go_back(
    witness_dir: Path, log: HandLog
) -> None:
    log.grow(1)
    fork = HandLog(ORIGIN, log.key)
    fork.leaves = log.leaves[:4]
    fork.grow(4, tag="fork")
    with serving(witness_dir) as url:
        assert add_checkpoint(url, log.body(0))[0] == 200
    with serving(witness_dir) as url:  # a new process, the same state
        assert add_checkpoint(url, log.body(0, 4))[:3] == (409, SIZE_TYPE, "6\n")
        from ledger.witness_push import request_body

        smaller = request_body(6, [], log.note(4))
        assert add_checkpoint(url, smaller)[0] == 400  # old above the size

        assert (
            add_checkpoint(url, request_body(6, fork.proof(6), fork.note()))[0] == 422
        )
        status, _ctype, _text = add_checkpoint(url, log.grow(2).body(6))
        assert status == 200
    assert WitnessState.open(witness_dir).held()[0].tree_size == 8


def test_lost_state_refuses_to_start_without_reset(
    witness_dir: Path, log: HandLog, tmp_path: Path
) -> None:
    with served(witness_dir) as url:
        assert add_checkpoint(url, log.body(0))[0] == 200
        backup = tmp_path / "old.db"
        shutil.copy(witness_dir / "witness.db", backup)  # generation 1
        assert add_checkpoint(url, log.grow(3).body(5))[0] == 200  # generation 2
    assert (witness_dir / "generation").read_text().split()[1] == "2"
    # an older copy restored: it would accept a rollback to size 5
    shutil.copy(backup, witness_dir / "witness.db")
    assert "older than the 2" in _start_fails(witness_dir)
    # the store missing
    (witness_dir / "witness.db").unlink()
    assert "store witness.db is missing" in _start_fails(witness_dir)
    # the reverse: a store present, its marker gone
    shutil.copy(backup, witness_dir / "witness.db")
    marker = witness_dir / "generation"
    kept = marker.read_text()
    marker.unlink()
    assert "marker generation is missing" in _start_fails(witness_dir)
    # another witness's store
    marker.write_text(kept)
    (witness_dir / "witness.db").unlink()
    other = tmp_path / "other"
    new_witness(other, "other.example/w", log)
    shutil.copy(other / "witness.db", witness_dir / "witness.db")
    assert "not the one the marker records" in _start_fails(witness_dir)
    # --reset: starts from nothing, keeps the old store aside, cosigns anew
    with serving(witness_dir, "--reset") as url:
        status, _ctype, _text = add_checkpoint(url, log.body(0))
        assert status == 200
    assert list(witness_dir.glob("witness.db.lost-*"))
    with serving(witness_dir) as url:  # and restarts normally afterwards
        assert add_checkpoint(url, log.body(0))[:3] == (409, SIZE_TYPE, "8\n")


def test_init_refuses_a_second_witness_in_the_same_directory(
    witness_dir: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "sdsi", "witness", "init", "--state", str(witness_dir),
         "--name", "again.example/w"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2
    assert "already holds a witness key" in done.stderr
