"""The read pages and API twins of ``benchmarks/http.py`` timed in-process (Flask's
test client, response cache off), beside the trivial endpoint, on the demo that
``http.py`` loaded (``--workdir``, ``--scale``; same database).

No server, no wrk: on a machine shared with other jobs the figures of ``http.py`` swing
with the load; these are the median milliseconds of ``--requests`` reads in a row, the
best of ``--rounds`` rounds (and this process's CPU time per read, steadier
under load: PostgreSQL's own time is not in it), and each read's time as a multiple of the trivial
endpoint's measured in the same process. To compare two versions of the code, run
this file from each checkout in turn (``PYTHONPATH=<checkout>``), several times.

Run: ``python benchmarks/inprocess.py --scale 1 [--json out.json]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import dataclasses  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

PG = os.environ.get(
    "SDSI_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
USER = "audit.crc"
PATHS = (
    "/api/v1/health",
    "/portefeuille",
    "/api/v1/portfolio",
    "/fiches/PORTAIL",
    "/api/v1/proposals/PORTAIL",
    "/budget",
    "/api/v1/budget",
    "/audit",
    "/api/v1/audit",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sdsi-bench-http"))
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    from ledger.config import Settings
    from ledger.sessions import SessionStore
    from web.app import create_app

    settings = Settings.from_env(
        {
            "SDSI_DATA_DIR": str(args.workdir / f"postgres-{args.scale}"),
            "SDSI_DATABASE_URL": f"{PG}?schema=bench_http_{args.scale}",
            "SDSI_PASSWORD_HASHING": "fast",
        }
    )
    if not (settings.data_dir / "loaded").exists():
        raise SystemExit("load the demo first: benchmarks/http.py --profile-only")
    uncached = dataclasses.replace(settings, page_cache_mb=0)
    app = create_app({"FOLLOW": False, "SEAL": False}, settings=uncached)
    client = app.test_client()
    secret = SessionStore(app.extensions["sdsi"].ledger.storage).open(USER, "web")
    with client.session_transaction() as session:
        session["_user_id"] = USER
        session["_fresh"] = True
        session["sid"] = secret
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for _round in range(args.rounds):
        for path in PATHS:
            assert client.get(path).status_code == 200, path  # warm
            times = []
            used = time.process_time()
            for _ in range(args.requests):
                started = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - started) * 1000)
            each = (time.process_time() - used) * 1000 / args.requests
            median = statistics.median(times)
            best[path] = min(best.get(path, median), median)
            cpu[path] = min(cpu.get(path, each), each)
    app.extensions["sdsi"].close()
    print(
        f"{'path':<28}{'wall ms':>8}{'rate ×':>8}{'CPU ms':>8}{'rate ×':>8}"
        "   (rate × = the trivial endpoint's time / this read's)"
    )
    for path in PATHS:
        ms, own = best[path], cpu[path]
        print(
            f"{path:<28}{ms:>8.2f}{best[PATHS[0]] / ms:>8.2f}"
            f"{own:>8.2f}{cpu[PATHS[0]] / own:>8.2f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"wall": best, "cpu": cpu}, indent=1))


if __name__ == "__main__":
    main()
