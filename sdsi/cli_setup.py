"""``sdsi setup``: the organisation from a spreadsheet (template, then import)."""

from __future__ import annotations

from pathlib import Path

import click

from domain.values import Origin
from sdsi.cli_common import CliContext, fail, handle_errors, pass_cli


@click.group()
def setup() -> None:
    """The organisation from a set-up file: pôles, directions, teams and
    capacities, axes, indicators and targets, accounts with roles."""


@setup.command("template")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True,
    help="The XLSX file (or, with --format csv, the directory) to write.",
)  # fmt: skip
@click.option(
    "--format", "fmt", type=click.Choice(["xlsx", "csv"]), default="xlsx",
    show_default=True, help="One XLSX workbook, or a directory of one CSV per sheet.",
)  # fmt: skip
@click.option(
    "--current", is_flag=True,
    help="Fill it with the ledger's open records (importing it back changes nothing).",
)  # fmt: skip
@pass_cli
@handle_errors
def template(cli: CliContext, output: Path, fmt: str, current: bool) -> None:
    """Write the set-up template: one sheet per kind of record."""
    from setupfile.importer import current_rows
    from setupfile.sheets import write_csv, write_xlsx

    rows = current_rows(cli.ledger) if current else None
    (write_csv if fmt == "csv" else write_xlsx)(output, rows)
    click.echo(f"wrote {output}")


@setup.command("import")
@click.argument("file", type=click.Path(exists=True, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what it would do; write nothing.")
@click.option(
    "--actor", envvar="SDSI_ACTOR", default="admin", show_default=True,
    help="Account on whose behalf the commands are recorded.",
)  # fmt: skip
@pass_cli
@handle_errors
def import_file(cli: CliContext, file: Path, dry_run: bool, actor: str) -> None:
    """Import FILE (XLSX, or a directory of CSVs): every error by sheet, row and
    column and nothing written, or each creation and change, one command each,
    with the import as its reason. The same file twice changes nothing."""
    from ledger.core import Caller
    from setupfile.importer import ImportInterrupted, apply, plan_file
    from setupfile.sheets import FileRefused

    try:
        plan = plan_file(cli.ledger, file)
    except FileRefused as exc:
        fail(str(exc))
    for line in plan.lines():
        click.echo(line)
    if not plan.ok:
        fail(f"{len(plan.errors)} erreur(s) : rien n'a été écrit")
    if dry_run:
        click.echo(
            f"{len(plan.actions)} commande(s) à envoyer (--dry-run : rien écrit)"
        )
        return
    try:
        sent = apply(cli.ledger, plan, Caller(actor=actor, origin=Origin.CLI))
    except ImportInterrupted as exc:
        for login, password in sorted(exc.passwords.items()):
            click.echo(f"password of {login}: {password}")
        fail("\n".join(exc.lines()))
    for login, password in sorted(plan.passwords.items()):
        click.echo(f"password of {login}: {password}")
    click.echo(f"{sent} commande(s) envoyée(s)")
