"""``sdsi users``: accounts and role grants (each grant is a ledger event)."""

from __future__ import annotations

import contextlib
import json
import secrets

import click

from domain.values import Origin, Role
from sdsi.cli_common import CliContext, handle_errors, pass_cli

ROLE_NAMES = [r.value for r in Role]

actor_option = click.option(
    "--actor",
    envvar="SDSI_ACTOR",
    default="admin",
    show_default=True,
    help="Account on whose behalf the command is recorded (must hold the admin role).",
)
reason_option = click.option(
    "--reason", "-r", default=None, help="Why (recorded with the event)."
)


def _caller(actor: str, reason: str | None):  # type: ignore[no-untyped-def]
    from ledger.core import Caller

    return Caller(actor=actor, origin=Origin.CLI, reason=reason)


@click.group()
def users() -> None:
    """Accounts and role grants."""


@users.command("add")
@click.argument("username")
@click.option(
    "--name", "display_name", required=True, help="Full name, as shown in minutes."
)
@click.option("--email", default="")
@click.option(
    "--password", default=None, help="Password (generated and printed if omitted)."
)
@click.option(
    "--role", "roles", multiple=True, help="ROLE or referent:DIRECTION; repeatable."
)
@actor_option
@click.option("--reason", "-r", default="création du compte", show_default=True)
@pass_cli
@handle_errors
def add(
    cli: CliContext,
    username: str,
    display_name: str,
    email: str,
    password: str | None,
    roles: tuple[str, ...],
    actor: str,
    reason: str,
) -> None:
    """Create an account, optionally with roles."""
    generated = password is None
    password = password or secrets.token_urlsafe(12)
    grants = [_split(r) for r in roles]
    result = cli.ledger.add_user(
        _caller(actor, reason),
        username,
        display_name,
        password,
        email=email,
        roles=grants,
    )
    click.echo(f"created {username} with roles: {', '.join(result['roles']) or 'none'}")
    if generated:
        click.echo(f"password: {password}")


@users.command("grant")
@click.argument("username")
@click.argument("role")
@click.option("--scope", default=None, help="Direction code, for the referent role.")
@actor_option
@reason_option
@pass_cli
@handle_errors
def grant(
    cli: CliContext,
    username: str,
    role: str,
    scope: str | None,
    actor: str,
    reason: str | None,
) -> None:
    """Grant ROLE to USERNAME (referent needs --scope DIRECTION); --reason required."""
    role, scope = _split(role, scope)
    result = cli.ledger.grant_role(_caller(actor, reason), username, role, scope)
    click.echo(f"{username}: {', '.join(result['roles'])}")


@users.command("revoke")
@click.argument("username")
@click.argument("role")
@click.option("--scope", default=None)
@actor_option
@reason_option
@pass_cli
@handle_errors
def revoke(
    cli: CliContext,
    username: str,
    role: str,
    scope: str | None,
    actor: str,
    reason: str | None,
) -> None:
    """Revoke ROLE from USERNAME; --reason required."""
    role, scope = _split(role, scope)
    result = cli.ledger.revoke_role(_caller(actor, reason), username, role, scope)
    click.echo(f"{username}: {', '.join(result['roles']) or 'no role'}")


@users.command("passwd")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True)
@actor_option
@click.option(
    "--reason", "-r", required=True, help="Why (recorded with the reset event)."
)
@click.option(
    "--no-force-change",
    is_flag=True,
    help="Do not oblige USERNAME to choose a new password at its next sign-in "
    "(for the operator's own account, with a password only they know).",
)
@pass_cli
@handle_errors
def passwd(
    cli: CliContext,
    username: str,
    password: str,
    actor: str,
    reason: str,
    no_force_change: bool,
) -> None:
    """Reset the password of USERNAME (the break-glass path): an event with actor
    and reason; every session and token of the account ends; unless
    --no-force-change, the account must choose a new password at its next
    sign-in. The operator may reset their own account here, and only here."""
    result = cli.ledger.reset_password(
        _caller(actor, reason), username, password, force_change=not no_force_change
    )
    forced = (
        " (a new one must be chosen at the next sign-in)"
        if result["force_change"]
        else ""
    )
    click.echo(f"password of {username} reset{forced}; its sessions and tokens ended")


@users.command("logout")
@click.argument("username", required=False)
@click.option("--all", "everyone", is_flag=True, help="End every account's sessions.")
@pass_cli
@handle_errors
def logout(cli: CliContext, username: str | None, everyone: bool) -> None:
    """End the web sessions and API tokens of USERNAME (or of everyone, --all)."""
    from ledger.sessions import SessionStore

    if bool(username) == everyone:
        raise click.UsageError("name one account, or --all")
    store = SessionStore(cli.ledger.storage)
    ended = (
        store.end_everyone("operator")
        if everyone
        else store.end_all(str(username), "operator")
    )
    click.echo(f"{ended} session(s) ended")


@users.command("disable")
@click.argument("username")
@actor_option
@reason_option
@pass_cli
@handle_errors
def disable(cli: CliContext, username: str, actor: str, reason: str | None) -> None:
    """Disable USERNAME (it can no longer sign in); --reason required."""
    cli.ledger.disable_user(_caller(actor, reason), username)
    click.echo(f"{username} disabled")


@users.command("email")
@click.argument("username")
@click.argument("address")
@actor_option
@reason_option
@pass_cli
@handle_errors
def email(
    cli: CliContext, username: str, address: str, actor: str, reason: str | None
) -> None:
    """Set the e-mail address of USERNAME to ADDRESS ("" clears it): an event with
    actor and reason; notifications and reset links go there from then on."""
    result = cli.ledger.change_email(_caller(actor, reason), username, address)
    shown = result["email"] or "(none)"
    click.echo(f"e-mail address of {username}: {shown}")


@users.command("erase")
@click.argument("username")
@actor_option
@reason_option
@pass_cli
@handle_errors
def erase(cli: CliContext, username: str, actor: str, reason: str | None) -> None:
    """Erase the name and e-mail of USERNAME (GDPR art. 17): destroys their data
    key; every seal still verifies. --reason required; refused for an account that
    voted in office (docs/privacy.md)."""
    from projections.erasure import erase_person
    from projections.service import ReadModel

    read_model = ReadModel(cli.ledger, cli.settings)
    try:
        report = erase_person(
            cli.ledger, read_model, _caller(actor, reason), username, catch_up=True
        )
    finally:
        read_model.close()
    click.echo(
        f"{report.username}: personal data erased (key destroyed)"
        f" at position {report.notification_id}"
    )
    for line in report.compacted:
        click.echo(f"  compacted: {line}")
    legacy = report.legacy_plaintext_events
    if legacy:
        click.echo(
            f"  WARNING: {legacy} event(s) stored before encryption (issue 19) still"
            " hold the name or e-mail in clear in the sealed log: they read as"
            " 'personne effacée' everywhere, but their bytes cannot be rewritten"
            " without breaking the seals (docs/privacy.md)."
        )
    else:
        click.echo("  no event holds the name or e-mail in clear")


@users.command("compact")
@pass_cli
@handle_errors
def compact(cli: CliContext) -> None:
    """Bring the views up to date and compact the files an erasure freed pages of
    (when the views lagged at the erasure, or after a restore)."""
    from projections.erasure import after_erasure
    from projections.projector import OutOfOrder
    from projections.service import ReadModel

    read_model = ReadModel(cli.ledger, cli.settings)
    try:
        with contextlib.suppress(OutOfOrder):
            read_model.projector().catch_up()
        for line in after_erasure(cli.ledger, read_model, views_current=True):
            click.echo(f"compacted: {line}")
    finally:
        read_model.close()


@users.command("list")
@click.option(
    "--history",
    is_flag=True,
    help="Also show every grant and revocation with actor and reason.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@pass_cli
@handle_errors
def list_(cli: CliContext, history: bool, fmt: str) -> None:
    """List accounts, their current roles and (with --history) who granted what, when."""
    from ledger.queries import account_history

    accounts = account_history(cli.ledger)
    if fmt == "json":
        click.echo(json.dumps(accounts, ensure_ascii=False, indent=2))
        return
    for acc in accounts:
        state = "" if acc["active"] else "  (disabled)"
        click.echo(
            f"{acc['username']:<20} {acc['display_name']:<28} {', '.join(acc['roles']) or '-'}{state}"
        )
        if history:
            for h in acc["history"]:
                click.echo(
                    f"    {h['at']}  {h['change']:<30} by {h['actor']}: {h['reason'] or ''}"
                )


def _split(role: str, scope: str | None = None) -> tuple[str, str | None]:
    if ":" in role and scope is None:
        role, scope = role.split(":", 1)
    if role not in ROLE_NAMES:
        raise click.BadParameter(
            f"unknown role {role!r}; roles: {', '.join(ROLE_NAMES)}", param_hint="ROLE"
        )
    return role, scope
