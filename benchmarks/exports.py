"""Export benchmark: time and peak memory of the budget CSV and XLSX (~10k rows) and of
the minutes of a 100-item session, beside the time to read the same rows from the views.

The data is made realistically, through the ledger's commands: the demo municipality at
``--scale`` (113 gives about 10,000 project × year × section budget lines), then one
more COPIL session with ``--items`` proposals on its agenda (each drafted, submitted,
qualified, scored by five evaluators, voted on by seven members and decided). Loads are
cached under ``--workdir`` (the first one takes a while: see the progress on stderr).

For each export, in the same process and on the same views:

- ``read``: the projection queries the export runs (``budget_consumption`` with the
  names it joins; for the minutes ``session`` with its decisions and votes, the
  portfolio, grids and accounts), best of ``--repeat``;
- ``export``: rendering the bytes (reads included), best of ``--repeat``;
- ``peak``: the peak of Python allocations (tracemalloc) during one more export.

Run: ``python benchmarks/exports.py`` (SQLite) or ``--backends sqlite,postgres``.
PostgreSQL comes from ``SDSI_BENCH_DATABASE_URL`` (default: local server), one schema
per scale, kept between runs (``--fresh`` reloads).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# benchmarks/http.py must not shadow the standard library's ``http``: the repository
# root goes on the path in place of this directory.
sys.path[:] = [
    str(ROOT),
    *(p for p in sys.path if Path(p or ".").resolve() != ROOT / "benchmarks"),
]

PG = os.environ.get(
    "SDSI_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
BENCH_SESSION = "COPIL-2026-12-15"


def settings_for(backend: str, scale: int, workdir: Path) -> Any:
    from ledger.config import Settings

    data = workdir / f"{backend}-{scale}"
    url = (
        f"sqlite:///{data}/ledger.db"
        if backend == "sqlite"
        else f"{PG}?schema=bench_exports_{scale}"
    )
    return Settings.from_env(
        {
            "SDSI_DATA_DIR": str(data),
            "SDSI_DATABASE_URL": url,
            "SDSI_PASSWORD_HASHING": "fast",
        }
    )


def log(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def prepare(
    backend: str, scale: int, items: int, extra: int, workdir: Path, fresh: bool
) -> Any:
    """The loaded ledger and its views (loaded once, then reused)."""
    import psycopg

    from benchmarks.demo_data import open_demo
    from ledger.keys import ensure_signing_key
    from ledger.sealing import Sealer
    from projections.service import ReadModel

    settings = settings_for(backend, scale, workdir)
    schema = f"bench_exports_{scale}"
    if backend == "postgres":
        with psycopg.connect(PG, autocommit=True) as conn:
            if fresh:
                conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
            conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    elif fresh:
        import shutil

        shutil.rmtree(settings.data_dir, ignore_errors=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ensure_signing_key(settings)
    ledger = open_demo(settings, scale, log)
    from projections import queries as q

    rm = ReadModel(ledger, settings)
    started = time.perf_counter()
    rm.projector(batch_size=5000).catch_up()
    # A load interrupted half-way leaves its proposals behind: the next attempt
    # uses new codes (BENCHA…, then BENCHB…) and sessions (suffix -A, -B…).
    for attempt in range(27):
        tag = chr(ord("A") + attempt - 1) if attempt else ""
        suffix = f"-{tag}" if tag else ""
        session = f"{BENCH_SESSION}{suffix}"
        done = q.session(rm.store, session)
        if done is not None and done["status"] == "closed":
            break
        if done is None and q.proposal(rm.store, f"BENCH{tag}0001") is None:
            for k in range(extra):  # more approved programmes: more budget lines
                big_session(
                    ledger,
                    f"COPIL-2026-12-0{k + 1}{suffix}",
                    date(2026, 12, 1 + k),
                    100,
                    1 + 100 * k,
                    tag,
                )
            big_session(
                ledger, session, date(2026, 12, 15), items, 1 + 100 * extra, tag
            )
            rm.projector().catch_up()
            break
    log(f"views up to date in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    Sealer(ledger).run_once()
    log(f"sealed in {time.perf_counter() - started:.0f} s")
    return ledger, rm, session


YEARS = range(2021, 2027)
SECTIONS = ("investissement", "fonctionnement")


def cp_lines(n: int) -> list[dict[str, Any]]:
    """A multi-year programme: CP on every year and section of the PPI."""
    return [
        {"year": y, "section": s, "amount": f"{1000 + n + 10 * i}.00"}
        for i, (y, s) in enumerate((y, s) for y in YEARS for s in SECTIONS)
    ]


def big_session(
    ledger: Any, code: str, on: date, items: int, first: int, tag: str = ""
) -> None:
    """A session of ``items`` proposals: drafted, qualified, scored, voted, decided."""
    from domain.budget import Envelope
    from ledger.core import Caller
    from sdsi.demo import data as D

    rng = random.Random(first)
    started = time.perf_counter()
    ref, dsi, chair = Caller("ref.dsn"), Caller("dsi.martin"), Caller("dgs.lefebvre")
    criteria = [c[0] for c in D.CRITERIA if c[4] is not None] + [
        c[0] for c in D.CRITERIA_V2_NEW
    ]
    numbers = range(first, first + items)
    codes = [f"BENCH{tag}{n:04d}" for n in numbers]
    for n, proposal in zip(numbers, codes, strict=True):
        costs = cp_lines(n)
        workloads = [{"team": "DSI-APPS", "year": 2026, "days": 10}]
        content = {
            "title": f"Projet de mesure n°{n} : services numériques de proximité",
            "description": "Projet créé pour la mesure des exports.",
            "components": [
                {"kind": k, "description": "Volet du projet", "owner": "dsi.martin"}
                for k in ("organisation", "si", "rh", "communication")
            ],
            "axes": [{"axis": "A1", "indicator": "A1-I1", "expected_effect": "+1 %"}],
            "costs": costs,
            "workloads": workloads,
            "dependencies": [],
            "mandatory": False,
            "legal_basis": "",
            "risks": [{"label": "Disponibilité des équipes", "level": 2}],
        }
        ledger.draft_proposal(ref, proposal, "DSN", content)
        ledger.submit_proposal(ref, proposal)
        ledger.qualify_proposal(
            dsi,
            proposal,
            {
                "costs": costs,
                "workloads": workloads,
                "dependencies": [],
                "risks": [],
                "note": "Chiffrage DSI",
            },
        )
        for evaluator in D.EVALUATORS:
            scores = {}
            for crit in criteria:
                level = rng.randint(1, 4)
                scores[crit] = {"level": level, "justification": f"niveau {level}"}
            ledger.score_proposal(Caller(evaluator), proposal, 1, 2, scores)
    for y in YEARS:
        for s in SECTIONS:
            needed = sum(
                Decimal(c["amount"])
                for n in numbers
                for c in cp_lines(n)
                if (c["year"], c["section"]) == (y, s)
            )
            envelope = ledger.load(Envelope, Envelope.id_for(y, s))
            deficit = max(Decimal(0), -envelope.available) if envelope else Decimal(0)
            ledger.adjust_budget(
                Caller("fin.garnier"),
                y,
                s,
                needed + deficit,
                f"DM de programmation {code}",
                # a DM is not dated after the (UTC) day it is recorded
                min(date(2026, 12, 10), datetime.now(UTC).date()),
            )
    ledger.convene_session(
        chair,
        code,
        "Comité de pilotage du SDSI — séance de programmation",
        on,
        D.VOTING,
        D.NON_VOTING,
    )
    for proposal in codes:
        ledger.add_agenda_item(chair, code, proposal)
    ledger.open_session(chair, code, D.VOTING + D.NON_VOTING)
    for n, proposal in zip(numbers, codes, strict=True):
        outcome = ("rejected", "deferred", "approved", "approved", "approved")[n % 5]
        choice = {"rejected": "against", "deferred": "abstain"}.get(outcome, "for")
        for member in D.VOTING:
            ledger.cast_vote(Caller(member), code, proposal, choice)
        kwargs: dict[str, Any] = {}
        if outcome == "approved":
            costs = cp_lines(n)
            ap = sum(Decimal(c["amount"]) for c in costs)
            kwargs = {"ap_amount": str(ap), "cp": costs}
        ledger.record_decision(
            chair,
            code,
            proposal,
            outcome,
            "Arbitrage de la séance ; voir la grille.",
            **kwargs,
        )
    ledger.close_session(chair, code)
    log(
        f"session {code} of {items} items through the ledger in "
        f"{time.perf_counter() - started:.0f} s"
    )


def best(func: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return min(times), result


def peak_mib(func: Callable[[], Any]) -> float:
    tracemalloc.start()
    try:
        func()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def measure(backend: str, rm: Any, session: str, repeat: int) -> list[dict[str, Any]]:
    from exports.registry import render
    from exports.rows import Names
    from projections import queries as q

    store = rm.store

    def read_budget() -> int:
        Names.read(store)
        return len(q.budget_consumption(store)["lines"])

    def read_minutes() -> int:
        doc = q.session(store, session)
        q.portfolio(store)
        q.grids(store)
        Names.read(store)
        return len(doc["agenda"]) if doc else 0

    cases = [
        ("budget csv", read_budget, lambda: render(rm, "budget", "csv")),
        ("budget xlsx", read_budget, lambda: render(rm, "budget", "xlsx")),
        (
            "minutes pdf",
            read_minutes,
            lambda: render(rm, "minutes", "pdf", session=session),
        ),
    ]
    out = []
    for name, read, export in cases:
        read_s, rows = best(read, repeat)
        export_s, rendered = best(export, repeat)
        out.append(
            {
                "backend": backend,
                "export": name,
                "rows": rows,
                "read_s": read_s,
                "export_s": export_s,
                "peak_mib": peak_mib(export),
                "bytes": len(rendered.content),
            }
        )
    return out


def table(results: list[dict[str, Any]]) -> str:
    head = (
        f"{'backend':<9} {'export':<12} {'rows':>7} {'read s':>8} {'export s':>9} "
        f"{'export/read':>11} {'peak MiB':>9} {'size KiB':>9}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r['backend']:<9} {r['export']:<12} {r['rows']:>7} {r['read_s']:>8.3f} "
            f"{r['export_s']:>9.3f} {r['export_s'] / r['read_s']:>10.1f}x "
            f"{r['peak_mib']:>9.1f} {r['bytes'] / 1024:>9.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=75)  # the demo's largest
    parser.add_argument("--extra-sessions", type=int, default=2)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--backends", default="sqlite")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workdir", type=Path, default=Path("/tmp/sdsi-bench-exports"))
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        ledger, rm, session = prepare(
            backend,
            args.scale,
            args.items,
            args.extra_sessions,
            args.workdir,
            args.fresh,
        )
        try:
            results += measure(backend, rm, session, args.repeat)
        finally:
            rm.close()
            ledger.close()
    print(table(results))


if __name__ == "__main__":
    main()
