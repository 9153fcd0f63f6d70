"""Directory sign-in settings (LDAP, OpenID Connect) and the group → role mapping,
parsed from the ``SDSI_LDAP_*`` / ``SDSI_OIDC_*`` variables ``ledger.config`` hands
over. Unset ``SDSI_LDAP_URL`` / ``SDSI_OIDC_ISSUER``: that sign-in is off."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from domain.accounts import SCOPED_ROLES, grant_label
from domain.values import Role
from ledger.errors import ConfigError


@dataclass(frozen=True)
class GroupRole:
    """One line of the mapping: members of ``group`` hold ``role`` (for ``scope``)."""

    group: str  # a group's DN or its name (cn), compared without case
    role: str
    scope: str | None

    @property
    def label(self) -> str:
        return grant_label(self.role, self.scope)


@dataclass(frozen=True)
class GroupMapping:
    """Directory groups → roles (``SDSI_LDAP_GROUP_ROLES`` / ``SDSI_OIDC_GROUP_ROLES``).

    The roles it names are the *managed* ones: a directory account holds exactly those
    its groups give; other roles an administrator granted it stay untouched."""

    variable: str
    lines: tuple[GroupRole, ...]

    @property
    def managed(self) -> set[str]:
        return {line.label for line in self.lines}

    def wanted(self, groups: set[str]) -> dict[str, GroupRole]:
        """The managed roles ``groups`` give, each with the first line giving it."""
        names = {g.casefold() for g in groups}
        found: dict[str, GroupRole] = {}
        for line in self.lines:
            if line.group.casefold() in names:
                found.setdefault(line.label, line)
        return found

    def lines_for(self, label: str) -> list[GroupRole]:
        return [line for line in self.lines if line.label == label]


def parse_mapping(raw: str, variable: str) -> GroupMapping:
    """``GROUP=role[,role…]`` lines separated by ``;`` (a role with its scope:
    ``referent:DSN``). A group is its DN (``cn=dsi,ou=groups,dc=ville,dc=fr``) or its
    name; the last ``=`` separates it from its roles."""
    lines: list[GroupRole] = []
    for item in raw.split(";"):
        item = item.strip()
        if not item:
            continue
        group, sep, roles = item.rpartition("=")
        group = group.strip()
        if not sep or not group or not roles.strip():
            raise ConfigError(
                f"{variable}: {item!r} is not GROUP=role (e.g. "
                "cn=sdsi-dsi,ou=groups,dc=ville,dc=fr=dsi; copil=member; "
                "referents-dsn=referent:DSN)"
            )
        for value in roles.split(","):
            role, _, scope = value.strip().partition(":")
            try:
                known = Role(role)
            except ValueError:
                raise ConfigError(
                    f"{variable}: unknown role {role!r} for {group!r} (known: "
                    + ", ".join(r.value for r in Role)
                    + ")"
                ) from None
            if (known in SCOPED_ROLES) != bool(scope):
                need = (
                    "needs a direction (referent:DSN)"
                    if known in SCOPED_ROLES
                    else "takes no scope"
                )
                raise ConfigError(f"{variable}: role {role!r} {need} ({item!r})")
            lines.append(GroupRole(group, known.value, scope or None))
    return GroupMapping(variable, tuple(lines))


@dataclass(frozen=True)
class LdapSettings:
    url: str  # ldap://host:389 or ldaps://host:636
    user_dn_template: str = ""  # uid={username},ou=people,dc=ville,dc=fr
    user_search_base: str = ""  # or a search: base + filter, with the service account
    user_filter: str = "(uid={username})"
    bind_dn: str = ""  # the service account searching users and groups (optional)
    bind_password: str = ""
    group_base: str = ""  # where groups are searched; "" = only the user's memberOf
    group_filter: str = "(|(member={dn})(uniqueMember={dn})(memberUid={username}))"
    group_attribute: str = "memberOf"  # groups listed on the user's entry
    display_name_attribute: str = "displayName"
    email_attribute: str = "mail"
    start_tls: bool = False
    ca_file: Path | None = None
    verify_certificates: bool = True
    timeout: int = 5
    mapping: GroupMapping = GroupMapping("SDSI_LDAP_GROUP_ROLES", ())


@dataclass(frozen=True)
class OidcSettings:
    issuer: str
    client_id: str
    client_secret: str
    groups_claim: str = "groups"
    username_claim: str = "preferred_username"
    label: str = ""  # the provider's name on the sign-in button ("" = the directory)
    scope: str = "openid profile email"
    mapping: GroupMapping = GroupMapping("SDSI_OIDC_GROUP_ROLES", ())


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "oui"):
        return True
    if raw in ("0", "false", "no", "non"):
        return False
    raise ConfigError(f"{name} must be true or false, not {raw!r}")


def ldap_settings(env: Mapping[str, str]) -> LdapSettings | None:
    url = env.get("SDSI_LDAP_URL", "").strip()
    if not url:
        return None
    if urlsplit(url).scheme.lower() not in ("ldap", "ldaps"):
        raise ConfigError(
            f"SDSI_LDAP_URL must be ldap://HOST[:PORT] or ldaps://…, not {url!r}"
        )
    template = env.get("SDSI_LDAP_USER_DN_TEMPLATE", "").strip()
    base = env.get("SDSI_LDAP_USER_SEARCH_BASE", "").strip()
    if bool(template) == bool(base):
        raise ConfigError(
            "SDSI_LDAP_URL is set: give exactly one of SDSI_LDAP_USER_DN_TEMPLATE "
            "(uid={username},ou=people,…) or SDSI_LDAP_USER_SEARCH_BASE (+ "
            "SDSI_LDAP_USER_FILTER)"
        )
    if template and "{username}" not in template:
        raise ConfigError("SDSI_LDAP_USER_DN_TEMPLATE must contain {username}")
    user_filter = (
        env.get("SDSI_LDAP_USER_FILTER", "").strip() or LdapSettings.user_filter
    )
    if "{username}" not in user_filter:
        raise ConfigError("SDSI_LDAP_USER_FILTER must contain {username}")
    ca = env.get("SDSI_LDAP_CA_FILE", "").strip()
    timeout = env.get("SDSI_LDAP_TIMEOUT", "").strip() or "5"
    if not timeout.isdigit() or int(timeout) < 1:
        raise ConfigError(
            f"SDSI_LDAP_TIMEOUT must be a positive integer, not {timeout!r}"
        )
    mapping = parse_mapping(
        env.get("SDSI_LDAP_GROUP_ROLES", ""), "SDSI_LDAP_GROUP_ROLES"
    )
    group_base = env.get("SDSI_LDAP_GROUP_BASE", "").strip()
    short = list(dict.fromkeys(g.group for g in mapping.lines if "=" not in g.group))
    if short and not group_base:
        # A name alone would match a group of that name anywhere in the directory:
        # whoever may create a group somewhere could give themselves a role.
        raise ConfigError(
            f"SDSI_LDAP_GROUP_ROLES names groups by their name ({', '.join(short)}): "
            "set SDSI_LDAP_GROUP_BASE (names are looked up only under it) or give "
            "each group's full DN"
        )
    return LdapSettings(
        url=url,
        user_dn_template=template,
        user_search_base=base,
        user_filter=user_filter,
        bind_dn=env.get("SDSI_LDAP_BIND_DN", "").strip(),
        bind_password=env.get("SDSI_LDAP_BIND_PASSWORD", ""),
        group_base=group_base,
        group_filter=env.get("SDSI_LDAP_GROUP_FILTER", "").strip()
        or LdapSettings.group_filter,
        group_attribute=env.get("SDSI_LDAP_GROUP_ATTRIBUTE", "").strip() or "memberOf",
        display_name_attribute=env.get("SDSI_LDAP_DISPLAY_NAME_ATTRIBUTE", "").strip()
        or "displayName",
        email_attribute=env.get("SDSI_LDAP_EMAIL_ATTRIBUTE", "").strip() or "mail",
        start_tls=_flag(env, "SDSI_LDAP_START_TLS", False),
        ca_file=Path(ca) if ca else None,
        verify_certificates=_flag(env, "SDSI_LDAP_VERIFY_CERTIFICATES", True),
        timeout=int(timeout),
        mapping=mapping,
    )


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host or "").is_loopback
    except ValueError:
        return False


def oidc_settings(env: Mapping[str, str]) -> OidcSettings | None:
    issuer = env.get("SDSI_OIDC_ISSUER", "").strip().rstrip("/")
    if not issuer:
        return None
    parts = urlsplit(issuer)
    if parts.scheme != "https" and not (
        parts.scheme == "http" and _loopback(parts.hostname)
    ):
        raise ConfigError(
            f"SDSI_OIDC_ISSUER must be an https:// URL (http only on loopback), not {issuer!r}"
        )
    client_id = env.get("SDSI_OIDC_CLIENT_ID", "").strip()
    if not client_id:
        raise ConfigError("SDSI_OIDC_ISSUER is set: SDSI_OIDC_CLIENT_ID is required")
    if env.get("SDSI_OIDC_GROUP_ROLES", "").strip():
        mapping = parse_mapping(env["SDSI_OIDC_GROUP_ROLES"], "SDSI_OIDC_GROUP_ROLES")
    else:  # the same directory behind both: one mapping
        mapping = parse_mapping(
            env.get("SDSI_LDAP_GROUP_ROLES", ""), "SDSI_LDAP_GROUP_ROLES"
        )
    return OidcSettings(
        issuer=issuer,
        client_id=client_id,
        client_secret=env.get("SDSI_OIDC_CLIENT_SECRET", ""),
        groups_claim=env.get("SDSI_OIDC_GROUPS_CLAIM", "").strip() or "groups",
        username_claim=env.get("SDSI_OIDC_USERNAME_CLAIM", "").strip()
        or "preferred_username",
        label=env.get("SDSI_OIDC_LABEL", "").strip() or OidcSettings.label,
        scope=env.get("SDSI_OIDC_SCOPE", "").strip() or OidcSettings.scope,
        mapping=mapping,
    )
