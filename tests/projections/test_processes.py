"""Several processes, one database: `sdsi serve` with four workers (each following the
views on SQLite; `sdsi projections follow` twice on PostgreSQL), API clients writing
concurrently on shared records, and a writer in another process. Afterwards the views
the processes followed equal a fresh rebuild, and hold every concurrent write."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from ledger.app import open_ledger
from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.service import ReadModel
from projections.store import SQLiteViewStore
from tests.conftest import make_settings
from tests.pgcluster import free_port
from tests.projections.test_generated import CRITERIA, DSI, REF, content, setup

EVALUATORS = [f"ev{i}" for i in range(1, 6)]
PROPOSALS = ["P0", "P1", "P2"]
SDSI = str(Path(sys.executable).with_name("sdsi"))


def _env(tmp: Path, url: str) -> dict[str, str]:
    return {
        **os.environ,
        "SDSI_DATA_DIR": str(tmp / "data"),
        "SDSI_DATABASE_URL": url,
        "SDSI_PASSWORD_HASHING": "fast",
        "SDSI_PAGE_CACHE_MB": "0",
    }


def _prepare(tmp: Path, url: str) -> None:
    """`sdsi init`, then a small municipality (chair, dsi, fin, ev1…ev5, m1, m2, ref;
    plan, grid v1, budget) and three qualified proposals."""
    subprocess.run(
        [SDSI, "init", "--admin-password", "admin-password-1"],
        env=_env(tmp, url),
        check=True,
        capture_output=True,
    )
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg)
    try:
        setup(led, bootstrap=False)
        admin = Caller("admin", reason="tests")
        for name in EVALUATORS[2:]:
            led.add_user(
                admin,
                name,
                name.upper(),
                f"password-{name}-1",
                roles=[("evaluator", None)],
            )
        for i, code in enumerate(PROPOSALS):
            led.draft_proposal(REF, code, "D", content(i, 20000 + 1000 * i))
            led.submit_proposal(REF, code)
            led.qualify_proposal(
                DSI, code, {"workloads": [{"team": "T", "year": 2025, "days": 5}]}
            )
    finally:
        led.close()


def _post(
    base: str,
    path: str,
    body: dict[str, Any],
    token: str | None = None,
    key: str | None = None,
) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
            **({"Idempotency-Key": key} if key else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def _token(base: str, login: str) -> str:
    status, body = _post(
        base,
        "/api/v1/auth/token",
        {"username": login, "password": f"password-{login}-1"},
    )
    assert status == 200, body
    return str(body["token"])


def _wait_healthy(
    base: str, proc: subprocess.Popen[bytes], timeout: float = 60
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"the server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(base + "/api/v1/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("the server did not answer")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
    # whatever the process started goes with it
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


WRITER = textwrap.dedent(
    """
    import sys
    from ledger.app import open_ledger
    from ledger.config import Settings
    from ledger.core import Caller
    led = open_ledger(Settings.from_env())
    try:
        for n in range(12):
            led.amend_proposal(Caller("ref", reason=f"mise à jour {n}"), "P2", {
                "title": f"Projet P2 v{n}", "description": "…", "components": [],
                "axes": [{"axis": "A", "indicator": None, "expected_effect": "+"}],
                "costs": [{"year": 2025, "section": "investissement",
                           "amount": f"{30000 + n}.00"}],
                "workloads": [{"team": "T", "year": 2025, "days": 5}],
                "dependencies": [], "mandatory": False, "legal_basis": "", "risks": []})
    finally:
        led.close()
    """
)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_serve_with_four_workers_and_other_writers_keeps_views_equal_to_a_rebuild(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    url = (
        f"sqlite:///{tmp_path}/ledger.db"
        if backend == "sqlite"
        # seven processes share the CI's PostgreSQL (max_connections 100) with the
        # other xdist worker: small pools, or "too many clients" fails a writer
        else str(request.getfixturevalue("pg_schema_url"))
        + "&pool_size=2&max_overflow=2"
    )
    _prepare(tmp_path, url)
    env = _env(tmp_path, url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    procs = [
        subprocess.Popen(
            [SDSI, "serve", "--workers", "4", "--bind", f"127.0.0.1:{port}"],
            env=env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=(tmp_path / "serve.log").open("wb"),
        )
    ]
    if backend == "postgres":  # web workers don't follow there: two followers elect one
        procs += [
            subprocess.Popen(
                [SDSI, "projections", "follow", "--no-seal"],
                env=env,
                start_new_session=True,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(2)
        ]
    try:
        _wait_healthy(base, procs[0])
        tokens = {login: _token(base, login) for login in EVALUATORS}
        statuses: list[Any] = []

        def evaluate(login: str) -> None:
            # every evaluator scores the same two proposals, then changes P0's scores
            for n, code in enumerate([*PROPOSALS[:2], PROPOSALS[0]]):
                level = 1 + (EVALUATORS.index(login) + n) % 3
                status, body = _post(
                    base,
                    f"/api/v1/proposals/{code}/scores",
                    {
                        "revision": 1,
                        "grid_version": 1,
                        "scores": {
                            c["code"]: {
                                "level": min(level, len(c["scale"])),
                                "justification": f"avis de {login}",
                            }
                            for c in CRITERIA
                        },
                    },
                    tokens[login],
                    key=f"{login}-{code}-{n}",
                )
                statuses.append(status if status == 201 else (status, body))

        writer = subprocess.Popen([sys.executable, "-c", WRITER], env=env)
        threads = [threading.Thread(target=evaluate, args=(e,)) for e in EVALUATORS]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert writer.wait(120) == 0
        assert statuses == [201] * 15

        cfg = make_settings(tmp_path / "data", url)
        led = open_ledger(cfg)
        rm = ReadModel(led, cfg)
        try:
            deadline = time.monotonic() + 60
            while rm.current_position() < rm.head_position():
                assert time.monotonic() < deadline, "the followers did not catch up"
                time.sleep(0.1)
            followed = q.dump(rm.store)
            for code in PROPOSALS[:2]:
                doc = q.proposal(rm.store, code)
                current = {h["evaluator"] for h in doc["score_history"] if h["current"]}
                assert current == set(EVALUATORS)
            p2 = q.proposal(rm.store, "P2")
            assert p2["content"]["title"] == "Projet P2 v11"
            assert p2["revision"] == 13
            fresh = SQLiteViewStore(tmp_path / "fresh.db")
            rebuild = Projector(led, fresh, batch_size=5000)
            rebuild.ensure_tables()
            rebuild.rebuild()
            assert followed == q.dump(fresh)
            fresh.close()
        finally:
            rm.close()
            led.close()
    finally:
        for proc in procs:
            _stop(proc)
