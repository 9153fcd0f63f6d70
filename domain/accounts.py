"""Accounts and role grants: who could do what, and since when."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any
from uuid import UUID

from domain.base import LedgerAggregate, current_context, natural_id
from domain.errors import (
    AccountDisabled,
    AccountErased,
    CurrentPasswordRequired,
    InvalidValue,
    LastAdministrator,
    NotAllowed,
    ReasonRequired,
    RoleAlreadyGranted,
    RoleNotHeld,
)
from domain.personal import ERASED, Personal, wrap_legacy
from domain.values import Origin, Role, code, email_address, enum_value, text

SYSTEM = (
    "system"  # the pseudo-actor of `sdsi init` (bootstrap of the first administrator)
)
# The pseudo-actor of directory sign-ins (LDAP, OpenID Connect): it registers the
# accounts the directory vouches for and keeps their roles as the group mapping says,
# and may do nothing else (see ``ledger.directory``).
DIRECTORY = "annuaire"
RESERVED = frozenset({SYSTEM, DIRECTORY})
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._\-]{1,39}$")
SCOPED_ROLES = {Role.REFERENT}


def grant_label(role: Role | str, scope: str | None) -> str:
    """``referent:DSN`` or ``dsi``: the form roles take in command contexts."""
    value = role.value if isinstance(role, Role) else role
    return f"{value}:{scope}" if scope else value


def has_role(
    roles: tuple[str, ...] | list[str], role: Role, scope: str | None = None
) -> bool:
    """Whether ``roles`` (context form) include ``role`` (for ``scope`` if given)."""
    if scope is None:
        return any(r == role.value or r.startswith(role.value + ":") for r in roles)
    return f"{role.value}:{scope}" in roles


def require(action: str, *allowed: Role) -> None:
    """Refuse the running command unless its actor holds one of ``allowed``."""
    ctx = current_context()
    if ctx.actor == SYSTEM or any(has_role(ctx.roles, r) for r in allowed):
        return
    raise NotAllowed(
        actor=ctx.actor, action=action, roles=", ".join(ctx.roles) or "aucun"
    )


DIRECTORIES = ("ldap", "oidc")


def _directory_only(action: str) -> None:
    ctx = current_context()
    if ctx.actor != DIRECTORY:
        raise NotAllowed(
            actor=ctx.actor, action=action, roles=", ".join(ctx.roles) or "aucun"
        )


def username(value: Any, field: str = "username") -> str:
    """Lower-case login: letters, digits, ``. _ -``; 2 to 40 characters."""
    if not isinstance(value, str) or not _USERNAME.match(value):
        raise InvalidValue(
            field, value, "identifiant de 2 à 40 caractères : a-z, 0-9, . _ -"
        )
    return value


class Account(LedgerAggregate):
    """A person who can sign in, with the roles granted to them."""

    def __init__(self) -> None:
        self.username = ""
        self.display_name = ""
        self.email = ""
        self.grants: list[str] = []
        self.active = True
        # The directory this account signs in through ("ldap", "oidc"); "" = local.
        self.directory = ""
        # Who the directory says it is, for good ("issuer#sub" in OpenID Connect).
        self.directory_subject = ""
        # An administrator reset the password and asked for a new one at next sign-in.
        self.must_change_password = False
        # The person's name and e-mail were erased (GDPR art. 17): closed for good.
        self.erased = False

    @staticmethod
    def id_for(name: str) -> UUID:
        return natural_id("account", name)

    @property
    def administers(self) -> bool:
        """An active account holding the administrator's role."""
        return self.active and Role.ADMIN.value in self.grants

    class Registered(LedgerAggregate.Created):
        username: str
        display_name: Personal
        email: Personal

        class_version = 3

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 accounts had no e-mail address."""
            state["email"] = ""

        @staticmethod
        def upcast_v2_v3(state: dict[str, Any]) -> None:
            """Version 2 stored the name and e-mail in clear (before issue 19)."""
            wrap_legacy(state, "display_name", "email")

        def apply(self, agg: Account) -> None:
            agg.username = self.username
            agg.display_name = self.display_name.shown
            agg.email = self.email.address

    class RoleGranted(LedgerAggregate.Event):
        role: str
        scope: str | None

        def apply(self, agg: Account) -> None:
            agg.grants.append(grant_label(self.role, self.scope))

    class RoleRevoked(LedgerAggregate.Event):
        role: str
        scope: str | None

        def apply(self, agg: Account) -> None:
            agg.grants.remove(grant_label(self.role, self.scope))

    class DirectoryLinked(LedgerAggregate.Event):
        """The account was registered by a directory sign-in: it signs in through
        that directory only (``source``: ``ldap`` or ``oidc``), never with a local
        password; its mapped roles follow the directory's groups. ``subject``: the
        provider's permanent identifier (OpenID Connect ``iss#sub``; "" for LDAP,
        whose login is the identifier), required again at every sign-in."""

        source: str
        subject: str

        def apply(self, agg: Account) -> None:
            agg.directory = self.source
            agg.directory_subject = self.subject

    class PasswordChanged(LedgerAggregate.Event):
        """The account changed its own password (giving the current one). Events
        stored before issue 13 were also administrators' changes of others'."""

        def apply(self, agg: Account) -> None:
            agg.must_change_password = False

    class PasswordReset(LedgerAggregate.Event):
        """An administrator set a new password, with a reason; ``force_change``: the
        account must choose its own at its next sign-in."""

        force_change: bool

        def apply(self, agg: Account) -> None:
            agg.must_change_password = self.force_change

    class EmailChanged(LedgerAggregate.Event):
        """The account's e-mail address changed, by the account itself or an
        administrator; "" clears it (nothing is then sent by e-mail)."""

        email: Personal

        class_version = 2

        @staticmethod
        def upcast_v1_v2(state: dict[str, Any]) -> None:
            """Version 1 stored the address in clear (before issue 19)."""
            wrap_legacy(state, "email")

        def apply(self, agg: Account) -> None:
            agg.email = self.email.address

    class Erased(LedgerAggregate.Event):
        """The person's name and e-mail were erased (GDPR art. 17), by an
        administrator with a reason (both in the context): the ledger destroyed the
        key of their data in the same transaction. No personal data in it."""

        def apply(self, agg: Account) -> None:
            agg.display_name, agg.email = ERASED, ""
            agg.active, agg.erased = False, True

    class Disabled(LedgerAggregate.Event):
        def apply(self, agg: Account) -> None:
            agg.active = False

    class Enabled(LedgerAggregate.Event):
        def apply(self, agg: Account) -> None:
            agg.active = True

    @classmethod
    def register(
        cls,
        name: str,
        display_name: str,
        email: str = "",
        directory: str = "",
        subject: str = "",
    ) -> Account:
        if directory:
            _directory_only("créer un compte de l'annuaire")
        else:
            require("créer un compte", Role.ADMIN)
        name = not_reserved(username(name))
        display_name = text(display_name, "display_name", max_len=120)
        email = email_address(text(email, "email", max_len=254, required=False))
        owner = cls.id_for(name)  # the data subject of its personal values
        account = cls._create(
            cls.Registered,
            id=owner,
            username=name,
            display_name=Personal(owner, display_name),
            email=Personal(owner, email),
        )
        if directory:
            if directory not in DIRECTORIES:
                raise InvalidValue("directory", directory, "ldap ou oidc")
            subject = text(subject, "subject", max_len=500, required=False)
            account.trigger_event(
                cls.DirectoryLinked, source=directory, subject=subject
            )
        return account

    def may_manage_roles(self, action: str) -> None:
        """Administrators manage every account's roles; the directory only those of
        the accounts it registered."""
        if current_context().actor == DIRECTORY and self.directory:
            return
        require(action, Role.ADMIN)

    def _not_erased(self) -> None:
        if self.erased:
            raise AccountErased(username=self.username)

    def grant(self, role: Any, scope: str | None = None) -> None:
        self._not_erased()
        self.may_manage_roles("attribuer un rôle")
        role = enum_value(Role, role, "role")
        scope = self._scope(role, scope)
        if not current_context().reason:
            raise ReasonRequired("attribuer un rôle")
        if grant_label(role, scope) in self.grants:
            raise RoleAlreadyGranted(
                username=self.username, role=grant_label(role, scope)
            )
        self.trigger_event(self.RoleGranted, role=role.value, scope=scope)

    def revoke(self, role: Any, scope: str | None = None) -> None:
        self.may_manage_roles("retirer un rôle")
        role = enum_value(Role, role, "role")
        scope = self._scope(role, scope)
        if not current_context().reason:
            raise ReasonRequired("retirer un rôle")
        if grant_label(role, scope) not in self.grants:
            raise RoleNotHeld(username=self.username, role=grant_label(role, scope))
        self.trigger_event(self.RoleRevoked, role=role.value, scope=scope)

    def change_password(self) -> None:
        """The account's own change (the ledger has checked the current password)."""
        ctx = current_context()
        if ctx.actor != self.username:
            raise NotAllowed(
                actor=ctx.actor,
                action="changer le mot de passe d'un autre compte",
                roles=", ".join(ctx.roles) or "aucun",
            )
        self.trigger_event(self.PasswordChanged)

    def reset_password(self, force_change: bool) -> None:
        """An administrator's reset, with a reason. One's own password is changed
        with the current one; only the operator's command line (which has the
        database anyway) may reset its own account: the break-glass path."""
        require("réinitialiser le mot de passe d'un compte", Role.ADMIN)
        self._not_erased()
        ctx = current_context()
        if not ctx.reason:
            raise ReasonRequired("réinitialiser un mot de passe")
        if ctx.actor == self.username and ctx.origin != Origin.CLI.value:
            raise CurrentPasswordRequired(username=self.username)
        if not isinstance(force_change, bool):
            raise InvalidValue("force_change", force_change, "vrai ou faux")
        self.trigger_event(self.PasswordReset, force_change=force_change)

    def change_email(self, email: Any) -> None:
        """Set (or clear, with "") the address: one's own, or any as administrator.
        The same address again records nothing."""
        ctx = current_context()
        if ctx.actor != self.username:
            require("changer l'adresse électronique d'un autre compte", Role.ADMIN)
        self._not_erased()
        email = email_address(text(email, "email", max_len=254, required=False))
        if email != self.email:
            self.trigger_event(self.EmailChanged, email=Personal(self.id, email))

    def disable(self) -> None:
        require("désactiver un compte", Role.ADMIN)
        if not current_context().reason:
            raise ReasonRequired("désactiver un compte")
        if not self.active:
            raise AccountDisabled(username=self.username)
        self.trigger_event(self.Disabled)

    def enable(self) -> None:
        require("réactiver un compte", Role.ADMIN)
        self._not_erased()
        if not self.active:
            self.trigger_event(self.Enabled)

    def erase(self) -> None:
        """Erase the person's name and e-mail (GDPR art. 17): an administrator's
        act, with a reason. The account is disabled for good; its login stays in
        the events it acted in (see ``docs/privacy.md``)."""
        require("effacer les données personnelles d'un compte", Role.ADMIN)
        if not current_context().reason:
            raise ReasonRequired("effacer un compte")
        self._not_erased()
        self.trigger_event(self.Erased)

    @staticmethod
    def _scope(role: Role, scope: str | None) -> str | None:
        if role in SCOPED_ROLES:
            if not scope:
                raise InvalidValue(
                    "scope", scope, "le rôle référent exige une direction"
                )
            return code(scope, "scope")
        if scope:
            raise InvalidValue(
                "scope", scope, f"le rôle {role.value} ne prend pas de périmètre"
            )
        return None


def not_reserved(name: str, field: str = "username") -> str:
    """A username an account may be registered under (not the registry's own
    pseudo-actors, ``system`` and ``annuaire``)."""
    if name in RESERVED:
        raise InvalidValue(field, name, "identifiant réservé au registre")
    return name


def remaining_administrator(
    leaving: Account, accounts: Iterable[Account | None]
) -> Account | None:
    """The ledger never goes without an active administrator: before ``leaving``
    stops administering (its admin role revoked, or the account disabled), another
    of ``accounts`` must administer. Returns that one — the command guards it
    (``Unit.guard``), so that if it too stops administering before the command is
    saved, the save fails and the command runs again on the new state: of two
    administrators stepping down at once, one only succeeds. None when ``leaving``
    does not administer (nothing to keep); :class:`LastAdministrator` when no other
    does."""
    if not leaving.administers:
        return None
    for account in accounts:
        if (
            account is not None
            and account.username != leaving.username
            and account.administers
        ):
            return account
    raise LastAdministrator(username=leaving.username)
