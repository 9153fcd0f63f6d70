"""Events per second when loading the demo municipality, beside the bare-save baseline.

For each backend (a SQLite file in WAL mode, PostgreSQL) and each ``--scale``, one run:

demo      loads the demo (``sdsi demo``'s ``DemoLoader``) into a fresh, initialised
          ledger: every command a user would send — accounts, organisation, grid,
          proposals, scores, sessions, votes, decisions, budget, execution — through
          ``Ledger.execute``, each with its command record, in one thread. Reported:
          events and commands written, wall time, events/s and commands/s. Events are
          counted as the head's notification id after minus before (one writer: no
          gaps, on either backend). Password hashing is ``fast``, as in the tests: the
          demo registers one account per direction, and Argon2 would dominate.
bare      the baseline of ``benchmarks/write.py`` (imported from it, not copied): plain
          ``eventsourcing`` saves per second of one ``Account.RoleGranted`` /
          ``RoleRevoked`` event with a command context of the same size, by an
          ``Application`` with the library's own recorder and the ledger's persistence
          settings, one writer, measured for ``--bare-seconds`` right before each demo
          load so that both see the same state of the machine. One save = one event.

Reading the ratio: ``demo/bare`` is the share of the library's single-event save rate
that a realistic load keeps, in events per second. A demo command reads aggregates,
checks rules and often writes several events in one save (a decision writes up to five),
so the ratio can exceed 1; the commands/s column shows the per-command cost.

Usage: ``.venv/bin/python benchmarks/demo_load.py [--scales 1,10,50]
[--backends sqlite,postgres] [--bare-seconds 3]``. PostgreSQL comes from
``SDSI_BENCH_DATABASE_URL`` (default postgresql://postgres@127.0.0.1:5432/postgres), in
fresh schemas dropped afterwards; SQLite files live in a temporary directory.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sqlite3
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/http.py must not shadow the standard library's ``http``: the repository
# root goes on the path in place of this directory.
sys.path[:] = [
    str(ROOT),
    *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"),
]

from benchmarks.write import (  # noqa: E402 - needs the repository on sys.path
    DEFAULT_PG_URL,
    describe_postgres,
    measure,
    open_bench,
)
from ledger.app import open_ledger  # noqa: E402
from ledger.config import Settings  # noqa: E402
from sdsi.demo.loader import DemoLoader  # noqa: E402


@dataclass(frozen=True)
class DemoRun:
    """One demo load and the bare-save rate measured right before it."""

    backend: str
    scale: int
    events: int
    commands: int
    seconds: float
    bare_saves_per_second: float

    @property
    def events_per_second(self) -> float:
        return self.events / self.seconds

    @property
    def commands_per_second(self) -> float:
        return self.commands / self.seconds


@contextmanager
def fresh_settings(backend: str, tmp: Path) -> Iterator[Settings]:
    """Settings of a fresh database for ``backend``; the schema dropped afterwards."""
    url = f"sqlite:///{tmp}/demo.db"
    schema = None
    server = os.environ.get("SDSI_BENCH_DATABASE_URL", DEFAULT_PG_URL)
    if backend == "postgres":
        schema = "bench_demo_" + uuid.uuid4().hex[:8]
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"CREATE SCHEMA {schema}")
        url = f"{server}{'&' if '?' in server else '?'}schema={schema}"
    try:
        yield Settings.from_env(
            {
                "SDSI_DATA_DIR": str(tmp / "data"),
                "SDSI_DATABASE_URL": url,
                "SDSI_PASSWORD_HASHING": "fast",
            }
        )
    finally:
        if schema is not None:
            with psycopg.connect(server, autocommit=True) as conn:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def bare_rate(backend: str, seconds: float) -> float:
    """write.py's bare baseline: single-event saves per second, one writer."""
    with (
        tempfile.TemporaryDirectory(prefix="sdsi-bench-bare-") as tmp,
        open_bench(backend, Path(tmp)) as bench,
    ):
        measure(bench.bare_op, 1, min(1.0, seconds))  # warm-up
        saves, elapsed = measure(bench.bare_op, 1, seconds)
        return saves / elapsed


def load_demo(backend: str, scale: int, bare_seconds: float) -> DemoRun:
    """Measure the baseline, then load the demo at ``scale`` into a fresh ledger."""
    bare = bare_rate(backend, bare_seconds)
    with (
        tempfile.TemporaryDirectory(prefix="sdsi-bench-demo-") as tmp,
        fresh_settings(backend, Path(tmp)) as settings,
    ):
        ledger = open_ledger(settings, create=True)
        try:
            ledger.bootstrap_admin("admin", "Administrateur", "bench-password-1")
            head, commands = ledger.head(), ledger.stats.commands
            started = time.perf_counter()
            DemoLoader(ledger, scale=scale).run()
            seconds = time.perf_counter() - started
            return DemoRun(
                backend,
                scale,
                ledger.head() - head,
                ledger.stats.commands - commands,
                seconds,
                bare,
            )
        finally:
            ledger.close()


COLUMNS = (
    "backend",
    "scale",
    "events",
    "commands",
    "seconds",
    "events/s",
    "commands/s",
    "bare save/s",
    "demo/bare",
)


def row(*cells: object) -> str:
    return "  ".join(f"{c:>11}" if i else f"{c:<8}" for i, c in enumerate(cells))


def print_run(run: DemoRun) -> None:
    print(
        row(
            run.backend,
            run.scale,
            run.events,
            run.commands,
            f"{run.seconds:.1f}",
            f"{run.events_per_second:.0f}",
            f"{run.commands_per_second:.0f}",
            f"{run.bare_saves_per_second:.0f}",
            f"{run.events_per_second / run.bare_saves_per_second:.2f}",
        ),
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="1,10,50", help="comma-separated scales")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--bare-seconds",
        type=float,
        default=3.0,
        help="duration of each bare-save measurement (default 3)",
    )
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if not backends or not set(backends) <= {"sqlite", "postgres"}:
        parser.error("--backends: sqlite, postgres or both")
    try:
        scales = [int(s) for s in args.scales.split(",")]
    except ValueError:
        parser.error("--scales: comma-separated integers")
    if not all(1 <= s <= 1000 for s in scales) or args.bare_seconds <= 0:
        parser.error("--scales between 1 and 1000; --bare-seconds positive")

    print(
        f"Python {platform.python_version()}, eventsourcing "
        f"{importlib.metadata.version('eventsourcing')}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, bare baseline "
        f"{args.bare_seconds:g} s before each load"
    )
    if "postgres" in backends:
        print(describe_postgres())
    print(row(*COLUMNS))
    for backend in backends:
        for scale in scales:
            print_run(load_demo(backend, scale, args.bare_seconds))


if __name__ == "__main__":
    main()
