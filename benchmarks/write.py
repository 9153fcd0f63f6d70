"""Write throughput of single-event ledger commands, beside two baselines.

For each backend (a SQLite file in WAL mode, PostgreSQL) and each number of concurrent
writer threads, one run measures:

ours      ledger commands per second: ``grant_role`` and ``revoke_role`` of
          ``evaluator`` alternately (one event each), sent as ``Caller(actor="admin",
          reason="bench", key=<fresh idempotency key>)``. Each writer thread has its
          own account, so writers do not conflict. Everything a command does counts:
          idempotency-key lookup, the actor's roles, loading the account, the domain
          checks, one save of the event with its command record.
bare      plain ``eventsourcing`` saves per second of the same event classes, with a
          command context of the same size, triggered on an aggregate held in memory
          and saved by ``app.save(agg)``: an ``Application`` with the library's own
          recorder and the ledger's persistence settings (module, WAL, pool, lock
          timeout) in a separate SQLite file or PostgreSQL schema.
raw       ``INSERT`` + ``COMMIT`` of a row of the same byte size into a scratch table
          with a primary key, with sqlite3 or psycopg directly, one connection per
          thread (SQLite writers queue on a lock, as the library's pool makes them).
raw+lock  PostgreSQL only: the same, after the ``LOCK TABLE … IN EXCLUSIVE MODE`` the
          library takes on every save to keep notification ids in commit order.

The time of each measurement is cut into slices run in turn (ours, bare, raw, ours,
…) so that a slow spell of the disk weighs on all of them alike.

Reading the ratios: ``ours/bare`` is the share of the library's save rate that a
ledger command keeps (target >= 0.80, i.e. the ledger's own work costs <= 20 %);
``ours/raw`` is how far the whole stack is from one small row per transaction
(``bare/raw`` is the library's share of that gap).

A last line per backend sends the same commands from every writer to ONE account:
commands applied per second, version conflicts retried by the ledger, commands refused
by the domain (another writer had just granted or revoked the role) and commands that
ran out of retries.

PostgreSQL comes from ``SDSI_BENCH_DATABASE_URL`` (default
postgresql://postgres@127.0.0.1:5432/postgres), in fresh schemas dropped afterwards;
SQLite files live in a temporary directory.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import platform
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from uuid import UUID, uuid4

import psycopg
from eventsourcing.application import Application
from eventsourcing.persistence import JSONTranscoder, Transcoding
from eventsourcing.utils import Environment, EnvType

from domain.accounts import Account
from domain.base import command_context
from domain.errors import RoleAlreadyGranted, RoleNotHeld
from domain.personal import Personal
from domain.values import CommandContext, Origin
from ledger.app import Ledger, open_ledger
from ledger.config import DatabaseConfig, Settings
from ledger.core import Caller
from ledger.errors import ConflictError
from ledger.transcodings import register_all

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
ROLE = "evaluator"
PASSWORD = "bench-password-1"
MAX_WRITERS = 8
WARMUP_OPS = 20  # per thread and slice: pool connections, caches, prepared statements
Op = Callable[[], None]
OpFactory = Callable[[int], Op]  # writer thread index -> its operation


class BareApp(Application[UUID]):
    """A plain application: the library's recorder, no command machinery."""

    name = "bare"

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        return Environment(name, dict(env or {}))  # as the ledger: ignore os.environ

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_all(transcoder)  # the events carry the ledger's CommandContext
        transcoder.register(_BarePersonal())


class _BarePersonal(Transcoding):
    """Personal values in clear: the bare app has no key table (the ledger's cost
    of encrypting them is part of what the ledger rows measure)."""

    type = Personal
    name = "bench-personal"

    def encode(self, obj: Personal) -> dict[str, str]:
        return {"s": str(obj.subject), "t": obj.text}

    def decode(self, data: dict[str, str]) -> Personal:
        return Personal(UUID(data["s"]), data["t"])


def measure(
    make_op: OpFactory, writers: int, seconds: float, on_start: Op | None = None
) -> tuple[int, float]:
    """Run ``writers`` threads doing their op for ``seconds``: (ops done, elapsed)."""
    counts, ends = [0] * writers, [0.0] * writers
    errors: list[BaseException] = []
    clock: dict[str, float] = {}

    def start() -> None:
        if on_start is not None:
            on_start()
        clock["start"] = time.perf_counter()
        clock["deadline"] = clock["start"] + seconds

    barrier = threading.Barrier(writers, action=start)

    def work(i: int) -> None:
        try:
            op = make_op(i)
            for _ in range(WARMUP_OPS):
                op()
            barrier.wait()
            while time.perf_counter() < clock["deadline"]:
                op()
                counts[i] += 1
            ends[i] = time.perf_counter()
        except threading.BrokenBarrierError:
            pass
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return sum(counts), max(ends) - clock["start"]


def bench_context(command: str) -> CommandContext:
    """A context of the size ``Caller(actor="admin", …)`` gives the ledger's events."""
    return CommandContext(
        actor="admin",
        roles=("admin",),
        at=datetime.now(UTC),
        origin=Origin.CLI.value,
        command=command,
        key=uuid4().hex,
        reason="bench",
    )


@dataclass
class Tally:
    """Outcomes of the shared-account run, counted by all writer threads."""

    applied: int = 0
    refused: int = 0
    gave_up: int = 0

    def __post_init__(self) -> None:
        self.lock = threading.Lock()

    def add(self, outcome: str) -> None:
        with self.lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


class Bench:
    """The ledger, the bare application and the raw tables of one backend."""

    def __init__(self, backend: str, ledger: Ledger, bare: BareApp) -> None:
        self.backend, self.ledger, self.bare = backend, ledger, bare
        self.raw: dict[str, OpFactory] = {}
        self.held: dict[str, bool] = {}  # ledger account -> holds the role now
        ledger.bootstrap_admin("admin", "Admin", PASSWORD)
        for name in ("shared", *(f"writer{i}" for i in range(MAX_WRITERS))):
            ledger.add_user(Caller(actor="admin", reason="bench"), name, name, PASSWORD)
            self.held[name] = False
        with command_context(bench_context("add_user")):
            names = [f"writer{i}" for i in range(MAX_WRITERS)]
            self.bare_accounts = [Account.register(name, name) for name in names]
            probe = Account.register("probe", "probe")
        bare.save(*self.bare_accounts)
        with command_context(bench_context("grant_role")):
            probe.trigger_event(Account.RoleGranted, role=ROLE, scope=None)
        stored = bare.mapper.to_stored_event(probe.collect_events()[-1])
        self.row_size = len(stored.topic) + len(stored.state) + 8  # + the version

    def ours(self, i: int) -> Op:
        name = f"writer{i}"

        def op() -> None:
            caller = Caller(actor="admin", reason="bench", key=uuid4().hex)
            led = self.ledger
            (led.revoke_role if self.held[name] else led.grant_role)(caller, name, ROLE)
            self.held[name] = not self.held[name]

        return op

    def bare_op(self, i: int) -> Op:
        account = self.bare_accounts[i]

        def op() -> None:
            revoke = ROLE in account.grants
            event = Account.RoleRevoked if revoke else Account.RoleGranted
            ctx = bench_context("revoke_role" if revoke else "grant_role")
            with command_context(ctx):
                account.trigger_event(event, role=ROLE, scope=None)
            self.bare.save(account)

        return op

    def shared(self, tally: Tally) -> OpFactory:
        def make(i: int) -> Op:
            grant = [i % 2 == 0]  # flips after each try: the role's state is shared

            def op() -> None:
                caller = Caller(actor="admin", reason="bench", key=uuid4().hex)
                led = self.ledger
                try:
                    (led.grant_role if grant[0] else led.revoke_role)(
                        caller, "shared", ROLE
                    )
                    tally.add("applied")
                except (RoleAlreadyGranted, RoleNotHeld):
                    tally.add("refused")
                except ConflictError:
                    tally.add("gave_up")
                grant[0] = not grant[0]

            return op

        return make


def sqlite_raw(path: Path, size: int, stack: ExitStack) -> OpFactory:
    """Raw sqlite3 inserts; writers queue on a lock, as in the library's pool."""
    with sqlite3.connect(path) as setup:
        setup.execute("PRAGMA journal_mode=WAL")
        setup.execute("CREATE TABLE scratch (id TEXT PRIMARY KEY, payload BLOB)")
    writer_lock, data = threading.Lock(), os.urandom(size - 16)
    conns: dict[int, sqlite3.Connection] = {}

    def make(i: int) -> Op:
        if i not in conns:
            # Each slice runs new threads: a thread reuses its predecessor's connection.
            conns[i] = sqlite3.connect(
                path, isolation_level=None, check_same_thread=False
            )
            stack.callback(conns[i].close)
        conn = conns[i]

        def op() -> None:
            with writer_lock:
                conn.execute("BEGIN")
                conn.execute("INSERT INTO scratch VALUES (?, ?)", (uuid4().hex, data))
                conn.execute("COMMIT")

        return op

    return make


def postgres_raw(
    url: str, table: str, size: int, stack: ExitStack, lock: bool
) -> OpFactory:
    """Raw psycopg inserts, optionally under the library's EXCLUSIVE table lock."""
    with psycopg.connect(url, autocommit=True) as setup:
        setup.execute(f"CREATE TABLE {table} (id uuid PRIMARY KEY, payload bytea)")
    payload = os.urandom(size - 16)
    conns: dict[int, psycopg.Connection[tuple[object, ...]]] = {}

    def make(i: int) -> Op:
        if i not in conns:
            conns[i] = stack.enter_context(psycopg.connect(url, autocommit=True))
        conn = conns[i]

        def op() -> None:
            with conn.transaction():
                if lock:
                    conn.execute(f"LOCK TABLE {table} IN EXCLUSIVE MODE")
                conn.execute(f"INSERT INTO {table} VALUES (%s, %s)", (uuid4(), payload))

        return op

    return make


def bare_app(db: DatabaseConfig) -> BareApp:
    """The ledger's persistence settings for ``db``, with the library's recorder."""
    env = db.eventsourcing_env(create_table=True)
    del env["APPLICATION_RECORDER_TOPIC"]
    return BareApp(env=env)


@contextmanager
def open_bench(backend: str, tmp: Path) -> Iterator[Bench]:
    """Fresh ledger, bare and raw databases for ``backend``; removed afterwards."""
    with ExitStack() as stack:
        url = f"sqlite:///{tmp}/ledger.db"
        run = "bench_" + uuid4().hex[:8]
        if backend == "postgres":
            server = os.environ.get("SDSI_BENCH_DATABASE_URL", DEFAULT_PG_URL)
            with psycopg.connect(server, autocommit=True) as conn:
                for part in ("ledger", "bare", "raw"):
                    conn.execute(f"CREATE SCHEMA {run}_{part}")
            stack.callback(drop_schemas, server, run)
            url = f"{server}{'&' if '?' in server else '?'}schema={run}_ledger"
        settings = Settings.from_env(
            {  # as tests/conftest.py's make_settings
                "SDSI_DATA_DIR": str(tmp / "data"),
                "SDSI_DATABASE_URL": url,
                "SDSI_PASSWORD_HASHING": "fast",
            }
        )
        db = settings.database
        where = (
            {"schema": f"{run}_bare"}
            if db.is_postgres
            else {"sqlite_path": tmp / "bare.db"}
        )
        bare = bare_app(replace(db, **where))  # type: ignore[arg-type]
        stack.callback(bare.close)
        ledger = open_ledger(settings, create=True)
        stack.callback(ledger.close)
        bench = Bench(backend, ledger, bare)
        if backend == "sqlite":
            bench.raw["raw"] = sqlite_raw(tmp / "raw.db", bench.row_size, stack)
        else:
            for label, lock in (("raw", False), ("raw+lock", True)):
                table = f"{run}_raw.scratch_{'lock' if lock else 'plain'}"
                size = bench.row_size
                bench.raw[label] = postgres_raw(server, table, size, stack, lock)
        yield bench


def drop_schemas(server: str, run: str) -> None:
    with psycopg.connect(server, autocommit=True) as conn:
        for part in ("ledger", "bare", "raw"):
            conn.execute(f"DROP SCHEMA IF EXISTS {run}_{part} CASCADE")


COLUMNS = (
    "backend writers ours_cmd/s bare_save/s raw_ins/s raw+lock/s ours/bare ours/raw"
)


def row(*cells: object) -> str:
    return "  ".join(f"{c:>11}" if i else f"{c:<8}" for i, c in enumerate(cells))


def run_backend(
    bench: Bench, writer_counts: list[int], seconds: float, slices: int, shared: bool
) -> list[str]:
    """Print one table row per writer count; return the shared-account line."""
    for n in writer_counts:
        kinds = {"ours": bench.ours, "bare": bench.bare_op, **bench.raw}
        done = {k: [0, 0.0] for k in kinds}
        for _ in range(slices):
            for kind, make in kinds.items():
                ops, elapsed = measure(make, n, seconds / slices)
                done[kind][0] += ops
                done[kind][1] += elapsed
        r = {kind: ops / elapsed for kind, (ops, elapsed) in done.items()}
        locked = f"{r['raw+lock']:.0f}" if "raw+lock" in r else "-"
        print(
            row(
                bench.backend,
                n,
                f"{r['ours']:.0f}",
                f"{r['bare']:.0f}",
                f"{r['raw']:.0f}",
                locked,
                f"{r['ours'] / r['bare']:.2f}",
                f"{r['ours'] / r['raw']:.2f}",
            ),
            flush=True,
        )
    lines = [f"{bench.backend}: one stored event is {bench.row_size} bytes"]
    if shared:
        tally, stats, n = Tally(), bench.ledger.stats, max(writer_counts)
        conflicts = [0]

        def start() -> None:
            tally.applied = tally.refused = tally.gave_up = 0
            conflicts[0] = stats.conflicts

        _, elapsed = measure(bench.shared(tally), n, seconds, on_start=start)
        lines.append(
            f"{bench.backend}: {n} writers on ONE account: "
            f"{tally.applied / elapsed:.0f} applied cmd/s, "
            f"{stats.conflicts - conflicts[0]} conflicts retried, "
            f"{tally.refused} refused by the domain, {tally.gave_up} out of retries"
        )
    return lines


def describe_postgres() -> str:
    url = os.environ.get("SDSI_BENCH_DATABASE_URL", DEFAULT_PG_URL)
    with psycopg.connect(url) as conn:
        shown = [
            (name, conn.execute(f"SHOW {name}").fetchone())
            for name in ("server_version", "fsync", "synchronous_commit")
        ]
    return "PostgreSQL " + ", ".join(f"{k}={v[0] if v else '?'}" for k, v in shown)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--seconds",
        type=float,
        default=5.0,
        help="duration of each measurement (default 5)",
    )
    parser.add_argument(
        "--slices",
        type=int,
        default=5,
        help="slices each measurement is cut into (default 5)",
    )
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--writers", default="1,8", help="thread counts, 1 to 8")
    parser.add_argument(
        "--shared",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also run all writers on one account",
    )
    args = parser.parse_args()
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    writer_counts = [int(w) for w in args.writers.split(",")]
    if not set(backends) <= {"sqlite", "postgres"}:
        parser.error("--backends: sqlite, postgres or both")
    if not all(1 <= w <= MAX_WRITERS for w in writer_counts) or args.slices < 1:
        parser.error(f"--writers between 1 and {MAX_WRITERS}; --slices at least 1")

    print(
        f"Python {platform.python_version()}, eventsourcing "
        f"{importlib.metadata.version('eventsourcing')}, SQLite "
        f"{sqlite3.sqlite_version}, {os.cpu_count()} CPUs, {args.seconds:g} s per "
        f"measurement in {args.slices} slices"
    )
    if "postgres" in backends:
        print(describe_postgres())
    print(row(*COLUMNS.split()))
    notes: list[str] = []
    for backend in backends:
        with (
            tempfile.TemporaryDirectory(prefix="sdsi-bench-") as tmp,
            open_bench(backend, Path(tmp)) as bench,
        ):
            notes += run_backend(
                bench, writer_counts, args.seconds, args.slices, args.shared
            )
    print(*notes, "target: ours/bare >= 0.80", sep="\n")


if __name__ == "__main__":
    main()
