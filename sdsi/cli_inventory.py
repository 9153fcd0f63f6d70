"""``sdsi inventory``: the inventory of the information system from a spreadsheet
(template, then import)."""

from __future__ import annotations

from pathlib import Path

import click

from domain.values import Origin
from sdsi.cli_common import CliContext, fail, handle_errors, pass_cli


@click.group()
def inventory() -> None:
    """The inventory of the information system (diagnosis, phase 4): applications
    and infrastructure components from a CSV or XLSX file."""


@inventory.command("template")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path), required=True,
    help="The file to write (.xlsx, or .csv).",
)  # fmt: skip
def template(output: Path) -> None:
    """Write the empty inventory template (its ``aide`` sheet documents each column)."""
    from setupfile.inventory_file import template_csv, template_xlsx

    body = template_csv() if output.suffix.lower() == ".csv" else template_xlsx()
    output.write_bytes(body)
    click.echo(f"wrote {output}")


@inventory.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Show what it would do; write nothing.")
@click.option(
    "--actor", envvar="SDSI_ACTOR", default="admin", show_default=True,
    help="Account on whose behalf the command is recorded (DSI or administrator).",
)  # fmt: skip
@pass_cli
@handle_errors
def import_file(cli: CliContext, file: Path, dry_run: bool, actor: str) -> None:
    """Import FILE (CSV or XLSX): every error by line and column and nothing
    written, or every new and changed component in one command, with the import as
    its reason. The same file twice changes nothing."""
    from ledger.core import Caller
    from setupfile.inventory_file import apply_inventory, plan_file
    from setupfile.sheets import FileRefused

    try:
        plan = plan_file(cli.ledger, file)
    except FileRefused as exc:
        fail(str(exc))
    for line in plan.report():
        click.echo(line)
    if not plan.ok:
        fail(f"{len(plan.errors)} erreur(s) : rien n'a été écrit")
    if dry_run:
        click.echo(f"{len(plan.lines)} ligne(s) à envoyer (--dry-run : rien écrit)")
        return
    result = apply_inventory(cli.ledger, plan, Caller(actor=actor, origin=Origin.CLI))
    click.echo(f"{len(result['created'])} créé(s), {len(result['changed'])} modifié(s)")
