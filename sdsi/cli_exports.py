"""``sdsi export``: budget tables, COPIL minutes, plan, audit certificate, open data."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

import click

from sdsi.cli_common import EXIT_FAILED, CliContext, fail, handle_errors, pass_cli


class ExportCommand(click.Command):
    """``sdsi export``, whose help lists the kinds of the export registry itself, so
    the list cannot drift from what the command accepts."""

    def format_help_text(
        self, ctx: click.Context, formatter: click.HelpFormatter
    ) -> None:
        super().format_help_text(ctx, formatter)
        from exports.registry import EXPORTERS

        with formatter.section("Kinds (KIND: formats, the first is the default)"):
            formatter.write_dl(
                [
                    (name, f"{', '.join(e.formats)} — {e.label}")
                    for name, e in EXPORTERS.items()
                ]
            )


@click.command("export", cls=ExportCommand)
@click.argument("kind", metavar="KIND")
@click.option(
    "--format",
    "fmt",
    default=None,
    metavar="FORMAT",
    help="csv, xlsx, pdf or json (default: the export's first format).",
)
@click.option(
    "--as-of", "as_of", default=None, help="ISO date-time (UTC) or position:N."
)
@click.option("--session", default=None, metavar="CODE", help="The session (minutes).")
@click.option(
    "--plan",
    default=None,
    type=click.IntRange(1, 1000),
    metavar="N",
    help="The plan (default: the one in force; an ended plan as it was at its end).",
)
@click.option(
    "--entity",
    default=None,
    metavar="CODE",
    help="Budget and AP/CP annex (budget, apcp): one entity's share (default:"
    " consolidated over every entity).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write ('-' for stdout; default: the export's file name).",
)
@click.option(
    "--catch-up/--no-catch-up",
    default=True,
    show_default=True,
    help="Bring the views up to the head of the log first.",
)
@click.option(
    "--actor",
    envvar="SDSI_ACTOR",
    default="admin",
    show_default=True,
    help="Account recorded as handed a PDF (its SHA-256 is recorded in the ledger,"
    " as for a web download).",
)
@click.option(
    "--record/--no-record",
    default=True,
    show_default=True,
    help="Record a PDF in the ledger as issued (--no-record: a working copy that"
    " is not handed out).",
)
@pass_cli
@handle_errors
def export(
    cli: CliContext,
    kind: str,
    fmt: str | None,
    as_of: str | None,
    session: str | None,
    plan: int | None,
    entity: str | None,
    output: Path | None,
    catch_up: bool,
    actor: str,
    record: bool,
) -> None:
    """Write export KIND (budget tables, minutes, plan, certificate, open data).

    Every kind is listed below with its formats. A PDF is recorded in the ledger
    as issued to --actor (SHA-256, size, file name), as a web download is, before
    it is written: the audit page's « Documents émis » then checks a copy.
    """
    from exports.base import ExportError, ExportRequest, ExportSource
    from exports.registry import exporter

    try:
        chosen = exporter(kind)
        request = ExportRequest(
            fmt or chosen.formats[0], as_of, session, plan, entity=entity
        )
        chosen.check(request)  # bad usage fails before the storage is even opened
    except ExportError as exc:
        fail(str(exc))
    read_model = _read_model(cli, catch_up)
    try:
        rendered = chosen.render(ExportSource(read_model), request)
    except ExportError as exc:
        fail(str(exc))
    finally:
        read_model.close()
    if record:
        _record(cli, kind, rendered, request, actor)
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(rendered.content)
        sys.stdout.flush()
    else:
        target = output or Path(rendered.filename)
        target.write_bytes(rendered.content)
        click.echo(
            f"wrote {target} ({len(rendered.content):,} bytes, {kind}, "
            f"{request.format})"
        )
    if not rendered.ok:
        fail(
            f"{kind}: the ledger's integrity check failed (see the document)",
            EXIT_FAILED,
        )


def _record(
    cli: CliContext, kind: str, rendered: Any, request: Any, actor: str
) -> None:
    """A PDF handed out from the command line is recorded like a web download."""
    from domain.values import Origin
    from exports.issuing import is_issued, record_issue
    from ledger.core import Caller

    if not is_issued(rendered):
        return
    result = record_issue(
        cli.ledger,
        Caller(actor=actor, origin=Origin.CLI),
        kind,
        rendered,
        session=request.session,
        plan=request.plan,
        moment=request.as_of,
    )
    click.echo(
        f"issued document recorded: sha256 {result['sha256']}"
        f" (issuance {result['issuances']}, as {actor})",
        err=True,
    )


def _read_model(cli: CliContext, catch_up: bool) -> Any:
    from projections.projector import OutOfOrder
    from projections.service import ReadModel, ViewsNotInitialised

    try:
        read_model = ReadModel(cli.ledger, cli.settings)
    except ViewsNotInitialised as exc:
        fail(str(exc))
    if catch_up:
        # OutOfOrder: a follower moved the views on meanwhile, so they are current.
        with contextlib.suppress(OutOfOrder):
            read_model.projector().catch_up()
    return read_model
