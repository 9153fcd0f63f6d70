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


@finance.command("imports")
@pass_cli
@handle_errors
def imports(cli: CliContext) -> None:
    """The past imports, newest first: key, date, file, SHA-256 prefix, profile,
    counts and actor (the key is what ``reconcile --import`` takes)."""
    for imp in cli.ledger.finance_import_list():
        c = imp["counts"]
        click.echo(
            f"{imp['key']}  {imp['at']:%Y-%m-%d %H:%M} UTC  {imp['file_name']}  "
            f"{imp['sha256'][:12]}  {imp['profile']}  {c.get('create', 0)} créées, "
            f"{c.get('exists', 0)} déjà là, {c.get('conflict', 0)} en conflit, "
            f"{c.get('unmatched', 0)} sans projet  {imp['actor']}"
        )


@finance.command("reconcile")
@click.option("--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv")
@click.option("-o", "--output", type=click.Path(path_type=Path), required=True)
@click.option(
    "--import", "import_key", default=None,
    help="Key of the import to reconcile with (sdsi finance imports); default: the last.",
)  # fmt: skip
@pass_cli
@handle_errors
def reconcile(cli: CliContext, fmt: str, output: Path, import_key: str | None) -> None:
    """The reconciliation of the ledger with an imported file (the last by default)."""
    from exports.finance_reconciliation import render

    rows = cli.ledger.finance_reconciliation(import_key=import_key)
    output.write_bytes(render(rows, fmt))
    click.echo(f"wrote {output}")
