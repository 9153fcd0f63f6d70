"""The ``sdsi`` command: the group, the commands of its own (``init``, ``demo``,
``serve``) and the subcommands of ``sdsi/cli_*.py``, assembled here. What they all
share lives in ``sdsi.cli_common``. Exit codes: 0 success, 1 checked failure, 2 bad
usage or input."""

from __future__ import annotations

import secrets
import sys
from typing import Any

import click

from sdsi import (
    cli_exports,
    cli_finance,
    cli_integrity,
    cli_inventory,
    cli_keys,
    cli_mail,
    cli_notifications,
    cli_optimise,
    cli_projections,
    cli_setup,
    cli_users,
    cli_witness,
)
from sdsi.cli_common import (
    EXIT_FAILED,
    EXIT_OK,
    EXIT_USAGE,
    CliContext,
    fail,
    handle_errors,
    pass_cli,
    progress,
)

__all__ = [
    "EXIT_FAILED",
    "EXIT_OK",
    "EXIT_USAGE",
    "CliContext",
    "fail",
    "handle_errors",
    "main",
    "pass_cli",
    "progress",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="sdsi-ledger")
@click.pass_context
def main(ctx: click.Context) -> None:
    """SDSI Ledger: the governance ledger of the IT master plan."""
    cli = ctx.ensure_object(CliContext)
    ctx.call_on_close(cli.close)


@main.command()
@click.option(
    "--admin",
    "admin_name",
    default="admin",
    show_default=True,
    help="Login of the first administrator.",
)
@click.option(
    "--admin-password",
    envvar="SDSI_ADMIN_PASSWORD",
    default=None,
    help="Its password (generated and printed if omitted).",
)
@click.option(
    "--app-role",
    default=None,
    metavar="NAME",
    help="PostgreSQL: also create this least-privilege login role for the application.",
)
@click.option(
    "--app-password",
    envvar="SDSI_APP_PASSWORD",
    default=None,
    help="Its password (generated and printed if omitted).",
)
@pass_cli
@handle_errors
def init(
    cli: CliContext,
    admin_name: str,
    admin_password: str | None,
    app_role: str | None = None,
    app_password: str | None = None,
) -> None:
    """Create the storage, the secret and signing keys, and the first administrator."""
    initialise(cli, admin_name, admin_password, app_role, app_password)


def initialise(
    cli: CliContext,
    admin_name: str,
    admin_password: str | None,
    app_role: str | None = None,
    app_password: str | None = None,
    admin_display: str = "Administrateur",
) -> None:
    """``init``'s work (``sdsi demo`` does it too, with the demo's administrator)."""
    from ledger.app import open_ledger, probe_postgres
    from ledger.keys import ensure_secret_key, ensure_signing_key

    settings = cli.settings
    if settings.database.is_postgres:
        probe_postgres(settings.database)  # before creating any file
    created: list[str] = []
    if not settings.data_dir.exists():
        settings.data_dir.mkdir(parents=True, mode=0o700)
        created.append(f"data directory {settings.data_dir}")
    if ensure_secret_key(settings):
        created.append(f"secret key {settings.secret_key_path}")
    if ensure_signing_key(settings):
        created.append(
            f"signing key {settings.signing_key_file} (public: {settings.public_key_file})"
        )
    ledger = open_ledger(settings, create=True)
    cli._ledger = ledger
    missing_before = ledger.storage.get_meta("initialised_at") is None
    if missing_before:
        from datetime import UTC, datetime

        ledger.storage.set_meta("initialised_at", datetime.now(UTC).isoformat())
        created.append(f"ledger tables in {settings.database.describe()}")
    changed = _schema_changes(ledger)
    from projections.service import init_views

    if init_views(settings, ledger):
        created.append("view tables")
    if ledger.account(admin_name) is None:
        password = admin_password or secrets.token_urlsafe(12)
        ledger.bootstrap_admin(admin_name, admin_display, password)
        created.append(f"administrator {admin_name!r}")
        if not admin_password:
            click.echo(f"administrator login: {admin_name}  password: {password}")
    if app_role:
        from ledger.guards import create_app_role

        role_password = create_app_role(ledger, app_role, app_password)
        created.append(f"least-privilege role {app_role!r} (read and append only)")
        if not app_password:
            click.echo(f"application role: {app_role}  password: {role_password}")
    if created or changed:
        for item in created:
            click.echo(f"created {item}")
        for item in changed:
            click.echo(item)
    else:
        click.echo(
            f"already initialised ({settings.database.describe()}): nothing changed"
        )
    _warn_outside_log(ledger)


def _schema_changes(ledger: Any) -> list[str]:
    """What opening changed in an existing database's schema, one line each."""
    upgrade = ledger.upgrade
    if upgrade is None:
        return []
    lines = []
    if upgrade.applied and not upgrade.created:
        lines.append(
            f"upgraded the ledger schema from version {upgrade.before}"
            f" to {upgrade.after}:"
        )
        lines += [f"  {m.version}: {m.summary}" for m in upgrade.applied]
    lines += [
        f"restored the guard {name} (it was missing)" for name in upgrade.restored
    ]
    return lines


def _warn_outside_log(ledger: Any) -> None:
    """Rows no guard stopped (stored before the guards, or with them removed)."""
    from ledger.sealstore import SealStore

    outside = SealStore(ledger.storage).events_outside_log(limit=1)
    if outside:
        click.echo(
            "warning: the event table holds rows outside the ledger's log (ids <= 0);"
            " run `sdsi verify`",
            err=True,
        )


@main.command()
@click.option(
    "--no-serve", is_flag=True, help="Load the demo and exit, without serving the UI."
)
@click.option("--port", default=5000, show_default=True)
@click.option(
    "--scale",
    default=1,
    show_default=True,
    type=click.IntRange(1, 1000),
    help="Multiply the volume (directions, proposals, sessions).",
)
@click.pass_context
def demo(ctx: click.Context, no_serve: bool, port: int, scale: int) -> None:
    """`init` (its administrator is the demo's), then load the demo municipality and
    serve the UI."""
    from sdsi.demo import data
    from sdsi.demo.loader import ADMIN

    cli = ctx.ensure_object(CliContext)
    _initialise_demo(cli, ADMIN, data.DEMO_PASSWORD, admin_display=data.name_of(ADMIN))
    _load_demo(cli, scale)
    if not no_serve:
        _serve_demo(cli, port)


_initialise_demo = handle_errors(initialise)


@handle_errors
def _load_demo(cli: CliContext, scale: int) -> None:
    import time

    from domain.plan import Plan
    from ledger.notifications import NotificationSettings
    from sdsi.demo import data
    from sdsi.demo.loader import ADMIN, DemoLoader

    ledger = cli.ledger
    loaded = ledger.storage.get_meta("demo_loaded")
    if loaded is None and _loaded_before_the_mark(ledger):
        ledger.storage.set_meta("demo_loaded", "before the mark")
        loaded = "before the mark"
    if loaded is None and ledger.load(Plan, Plan.id_for()) is not None:
        # A load stopped half way (interrupted, or the plan of a real municipality):
        # events are never deleted, so it cannot be completed or redone here.
        fail(
            f"{ledger.settings.database.describe()} already holds a plan but no "
            f"complete demo ({ledger.head()} events): an interrupted `sdsi demo`, or a "
            "real municipality. Events are never deleted: load the demo into an empty "
            "database (another SDSI_DATA_DIR or SDSI_DATABASE_URL)."
        )
    if loaded is not None:
        click.echo("demo already loaded: nothing changed")
    else:
        quiet = not sys.stderr.isatty()
        started = time.perf_counter()
        loader = DemoLoader(
            ledger,
            scale=scale,
            admin=ADMIN if ledger.account(ADMIN) is not None else "admin",
            progress=(lambda m: None)
            if quiet
            else (lambda m: click.echo(f"  … {m}", err=True)),
        )
        stats = loader.run()
        from ledger.sealing import Sealer

        Sealer(
            ledger
        ).run_once()  # seal the history: checkpoints at each session closure
        ledger.storage.set_meta("demo_loaded", f"scale {scale}")
        # its history is not news: notifications' e-mails start after it
        NotificationSettings(ledger.storage).start_at(ledger.head())
        seconds = time.perf_counter() - started
        click.echo(
            f"loaded {data.MUNICIPALITY} (scale {scale}) in {seconds:.1f} s, {ledger.head()} events:"
        )
        click.echo("  " + ", ".join(f"{n} {what}" for what, n in stats.counts.items()))
    for line in demo_accounts():
        click.echo(line)


def demo_accounts() -> list[str]:
    """What ``sdsi demo`` prints about its accounts: the one to sign in with first
    (the administrator), then every other account and the referent of each
    direction, with its direction's code."""
    from sdsi.demo import data
    from sdsi.demo.loader import ADMIN

    lines = [
        f"sign in first as {ADMIN} (password: {data.DEMO_PASSWORD}),"
        f" the administrator ({data.name_of(ADMIN)}); every demo account below"
        " has the same password:"
    ]
    for login, name, roles in data.PEOPLE:
        if login != ADMIN:
            lines.append(f"  {login:<14} {name:<22} {', '.join(roles)}")
    lines.append("referents, one per direction (direction code, account, name):")
    for code, direction, _pole, login, person in data.DIRECTIONS:
        lines.append(f"  {code:<5} {login:<14} {person:<22} {direction}")
    return lines


def _loaded_before_the_mark(ledger: Any) -> bool:
    """A demo loaded completely by a version that did not mark it: its last session,
    left open, exists (an interrupted load never got that far)."""
    from domain.sessions import Session
    from sdsi.demo.loader import LAST_SESSION

    code = f"COPIL-{LAST_SESSION.isoformat()}"
    return ledger.load(Session, Session.id_for(code)) is not None


def _serve_demo(cli: CliContext, port: int) -> None:
    from sdsi.server import serve

    cli.close()  # each worker opens its own ledger after the fork
    click.echo(f"serving the demo on http://127.0.0.1:{port} (Ctrl+C to stop)")
    serve(f"127.0.0.1:{port}", workers=2, timeout=60)


@main.command()
@click.option("--workers", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option("--bind", default="127.0.0.1:8000", show_default=True)
@click.option("--timeout", default=60, show_default=True)
@pass_cli
@handle_errors
def serve(cli: CliContext, workers: int, bind: str, timeout: int) -> None:
    """Production server: gunicorn in this process, each worker building its app after
    the fork; SIGTERM or Ctrl+C stop it gracefully (in-flight requests finish)."""
    from ledger.app import probe_postgres
    from sdsi.server import serve as run_server

    settings = cli.settings
    if settings.database.is_postgres:
        probe_postgres(settings.database)
    _ = cli.ledger  # fails early, in one line, if the database is not initialised
    from projections.service import upgrade_live_views

    # views of an earlier release: rebuilt here, once, before the workers start
    upgrade_live_views(settings, cli.ledger)
    click.echo(
        f"serving {settings.database.describe()} on http://{bind} with {workers} worker(s)",
        err=True,
    )
    cli.close()
    run_server(
        bind,
        workers=workers,
        timeout=timeout,
        trusted_proxies=settings.trusted_proxies,
    )


main.add_command(cli_users.users)
main.add_command(cli_projections.projections)
main.add_command(cli_notifications.notifications)
main.add_command(cli_projections.replay)
cli_integrity.register(main)
main.add_command(cli_exports.export)
main.add_command(cli_setup.setup)
main.add_command(cli_inventory.inventory)
main.add_command(cli_finance.finance)
main.add_command(cli_optimise.optimise)
main.add_command(cli_mail.mail)
cli_witness.register(main)
main.add_command(cli_keys.keys)
