"""``sdsi keys``: back up and restore the data keys of personal values, apart from
the ledger (bundles never hold them; see docs/privacy.md)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from sdsi.cli_common import CliContext, fail, handle_errors, pass_cli


@click.group()
def keys() -> None:
    """Data keys of personal values (crypto-shredding)."""


@keys.command("export")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@pass_cli
@handle_errors
def export(cli: CliContext, path: Path) -> None:
    """Write every data key and the erasure register to PATH (mode 0600): keep it
    apart from the ledger's backups; a key erased later stays in this file until
    it is destroyed, so rotate such backups (docs/privacy.md)."""
    data = cli.ledger.personal_keys.export()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=1)
    live = sum(1 for k in data["keys"] if k["key"])
    click.echo(f"{path}: {live} key(s), {len(data['keys']) - live} erased subject(s)")


@keys.command("import")
@click.argument("path", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@pass_cli
@handle_errors
def import_(cli: CliContext, path: Path) -> None:
    """Load keys exported by `sdsi keys export` (after `sdsi ledger import`, or to
    restore a lost table); an erasure on either side wins."""
    from ledger.personal_keys import PersonalDataError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        counts = cli.ledger.personal_keys.import_(data)
    except (ValueError, PersonalDataError) as exc:
        fail(f"{path}: {exc}")
    click.echo(f"{counts['added']} key(s) added, {counts['erased']} erasure(s) applied")
    click.echo("run `sdsi projections rebuild` so the views show the restored names")
