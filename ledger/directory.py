"""Sign-in through the municipality's directory: an LDAP bind (``ldap3``), and the
recording of what the directory says about an account (its registration, its roles
from the group mapping) as events of the pseudo-actor ``annuaire``.

The rule that keeps local accounts (the break-glass administrator) is the account's
origin: an account registered by a directory sign-in (``Account.DirectoryLinked``)
signs in through that directory only; every other account signs in with its local
password only, and a directory login with the same name is refused like a wrong
password (the directory is not asked).
"""

from __future__ import annotations

import contextlib
import logging
import ssl
from dataclasses import dataclass

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core.exceptions import LDAPException, LDAPSocketOpenError, LDAPStartTLSError
from ldap3.utils.conv import escape_filter_chars
from ldap3.utils.dn import escape_rdn, parse_dn

from domain.accounts import DIRECTORY, Account, username
from domain.errors import AlreadyExists, DomainError
from domain.values import Origin, email_address
from ledger.core import Caller
from ledger.directory_config import GroupMapping, LdapSettings

log = logging.getLogger("sdsi.access")
SOURCE_LABEL = {"ldap": "LDAP", "oidc": "OpenID Connect"}


class NotTheSameAccount(Exception):
    """The login names an account that is not this directory's person: a local
    account, another directory's, or another subject of the same provider."""


class DirectoryUnavailable(Exception):
    """The directory did not answer (down, unreachable, TLS refused)."""


@dataclass(frozen=True)
class DirectoryUser:
    """Who the directory vouched for, and the groups it lists them in."""

    username: str
    display_name: str
    email: str
    groups: frozenset[str]  # the groups' DNs and names
    subject: str = ""  # OpenID Connect: "issuer#sub", recorded at the first sign-in


def account_name(login: str) -> str | None:
    """The local account name of a directory login (lower case), or ``None`` when
    it cannot be one."""
    try:
        return username(login.strip().lower())
    except DomainError:
        return None


def _first(entry: dict[str, list[str]], attribute: str) -> str:
    values = entry.get(attribute) or []
    return str(values[0]).strip() if values else ""


def _names(dn: str, base: str) -> set[str]:
    """A group's DN, and its own name (the value of its first RDN) when the group
    lies under ``base`` (``SDSI_LDAP_GROUP_BASE``): a name alone would otherwise match
    a group of that name created anywhere in the directory."""
    found = {dn}
    with contextlib.suppress(LDAPException, IndexError):
        rdns = parse_dn(dn)
        if base and _under(rdns, parse_dn(base)):
            found.add(rdns[0][1])
    return found


def _under(rdns: list[tuple[str, str, str]], base: list[tuple[str, str, str]]) -> bool:
    """Whether a parsed DN lies strictly under a parsed base (attribute names and
    values compared without case)."""

    def key(rdn: tuple[str, str, str]) -> tuple[str, str]:
        return rdn[0].strip().lower(), rdn[1].strip().lower()

    return len(rdns) > len(base) and [key(r) for r in rdns[-len(base) :]] == [
        key(r) for r in base
    ]


class LdapDirectory:
    """Binds as the user (their password checked by the directory), then reads
    their name, e-mail and groups."""

    def __init__(self, settings: LdapSettings) -> None:
        self.settings = settings
        tls = None
        if settings.url.lower().startswith("ldaps") or settings.start_tls:
            tls = Tls(
                validate=ssl.CERT_REQUIRED
                if settings.verify_certificates
                else ssl.CERT_NONE,
                ca_certs_file=str(settings.ca_file) if settings.ca_file else None,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        self.tls = tls

    def _connection(self, user: str | None, password: str | None) -> Connection:
        # a Server per connection: ldap3 marks a server's addresses unusable after a
        # failure, and the directory must be used again as soon as it is back
        server = Server(
            self.settings.url,
            connect_timeout=self.settings.timeout,
            tls=self.tls,
            get_info=NONE,
        )
        conn = Connection(
            server,
            user=user,
            password=password,
            receive_timeout=self.settings.timeout,
            raise_exceptions=False,
            auto_referrals=False,
        )
        conn.open()
        if self.settings.start_tls and not conn.start_tls():
            raise DirectoryUnavailable(f"StartTLS refused: {conn.result}")
        return conn

    def authenticate(self, login: str, password: str) -> DirectoryUser | None:
        """The user if the directory accepts ``password`` for ``login``; ``None``
        for a wrong password or an unknown login; :class:`DirectoryUnavailable`
        when the directory does not answer."""
        name = account_name(login)
        if name is None or not isinstance(password, str) or not password:
            return None  # never an unauthenticated (empty password) bind
        try:
            return self._authenticate(name, password)
        except (LDAPSocketOpenError, LDAPStartTLSError, OSError) as exc:
            raise DirectoryUnavailable(str(exc)) from None
        except LDAPException as exc:
            raise DirectoryUnavailable(f"{type(exc).__name__}: {exc}") from None

    def _authenticate(self, name: str, password: str) -> DirectoryUser | None:
        s = self.settings
        service = None
        if s.bind_dn:
            service = self._connection(s.bind_dn, s.bind_password)
            if not service.bind():
                raise DirectoryUnavailable(f"service account refused: {service.result}")
        if s.user_dn_template:
            dn = s.user_dn_template.replace("{username}", escape_rdn(name))
        else:
            searcher = service or self._connection(None, None)
            searcher.search(
                s.user_search_base,
                s.user_filter.replace("{username}", escape_filter_chars(name)),
                SUBTREE,
                attributes=[],
                size_limit=2,
            )
            if len(searcher.entries) != 1:
                return None
            dn = searcher.entries[0].entry_dn
        user = self._connection(dn, password)
        try:
            if not user.bind():
                if user.result.get("result") not in (
                    32,
                    34,
                    49,
                ):  # no such / bad DN / credentials
                    log.warning("LDAP bind of %r refused: %s", dn, user.result)
                return None
            reader = service or user
            reader.search(
                dn,
                "(objectClass=*)",
                BASE,
                attributes=[
                    s.display_name_attribute,
                    "cn",
                    s.email_attribute,
                    s.group_attribute,
                ],
            )
            if len(reader.response or []) < 1 or "attributes" not in reader.response[0]:
                return None
            entry = reader.response[0]["attributes"]
            groups: set[str] = set()
            for group_dn in entry.get(s.group_attribute) or []:
                groups |= _names(str(group_dn), s.group_base)
            if s.group_base:
                reader.search(
                    s.group_base,
                    s.group_filter.replace("{dn}", escape_filter_chars(dn)).replace(
                        "{username}", escape_filter_chars(name)
                    ),
                    SUBTREE,
                    attributes=["cn"],
                )
                for found in reader.response or []:
                    if found.get("type") != "searchResEntry":
                        continue
                    groups |= _names(found["dn"], s.group_base)
                    groups |= {str(v) for v in found["attributes"].get("cn") or []}
            return DirectoryUser(
                username=name,
                display_name=_first(entry, s.display_name_attribute)
                or _first(entry, "cn"),
                email=_first(entry, s.email_attribute),
                groups=frozenset(groups),
            )
        finally:
            user.unbind()
            if service is not None:
                service.unbind()


def record_sign_in(
    ledger: object,
    user: DirectoryUser,
    source: str,
    mapping: GroupMapping,
    origin: Origin,
) -> list[str]:
    """Make the log say what the directory says: the account (registered at its
    first sign-in) and its managed roles (granted or revoked, each with the mapping
    line as its reason). Writes nothing when the log already agrees. Returns the
    changes made (``+role`` / ``-role``)."""
    led = ledger  # ledger.app.Ledger
    what = SOURCE_LABEL[source]
    account = led.account(user.username)  # type: ignore[attr-defined]
    if account is None:
        display = (user.display_name or user.username)[:120]
        email = _usable_email(user.email)
        with contextlib.suppress(AlreadyExists):  # another worker registered it first
            led.register_directory_account(  # type: ignore[attr-defined]
                Caller(
                    DIRECTORY, origin, f"première connexion par l'annuaire ({what})"
                ),
                user.username,
                display,
                source,
                email=email,
                subject=user.subject,
            )
        account = led.account(user.username)  # type: ignore[attr-defined]
    assert isinstance(account, Account)
    if account.directory != source or account.directory_subject != user.subject:
        raise NotTheSameAccount(user.username)
    held = set(account.grants)
    wanted = mapping.wanted(set(user.groups))
    changes: list[str] = []
    for label, line in sorted(wanted.items()):
        if label in held:
            continue
        reason = (
            f"annuaire {what} : membre du groupe « {line.group} », qui donne le rôle "
            f"{label} ({mapping.variable})"
        )
        try:
            led.grant_role(
                Caller(DIRECTORY, origin, reason), user.username, line.role, line.scope
            )  # type: ignore[attr-defined]
        except DomainError as exc:
            log.warning(
                "directory grant %s to %r refused: %s", label, user.username, exc
            )
            continue
        changes.append(f"+{label}")
    for label in sorted((mapping.managed & held) - set(wanted)):
        lines = mapping.lines_for(label)
        groups = ", ".join(f"« {line.group} »" for line in lines)
        reason = (
            f"annuaire {what} : membre d'aucun groupe donnant le rôle {label} "
            f"({mapping.variable} : {groups})"
        )
        try:
            led.revoke_role(
                Caller(DIRECTORY, origin, reason),
                user.username,
                lines[0].role,
                lines[0].scope,
            )  # type: ignore[attr-defined]
        except DomainError as exc:
            log.warning(
                "directory revocation of %s from %r refused: %s",
                label,
                user.username,
                exc,
            )
            continue
        changes.append(f"-{label}")
    return changes


def _usable_email(value: str) -> str:
    """The directory's address if the accounts' rule takes it, else none (a bad
    address in the directory must not stop the sign-in)."""
    try:
        return email_address(value.strip())
    except DomainError:
        return ""
