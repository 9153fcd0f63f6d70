"""Soak under faults: the fault-injection suite's storm, for as long as you like.

A throw-away PostgreSQL cluster (started here, as `nobody` when run as root), `sdsi
serve` (4 workers) and `sdsi projections follow` as real processes, N clients sending
drafts and amendments with idempotency keys and retrying by key. First a **baseline**
of the same load without faults, then the **soak**: the database crashed
(`pg_ctl -m immediate`) every ``--crash-every`` seconds and restarted after
``--down`` seconds, the follower SIGKILLed and restarted between crashes. At the end,
the same checks as `tests/faults/`: acknowledged == stored, 0 duplicates, 0 false
refusals, 0 × 500, views == rebuild, `sdsi verify` passes; and a table of figures,
each rate also as a ratio to the baseline's.

    .venv/bin/python benchmarks/soak.py --minutes 30 --crash-every 120   # the long run
    .venv/bin/python benchmarks/soak.py --minutes 2 --crash-every 30     # a short one
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
# the repository on the path, and benchmarks/http.py kept from shadowing `http`
sys.path[:] = [
    str(ROOT),
    *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"),
]

from tests.faults.harness import (  # noqa: E402
    Clients,
    check_stored,
    follow,
    prepare,
    serve,
    verify,
)
from tests.pgcluster import start_cluster  # noqa: E402


def _database(cluster: object, name: str) -> str:
    url = cluster.url  # type: ignore[attr-defined]
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return url.rsplit("/", 1)[0] + "/" + name


def _run(
    cluster: object,
    name: str,
    seconds: float,
    clients_n: int,
    crash_every: float | None,
    down: float,
) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix=f"sdsi-soak-{name}-"))
    url = _database(cluster, name)
    data = work / "data"
    prepare(data, url)
    follower = follow(data, url, "follow-0")
    server, base = serve(data, url, workers=4)
    clients = Clients(base, n=clients_n, retry_for=max(120.0, 3 * down)).start()
    started = time.monotonic()
    crashes = restarts = 0
    outages: list[tuple[float, float]] = []
    try:
        next_crash = started + (crash_every or seconds + 1)
        while time.monotonic() - started < seconds:
            time.sleep(0.5)
            now = time.monotonic()
            if crash_every and now >= next_crash:
                down_at = time.monotonic()
                cluster.crash()  # type: ignore[attr-defined]
                time.sleep(down)
                cluster.start()  # type: ignore[attr-defined]
                cluster.wait_up()  # type: ignore[attr-defined]
                outages.append((down_at, time.monotonic()))
                crashes += 1
                next_crash = time.monotonic() + crash_every
            elif (
                crash_every
                and now >= next_crash - crash_every / 2
                and restarts < crashes
            ):
                follower.kill()
                follower = follow(data, url, f"follow-{restarts + 1}")
                restarts += 1
        outcome = clients.finish()
        elapsed = time.monotonic() - started
    finally:
        clients.stop.set()
        server.terminate()
        follower.terminate()
    assert outcome.count(500) == 0, "500 answered"
    assert not outcome.refused, outcome.refused[:3]
    assert not outcome.unanswered, outcome.unanswered[:3]
    figures = check_stored(data, url, outcome)
    checked = verify(data, url)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    late = [
        t - back
        for t, status, _k in outcome.statuses
        for down_at, back in outages
        if status == 503 and t > back
    ]
    return {
        "seconds": elapsed,
        "acknowledged": len(outcome.acknowledged),
        "per_second": len(outcome.acknowledged) / elapsed,
        "events": figures["events"],
        "crashes": crashes,
        "follower_kills": restarts,
        "503": outcome.count(503),
        "no_answer": outcome.count(0),
        "last_503_after_back": max(late, default=0.0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--baseline-minutes", type=float, default=None)
    parser.add_argument("--crash-every", type=float, default=120)
    parser.add_argument("--down", type=float, default=5)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    cluster = start_cluster()
    try:
        base_s = 60 * (args.baseline_minutes or max(0.5, args.minutes / 10))
        baseline = _run(cluster, "baseline", base_s, args.clients, None, args.down)
        soak = _run(
            cluster,
            "soak",
            60 * args.minutes,
            args.clients,
            args.crash_every,
            args.down,
        )
    finally:
        cluster.destroy()
    print(
        f"\nsoak: {args.clients} clients, crash every {args.crash_every:.0f} s "
        f"(down {args.down:.0f} s), follower killed between crashes\n"
    )
    print(f"{'':<28}{'baseline':>12}{'soak':>12}{'soak/baseline':>15}")
    for key, label in (
        ("seconds", "duration (s)"),
        ("acknowledged", "commands acknowledged"),
        ("per_second", "commands/s"),
        ("events", "events stored"),
        ("crashes", "database crashes"),
        ("follower_kills", "follower SIGKILLs"),
        ("503", "503 answers"),
        ("no_answer", "tries without an answer"),
        ("last_503_after_back", "last 503 after back (s)"),
    ):
        b, s = baseline[key], soak[key]
        ratio = f"{s / b:.2f}×" if key == "per_second" and b else ""
        print(f"{label:<28}{b:>12.1f}{s:>12.1f}{ratio:>15}")
    print(
        "\nchecks: acknowledged == stored, 0 duplicates, 0 false refusals, 0 × 500, "
        "views == rebuild, sdsi verify: all passed"
    )


if __name__ == "__main__":
    main()
