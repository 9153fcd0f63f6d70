"""``sdsi projections follow|rebuild|status`` and ``sdsi replay``."""

from __future__ import annotations

import json
import signal
import sys
import threading
from decimal import Decimal
from typing import Any

import click

from sdsi.cli_common import CliContext, fail, handle_errors, pass_cli, progress

VIEWS_FOR_REPLAY = ("portfolio", "budget", "decisions", "capacity", "audit")


def _read_model(cli: CliContext, *, upgrade: bool = True) -> Any:
    """The views; unless ``upgrade`` is off, rebuilt first if their schema is not the
    code's (``projections.upgrade``)."""
    from projections.service import ReadModel, ViewsNotInitialised

    try:
        return ReadModel(cli.ledger, cli.settings, upgrade=upgrade)
    except ViewsNotInitialised as exc:
        fail(str(exc))


@click.group()
def projections() -> None:
    """The read models (views): follow, rebuild, status."""


@projections.command()
@click.option("--once", is_flag=True, help="Catch up to the head and exit.")
@click.option(
    "--poll",
    default=0.5,
    show_default=True,
    help="Seconds between polls (SQLite; fallback on PostgreSQL).",
)
@click.option(
    "--batch-size", default=2000, show_default=True, help="Events per transaction."
)
@click.option(
    "--seal/--no-seal",
    default=True,
    show_default=True,
    help="Also seal new events and sign checkpoints.",
)
@pass_cli
@handle_errors
def follow(
    cli: CliContext, once: bool, poll: float, batch_size: int, seal: bool
) -> None:
    """Keep the views up to date, and seal the log (on PostgreSQL, woken by NOTIFY)."""
    rm = _read_model(cli)
    projector = rm.projector(batch_size=batch_size)
    sealer = None
    if seal and not cli.settings.signing_key_file.exists():
        click.echo(
            f"warning: no signing key at {cli.settings.signing_key_file}: not sealing "
            "(run `sdsi init`, or pass --no-seal)",
            err=True,
        )
    elif seal:
        from ledger.sealing import Sealer

        sealer = Sealer(cli.ledger)
    if once:
        n = projector.catch_up()
        sealed = sealer.run_once() if sealer else 0
        if sealer and cli.settings.witnesses:
            from ledger.witness_push import WitnessPusher

            for r in WitnessPusher(cli.ledger).run_once():
                click.echo(f"witness {r.label}: {r.outcome} {r.detail}".rstrip())
        click.echo(
            f"caught up: {n} events projected, views at position {projector.cursor().position}"
            + (f", {sealed} events sealed" if sealer else "")
        )
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_a: stop.set())
    signal.signal(signal.SIGINT, lambda *_a: stop.set())
    click.echo(
        f"following {cli.settings.database.describe()} from position {projector.cursor().position}",
        err=True,
    )
    try:
        _follow(cli, projector, sealer, stop, poll)
    finally:
        projector.close()


def _follow(
    cli: CliContext, projector: Any, sealer: Any, stop: Any, poll: float
) -> None:
    """Catch up and seal until stopped; through a database outage, wait and retry
    with a growing delay (never exit), saying so once when it starts and ends."""
    import time

    from ledger.outage import Backoff, first_line, is_outage
    from projections.service import listen_wait

    backoff = Backoff()
    wait: Any = None
    pusher = None
    if sealer is not None and cli.settings.witnesses:
        from ledger.witness_push import WitnessPusher

        pusher = WitnessPusher(cli.ledger)
    while not stop.is_set():
        try:
            if wait is None:
                wait = (
                    listen_wait(cli.settings)
                    if cli.settings.database.is_postgres
                    else (lambda seconds: stop.wait(seconds))
                )
            moved = projector.catch_up(wait=None) + (sealer.run_once() if sealer else 0)
            if pusher is not None:
                pusher.run_once()  # failing witnesses wait for their next attempt
            since = backoff.reset()
            if since is not None:
                click.echo(
                    f"{_now()} database back after {time.monotonic() - since:.1f} s: "
                    f"views at position {projector.cursor().position}",
                    err=True,
                )
            if not moved:
                wait(poll)
        except Exception as exc:
            if not is_outage(exc):
                raise
            wait = _close_wait(wait)
            first = backoff.failures == 0
            delay = backoff.next(time.monotonic())
            if first or backoff.failures % 10 == 0:
                click.echo(
                    f"{_now()} database unavailable ({first_line(exc)}): "
                    f"reconnecting with backoff ({delay:.1f} s, up to {backoff.cap:.0f} s)",
                    err=True,
                )
            stop.wait(delay)


def _close_wait(wait: Any) -> None:
    """Drop the LISTEN connection of ``wait`` (if any); a new one is made later."""
    import contextlib

    conn = getattr(wait, "connection", None)
    if conn is not None:
        with contextlib.suppress(Exception):
            conn.close()
    return None


def _now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@projections.command()
@click.option("--batch-size", default=2000, show_default=True)
@pass_cli
@handle_errors
def rebuild(cli: CliContext, batch_size: int) -> None:
    """Empty every view and project the whole log again (stop followers first)."""
    import time

    rm = _read_model(cli, upgrade=False)
    head = rm.head_position()
    projector = rm.projector(batch_size=batch_size)
    started = time.perf_counter()
    import psycopg

    from ledger.guards import regrant_views

    try:
        with progress(head, "rebuilding views") as bar:
            n = projector.rebuild(progress=bar)
    except psycopg.errors.InsufficientPrivilege:
        fail(
            f"{cli.settings.database.user} may not recreate the view tables: run "
            "`sdsi projections rebuild` as the database owner (the application role "
            "only reads and writes rows)"
        )
    seconds = time.perf_counter() - started
    rate = n / seconds if seconds else 0
    click.echo(
        f"rebuilt {len(VIEWS_FOR_REPLAY)} views from {n} events in {seconds:.1f} s ({rate:,.0f} events/s)"
    )
    role = regrant_views(cli.ledger)  # the new tables, back to the application role
    if role is not None:
        click.echo(f"granted the rebuilt views to {role}")


@projections.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_cli
@handle_errors
def status(cli: CliContext, fmt: str) -> None:
    """Each view's position, the head of the log, the lag, and whether the views'
    schema is the code's (else the next start rebuilds them)."""
    rm = _read_model(cli, upgrade=False)
    matches = rm.schema_matches()
    rows = [{**r, "schema_matches": matches} for r in rm.status()]
    if fmt == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    click.echo(f"{'view':<10} {'position':>9} {'head':>9} {'lag':>7}  updated")
    for r in rows:
        click.echo(
            f"{r['view']:<10} {r['position']:>9} {r['head']:>9} {r['lag']:>7}  {r['updated_at']}"
        )
    click.echo(
        "schema: the views match the code"
        if matches
        else "schema: the views do not match the code: the next start (or "
        "`sdsi projections rebuild`) rebuilds them"
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


@click.command()
@click.option(
    "--as-of", "as_of", required=True, help="ISO date-time (UTC) or position:N."
)
@click.option(
    "--view",
    type=click.Choice(VIEWS_FOR_REPLAY),
    default="portfolio",
    show_default=True,
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_cli
@handle_errors
def replay(cli: CliContext, as_of: str, view: str, fmt: str) -> None:
    """Show a view as it stood at a past moment (replayed into a temporary view)."""
    from projections import queries as q

    rm = _read_model(cli)
    try:
        position = rm.position_of(as_of)
        store = rm.at(as_of)
        data: Any = {
            "portfolio": lambda: q.portfolio(store),
            "budget": lambda: q.budget_consumption(store),
            "decisions": lambda: q.decision_history(store),
            "capacity": lambda: q.capacity(store),
            "audit": lambda: q.audit_trail(store, limit=1000)["events"],
        }[view]()
        if fmt == "json":
            click.echo(
                json.dumps(
                    {
                        "as_of": as_of,
                        "position": position,
                        "view": view,
                        "rows": _jsonable(data),
                    },
                    ensure_ascii=False,
                    indent=1,
                )
            )
            return
        click.echo(f"{view} as of {as_of} (position {position})")
        _table(view, data)
    finally:
        rm.close()


def _table(view: str, data: Any) -> None:
    if view == "portfolio":
        for r in data:
            click.echo(
                f"{r['rank'] or '-':>4} {r['code']:<12} {r['status']:<24} {r['value'] or '':>7} {r['risk'] or '':>7} {r['title']}"
            )
    elif view == "budget":
        for e in data["envelopes"]:
            click.echo(
                f"{e['year']} {e['section']:<15} total {e['total']:>14} allocated {e['allocated']:>14} available {e['available']:>14}"
            )
        t = data["total"]
        click.echo(
            f"projects: CP {t['cp']} committed {t['committed']} paid {t['paid']} available {t['available']}"
        )
    elif view == "decisions":
        for d in data:
            click.echo(
                f"{d['position']:>7} {d['session']:<22} {d['proposal']:<12} {d['outcome']:<26} pour {d['votes_for']} contre {d['votes_against']}"
            )
    elif view == "capacity":
        for c in data:
            flag = "  SURCHARGE" if c["overload"] else ""
            click.echo(
                f"{c['team']:<12} {c['year']} {c['workload']:>6}/{c['capacity']:<6} {c['load'] or 0:>6}%{flag}"
            )
    else:
        for ev in data:
            click.echo(
                f"{ev['position']:>7} {ev['at']} {ev['actor']:<14} {ev['event_type']:<28} {ev['aggregate']}"
            )
    sys.stdout.flush()
