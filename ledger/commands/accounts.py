"""Commands on accounts: registration, role grants and revocations, passwords,
e-mail addresses."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any

from eventsourcing.utils import get_topic

from domain.accounts import Account, remaining_administrator, require, username
from domain.base import current_context
from domain.errors import (
    AlreadyExists,
    DomainError,
    NotAllowed,
    OfficialRecordKept,
    PasswordUnchanged,
    WrongPassword,
)
from domain.personal import ERASED, Personal
from domain.sessions import Session
from domain.values import Role
from ledger.account_mail import tell_old_address
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import Call, command
from ledger.passwords import check_strength, hash_password, verify_password
from ledger.personal_keys import Erasure
from ledger.storage import Credential, EndSessions

KIND = "Compte"


def scrub_pairs(values: list[str]) -> tuple[tuple[str, str], ...]:
    """The plain text of erased values as side tables may hold it (as is, and as
    JSON escapes it in command results), each with its replacement."""
    marker = json.dumps(ERASED)[1:-1]
    pairs = []
    for value in values:
        pairs.append((value, ERASED))
        escaped = json.dumps(value)[1:-1]
        if escaped != value:
            pairs.append((escaped, marker))
    return tuple(pairs)


class AccountCommands(LedgerCore):
    """Accounts and role grants (each grant is an event with actor and reason)."""

    def _credential(
        self, name: str, password: str, *, must_change: bool = False
    ) -> Credential:
        return Credential(
            username=name,
            password_hash=hash_password(password, self.settings.password_hashing),
            changed_at=datetime.now(UTC).isoformat(),
            must_change=must_change,
        )

    def _new_account(
        self, unit: Unit, name: str, display_name: str, email: str
    ) -> Account:
        name = username(name)
        if unit.find(Account, Account.id_for(name)) is not None:
            raise AlreadyExists(kind=KIND, id=name)
        return unit.add(Account.register(name, display_name, email))

    @command(secret=("password",))
    def bootstrap_admin(
        self, name: str, display_name: str, password: str
    ) -> CommandResult:
        """Create the first administrator (``sdsi init``), as the system actor."""

        def body(unit: Unit) -> dict[str, Any]:
            check_strength(password)  # in the body: a repeated key is checked first
            account = self._new_account(unit, name, display_name, "")
            account.grant(Role.ADMIN)
            unit.credential = self._credential(account.username, password)
            return {"username": account.username}

        return self.execute(
            "bootstrap_admin", Caller.system("initialisation du registre"), body
        )

    @command(secret=("password",))
    def add_user(
        self,
        caller: Caller,
        name: str,
        display_name: str,
        password: str,
        *,
        email: str = "",
        roles: list[tuple[str, str | None]] | None = None,
    ) -> CommandResult:
        """Register an account with its password (and optionally its first roles)."""

        def body(unit: Unit) -> dict[str, Any]:
            check_strength(password)  # in the body: a repeated key is checked first
            account = self._new_account(unit, name, display_name, email)
            for role, scope in roles or []:
                self._check_scope(unit, role, scope)
                account.grant(role, scope)
            unit.credential = self._credential(account.username, password)
            return {"username": account.username, "roles": account.grants}

        return self.execute("add_user", caller, body)

    @command()
    def register_directory_account(
        self,
        caller: Caller,
        name: str,
        display_name: str,
        directory: str,
        *,
        email: str = "",
        subject: str = "",
    ) -> CommandResult:
        """The directory pseudo-actor registers an account the directory vouched for
        at its first sign-in (``directory``: ``ldap`` or ``oidc``); it has no local
        password and signs in through that directory only."""

        def body(unit: Unit) -> dict[str, Any]:
            name_ = username(name)
            if unit.find(Account, Account.id_for(name_)) is not None:
                raise AlreadyExists(kind=KIND, id=name_)
            account = unit.add(
                Account.register(
                    name_, display_name, email, directory=directory, subject=subject
                )
            )
            return {"username": account.username, "directory": account.directory}

        return self.execute("register_directory_account", caller, body)

    @command()
    def grant_role(
        self, caller: Caller, name: str, role: str, scope: str | None = None
    ) -> CommandResult:
        """Grant a role (``referent`` needs the direction as scope); reason required."""

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            self._check_scope(unit, role, scope)
            account.grant(role, scope)
            return {"username": account.username, "roles": account.grants}

        return self.execute("grant_role", caller, body)

    @command()
    def revoke_role(
        self, caller: Caller, name: str, role: str, scope: str | None = None
    ) -> CommandResult:
        """Revoke a role; reason required."""

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            if str(role) == Role.ADMIN.value:
                account.may_manage_roles("retirer un rôle")  # refused as such first
                self._keep_an_administrator(unit, account)
            account.revoke(role, scope)
            return {"username": account.username, "roles": account.grants}

        return self.execute("revoke_role", caller, body)

    @command(secret=("current_password", "password"), exclude=("keep_session",))
    def change_password(
        self,
        caller: Caller,
        name: str,
        current_password: str,
        password: str,
        *,
        keep_session: str | None = None,
    ) -> CommandResult:
        """Change one's own password, giving the current one. Every other session
        and API token of the account ends with it (``keep_session``: the id of the
        one making the change, which stays valid)."""

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            account.change_password()  # one's own only: checked before any hashing
            # first: whatever else is wrong, a wrong current password is what counts
            stored = self.storage.password_hash(account.username)
            if not isinstance(current_password, str) or not verify_password(
                stored, current_password, self.settings.password_hashing
            ):
                raise WrongPassword(account.username)
            check_strength(password)
            if password == current_password:
                raise PasswordUnchanged(account.username)
            unit.credential = self._credential(account.username, password)
            unit.end_sessions = EndSessions(
                account.username, "password_changed", time.time(), keep_session
            )
            return {"username": account.username}

        return self.execute("change_password", caller, body)

    @command(secret=("password",))
    def set_forgotten_password(
        self, caller: Caller, name: str, password: str
    ) -> CommandResult:
        """A local account sets a new password through the link e-mailed to it
        (``ledger.resets`` spent the link's token first): recorded as the account's
        own change; every session and API token of the account ends."""

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            if account.directory:
                raise NotAllowed(
                    actor=account.username,
                    action="choisir un mot de passe local (compte d'annuaire)",
                    roles=", ".join(account.grants) or "aucun",
                )
            account.change_password()  # the account's own: the caller is the account
            check_strength(password)
            unit.credential = self._credential(account.username, password)
            unit.end_sessions = EndSessions(
                account.username, "password_reset_link", time.time()
            )
            return {"username": account.username}

        return self.execute("set_forgotten_password", caller, body)

    @command(secret=("password",))
    def reset_password(
        self, caller: Caller, name: str, password: str, *, force_change: bool = True
    ) -> CommandResult:
        """An administrator sets another account's password (reason required); with
        ``force_change`` the account must choose its own at its next sign-in. Every
        session and API token of the account ends with it."""

        def body(unit: Unit) -> dict[str, Any]:
            check_strength(password)  # in the body: a repeated key is checked first
            account = self._account(unit, name)
            account.reset_password(force_change)
            unit.credential = self._credential(
                account.username, password, must_change=force_change
            )
            unit.end_sessions = EndSessions(
                account.username, "password_reset", time.time()
            )
            return {"username": account.username, "force_change": force_change}

        return self.execute("reset_password", caller, body)

    @command()
    def change_email(self, caller: Caller, name: str, email: str) -> CommandResult:
        """Set or clear ("") an account's e-mail address: the account's own, or any
        account's by an administrator. The notifications, reset links and
        convocations go to the new address from then on."""

        before: list[str] = []

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            before[:] = [account.email or ""]
            account.change_email(email)
            unit.void_resets = account.username  # a link sent to the old address dies
            return {"username": account.username, "email": account.email}

        result = self.execute("change_email", caller, body)
        old = before[0] if before else ""
        if old and result.notification_id is not None and not result.replayed:
            tell_old_address(self.storage, result, old, caller.actor)
        return result

    @command()
    def disable_user(self, caller: Caller, name: str) -> CommandResult:
        """Disable an account: it can no longer sign in nor act; reason required."""

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            require("désactiver un compte", Role.ADMIN)  # refused as such first
            self._keep_an_administrator(unit, account)
            account.disable()
            unit.end_sessions = EndSessions(account.username, "disabled", time.time())
            return {"username": account.username}

        return self.execute("disable_user", caller, body)

    @command()
    def enable_user(self, caller: Caller, name: str) -> CommandResult:
        """Re-enable a disabled account."""

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            account.enable()
            return {"username": account.username}

        return self.execute("enable_user", caller, body)

    @command()
    def erase_user(self, caller: Caller, name: str) -> CommandResult:
        """Erase a person's name and e-mail (GDPR art. 17; admin, reason required):
        ``Account.Erased`` and the destruction of their data key in one transaction.
        Refused for an account that voted in office (``docs/privacy.md``)."""

        def body(unit: Unit) -> dict[str, Any]:
            account = self._account(unit, name)
            require("effacer les données personnelles d'un compte", Role.ADMIN)
            account._not_erased()
            votes = self._votes_cast(account.username)
            if votes:
                raise OfficialRecordKept(username=account.username, votes=votes)
            self._keep_an_administrator(unit, account)
            plain = [v for v in self._personal_history(account) if len(v) >= 3]
            legacy = self._legacy_plaintext_events(account)
            account.erase()
            unit.erasure = Erasure(
                account.id, current_context().at.isoformat(), scrub_pairs(plain)
            )
            unit.end_sessions = EndSessions(account.username, "erased", time.time())
            return {"username": account.username, "legacy_plaintext_events": legacy}

        return self.execute("erase_user", caller, body)

    def _personal_history(self, account: Account) -> list[str]:
        """Every name and e-mail the account ever had (the side tables may hold an
        old address: the mail telling it of a change, a reset sent before)."""
        values = {account.display_name, account.email}
        for stored in self.recorder.select_events(account.id):
            event = self.mapper.to_domain_event(stored)
            for value in event.__dict__.values():
                if isinstance(value, Personal) and not value.erased:
                    values.add(value.text)
        return sorted((v for v in values if v), key=lambda v: (-len(v), v))

    def _votes_cast(self, login: str) -> int:
        """How many votes ``login`` cast in COPIL sessions (kept: see privacy.md)."""
        from ledger.queries import iter_events

        return sum(
            1
            for _nid, vote in iter_events(self, [get_topic(Session.VoteCast)])
            if vote.member == login
        )

    def _legacy_plaintext_events(self, account: Account) -> int:
        """The account's events stored before issue 19 with its data in clear: they
        stay in the sealed log (read as erased, but the bytes remain)."""
        topics = {get_topic(Account.Registered), get_topic(Account.EmailChanged)}
        return sum(
            1
            for stored in self.recorder.select_events(account.id)
            if stored.topic in topics and b'"_type_":"pii"' not in stored.state
        )

    def _secrets_match(self, call: Call) -> bool:
        """A repeated password command must carry the password the first one stored
        (passwords are never hashed into the command record, see
        ``ledger.idempotency``); a later change of that password makes it differ.
        (A repeated change carries the current password of the first send, which
        the first send replaced: only the new one can be compared.)"""
        if "password" not in call.secrets:
            return super()._secrets_match(call)
        try:
            name = username(call.arguments["name"])
        except (DomainError, KeyError):
            return False
        return verify_password(
            self.storage.password_hash(name),
            call.secrets["password"],
            self.settings.password_hashing,
        )

    # --- reads ---------------------------------------------------------------------

    def authenticate(self, name: str, password: str) -> Account | None:
        """The active account whose password matches, else ``None``."""
        ok = verify_password(
            self.storage.password_hash(name), password, self.settings.password_hashing
        )
        if not ok:
            return None
        account = self.load(Account, Account.id_for(name))
        return account if account is not None and account.active else None

    def account(self, name: str) -> Account | None:
        return self.load(Account, Account.id_for(name))

    def _account(self, unit: Unit, name: str) -> Account:
        return unit.get(Account, Account.id_for(name), kind=KIND, label=name)

    def _keep_an_administrator(self, unit: Unit, account: Account) -> None:
        """Another administrator remains (``domain.accounts.remaining_administrator``),
        guarded in this unit: a concurrent step-down of that one fails the save. The
        caller's right to the command is checked before (who may not is refused as
        such, not told the rule)."""
        from ledger.queries import account_history

        holders = (
            unit.find(Account, Account.id_for(a["username"]))
            for a in account_history(self)
            if Role.ADMIN.value in a["roles"]
        )
        remaining = remaining_administrator(account, holders)
        if remaining is not None:
            unit.guard(remaining)

    def _check_scope(self, unit: Unit, role: str, scope: str | None) -> None:
        """Hook: a referent's scope must name an existing direction (domain mixin)."""
