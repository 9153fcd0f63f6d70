"""``sdsi notifications dispatch``: queue the notifications' e-mails in the outbox."""

from __future__ import annotations

import signal
import threading
from typing import Any

import click

from sdsi.cli_common import CliContext, handle_errors, pass_cli


@click.group()
def notifications() -> None:
    """Notifications: their e-mails (at once, or a daily digest)."""


@notifications.command()
@click.option("--once", is_flag=True, help="Dispatch what is pending and exit.")
@click.option(
    "--every",
    default=30.0,
    show_default=True,
    help="Seconds between dispatches (without --once).",
)
@pass_cli
@handle_errors
def dispatch(cli: CliContext, once: bool, every: float) -> None:
    """Queue an e-mail per notification for those who chose "immediately", and the
    daily digests from SDSI_DIGEST_HOUR (local time); `sdsi mail work` sends them
    (and runs this dispatch too at each of its cycles: this command is for a
    deployment that wants the dispatch apart)."""
    from projections.notification_mail import dispatch as run
    from projections.service import ReadModel
    from web.notifications import readable

    rm: Any = ReadModel(cli.ledger, cli.settings)
    stop = threading.Event()
    if not once:
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        while True:
            report = run(
                rm.store,
                cli.ledger.storage,
                digest_hour=cli.settings.digest_hour,
                timezone=cli.settings.timezone,
                may_read=readable(cli.ledger, rm.store),
                base_url=cli.settings.mail.base_url,
            )
            if once or report.queued or report.digests:
                click.echo(
                    f"queued {report.queued} e-mail(s) and {report.digests} digest(s);"
                    f" dispatched up to position {report.position}"
                )
            if once or stop.wait(every):
                break
    except KeyboardInterrupt:
        pass
    finally:
        rm.close()
