"""``sdsi finance``: import of engagements and mandats, and the reconciliation."""

from __future__ import annotations

from pathlib import Path

import click

from domain.values import Origin
from sdsi.cli_common import CliContext, fail, handle_errors, pass_cli


@click.group()
def finance() -> None:
    """Commitments and payments from the finance software."""


@finance.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--profile", "profile", required=True, help="Column-mapping profile.")
@click.option("--dry-run", is_flag=True, help="Show what it would do; write nothing.")
@click.option(
    "--actor", envvar="SDSI_ACTOR", default="admin", show_default=True,
    help="Finance account on whose behalf the import is recorded.",
)  # fmt: skip
@pass_cli
@handle_errors
def import_file(
    cli: CliContext, file: Path, profile: str, dry_run: bool, actor: str
) -> None:
    """Import FILE (CSV or XLSX): refused whole on any invalid line; lines already
    recorded are skipped; conflicts and unmatched lines are listed, not written."""
    from ledger.core import Caller
    from setupfile.finance_file import ProfileNotFound, run_import

    try:
        outcome = run_import(
            cli.ledger,
            file.read_bytes(),
            file.name,
            profile,
            Caller(actor=actor, origin=Origin.IMPORT, reason="import financier"),
            dry_run=dry_run,
        )
    except ProfileNotFound as exc:
        fail(str(exc))
    for line in outcome.report():
        click.echo(line)
    if not outcome.parsed.ok:
        fail("fichier refusé")


@finance.command("reconcile")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@pass_cli
@handle_errors
def reconcile(cli: CliContext, fmt: str, output: Path) -> None:
    """The reconciliation of the ledger with the last imported file."""
    from exports.finance_reconciliation import render

    output.write_bytes(render(cli.ledger.finance_reconciliation(), fmt))
    click.echo(f"wrote {output}")
