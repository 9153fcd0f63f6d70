"""PostgreSQL crashed under load (`pg_ctl -m immediate`, twice), processes killed with
SIGKILL at random moments: no acknowledged command lost, none stored twice, no 500,
503 only while the database is away and for at most ``RECOVERY_SECONDS`` after it is
back, the follower back on its own, views equal to a rebuild, `sdsi verify` passes.

Runs against a throw-away cluster the test starts itself (never the shared server),
with `sdsi serve` (three workers) and `sdsi projections follow` as real processes."""

from __future__ import annotations

import os
import random
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from tests.faults.harness import (
    Clients,
    check_stored,
    follow,
    prepare,
    request,
    serve,
    verify,
    wait_caught_up,
)
from tests.pgcluster import Cluster, start_cluster
from tests.projections.test_generated import content

# A request sent this long after the database accepts connections again must not get
# 503: the pools' idle check replaces every dead connection at the first one found,
# and they reconnect at most a second apart (ledger/outage.py).
RECOVERY_SECONDS = 2.0
DOWN_SECONDS = 3.0


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    try:
        running = start_cluster()
    except RuntimeError as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{exc} (fault tests never skip under CI=true)")
        pytest.skip(str(exc))
    try:
        yield running
    finally:
        running.destroy()


def _url(cluster: Cluster) -> str:
    with psycopg.connect(cluster.url, autocommit=True) as conn:
        conn.execute("CREATE DATABASE sdsi")
    return cluster.url.rsplit("/", 1)[0] + "/sdsi"


def test_two_database_crashes_under_load_lose_and_duplicate_nothing(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = _url(cluster)
    data = tmp_path / "data"
    prepare(data, url)
    follower = follow(data, url)
    server, base = serve(data, url)
    clients = Clients(base).start()
    outages: list[tuple[float, float]] = []
    try:
        for _ in range(2):
            time.sleep(4)
            down = time.monotonic()
            cluster.crash()
            time.sleep(DOWN_SECONDS)
            cluster.start()
            cluster.wait_up()
            outages.append((down, time.monotonic()))
        time.sleep(4)
        outcome = clients.finish()
        wait_caught_up(data, url)  # the follower came back on its own
        assert follower.alive(), follower.output()[-3000:]
        assert server.alive(), server.output()[-3000:]
        assert "database unavailable" in follower.output()
        assert "database back after" in follower.output()
    finally:
        clients.stop.set()
        server.terminate()
        follower.terminate()

    assert outcome.count(500) == 0, [s for s in outcome.statuses if s[1] == 500][:5]
    assert not outcome.refused, outcome.refused[:5]
    assert not outcome.unanswered, outcome.unanswered[:5]
    late = [
        round(t - max(back for _down, back in outages if back <= t), 1)
        for t, status, _key in outcome.statuses
        if status == 503
        and not any(down <= t <= back + RECOVERY_SECONDS for down, back in outages)
    ]
    assert late == [], f"503 to requests sent {late} s after the database was back"
    figures = check_stored(data, url, outcome)
    assert figures["drafts"] > 20 and figures["amends"] > 5, figures
    recovered = [
        max(
            (t for t, s, _k in outcome.statuses if s == 503 and down <= t), default=back
        )
        - back
        for down, back in outages
    ]
    print(  # the figures of the closing note: pytest -s tests/faults
        f"\nfaults: {figures['drafts']} drafts + {figures['amends']} amendments "
        f"acknowledged and stored, {figures['events']} events; "
        f"{outcome.count(503)} × 503, {outcome.count(0)} unanswered tries, 0 × 500; "
        f"last 503 sent {', '.join(f'{r:+.1f} s' for r in recovered)} after each restart"
    )
    checked = verify(data, url)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_follower_and_workers_killed_at_random_moments(
    cluster: Cluster, tmp_path: Path
) -> None:
    url = _url(cluster)
    data = tmp_path / "data"
    prepare(data, url)
    follower = follow(data, url, "follow-0")
    server, base = serve(data, url)
    clients = Clients(base).start()
    rng = random.Random(7)
    try:
        for round_ in range(1, 7):
            time.sleep(rng.uniform(0.5, 2.0))
            if round_ % 2:
                follower.kill()  # SIGKILL, mid-batch or not
                follower = follow(data, url, f"follow-{round_}")
            else:
                workers = server.children()
                assert workers, "gunicorn has no worker"
                os.kill(rng.choice(workers), signal.SIGKILL)  # the master respawns it
        time.sleep(3)
        outcome = clients.finish()
        wait_caught_up(data, url)
        assert server.alive(), server.output()[-3000:]
    finally:
        clients.stop.set()
        server.terminate()
        follower.terminate()
    assert outcome.count(500) == 0
    assert not outcome.refused, outcome.refused[:5]
    assert not outcome.unanswered, outcome.unanswered[:5]
    check_stored(data, url, outcome)
    checked = verify(data, url)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_pages_and_api_answer_503_while_the_database_is_down(
    cluster: Cluster, tmp_path: Path
) -> None:
    """A signed-in page, the sign-in page, an API read and a command: 503 with
    Retry-After while the database is down (the page as for a visitor: who is signed
    in cannot be read), the same requests answered normally once it is back."""
    import http.cookiejar
    import re
    import urllib.error
    import urllib.parse
    import urllib.request

    url = _url(cluster)
    data = tmp_path / "data"
    prepare(data, url)
    follower = follow(data, url)
    server, base = serve(data, url, workers=5)
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def get(path: str, **headers: str) -> tuple[int, str, str | None]:
        req = urllib.request.Request(base + path, headers=headers)
        try:
            with browser.open(req, timeout=60) as response:
                return response.status, response.read().decode(), None
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(), exc.headers.get("Retry-After")

    try:
        clients = Clients(base, n=1)
        token = clients.token("dsi", "password-dsi-1")
        page = get("/connexion")[1]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        form = urllib.parse.urlencode(
            {"username": "dsi", "password": "password-dsi-1", "csrf_token": csrf}
        ).encode()
        with browser.open(
            urllib.request.Request(base + "/connexion", data=form), timeout=60
        ) as signed_in:
            assert signed_in.status == 200
        assert get("/portefeuille")[0] == 200
        cluster.crash()
        # Sent together, one per worker: each waits out the pool's connection attempts
        # (seconds) before its 503, and nothing here depends on their order.
        pages = ("/portefeuille", "/connexion", "/")
        with ThreadPoolExecutor(len(pages) + 2) as down:
            answers = [down.submit(get, path) for path in pages]
            read = down.submit(request, base, "/api/v1/portfolio", None, token)
            command = down.submit(
                request,
                base,
                "/api/v1/proposals",
                {"code": "X1", "direction": "D", **content(1, 1000)},
                token,
                key="k-x1",
            )
        for path, answer in zip(pages, answers, strict=True):
            status, body, retry = answer.result()
            assert (status, retry) == (503, "5"), (path, status, body[:300])
            assert "Base de données indisponible" in body
        status, body = read.result()
        assert status == 503 and body["error"]["code"] == "unavailable"
        status, body = command.result()
        assert status == 503, body
        cluster.start()
        cluster.wait_up()
        assert get("/portefeuille")[0] == 200
        status, body = request(
            base,
            "/api/v1/proposals",
            {"code": "X1", "direction": "D", **content(1, 1000)},
            token,
            key="k-x1",
        )
        assert status in (200, 201), body
    finally:
        server.terminate()
        follower.terminate()
