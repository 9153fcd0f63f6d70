"""``sdsi mail``: the worker that sends the outbox's e-mails, and its status."""

from __future__ import annotations

import signal
import sys
import time
from typing import Any

import click

from sdsi.cli_common import EXIT_FAILED, CliContext, handle_errors, pass_cli


@click.group()
def mail() -> None:
    """E-mail: the outbox (password-reset links, convocations, notifications) and
    the worker sending it through SDSI_SMTP_URL."""


@mail.command("work")
@click.option(
    "--once", is_flag=True, help="Dispatch the notifications, send what is due, exit."
)
@click.option(
    "--interval", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
    help="Seconds between two looks at the outbox when it is empty.",
)  # fmt: skip
@pass_cli
@handle_errors
def work(cli: CliContext, once: bool, interval: float) -> None:
    """At each cycle, queue the notifications' e-mails (as `sdsi notifications
    dispatch` does) and send the outbox's due messages through SDSI_SMTP_URL; a
    failed send is retried later. Run beside the web server (a systemd unit, a second
    process); several workers may run at once."""
    from ledger.mailer import MailWorker
    from projections.notification_mail import dispatch
    from projections.service import ReadModel
    from web.notifications import readable

    settings = cli.settings.mail
    if settings.smtp is None:
        click.echo(
            "sdsi: error: SDSI_SMTP_URL is not set: nothing can be sent"
            " (messages stay queued)",
            err=True,
        )
        sys.exit(EXIT_FAILED)
    worker = MailWorker(cli.ledger.storage, settings)
    rm: Any = ReadModel(cli.ledger, cli.settings)

    def cycle(loud: bool) -> None:
        queued = dispatch(
            rm.store,
            cli.ledger.storage,
            digest_hour=cli.settings.digest_hour,
            timezone=cli.settings.timezone,
            may_read=readable(cli.ledger, rm.store),
            base_url=settings.base_url,
        )
        if loud or queued.queued or queued.digests:
            click.echo(
                f"queued {queued.queued} notification e-mail(s) and"
                f" {queued.digests} digest(s)"
            )
        report = worker.drain()
        if loud or report.claimed:
            click.echo(
                f"sent {report.sent}, to retry {report.retried}, failed {report.failed}"
            )

    click.echo(f"sending through {settings.smtp.describe()} as {settings.sender}")
    try:
        if once:
            cycle(True)
            return
        stopping: list[int] = []

        def stop(signum: int, frame: Any) -> None:
            stopping.append(signum)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        while not stopping:
            cycle(False)
            deadline = time.monotonic() + interval
            while not stopping and time.monotonic() < deadline:
                time.sleep(min(0.2, interval))
    finally:
        rm.close()


@mail.command("status")
@pass_cli
@handle_errors
def status(cli: CliContext) -> None:
    """How many messages are queued, sent and failed; where they are sent."""
    from ledger.outbox import Outbox

    settings = cli.settings.mail
    counts = Outbox(cli.ledger.storage).counts()
    if settings.smtp is None:
        click.echo("SMTP: not configured (SDSI_SMTP_URL unset): nothing is sent")
    else:
        click.echo(f"SMTP: {settings.smtp.describe()}, from {settings.sender}")
    for name in ("queued", "sent", "failed"):
        click.echo(f"{name}: {counts[name]}")
