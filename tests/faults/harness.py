"""What the fault-injection tests share: real `sdsi` processes, clients that retry with
the same idempotency key, and the checks after the storm.

Each client sends commands, each with its own idempotency key, and retries the same
request (same key) on a 503, a dropped connection or a timeout until it gets an answer
that is not an outage; the first 2xx acknowledges the command. Afterwards:

- every acknowledged command is stored, and nothing else (drafts: one proposal per
  acknowledged code; amendments: one revision per acknowledged key);
- no 500, no refusal of a command that had landed (a retry must be ``replayed``);
- 503 only while the database was down, or shortly after it came back;
- the views caught up on their own and equal a fresh rebuild; `sdsi verify` passes.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger.app import open_ledger
from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.service import ReadModel
from projections.store import SQLiteViewStore
from tests.conftest import make_settings
from tests.pgcluster import free_port
from tests.projections.test_generated import content, setup

SDSI = str(Path(sys.executable).with_name("sdsi"))
SHARED = ("S0", "S1", "S2")  # proposals every client amends (conflicts, retries)


def env_for(data_dir: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SDSI_DATA_DIR": str(data_dir),
        "SDSI_DATABASE_URL": url,
        "SDSI_PASSWORD_HASHING": "fast",
        "SDSI_PAGE_CACHE_MB": "0",
        "PYTHONUNBUFFERED": "1",
    }


def prepare(data_dir: Path, url: str) -> None:
    """`sdsi init`, the small world of the generated tests, three shared proposals."""
    subprocess.run(
        [SDSI, "init", "--admin-password", "admin-password-1"],
        env=env_for(data_dir, url),
        check=True,
        capture_output=True,
        timeout=120,
    )
    led = open_ledger(make_settings(data_dir, url))
    try:
        setup(led, bootstrap=False)
        for i, code in enumerate(SHARED):
            led.draft_proposal(Caller("ref"), code, "D", content(i, 10000))
    finally:
        led.close()


@dataclass
class Process:
    """A real `sdsi …` process in its own process group, logging to a file."""

    args: list[str]
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Process:
        self.proc = subprocess.Popen(
            [SDSI, *self.args],
            env=self.env,
            start_new_session=True,
            stdout=self.log.open("ab"),
            stderr=subprocess.STDOUT,
        )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def children(self) -> list[int]:
        out = subprocess.run(
            ["pgrep", "-P", str(self.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in out.stdout.split()]

    def terminate(self, timeout: float = 40) -> int | None:
        """SIGTERM, then wait; the return code (None if it had to be killed)."""
        if self.proc is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return None

    def kill(self) -> None:
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(10)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def serve(data_dir: Path, url: str, workers: int = 3) -> tuple[Process, str]:
    port = free_port()
    process = Process(
        ["serve", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"],
        env_for(data_dir, url),
        data_dir.parent / f"serve-{port}.log",
    ).start()
    base = f"http://127.0.0.1:{port}"
    wait_healthy(base, process)
    return process, base


def follow(data_dir: Path, url: str, name: str = "follow") -> Process:
    return Process(
        ["projections", "follow", "--poll", "0.2"],
        env_for(data_dir, url),
        data_dir.parent / f"{name}.log",
    ).start()


def wait_healthy(base: str, process: Process, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise AssertionError(f"the server exited:\n{process.output()[-3000:]}")
        with (
            contextlib.suppress(OSError),
            urllib.request.urlopen(base + "/api/v1/health", timeout=2),
        ):
            return
        time.sleep(0.2)
    raise AssertionError("the server did not answer")


def request(
    base: str,
    path: str,
    body: dict[str, Any] | None,
    token: str | None = None,
    key: str | None = None,
    timeout: float = 30,
) -> tuple[int, dict[str, Any]]:
    """(status, JSON body); status 0 when no HTTP answer came (refused, reset, timeout)."""
    req = urllib.request.Request(
        base + path,
        data=None if body is None else json.dumps(body).encode(),
        method="GET" if body is None else "POST",
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **({"Idempotency-Key": key} if key else {}),
        },
    )
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        raw = exc.read()
        try:
            return exc.code, json.loads(raw or b"{}")
        except ValueError:
            return exc.code, {"raw": raw[:300].decode(errors="replace")}
    except (OSError, ValueError):
        return 0, {}


@dataclass
class Outcome:
    """What the clients saw."""

    acknowledged: dict[str, tuple[str, str]] = field(
        default_factory=dict
    )  # key → (kind, code)
    statuses: list[tuple[float, int, str]] = field(
        default_factory=list
    )  # (t, status, key)
    refused: list[tuple[str, int, dict[str, Any]]] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def count(self, status: int) -> int:
        return sum(1 for _t, s, _k in self.statuses if s == status)


class Clients:
    """``n`` clients sending drafts and amendments until stopped, retrying by key."""

    def __init__(self, base: str, n: int = 8, retry_for: float = 90) -> None:
        self.base = base
        self.n = n
        self.retry_for = retry_for
        self.stop = threading.Event()
        self.outcome = Outcome()
        self._threads: list[threading.Thread] = []
        self._tokens: dict[str, str] = {}

    def token(self, login: str, password: str) -> str:
        deadline = time.monotonic() + self.retry_for
        while time.monotonic() < deadline:
            status, body = request(
                self.base,
                "/api/v1/auth/token",
                {"username": login, "password": password},
            )
            if status == 200:
                return str(body["token"])
            time.sleep(0.5)
        raise AssertionError(f"no token for {login}")

    def start(self) -> Clients:
        ref = self.token("ref", "password-ref-1")
        for i in range(self.n):
            t = threading.Thread(target=self._run, args=(i, ref), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _run(self, i: int, token: str) -> None:
        rng = random.Random(i)
        n = 0
        while not self.stop.is_set():
            n += 1
            key = f"c{i}-{n}"
            if rng.random() < 0.7:
                code = f"F{i}-{n}"
                kind, path = "draft", "/api/v1/proposals"
                body = {"code": code, "direction": "D", **content(n, 10000 + n)}
            else:
                code = rng.choice(SHARED)
                kind, path = "amend", f"/api/v1/proposals/{code}/amend"
                body = {**content(n, 20000 + n), "reason": f"révision {key}"}
            self._send(key, kind, code, path, body, token)

    def _send(
        self,
        key: str,
        kind: str,
        code: str,
        path: str,
        body: dict[str, Any],
        token: str,
    ) -> None:
        deadline = time.monotonic() + self.retry_for
        while time.monotonic() < deadline:
            sent = time.monotonic()
            status, answer = request(self.base, path, body, token, key)
            with self.outcome.lock:
                self.outcome.statuses.append((sent, status, key))
            if status in (200, 201):
                with self.outcome.lock:
                    self.outcome.acknowledged[key] = (kind, code)
                return
            if status in (0, 503):
                time.sleep(0.3)
                continue
            with self.outcome.lock:
                self.outcome.refused.append((key, status, answer))
            return
        with self.outcome.lock:
            self.outcome.unanswered.append(key)

    def finish(self) -> Outcome:
        self.stop.set()
        for t in self._threads:
            t.join(self.retry_for + 60)
        return self.outcome


def check_stored(data_dir: Path, url: str, outcome: Outcome) -> dict[str, int]:
    """Acknowledged == stored, 0 duplicates; the views equal a rebuild; figures."""
    from domain.proposals import Proposal

    cfg = make_settings(data_dir, url)
    led = open_ledger(cfg)
    try:
        drafts = {c for k, c in outcome.acknowledged.values() if k == "draft"}
        amends: dict[str, int] = {}
        for kind, code in outcome.acknowledged.values():
            if kind == "amend":
                amends[code] = amends.get(code, 0) + 1
        logged = _all_codes(led)
        assert len(logged) == len(set(logged)), "a proposal drafted twice"
        stored = set(logged) - set(SHARED)
        assert drafts <= stored, f"acknowledged, not stored: {sorted(drafts - stored)}"
        assert stored <= drafts, (
            f"stored, never acknowledged: {sorted(stored - drafts)}"
        )
        for code in SHARED:
            proposal = led.load(Proposal, Proposal.id_for(code))
            assert proposal is not None
            assert proposal.revision == 1 + amends.get(code, 0), (
                f"{code}: revision {proposal.revision}, "
                f"{amends.get(code, 0)} amendments acknowledged"
            )
        rm = ReadModel(led, cfg)
        try:
            rm.projector().catch_up()  # whatever the stopped followers left (if any)
            fresh = SQLiteViewStore(data_dir.parent / "fresh-views.db")
            rebuild = Projector(led, fresh, batch_size=5000)
            rebuild.ensure_tables()
            rebuild.rebuild()
            try:
                assert q.dump(rm.store) == q.dump(fresh)
            finally:
                fresh.close()
        finally:
            rm.close()
        return {
            "drafts": len(drafts),
            "amends": sum(amends.values()),
            "events": led.head(),
        }
    finally:
        led.close()


def wait_caught_up(data_dir: Path, url: str, timeout: float = 90) -> None:
    """Until the views (followed by the running processes) reach the head of the log."""
    cfg = make_settings(data_dir, url)
    led = open_ledger(cfg)
    rm = ReadModel(led, cfg)
    try:
        deadline = time.monotonic() + timeout
        while rm.current_position() < rm.head_position():
            assert time.monotonic() < deadline, (
                "the views did not catch up on their own"
            )
            time.sleep(0.2)
    finally:
        rm.close()
        led.close()


def _all_codes(led: Any) -> list[str]:
    """The codes of every proposal in the log (from the events, not the views)."""
    from domain.proposals import Proposal

    codes = []
    for batch in _log(led):
        for n in batch:
            event = led.mapper.to_domain_event(n)
            if isinstance(event, Proposal.Drafted):
                codes.append(event.code)
    return codes


def _log(led: Any) -> Any:
    start = 0
    while True:
        page = led.recorder.select_notifications(
            start=start, limit=1000, inclusive_of_start=False
        )
        if not page:
            return
        yield page
        start = page[-1].id


def verify(data_dir: Path, url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [SDSI, "verify"],
        env=env_for(data_dir, url),
        capture_output=True,
        text=True,
        timeout=300,
    )
