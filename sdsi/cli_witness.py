"""``sdsi witness``: run a witness (init, add-log, serve) and push to witnesses (push,
status). Formats and deployment: docs/integrity.md, "Witnesses"."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from sdsi.cli_common import EXIT_FAILED, CliContext, fail, handle_errors, pass_cli

STATE = click.option(
    "--state",
    "state_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="The witness's state directory (key, logs, store).",
)


@click.group()
def witness() -> None:
    """Witnesses (C2SP tlog-witness): run one for another body's ledger (init,
    add-log, serve), or send this ledger's checkpoints to its own (push, status)."""


def _state_errors(func: Any) -> Any:
    from functools import wraps

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from ledger.witness_state import WitnessStateError

        try:
            return func(*args, **kwargs)
        except WitnessStateError as exc:
            fail(str(exc))

    return wrapper


@witness.command("init")
@STATE
@click.option("--name", required=True, help="The witness's key name (e.g. "
              "prefecture.example/w1).")  # fmt: skip
@_state_errors
def init(state_dir: Path, name: str) -> None:
    """Create a witness: its Ed25519 key, an empty list of logs, its store. Prints
    the vkey to give to the logs' operators (their SDSI_WITNESSES)."""
    from ledger.witness_state import WitnessState

    state = WitnessState.init(state_dir, name)
    click.echo(f"witness {name} created in {state_dir}")
    click.echo(state.cosigner.vkey())


@witness.command("add-log")
@STATE
@click.argument("origin")
@click.argument("key")
@_state_errors
def add_log(state_dir: Path, origin: str, key: str) -> None:
    """Follow the log ORIGIN signed by KEY (its vkey, as `sdsi ledger key` prints
    it, or a PEM file). Restart the witness to take it into account."""
    from ledger.witness_state import WitnessState

    state = WitnessState(state_dir)
    state.load_key()  # a witness must exist there
    verifier = state.add_log(origin, key)
    click.echo(f"following {origin} (key {verifier.key_id.hex()})")


@witness.command("serve")
@STATE
@click.option("--listen", default="127.0.0.1:8441", show_default=True,
              help="HOST:PORT to listen on.")  # fmt: skip
@click.option("--threads", default=4, show_default=True, type=click.IntRange(1, 64))
@click.option(
    "--reset",
    is_flag=True,
    help="Start although the witness's state was lost (it forgets every log).",
)
@_state_errors
def serve(state_dir: Path, listen: str, threads: int, reset: bool) -> None:
    """Serve add-checkpoint (gunicorn, one process). Refuses to start when its
    state was lost (see docs/integrity.md) unless --reset."""
    from ledger.witness_state import WitnessState

    state = WitnessState.open(state_dir, reset=reset)
    if reset:
        click.echo("warning: --reset: the witness starts with no state", err=True)
    if not state.logs:
        click.echo(
            f"warning: {state_dir}/logs lists no log: every request gets 404", err=True
        )
    click.echo(
        f"witness {state.name} ({state.cosigner.vkey()}) on {listen},"
        f" following {', '.join(state.logs) or 'no log'}",
        err=True,
    )
    from sdsi.witness_server import serve_witness

    serve_witness(state_dir, listen, threads)


@witness.command("push")
@click.option("--force", is_flag=True, help="Also retry failing witnesses now.")
@pass_cli
@handle_errors
def push(cli: CliContext, force: bool) -> None:
    """Send the latest checkpoint to each witness of SDSI_WITNESSES once and store
    their cosignatures; exit 1 if one of them failed."""
    from ledger.witness_push import WitnessPusher

    if not cli.settings.witnesses:
        fail("SDSI_WITNESSES is not set: no witness to send to")
    results = WitnessPusher(cli.ledger).run_once(force=force)
    for r in results:
        click.echo(f"{r.label}: {r.outcome}" + (f" — {r.detail}" if r.detail else ""))
    if any(r.outcome in ("failing", "waiting") for r in results):
        sys.exit(EXIT_FAILED)


@witness.command("status")
@pass_cli
@handle_errors
def status(cli: CliContext) -> None:
    """Which tree each witness of SDSI_WITNESSES cosigned, and failing deliveries."""
    from ledger.witness_push import witnesses_json

    info = witnesses_json(cli.ledger)
    latest = info["latest_checkpoint"]
    click.echo(
        "latest checkpoint: "
        + (
            "none"
            if latest is None
            else f"#{latest['seq']}, tree size {latest['tree_size']}"
        )
    )
    for w in info["witnesses"]:
        c = w["cosigned"]
        seen = (
            "nothing cosigned" if c is None else f"cosigned tree size {c['tree_size']}"
        )
        click.echo(f"{w['label']} ({w['name']}): {w['status']}, {seen}"
                   + (f" — {w['last_error']}" if w["last_error"] else ""))  # fmt: skip


def register(group: click.Group) -> None:
    group.add_command(witness)
