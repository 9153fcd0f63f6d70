"""Stopping a long-running command with SIGTERM or SIGINT ends everything it started,
gracefully: a request in flight is answered, no process is left, no port held.
(`sdsi serve` used to start gunicorn as a child: stopped, it left gunicorn serving.)"""

from __future__ import annotations

import contextlib
import json
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.faults.harness import (
    SDSI,
    Process,
    env_for,
    follow,
    prepare,
    request,
    serve,
    wait_healthy,
)
from tests.pgcluster import free_port


def _descendants(pid: int) -> list[int]:
    out = subprocess.run(
        ["pgrep", "-P", str(pid)], capture_output=True, text=True, check=False
    )
    children = [int(p) for p in out.stdout.split()]
    return children + [d for c in children for d in _descendants(c)]


def _gone(pids: list[int], timeout: float = 40) -> list[int]:
    deadline = time.monotonic() + timeout
    left = pids
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = [p for p in left if Path(f"/proc/{p}").exists()]
    # a zombie is gone as far as the system is concerned
    return [
        p
        for p in left
        if Path(f"/proc/{p}/stat").exists()
        and Path(f"/proc/{p}/stat").read_text().split()[2] != "Z"
    ]


def _port_free(port: int) -> bool:
    """Whether a new server could listen on ``port`` (as gunicorn binds: reusing an
    address whose old connections linger in TIME_WAIT, but not one still listened on)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_serve_finishes_the_request_in_flight_then_leaves_nothing(
    sig: signal.Signals, tmp_path: Path, database_url: str
) -> None:
    data = tmp_path / "data"
    prepare(data, database_url)
    follower = follow(data, database_url) if "postgresql" in database_url else None
    server, base = serve(data, database_url, workers=2)
    port = int(base.rsplit(":", 1)[1])
    family = [server.pid, *_descendants(server.pid)]
    assert len(family) == 3  # the master (this very process) and two workers
    credentials = {"username": "admin", "password": "admin-password-1"}
    deadline = (
        time.monotonic() + 30
    )  # the views hold the account (PostgreSQL: followed)
    while request(base, "/api/v1/auth/token", credentials)[0] != 200:
        assert time.monotonic() < deadline, "the administrator cannot sign in"
        time.sleep(0.2)
    # a request in flight: its headers and half its body sent, the rest after the
    # signal — the worker is reading it when the signal comes
    body = json.dumps(credentials).encode()
    conn = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.sendall(
        b"POST /api/v1/auth/token HTTP/1.1\r\nHost: localhost\r\n"
        b"Content-Type: application/json\r\nConnection: close\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
        + body[:10]
    )
    time.sleep(0.5)
    server.proc.send_signal(sig)  # type: ignore[union-attr]
    time.sleep(0.5)
    conn.sendall(body[10:])
    answer = b""
    while chunk := conn.recv(65536):
        answer += chunk
    conn.close()
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    assert b'"token"' in answer
    assert server.proc.wait(40) == 0  # type: ignore[union-attr]
    assert _gone(family) == []
    assert _port_free(port)
    assert "Shutting down: Master" in server.output()
    if follower is not None:
        assert follower.terminate() == 0


def test_follow_stops_on_sigterm_and_sigint(tmp_path: Path, database_url: str) -> None:
    data = tmp_path / "data"
    prepare(data, database_url)
    for sig in (signal.SIGTERM, signal.SIGINT):
        follower = follow(data, database_url, f"follow-{sig.name}")
        deadline = time.monotonic() + 30
        while "following" not in follower.output():
            assert time.monotonic() < deadline, follower.output()
            time.sleep(0.1)
        family = [follower.pid, *_descendants(follower.pid)]
        follower.proc.send_signal(sig)  # type: ignore[union-attr]
        assert follower.proc.wait(30) == 0, follower.output()  # type: ignore[union-attr]
        assert _gone(family) == []


def test_demo_stops_on_sigterm_leaving_nothing(tmp_path: Path) -> None:
    port = free_port()
    url = f"sqlite:///{tmp_path}/demo.db"
    demo = Process(
        ["demo", "--port", str(port)],
        env_for(tmp_path / "data", url),
        tmp_path / "demo.log",
    ).start()
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, demo, timeout=300)
    assert "sign in first as admin.sdsi" in demo.output()
    family = [demo.pid, *_descendants(demo.pid)]
    demo.proc.send_signal(signal.SIGTERM)  # type: ignore[union-attr]
    assert demo.proc.wait(40) == 0, demo.output()[-2000:]  # type: ignore[union-attr]
    assert _gone(family) == []
    assert _port_free(port)


def test_an_interrupted_demo_load_is_reported_not_taken_for_loaded(
    tmp_path: Path,
) -> None:
    """`sdsi demo` stopped half way used to leave "demo already loaded: nothing
    changed" for ever, listing accounts that might not exist."""
    import sqlite3

    db = tmp_path / "demo.db"
    env = env_for(tmp_path / "data", f"sqlite:///{db}")
    demo = Process(["demo", "--no-serve"], env, tmp_path / "demo.log").start()
    deadline = time.monotonic() + 120
    count = 0
    while count < 1500:
        assert demo.alive(), demo.output()[-2000:]
        assert time.monotonic() < deadline, "the demo did not load"
        time.sleep(0.2)
        with (
            contextlib.suppress(sqlite3.Error),
            contextlib.closing(sqlite3.connect(db, timeout=1)) as conn,
        ):
            count = conn.execute("SELECT count(*) FROM stored_events").fetchone()[0]
    demo.kill()  # SIGKILL, mid-load
    again = subprocess.run(
        [SDSI, "demo", "--no-serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2, again.stdout + again.stderr
    assert "no complete demo" in again.stderr
    assert "demo already loaded" not in again.stdout
