"""HTTP benchmark: the read pages and their API twins beside a trivial endpoint.

The demo municipality at ``--scale`` (16 gives about 93,000 events) is loaded once into
PostgreSQL, one schema per scale (``bench_http_<scale>``, kept between runs; ``--fresh``
reloads; the first load takes several minutes, progress on stderr), its views projected
and its log sealed. Then, as in production, ``sdsi serve --workers N`` (gunicorn) serves
it with ``sdsi projections follow`` running beside it, and wrk drives it with
``--connections`` keep-alive connections for ``--seconds`` per endpoint:

- the trivial endpoint, ``GET /api/v1/health`` (no authentication, one indexed read);
- the portfolio, one proposal (``--proposal``), the budget and the audit pages,
  signed in with a session cookie, and their API twins with a bearer token — all as
  the auditor, who may read all four.

The trivial endpoint is measured before the first read and after each page's API
twin; each read is compared with the median of those runs (their spread shows how noisy
the machine was): the target is **req/s ≥ 0.5 × trivial** and **p99 ≤ 3 × trivial**.
Every endpoint is checked first (status 200, expected content), then loaded unmeasured
for ``--warmup`` seconds so that every worker has answered it once; non-2xx answers
during a measurement are reported. Two passes, each with its own servers and trivial runs: the
response cache on (``--page-cache-mb``, as deployed: wrk repeats the same request, so
this measures a read served again while the views have not moved), then off (every read
computed from the views: what the first reader after a write pays; ``--cache-only``
skips it). ``--profile`` then runs each read that missed its target
under cProfile in this process, on the same database, and prints where the time goes.

Run: ``python benchmarks/http.py`` (needs ``wrk``: ``apt-get install wrk``).
PostgreSQL comes from ``SDSI_BENCH_DATABASE_URL`` (default: the local server).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file's name shadows the standard library's ``http`` package when the script is
# run as ``python benchmarks/http.py``: take its directory off the path first.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
sys.path.insert(0, str(HERE.parent))

import argparse  # noqa: E402
import http.cookiejar  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
import urllib.request  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

PG = os.environ.get(
    "SDSI_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
USER, PASSWORD = "audit.crc", "sdsi-demo-2026"
TRIVIAL = "/api/v1/health"

# The previous run's figures at scale 16 (benchmarks/README.md, before the lists were
# paged and the budget's totals summed in SQL), printed beside this run's:
# path → (req/s, p99 ms, req/s ×, p99 ×) of the response cache off and on.
BEFORE_SCALE = 16
BEFORE = {
    "off": {
        TRIVIAL: (2109, 8.0, 1.00, 1.00),
        "/portefeuille": (38, 382.3, 0.02, 47.85),
        "/api/v1/portfolio": (44, 265.8, 0.02, 33.27),
        "/fiches/PORTAIL": (115, 150.2, 0.05, 18.80),
        "/api/v1/proposals/PORTAIL": (190, 64.5, 0.09, 8.07),
        "/budget": (19, 749.9, 0.01, 93.85),
        "/api/v1/budget": (26, 563.6, 0.01, 70.54),
        "/audit": (118, 113.8, 0.06, 14.25),
        "/api/v1/audit": (221, 53.5, 0.11, 6.69),
    },
    "on": {
        TRIVIAL: (2307, 6.4, 1.00, 1.00),
        "/portefeuille": (1223, 11.2, 0.53, 1.75),
        "/api/v1/portfolio": (1217, 11.1, 0.53, 1.74),
        "/fiches/PORTAIL": (1176, 11.8, 0.51, 1.86),
        "/api/v1/proposals/PORTAIL": (1159, 12.2, 0.50, 1.92),
        "/budget": (1341, 10.6, 0.58, 1.67),
        "/api/v1/budget": (1129, 11.5, 0.49, 1.80),
        "/audit": (1308, 9.7, 0.57, 1.51),
        "/api/v1/audit": (1509, 10.4, 0.65, 1.64),
    },
}


def targets(scale: int, cached: bool) -> tuple[float, float]:
    """(req/s ×, p99 ×) a read must meet: with the cache, or computed at scale 1,
    0.5 and 3; computed at scale 16 and beyond (issue 15), 0.25 and 5."""
    if cached or scale < 16:
        return 0.5, 3.0
    return 0.25, 5.0


PROJECT_CODE = re.escape(str(HERE.parent)) + r"/(web|projections)/"


@dataclass
class Endpoint:
    """One URL to drive, how to authenticate, and what a good answer contains."""

    label: str
    path: str
    auth: str  # "none", "cookie" or "bearer"
    expect: str


def endpoints(proposal: str) -> list[Endpoint]:
    return [
        Endpoint(
            "portfolio page", "/portefeuille", "cookie", "Portefeuille des projets"
        ),
        Endpoint("  API twin", "/api/v1/portfolio", "bearer", '"proposals"'),
        Endpoint("proposal page", f"/fiches/{proposal}", "cookie", f"{proposal} —"),
        Endpoint("  API twin", f"/api/v1/proposals/{proposal}", "bearer", '"timeline"'),
        Endpoint("budget page", "/budget", "cookie", "Budget : enveloppes"),
        Endpoint("  API twin", "/api/v1/budget", "bearer", '"envelopes"'),
        Endpoint("audit page", "/audit", "cookie", "Journal d'audit"),
        Endpoint("  API twin", "/api/v1/audit", "bearer", '"events"'),
    ]


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


# --- the data: loaded once per scale, then reused -------------------------------------


def environment(scale: int, workdir: Path) -> dict[str, str]:
    """The ``SDSI_*`` variables of the benchmark's deployment at ``scale``."""
    return {
        "SDSI_DATA_DIR": str(workdir / f"postgres-{scale}"),
        "SDSI_DATABASE_URL": f"{PG}?schema=bench_http_{scale}",
        "SDSI_PASSWORD_HASHING": "fast",
    }


def settings_for(scale: int, workdir: Path) -> Any:
    from ledger.config import Settings

    return Settings.from_env(environment(scale, workdir))


def prepare(scale: int, workdir: Path, fresh: bool) -> tuple[Any, int]:
    """The demo at ``scale``: loaded, projected and sealed; returns (settings, head)."""
    import psycopg

    from benchmarks.demo_data import open_demo
    from ledger.keys import ensure_secret_key, ensure_signing_key
    from ledger.sealing import Sealer
    from projections.service import ReadModel

    settings = settings_for(scale, workdir)
    schema = f"bench_http_{scale}"
    marker = settings.data_dir / "loaded"
    if fresh or not marker.exists():  # never loaded, or a load was interrupted
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"CREATE SCHEMA {schema}")
        shutil.rmtree(settings.data_dir, ignore_errors=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_secret_key(settings)
    ensure_signing_key(settings)
    ledger = open_demo(settings, scale, log)
    try:
        started = time.perf_counter()
        read_model = ReadModel(ledger, settings)
        read_model.projector(batch_size=5000).catch_up()
        read_model.close()
        Sealer(ledger).run_once()
        marker.write_text(f"scale {scale}\n")
        log(f"views and seals up to date in {time.perf_counter() - started:.0f} s")
        return settings, int(ledger.head())
    finally:
        ledger.close()


# --- the servers ----------------------------------------------------------------------


def start_servers(
    deployment: dict[str, str], workers: int, port: int
) -> list[subprocess.Popen[bytes]]:
    """``sdsi projections follow`` and ``sdsi serve --workers N`` on 127.0.0.1:port;
    their output goes to ``serve.log`` in the data directory (access log included)."""
    sdsi = shutil.which("sdsi") or str(Path(sys.executable).with_name("sdsi"))
    env = {**os.environ, **deployment}
    logfile = Path(deployment["SDSI_DATA_DIR"]) / "serve.log"
    out = logfile.open("wb")
    quiet = {"stdout": out, "stderr": subprocess.STDOUT}
    follower = subprocess.Popen([sdsi, "projections", "follow"], env=env, **quiet)
    server = subprocess.Popen(
        [sdsi, "serve", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"],
        env=env,
        start_new_session=True,  # so the whole gunicorn tree can be stopped at once
        **quiet,
    )
    out.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{TRIVIAL}") as r:
                if r.status == 200:
                    return [follower, server]
        except OSError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            stop_servers([follower, server])
            tail = "\n".join(logfile.read_text(errors="replace").splitlines()[-15:])
            raise SystemExit(f"the server did not start ({logfile}):\n{tail}")
        time.sleep(0.25)


def stop_servers(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in reversed(processes):
        if process.poll() is None:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except (PermissionError, ProcessLookupError):
                process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# --- credentials and checks -----------------------------------------------------------


def credentials(base: str) -> dict[str, str]:
    """Headers per kind of authentication: a session cookie and a bearer token."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(f"{base}/connexion") as r:
        page = r.read().decode()
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "no CSRF token on the login page"
    form = {"csrf_token": match.group(1), "username": USER, "password": PASSWORD}
    with opener.open(f"{base}/connexion", urllib.parse.urlencode(form).encode()) as r:
        assert "Bonjour" in r.read().decode(), "login failed"
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    request = urllib.request.Request(
        f"{base}/api/v1/auth/token",
        json.dumps({"username": USER, "password": PASSWORD}).encode(),
        {"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request) as r:
        token = json.loads(r.read())["token"]
    return {
        "none": "",
        "cookie": f"Cookie: {cookie}",
        "bearer": f"Authorization: Bearer {token}",
    }


def check(base: str, endpoint: Endpoint, header: str) -> int:
    """Fetch once: status 200 and the expected content; returns the body's size."""
    headers = dict([header.split(": ", 1)]) if header else {}
    with urllib.request.urlopen(
        urllib.request.Request(base + endpoint.path, headers=headers)
    ) as r:
        body = r.read().decode()
        status = r.status
    if status != 200 or endpoint.expect not in body:
        raise SystemExit(
            f"{endpoint.path}: status {status}, {endpoint.expect!r} missing"
        )
    return len(body.encode())


# --- wrk ------------------------------------------------------------------------------


UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def wrk(
    url: str, header: str, connections: int, threads: int, seconds: int
) -> dict[str, Any]:
    """One wrk run: req/s, p50 and p99 in ms, errors."""
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "30s",
    ]
    if header:
        cmd += ["-H", header]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    latency = {
        p: float(v) * UNITS[u]
        for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: (.*)", out)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if rate is None or "50" not in latency or "99" not in latency:
        raise SystemExit(f"could not read wrk's output:\n{out}")
    return {
        "rps": float(rate.group(1)),
        "p50": latency["50"],
        "p99": latency["99"],
        "errors": int(errors.group(1)) if errors else 0,
        "sockets": sockets.group(1).strip() if sockets else "",
    }


# --- profiling ------------------------------------------------------------------------


# Where a function's own time goes, by the file it is in (first match wins).
KINDS = (
    ("PostgreSQL round trips (psycopg)", ("psycopg",)),
    ("templates (Jinja2)", ("jinja2", "/templates/", "markupsafe")),
    ("French formatting (Babel)", ("babel", "web/formatting.py")),
    (
        "API schemas (marshmallow, smorest)",
        ("marshmallow", "smorest", "webargs", "/api/"),
    ),
    ("JSON", ("json",)),
    ("queries (projections/)", ("projections/",)),
    ("charts (web/charts.py)", ("web/charts.py",)),
)


SIGN_IN = ("_user_loader", "_token_loader")


def round_trips(stats: Any, requests: int) -> tuple[float, float]:
    """Statements sent per request (psycopg's ``execute``) and the sign-in's share
    of the time (``web/auth.py``'s loaders, cumulative)."""
    executed, signin, whole = 0, 0.0, 0.0
    for (filename, _line, name), (
        _cc,
        calls,
        own,
        cum,
        _callers,
    ) in stats.stats.items():
        whole += own
        if (
            "psycopg" in filename
            and filename.endswith("cursor.py")
            and name == "execute"
        ):
            executed += calls
        if filename.endswith("web/auth.py") and name in SIGN_IN:
            signin += cum
    return executed / max(requests, 1), 100 * signin / (whole or 1.0)


def breakdown(stats: Any) -> list[tuple[str, float]]:
    """The share of the own time spent in each kind of code, largest first."""
    totals: dict[str, float] = {}
    for (filename, _line, _name), (
        _cc,
        _nc,
        own,
        _cum,
        _callers,
    ) in stats.stats.items():
        kind = next(
            (k for k, marks in KINDS if any(m in filename for m in marks)),
            "the rest (Flask, Werkzeug, Python)",
        )
        totals[kind] = totals.get(kind, 0.0) + own
    whole = sum(totals.values()) or 1.0
    ranked = sorted(totals.items(), key=lambda kv: -kv[1])
    return [(kind, 100 * seconds / whole) for kind, seconds in ranked]


def profile(settings: Any, paths: list[str], requests: int) -> None:
    """Each path ``requests`` times under cProfile, in-process on the same database:
    time per kind of code, then the project's functions by cumulative time."""
    import cProfile
    import dataclasses
    import io
    import pstats

    from web.app import create_app

    # the cache off: what each read costs when it is computed
    uncached = dataclasses.replace(settings, page_cache_mb=0)
    app = create_app({"FOLLOW": False, "SEAL": False}, settings=uncached)
    client = app.test_client()
    from ledger.sessions import SessionStore

    secret = SessionStore(app.extensions["sdsi"].ledger.storage).open(USER, "web")
    with client.session_transaction() as session:
        session["_user_id"] = USER
        session["_fresh"] = True
        session["sid"] = secret
    for path in paths:
        client.get(path)  # warm caches and connections
        started = time.perf_counter()
        for _ in range(requests):
            client.get(path)
        each = (time.perf_counter() - started) / requests * 1000
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(requests):
            client.get(path)
        profiler.disable()
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        print(f"\n--- GET {path}: {each:.1f} ms per request in-process (no profiler)")
        print("  share of the time under cProfile (builtins count in 'the rest'):")
        for kind, share in breakdown(stats):
            print(f"  {kind:<40}{share:>6.0f} %")
        statements, signin = round_trips(stats, requests)
        print(f"  statements per request: {statements:.1f}; sign-in (session, account,")
        print(f"  roles, cumulative): {signin:.0f} % of the time")
        stats.sort_stats("cumulative").print_stats(PROJECT_CODE, 12)
        lines = out.getvalue().splitlines()
        table = lines[next(i for i, x in enumerate(lines) if "ncalls" in x) :]
        print("\n".join("  " + x for x in table if x.strip()))
    app.extensions["sdsi"].close()


# --- the run --------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2 * (os.cpu_count() or 1))
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--warmup", type=int, default=2, help="seconds of unmeasured load first"
    )
    parser.add_argument("--proposal", default="PORTAIL")
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sdsi-bench-http"))
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument(
        "--profile", action="store_true", help="profile the reads that miss"
    )
    parser.add_argument("--profile-requests", type=int, default=20)
    parser.add_argument(
        "--page-cache-mb", type=int, default=32, help="each worker's response cache"
    )
    parser.add_argument(
        "--cache-only",
        action="store_true",
        help="skip the second pass with the response cache off",
    )
    parser.add_argument(
        "--computed-only",
        action="store_true",
        help="skip the first pass with the response cache on",
    )
    parser.add_argument(
        "--profile-only",
        action="store_true",
        help="no server, no wrk: profile each read",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk not found: apt-get install wrk")

    settings, head = prepare(args.scale, args.workdir, args.fresh)
    if args.profile_only:
        profile(
            settings, [e.path for e in endpoints(args.proposal)], args.profile_requests
        )
        return
    url = f"http://127.0.0.1:{args.port}"
    missed: list[str] = []
    passes = ([] if args.computed_only else [args.page_cache_mb]) + (
        [] if args.cache_only else [0]
    )
    for megabytes in passes:
        deployment = {
            **environment(args.scale, args.workdir),
            "SDSI_PAGE_CACHE_MB": str(megabytes),
        }
        trivials, measured, sizes = measure(url, deployment, args)
        label = (
            f"response cache on ({megabytes} MiB per worker): repeated reads"
            if megabytes
            else "response cache off: every read computed"
        )
        missed += report(trivials, measured, sizes, args, head, label, megabytes > 0)
    if args.profile and missed:
        profile(settings, sorted(set(missed)), args.profile_requests)


def measure(
    url: str, deployment: dict[str, str], args: argparse.Namespace
) -> tuple[list[dict[str, Any]], list[tuple[Endpoint, dict[str, Any]]], dict[str, int]]:
    """Start the servers with ``deployment``, drive every endpoint, stop them."""
    processes = start_servers(deployment, args.workers, args.port)
    try:
        headers = credentials(url)
        trivial = Endpoint("trivial", TRIVIAL, "none", '"status"')
        targets = endpoints(args.proposal)
        sizes = {e.path: check(url, e, headers[e.auth]) for e in [trivial, *targets]}

        def run(endpoint: Endpoint) -> dict[str, Any]:
            if args.warmup:  # every worker has answered once (its cache, its pool)
                wrk(
                    url + endpoint.path,
                    headers[endpoint.auth],
                    args.connections,
                    args.threads,
                    args.warmup,
                )
            log(f"wrk {endpoint.path} ({args.seconds} s)")
            return wrk(
                url + endpoint.path,
                headers[endpoint.auth],
                args.connections,
                args.threads,
                args.seconds,
            )

        # The trivial endpoint before the first read and after each page's API twin:
        # each read is compared with the median, and the spread shows the noise.
        trivials = [run(trivial)]
        measured = []
        for endpoint in targets:
            measured.append((endpoint, run(endpoint)))
            if endpoint.auth == "bearer":
                trivials.append(run(trivial))
    finally:
        stop_servers(processes)
    return trivials, measured, sizes


def report(
    trivials: list[dict[str, Any]],
    measured: list[tuple[Endpoint, dict[str, Any]]],
    sizes: dict[str, int],
    args: argparse.Namespace,
    head: int,
    label: str,
    cached: bool,
) -> list[str]:
    """Print one pass's table, the previous run's figures beside it (at the scale
    they were measured at); return the paths that missed their target."""
    least, most = targets(args.scale, cached)
    before = BEFORE["on" if cached else "off"] if args.scale == BEFORE_SCALE else {}
    trivial = Endpoint("trivial", TRIVIAL, "none", '"status"')
    base = {
        key: statistics.median(t[key] for t in trivials)
        for key in ("rps", "p50", "p99")
    }
    base.update(errors=sum(t["errors"] for t in trivials), sockets="")
    print(
        f"\nHTTP reads — demo scale {args.scale} on PostgreSQL ({head:,} events), "
        f"gunicorn {args.workers} workers + projections follower, wrk "
        f"{args.connections} connections × {args.seconds} s, {os.cpu_count()} CPU(s)\n"
        f"{label}\n"
    )
    title = (
        f"{'endpoint':<16}{'path':<30}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'KiB':>8}{'req/s ×':>9}{'p99 ×':>8}  {'target':<8}"
        f"{'before: req/s':>14}{'p99 ms':>8}{'req/s ×':>9}{'p99 ×':>7}"
    )
    print(title)
    print("-" * len(title))
    missed: list[str] = []
    rows = [(f"trivial ({len(trivials)} runs)", trivial, base)]
    rows += [(e.label, e, r) for e, r in measured]
    for name, endpoint, r in rows:
        rps_ratio, p99_ratio = r["rps"] / base["rps"], r["p99"] / base["p99"]
        verdict = ""
        if endpoint is not trivial:
            ok = rps_ratio >= least and p99_ratio <= most
            verdict = "met" if ok else "MISSED"
            if not ok:
                missed.append(endpoint.path)
        if r["errors"] or r["sockets"]:
            verdict += f" ({r['errors']} non-2xx; sockets {r['sockets'] or 'ok'})"
        old = before.get(endpoint.path)
        previous = (
            f"{old[0]:>14.0f}{old[1]:>8.1f}{old[2]:>9.2f}{old[3]:>7.2f}" if old else ""
        )
        print(
            f"{name:<16}{endpoint.path:<30}{r['rps']:>8.0f}{r['p50']:>9.1f}"
            f"{r['p99']:>9.1f}{sizes[endpoint.path] / 1024:>8.1f}"
            f"{rps_ratio:>9.2f}{p99_ratio:>8.2f}  {verdict:<8}{previous}"
        )
    spread = ", ".join(f"{t['rps']:.0f}" for t in trivials)
    print(
        f"\nTrivial: the median of {len(trivials)} runs ({spread} req/s). Targets: "
        f"req/s × ≥ {least:.2f} and p99 × ≤ {most:.2f}. KiB: one response body."
        + (
            " Before: the previous run at scale 16 (benchmarks/README.md), before the "
            "lists were paged and the budget's totals summed in SQL."
            if before
            else ""
        )
    )
    return missed


if __name__ == "__main__":
    main()
