"""``sdsi seal``, ``sdsi verify`` and ``sdsi ledger …``: the tamper-evident ledger."""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from sdsi.cli_common import (
    EXIT_FAILED,
    CliContext,
    fail,
    handle_errors,
    pass_cli,
    progress,
)

# a position or checkpoint number: past 64 bits no database can hold it (SQLite
# would refuse the number with a traceback)
POSITION = click.IntRange(min=1, max=2**63 - 1)


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


@contextmanager
def _checked() -> Iterator[None]:
    """Integrity failures exit 1, unusable input exits 2; one line, no traceback."""
    from ledger.bundle import BundleError, BundleInvalid
    from ledger.integrity import IntegrityBroken, ProofError
    from ledger.sealing import SealingError
    from ledger.verify import VerifyUsageError

    try:
        yield
    except SealingError as exc:
        fail(f"sealing stopped: {exc}", EXIT_FAILED)
    except (IntegrityBroken, BundleInvalid) as exc:
        fail(str(exc), EXIT_FAILED)
    except (ProofError, BundleError, VerifyUsageError) as exc:
        fail(str(exc))


def _status(sealer: Any) -> str:
    latest = sealer.latest_checkpoint
    where = (
        "no checkpoint yet"
        if latest is None
        else f"latest checkpoint #{latest.seq} at tree size {latest.tree_size}"
    )
    return f"tree size {sealer.tree_size}, {where}"


@click.command("seal")
@click.option("--follow", is_flag=True, help="Keep sealing new events until stopped.")
@click.option(
    "--poll-interval", default=1.0, show_default=True, help="Seconds between polls."
)
@click.option(
    "--checkpoint",
    "sign_now",
    is_flag=True,
    help="Also sign a checkpoint at the head now.",
)
@pass_cli
@handle_errors
def seal(cli: CliContext, follow: bool, poll_interval: float, sign_now: bool) -> None:
    """Seal new events into the Merkle tree and sign checkpoints when due."""
    from ledger.sealing import Sealer
    from ledger.sealstore import SealStore

    ledger = cli.ledger
    sealer = Sealer(ledger)
    with _checked():
        if not follow:
            store = SealStore(ledger.storage)
            todo = (
                store.count_events_after(store.head()[1]) if sys.stderr.isatty() else 0
            )
            with progress(todo, "sealing") as advance:
                sealed = sealer.run_once(progress=advance)
            if sign_now:
                sealer.checkpoint_now("manual")
            click.echo(f"sealed {sealed} events; {_status(sealer)}")
            return
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        if sys.stderr.isatty():
            click.echo(f"sealing, {_status(sealer)}; Ctrl-C to stop", err=True)
        sealer.follow(stop, poll_interval)
        click.echo(f"stopped; {_status(sealer)}")


@click.command("verify")
@click.option(
    "--from-checkpoint",
    type=int,
    default=None,
    metavar="N",
    help="Start from checkpoint N (trusting its signed root) instead of event 1.",
)
@click.option(
    "--checkpoint",
    "known",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A signed checkpoint obtained earlier (file); the ledger must extend it.",
)
@click.option(
    "--attachments",
    is_flag=True,
    help="Also check every recorded attachment file against its SHA-256.",
)
@click.option(
    "--witness",
    "witness_keys",
    multiple=True,
    metavar="KEY",
    help="A trusted witness's vkey (or a file holding it); repeat for each.",
)
@click.option(
    "--quorum",
    type=click.IntRange(min=1),
    default=None,
    help="Cosignatures required of the latest checkpoint (default: all --witness).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@pass_cli
@handle_errors
def verify(
    cli: CliContext,
    from_checkpoint: int | None,
    known: tuple[Path, ...],
    attachments: bool,
    witness_keys: tuple[str, ...],
    quorum: int | None,
    fmt: str,
) -> None:
    """Recompute every seal and check every signed checkpoint (and, with
    --attachments, every attachment file); exit 1 if broken."""
    from ledger.sealstore import SealStore
    from ledger.verify import verify_ledger

    cosigners = _witness_policy(witness_keys, quorum)
    ledger = cli.ledger
    notes = [(f"checkpoint file {p}", p.read_text(encoding="utf-8")) for p in known]
    total = (
        SealStore(ledger.storage).count_events_after(0) if sys.stderr.isatty() else 0
    )
    with _checked(), progress(total, "verifying") as advance:
        report = verify_ledger(
            ledger, from_checkpoint=from_checkpoint, known=notes, progress=advance
        )
    problems, files = _attachment_problems(ledger) if attachments else ([], [])
    if fmt == "json":
        doc = report.to_json()
        if attachments:
            doc["attachments"] = {
                "checked": len(files),
                "problems": [
                    {
                        "sha256": p.file.sha256,
                        "filename": p.file.filename,
                        "kind": p.kind,
                        "found": p.found,
                    }
                    for p in problems
                ],
            }
        _echo_json(doc)
    else:
        click.echo("\n".join(report.lines()))
        if attachments:
            click.echo(f"attachments: {len(files)} files checked, {len(problems)} bad")
            for problem in problems:
                click.echo(problem.line())
    witnessed = None
    if cosigners:
        from ledger.witness_push import check_quorum

        witnessed = check_quorum(ledger, cosigners, quorum or len(cosigners))
        click.echo(f"witnesses: {witnessed[1]}", err=fmt == "json")
    first = report.first
    if first is not None:
        fail(f"integrity check failed at {first.where()} ({first.kind})", EXIT_FAILED)
    if problems:
        fail(f"{len(problems)} attachment file(s) missing or altered", EXIT_FAILED)
    if witnessed is not None and not witnessed[0]:
        fail(f"witness quorum not met: {witnessed[1]}", EXIT_FAILED)


# --- witnesses -------------------------------------------------------------------------


def _witness_policy(specs: tuple[str, ...], quorum: int | None) -> list[Any]:
    """The trusted witnesses of ``--witness``; a usage error for a bad policy."""
    from ledger.cosignature import CosignatureError, load_cosigner

    if quorum is not None and not specs:
        fail("--quorum needs the witnesses' keys (--witness KEY)")
    try:
        cosigners = list({c.vkey(): c for c in map(load_cosigner, specs)}.values())
    except CosignatureError as exc:
        fail(f"--witness: {exc}")
    if quorum is not None and quorum > len(cosigners):
        fail(f"--quorum {quorum} is more than the {len(cosigners)} witnesses given")
    return cosigners


def _push_witnesses(ledger: Any) -> None:
    """Send the new checkpoint to the witnesses (if any) before a bundle is written,
    so that it carries their cosignatures; a failing witness is only reported."""
    if not ledger.settings.witnesses:
        return
    from ledger.witness_push import WitnessPusher

    for r in WitnessPusher(ledger).run_once(force=True):
        if r.outcome not in ("cosigned", "up to date"):
            click.echo(f"warning: witness {r.label}: {r.outcome} {r.detail}", err=True)


def _attachment_problems(ledger: Any) -> tuple[list[Any], list[Any]]:
    """The recorded attachment files and those missing or altered in the store."""
    from ledger.attachment_check import check_files, recorded_files

    files = recorded_files(ledger)
    return check_files(ledger.attachment_store, files), files


@click.group("ledger")
def ledger_group() -> None:
    """Bundles, proofs and checkpoints of the tamper-evident ledger."""


@ledger_group.command("export")
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option(
    "--seal/--no-seal",
    "seal_first",
    default=True,
    show_default=True,
    help="Seal up to the head and sign a checkpoint there first.",
)
@click.option(
    "--with-attachments",
    "attachments",
    is_flag=True,
    help="Include every recorded attachment file (checked against its SHA-256).",
)
@pass_cli
@handle_errors
def export(cli: CliContext, bundle: Path, seal_first: bool, attachments: bool) -> None:
    """Write the whole ledger to BUNDLE (a new directory, or a file ending in .zip)."""
    from ledger.bundle import export_bundle
    from ledger.sealing import Sealer
    from ledger.sealstore import SealStore

    ledger = cli.ledger
    with _checked():
        if seal_first:
            Sealer(ledger).checkpoint_now("export")
            _push_witnesses(ledger)
        total = (
            SealStore(ledger.storage).count_events_after(0)
            if sys.stderr.isatty()
            else 0
        )
        with progress(total, "exporting") as advance:
            manifest = export_bundle(
                ledger, bundle, progress=advance, attachments=attachments
            )
    latest = manifest["latest_checkpoint"]
    click.echo(
        f"exported {manifest['events']} events, {manifest['sealed']} seals and "
        f"{manifest['checkpoints']} checkpoints to {bundle}"
        + (f" (latest checkpoint at tree size {latest['tree_size']})" if latest else "")
    )
    click.echo(f"key fingerprint (SHA-256): {manifest['key_fingerprint']}")
    if "attachments" in manifest:
        click.echo(
            f"with {manifest['attachments']['files']} attachment files"
            f" ({manifest['attachments']['bytes']} bytes)"
        )
    if manifest["outside_log"]:
        click.echo(
            f"warning: {manifest['outside_log']} event rows lie outside the log (ids"
            " <= 0), listed in outside.jsonl: run `sdsi verify`",
            err=True,
        )


@ledger_group.command("import")
@click.argument("bundle", type=click.Path(exists=True, path_type=Path))
@click.option(
    "--trust-key",
    is_flag=True,
    help="Accept the bundle's signing key (check its fingerprint first).",
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="Load the data keys written by `sdsi keys export` before projecting the"
    " views, so names and e-mails show at once.",
)
@pass_cli
@handle_errors
def import_(
    cli: CliContext, bundle: Path, trust_key: bool, keys_file: Path | None
) -> None:
    """Verify BUNDLE, then load it into an empty database (created if needed)."""
    from datetime import UTC, datetime

    from ledger.app import open_ledger, probe_postgres
    from ledger.bundle_import import import_bundle
    from ledger.keys import ensure_secret_key, ensure_signing_key
    from ledger.personal_keys import EXPORT_FORMAT, PersonalDataError

    keys_data = None
    if (
        keys_file is not None
    ):  # read before anything is written: a bad file imports nothing
        try:
            keys_data = json.loads(keys_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            fail(f"{keys_file}: {exc}")
        if not isinstance(keys_data, dict) or keys_data.get("format") != (
            EXPORT_FORMAT
        ):
            fail(f"{keys_file}: not a key export ({EXPORT_FORMAT} expected)")
    settings = cli.settings
    if settings.database.is_postgres:
        probe_postgres(settings.database)
    settings.data_dir.mkdir(parents=True, mode=0o700, exist_ok=True)
    ensure_secret_key(settings)
    ensure_signing_key(settings)
    ledger = open_ledger(settings, create=True)
    cli._ledger = ledger
    if ledger.storage.get_meta("initialised_at") is None:
        ledger.storage.set_meta("initialised_at", datetime.now(UTC).isoformat())
    from ledger.bundle import Bundle

    total = 0
    if sys.stderr.isatty():
        with _checked():
            total = int(Bundle(bundle).manifest.get("events", 0))
    with _checked(), progress(total, "importing") as advance:
        result = import_bundle(
            ledger, bundle, trust_bundle_key=trust_key, progress=advance
        )
    click.echo(
        f"imported {result.events} events, sealed {result.sealed}, "
        f"{result.checkpoints} checkpoints; the bundle verified in "
        f"{result.report.seconds:.2f} s"
    )
    if result.attachments:
        click.echo(f"restored {result.attachments} attachment files")
    if result.cosignatures:
        click.echo(f"restored {result.cosignatures} witness cosignatures")
    if keys_data is not None:
        try:
            counts = ledger.personal_keys.import_(keys_data)
        except PersonalDataError as exc:
            fail(
                f"{keys_file}: {exc}; the ledger is imported without its keys:"
                " `sdsi keys import` then `sdsi projections rebuild`"
            )
        click.echo(
            f"{counts['added']} key(s) added, {counts['erased']} erasure(s) applied"
        )
    # The views, as `sdsi init` makes them, projected from the imported log: replays,
    # rebuilds and the web then work at once.
    from projections.projector import ProjectionError
    from projections.service import ReadModel, init_views

    click.echo("passwords are not part of bundles: set them with `sdsi users passwd`")
    init_views(settings, ledger)
    read_model = ReadModel(ledger, settings)
    try:
        with progress(result.events, "projecting") as advance:
            projected = read_model.projector(batch_size=5000).catch_up(progress=advance)
    except ProjectionError as exc:
        # The import itself succeeded (and verified): say loudly what did not.
        click.echo(
            f"sdsi: warning: the ledger is imported, but its views could not be "
            f"projected: {exc}; `sdsi projections rebuild` projects them again",
            err=True,
        )
        return
    finally:
        read_model.close()
    click.echo(f"projected {projected} events into the views")


@ledger_group.command("proof")
@click.argument("position", type=POSITION)
@click.option(
    "--checkpoint",
    "seq",
    type=int,
    default=None,
    metavar="N",
    help="Prove against checkpoint N (default: the latest).",
)
@pass_cli
@handle_errors
def proof(cli: CliContext, position: int, seq: int | None) -> None:
    """Print the inclusion proof (JSON) of the event at POSITION."""
    from ledger.integrity import inclusion_proof

    with _checked():
        _echo_json(inclusion_proof(cli.ledger, position, checkpoint=seq))


@ledger_group.command("evidence")
@click.argument("position", type=POSITION)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: stdout).",
)
@pass_cli
@handle_errors
def evidence(cli: CliContext, position: int, output: Path | None) -> None:
    """Write the evidence file (JSON) of the decision at POSITION: the decision, the
    events it rests on and their proofs, for `verifier.py evidence`."""
    from ledger.evidence_file import evidence_file

    with _checked():
        data = evidence_file(cli.ledger, position)
    if output is None or str(output) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    output.write_bytes(data)
    click.echo(f"wrote {output} ({len(data):,} bytes, decision at position {position})")


@ledger_group.command("consistency")
@click.argument("first", type=POSITION)
@click.argument("second", type=POSITION, required=False)
@pass_cli
@handle_errors
def consistency(cli: CliContext, first: int, second: int | None) -> None:
    """Print the consistency proof (JSON) from checkpoint number FIRST to SECOND."""
    from ledger.integrity import checkpoint_consistency

    with _checked():
        _echo_json(checkpoint_consistency(cli.ledger, first, second))


@ledger_group.command("checkpoints")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option(
    "--note",
    "note_of",
    type=int,
    default=None,
    metavar="N",
    help="Print only the signed note of checkpoint N (0: the latest).",
)
@pass_cli
@handle_errors
def checkpoints(cli: CliContext, fmt: str, note_of: int | None) -> None:
    """List the signed checkpoints (or print one signed note)."""
    from ledger.integrity import latest_checkpoint, list_checkpoints

    if note_of is not None:
        rows = (
            [latest_checkpoint(cli.ledger)]
            if note_of == 0
            else [
                c
                for c in list_checkpoints(cli.ledger, note_of - 1, 1)
                if c["seq"] == note_of
            ]
        )
        if not rows or rows[0] is None:
            fail(f"no checkpoint #{note_of}" if note_of else "no checkpoint yet")
        click.echo(rows[0]["note"], nl=False)
        return
    rows = _all_checkpoints(cli.ledger, list_checkpoints)
    if fmt == "json":
        _echo_json(rows)
        return
    for c in rows:
        click.echo(
            f"#{c['seq']:<5} size {c['tree_size']:<9} {c['root_hex']}  "
            f"{c['issued_at']}  {c['reason']}"
        )


def _all_checkpoints(
    ledger: Any, page_of: Callable[..., list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        page = page_of(ledger, rows[-1]["seq"] if rows else 0, 1000)
        rows += page
        if len(page) < 1000:
            return rows


@ledger_group.command("key")
@pass_cli
@handle_errors
def key(cli: CliContext) -> None:
    """Print the public key that signs checkpoints (to pin in verifiers)."""
    from ledger.integrity import public_key_json

    info = public_key_json(cli.ledger)
    click.echo(f"origin:      {info['origin']}")
    click.echo(f"vkey:        {info['vkey']}")
    click.echo(f"fingerprint: {info['fingerprint']}")
    click.echo(info["pem"], nl=False)


def register(group: click.Group) -> None:
    """Add ``seal``, ``verify`` and ``ledger`` to the ``sdsi`` command."""
    for command in (seal, verify, ledger_group):
        group.add_command(command)
