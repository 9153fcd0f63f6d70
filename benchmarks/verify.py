"""`sdsi verify` throughput and memory, beside the raw cost of hashing the same records.

For each backend (a SQLite file, PostgreSQL) and each size, one run:

1. creates a fresh ledger (``open_ledger(create=True)`` and the signing key) and fills
   it with realistic events: accounts registered, granted a role and changing their
   password twice, each event carrying a full command context, made by the domain
   aggregates, mapped by the ledger's own mapper and stored through the library's
   recorder in batches of 5,000 (generation time is not measured);
2. seals them (``Sealer.run_once``, checkpoints every 1,000 events) — reported;
3. baseline, in a fresh process: read the log in pages of 1,000 (``ledger.log``) and
   compute every event's record, its RFC 8785 form and its leaf hash, nothing else;
4. ``python -m sdsi verify --format json`` in a fresh process: the same reading and
   hashing, plus the seal rows, the Merkle tree, every checkpoint's signature and
   consistency proof. Its events/s use the time the report gives (the verification
   itself, not the interpreter's start-up);
5. with ``--bundle``: ``export_bundle`` to a directory, then ``verifier.py`` on it.

With ``--witness N``, a separate table: N cosigning round-trips with one local witness
(``sdsi witness serve``, gunicorn, on loopback): each POSTs add-checkpoint for a log
grown by one leaf (the bodies, with their consistency proofs, are built beforehand)
and verifies the cosignature returned; its rate is given as a ratio to plain Ed25519
verifications per second measured in the same run.

Each fresh process's peak RSS comes from ``wait4``: flat memory means about the same
peak at every size. The ratio column is each rate over the baseline's (target for
``sdsi verify``: >= 0.5).

PostgreSQL comes from ``SDSI_BENCH_DATABASE_URL`` (default
postgresql://postgres@127.0.0.1:5432/postgres), in a fresh schema dropped afterwards;
SQLite files live in a temporary directory.

    python benchmarks/verify.py --sizes 100000,1000000 --backends sqlite,postgres
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# benchmarks/http.py must not shadow the standard library's ``http``: the repository
# root goes on the path in place of this directory.
sys.path[:] = [
    str(ROOT),
    *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"),
]

DEFAULT_PG_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
BATCH = 5000


@dataclass
class Measure:
    """One timed run: events, seconds, peak RSS (MiB)."""

    events: int
    seconds: float
    rss_mib: float = 0.0

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds else 0.0


# --- worker processes ----------------------------------------------------------------


def worker_baseline() -> None:
    """Read the log and hash every record; print {"events", "seconds"}."""
    from ledger.app import open_ledger
    from ledger.config import Settings
    from ledger.leaf import leaf_hash_of
    from ledger.log import read_log

    ledger = open_ledger(Settings.from_env())
    started = time.perf_counter()
    count = 0
    for batch in read_log(ledger.recorder, page=1000):
        for entry in batch:
            n = entry.notification
            leaf_hash_of(
                entry.position, n.originator_id, n.originator_version, n.topic, n.state
            )
            count += 1
    print(json.dumps({"events": count, "seconds": time.perf_counter() - started}))
    ledger.close()


_PEAK_HOOK = (
    "import atexit, re, runpy, sys\n"
    "def _peak():\n"
    "    status = open('/proc/self/status').read()\n"
    "    kib = re.search(r'VmHWM:\\s+(\\d+)', status).group(1)\n"
    "    print(f'\\nPEAK_RSS_KIB={kib}', file=sys.stderr)\n"
    "atexit.register(_peak)\n"
    "target, sys.argv = sys.argv[1], sys.argv[1:]\n"
    "if target.endswith('.py'):\n"
    "    runpy.run_path(target, run_name='__main__')\n"
    "else:\n"
    "    runpy.run_module(target, run_name='__main__', alter_sys=True)\n"
)


def run_measured(target: list[str], env: dict[str, str]) -> tuple[str, float, float]:
    """(stdout, wall seconds, peak RSS MiB) of ``python TARGET…`` in a new process.

    The peak is the child's own ``VmHWM`` (Linux), read as it exits: the rusage of a
    child would also count the memory of this process, which it starts as a copy of.
    """
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-c", _PEAK_HOOK, *target],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    wall = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise RuntimeError(
            f"{target} failed ({result.returncode}): {result.stderr[-2000:]}"
        )
    peak = [
        line for line in result.stderr.splitlines() if line.startswith("PEAK_RSS_KIB=")
    ]
    rss = int(peak[-1].split("=")[1]) / 1024 if peak else 0.0
    return result.stdout, wall, rss


# --- data ----------------------------------------------------------------------------


def generate(ledger: Any, total: int, progress: bool) -> None:
    """``total`` realistic events through the domain, the mapper and the recorder."""
    from domain.accounts import Account
    from domain.base import command_context
    from domain.values import CommandContext

    start = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
    made, account = 0, 0
    batch: list[Any] = []

    def ctx(command: str, i: int, reason: str | None) -> CommandContext:
        return CommandContext(
            actor="admin",
            roles=("admin",),
            at=start + timedelta(seconds=i),
            origin="web",
            command=command,
            key=f"bench-{uuid.uuid4().hex}",
            reason=reason,
        )

    while made < total:
        with command_context(ctx("add_user", made, "création du compte")):
            acc = Account.register(
                f"agent{account:07d}", f"Agent n° {account}", f"a{account}@ville.fr"
            )
            acc.grant("evaluator")
        with command_context(ctx("reset_password", made, "réinitialisation")):
            acc.reset_password(False)
            acc.reset_password(False)
        for event in acc.collect_events()[: total - made]:
            batch.append(ledger.mapper.to_stored_event(event))
            made += 1
        account += 1
        if len(batch) >= BATCH or made >= total:
            ledger.recorder.insert_events(batch)
            batch = []
            if progress:
                print(f"\r  generated {made:,}/{total:,}", end="", file=sys.stderr)
    if progress:
        print(file=sys.stderr)


@contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[str]:
    """The URL of an empty database (a SQLite file, or a new PostgreSQL schema)."""
    if backend == "sqlite":
        yield f"sqlite:///{workdir}/ledger.db"
        return
    import psycopg

    server = os.environ.get("SDSI_BENCH_DATABASE_URL", DEFAULT_PG_URL)
    schema = "bench_" + uuid.uuid4().hex[:10]
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in server else "?"
    try:
        yield f"{server}{sep}schema={schema}&pool_size=2"
    finally:
        with psycopg.connect(server, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def bench(backend: str, size: int, with_bundle: bool, progress: bool) -> dict[str, Any]:
    """All the measures of one backend and size."""
    from ledger.app import open_ledger
    from ledger.bundle import export_bundle
    from ledger.config import Settings
    from ledger.keys import ensure_signing_key
    from ledger.sealing import Sealer

    with tempfile.TemporaryDirectory(prefix="sdsi-bench-") as tmp:
        workdir = Path(tmp)
        with fresh_database(backend, workdir) as url:
            env = {
                "SDSI_DATA_DIR": str(workdir / "data"),
                "SDSI_DATABASE_URL": url,
                "SDSI_CHECKPOINT_EVERY_EVENTS": "1000",
            }
            settings = Settings.from_env(env)
            settings.data_dir.mkdir(parents=True)
            ensure_signing_key(settings)
            ledger = open_ledger(settings, create=True)
            try:
                generate(ledger, size, progress)
                started = time.perf_counter()
                sealed = Sealer(ledger, page=BATCH).run_once()
                sealing = Measure(sealed, time.perf_counter() - started)
            finally:
                ledger.close()
            out, _, rss = run_measured([__file__, "--worker", "baseline"], env)
            data = json.loads(out)
            baseline = Measure(data["events"], data["seconds"], rss)
            out, wall, rss = run_measured(["sdsi", "verify", "--format", "json"], env)
            report = json.loads(out)
            if not report["ok"] or report["tree_size"] != size:
                raise RuntimeError(f"verification failed: {report['first_problem']}")
            verify = Measure(size, report["seconds"], rss)
            result = {
                "backend": backend,
                "size": size,
                "sealing": sealing,
                "baseline": baseline,
                "verify": verify,
                "verify_wall": wall,
            }
            if with_bundle:
                ledger = open_ledger(settings)
                try:
                    started = time.perf_counter()
                    export_bundle(ledger, workdir / "bundle")
                    result["export"] = Measure(size, time.perf_counter() - started)
                finally:
                    ledger.close()
                out, wall, rss = run_measured(
                    [
                        str(ROOT / "verifier.py"),
                        str(workdir / "bundle"),
                        "--key",
                        str(settings.public_key_file),
                        "--json",
                    ],
                    {},
                )
                if not json.loads(out)["ok"]:
                    raise RuntimeError("verifier.py failed on the bundle")
                result["verifier"] = Measure(size, wall, rss)
            return result


def table(results: list[dict[str, Any]]) -> str:
    """The results as a Markdown table (rates in events/s)."""
    head = (
        "| backend | events | what | events/s | ratio to baseline | peak RSS |\n"
        "|---|---:|---|---:|---:|---:|\n"
    )
    rows = []
    for r in results:
        base = r["baseline"].rate
        for name, label in (
            ("baseline", "baseline: read + canonicalise + hash"),
            ("verify", "`sdsi verify`"),
            ("sealing", "sealing (`Sealer.run_once`)"),
            ("export", "`sdsi ledger export` (directory)"),
            ("verifier", "`verifier.py` on the bundle (wall time)"),
        ):
            m = r.get(name)
            if m is None:
                continue
            rss = f"{m.rss_mib:.0f} MiB" if m.rss_mib else "—"
            rows.append(
                f"| {r['backend']} | {r['size']:,} | {label} | {m.rate:,.0f} | "
                f"{m.rate / base:.2f} | {rss} |"
            )
    return head + "\n".join(rows)


# --- evidence files (docs/integrity.md, "Evidence files") ---------------------------


def ed25519_rate(seconds: float) -> float:
    """Baseline: plain Ed25519 verifications per second of one checkpoint-sized
    message (``cryptography``), the cost every evidence check pays at least once."""
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    key = Ed25519PrivateKey.generate()
    message = b"sdsi-ledger.local/ledger\n12345\n" + b"A" * 44 + b"\n"
    signature, public = key.sign(message), key.public_key()
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for _ in range(200):
            public.verify(signature, message)
        count += 200
    return count / (time.perf_counter() - started)


def bench_evidence(backend: str, seconds: float) -> dict[str, Any]:
    """Load the demo into a fresh ledger, write the evidence file of every decision,
    then verify them in turn with ``verifier.verify_evidence`` (JSON parsing, every
    leaf, proof and signature, the content checks) for ``seconds``, right after the
    Ed25519 baseline of the same length."""
    import importlib.util

    from ledger.app import open_ledger
    from ledger.config import Settings
    from ledger.evidence_file import evidence_file
    from ledger.keys import ensure_signing_key
    from ledger.sealstore import SealStore
    from sdsi.demo.loader import DemoLoader

    spec = importlib.util.spec_from_file_location("verifier", ROOT / "verifier.py")
    assert spec is not None and spec.loader is not None
    verifier = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(verifier)
    with tempfile.TemporaryDirectory(prefix="sdsi-bench-evidence-") as tmp:
        workdir = Path(tmp)
        with fresh_database(backend, workdir) as url:
            env = {
                "SDSI_DATA_DIR": str(workdir / "data"),
                "SDSI_DATABASE_URL": url,
                "SDSI_PASSWORD_HASHING": "fast",
            }
            settings = Settings.from_env(env)
            settings.data_dir.mkdir(parents=True)
            ensure_signing_key(settings)
            ledger = open_ledger(settings, create=True)
            try:
                ledger.bootstrap_admin("admin", "Administrateur", "bench-password-1")
                DemoLoader(ledger).run()
                decisions = _decision_positions(ledger, SealStore)
                started = time.perf_counter()
                files = [evidence_file(ledger, p) for p in decisions]
                building = time.perf_counter() - started
            finally:
                ledger.close()
            keys = verifier.load_keys(str(settings.public_key_file))
            baseline = ed25519_rate(seconds)
            count, started = 0, time.perf_counter()
            while time.perf_counter() - started < seconds:
                for data in files:
                    if not verifier.verify_evidence(json.loads(data), keys)["ok"]:
                        raise RuntimeError("an evidence file did not verify")
                count += len(files)
            elapsed = time.perf_counter() - started
            return {
                "backend": backend,
                "files": len(files),
                "events": sum(len(json.loads(d)["events"]) for d in files),
                "bytes": sum(len(d) for d in files),
                "ed25519": baseline,
                "verify": count / elapsed,
                "build": len(files) / building,
            }


def _decision_positions(ledger: Any, seal_store: Any) -> list[int]:
    """The positions of every decision of the log (sealing it first)."""
    from ledger.evidence_file import DECISION_TOPIC
    from ledger.sealing import Sealer

    Sealer(ledger).checkpoint_now("bench")
    out = []
    store = seal_store(ledger.storage)
    for seal in store.iter_seals():
        stored = ledger.recorder.select_events(
            uuid.UUID(seal.originator_id),
            gt=seal.originator_version - 1,
            lte=seal.originator_version,
        )
        if stored and stored[0].topic == DECISION_TOPIC:
            out.append(seal.position)
    return out


def evidence_table(results: list[dict[str, Any]]) -> str:
    """Evidence-file rates beside plain Ed25519 verifications (same run)."""
    head = (
        "| backend | files (events, bytes) | what | per second | ratio to Ed25519 |\n"
        "|---|---|---|---:|---:|\n"
    )
    rows = []
    for r in results:
        size = f"{r['files']} ({r['events']:,} events, {r['bytes'] / 1024:,.0f} KiB)"
        for label, rate in (
            ("baseline: Ed25519 verification", r["ed25519"]),
            ("evidence-file verification (`verifier.py`)", r["verify"]),
            ("evidence-file writing (`ledger.evidence_file`)", r["build"]),
        ):
            shown = f"{rate:,.1f}" if rate < 100 else f"{rate:,.0f}"
            rows.append(
                f"| {r['backend']} | {size} | {label} | {shown} | "
                f"{rate / r['ed25519']:.4f} |"
            )
    return head + "\n".join(rows)


# --- witness round-trips ------------------------------------------------------------


def bench_witness(rounds: int) -> list[tuple[str, float]]:
    """(what, per second): plain Ed25519 verifications, then cosigning round-trips
    with one local witness (see the module docstring)."""
    import hashlib
    import socket
    import urllib.request

    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from ledger.merkle import consistency_ranges, range_hashes, root_of
    from ledger.notes import Checkpoint, NoteVerifier, sign_note
    from ledger.witness_config import witnesses_settings
    from ledger.witness_push import post, request_body
    from ledger.witness_state import WitnessState

    key = Ed25519PrivateKey.generate()
    public, message = key.public_key(), b"x" * 120
    signature = key.sign(message)
    count, started = 0, time.perf_counter()
    while time.perf_counter() - started < 1.0:
        public.verify(signature, message)
        count += 1
    plain = count / (time.perf_counter() - started)

    origin = "bench.example/log"
    leaves: list[bytes] = []
    bodies, texts = [], []
    for i in range(rounds):
        old = len(leaves)
        leaves.append(hashlib.sha256(f"leaf {i}".encode()).digest())
        proof = range_hashes(
            consistency_ranges(old, len(leaves)), lambda a, b: iter(leaves[a:b])
        )
        text = Checkpoint(origin, len(leaves), root_of(leaves)).text()
        texts.append(text)
        bodies.append(request_body(old, proof, sign_note(text, origin, key)))
    with tempfile.TemporaryDirectory() as tmp, socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        probe.close()
        state = WitnessState.init(Path(tmp) / "w", "bench.example/w")
        state.add_log(origin, NoteVerifier(origin, public).vkey())
        [witness] = witnesses_settings(
            f"w http://127.0.0.1:{port} {state.cosigner.vkey()}"
        )
        server = subprocess.Popen(
            [sys.executable, "-m", "sdsi", "witness", "serve", "--state",
             str(Path(tmp) / "w"), "--listen", f"127.0.0.1:{port}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT,
        )  # fmt: skip
        try:
            for _ in range(300):
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1)
                    break
                except OSError:
                    time.sleep(0.1)
            started = time.perf_counter()
            for body, text in zip(bodies, texts, strict=True):
                status, _ctype, line = post(witness.endpoint, body)
                if status != 200:
                    raise SystemExit(f"witness answered {status}: {line}")
                if witness.cosigner.timestamp_of(line, text) is None:
                    raise SystemExit("the witness's cosignature does not verify")
            trips = rounds / (time.perf_counter() - started)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return [
        ("plain Ed25519 verification (baseline)", plain),
        ("cosigning round-trip, one local witness", trips),
    ]


def witness_table(rows: list[tuple[str, float]]) -> str:
    base = rows[0][1]
    head = "| what | per second | ratio to Ed25519 verification |\n|---|---:|---:|\n"
    return head + "\n".join(
        f"| {what} | {rate:,.1f} | {rate / base:.4f} |" for what, rate in rows
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument(
        "--bundle",
        action="store_true",
        help="also export a bundle and run verifier.py on it",
    )
    parser.add_argument(
        "--evidence",
        action="store_true",
        help="only the evidence files: load the demo, verify every decision's file",
    )
    parser.add_argument("--seconds", type=float, default=3.0, help=argparse.SUPPRESS)
    parser.add_argument(
        "--witness",
        type=int,
        default=0,
        metavar="N",
        help="also time N cosigning round-trips with one local witness",
    )
    parser.add_argument("--worker", choices=["baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "baseline":
        worker_baseline()
        return
    if args.evidence:
        runs = []
        for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
            print(f"{backend}: demo and evidence files…", file=sys.stderr)
            runs.append(bench_evidence(backend, args.seconds))
        print(evidence_table(runs))
        return
    if args.witness:
        print(witness_table(bench_witness(args.witness)))
    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgres"}
    if unknown:
        parser.error(f"unknown backend(s): {', '.join(sorted(unknown))}")
    print(
        f"# sdsi verify benchmark — {platform.node()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        file=sys.stderr,
    )
    results = []
    for backend in backends:
        for size in sizes:
            print(f"{backend}, {size:,} events…", file=sys.stderr)
            results.append(bench(backend, size, args.bundle, sys.stderr.isatty()))
            print(table(results[-1:]), file=sys.stderr)
    print(table(results))


if __name__ == "__main__":
    main()
