"""Signing in with the municipality's directory over LDAP (issue 14, item 6), against
a real OpenLDAP server (``slapd``, tests/ldap_server.py), on SQLite and PostgreSQL:
the account and its roles are recorded as events of the pseudo-actor ``annuaire``
with the mapping as their reason, only when the log does not say so already; wrong
passwords are throttled like local ones; a local account is never taken over; with
the directory down, a clear message and local accounts still sign in."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from ldap3 import MODIFY_ADD, MODIFY_DELETE

from domain.errors import InvalidValue, NotAllowed
from ledger.core import Caller
from ledger.directory import DirectoryUnavailable, DirectoryUser, LdapDirectory, _names
from ledger.directory_config import GroupRole, ldap_settings, parse_mapping
from ledger.errors import ConfigError
from ledger.queries import account_history
from tests.ldap_server import (
    GROUPS,
    PEOPLE,
    ROOT_DN,
    ROOT_PASSWORD,
    SUFFIX,
    Slapd,
    group,
    person,
)
from tests.web.ui_client import Site, text
from tests.web.world import PASSWORD, login, open_world
from web.app import create_app

WRONG = "mauvais-mot-de-passe"
PASSWORDS = {
    "alice": "alice-annuaire-2026",
    "bob": "bob-annuaire-2026",
    "dave": "dave-annuaire-2026",
    "erin": "erin-annuaire-2026",
    "admin": "admin-de-l-annuaire",  # a directory entry named like the local admin
    "u.dsi": "dsi-de-l-annuaire",
}
MAPPING = (
    f"cn=sdsi-dsi,{GROUPS}=dsi; copil=member; referents-dsn=referent:DSN; "
    "sdsi-admins=admin,auditor"
)
DSI_REASON = (
    f"annuaire LDAP : membre du groupe « cn=sdsi-dsi,{GROUPS} », qui donne le rôle "
    "dsi (SDSI_LDAP_GROUP_ROLES)"
)
MEMBER_REASON = (
    "annuaire LDAP : membre du groupe « copil », qui donne le rôle member "
    "(SDSI_LDAP_GROUP_ROLES)"
)
FIRST = "première connexion par l'annuaire (LDAP)"


@pytest.fixture(scope="module")
def slapd(tmp_path_factory: Any) -> Iterator[Slapd]:
    root: Path = tmp_path_factory.mktemp("slapd")
    names = {
        "alice": "Alice Martin",
        "bob": "Bob Durand",
        "dave": "Dave Petit",
        "erin": "Erin Leroy",
        "admin": "Admin Annuaire",
        "u.dsi": "Homonyme DSI",
    }
    entries = [person(uid, names[uid], pw) for uid, pw in PASSWORDS.items()]
    entries += [
        group("sdsi-dsi", "alice", "dave"),
        group("copil", "alice", "dave", "bob"),
        group("referents-dsn", "bob"),
        group("sdsi-admins", "admin", "u.dsi"),
    ]
    server = Slapd(root, entries)
    server.start()
    yield server
    server.stop()


class Clock:
    """The throttle's clock, moved only by the test."""

    def __init__(self) -> None:
        self.now = 3_000_000_000.0

    def __call__(self) -> float:
        return self.now


@dataclasses.dataclass
class Directory:
    site: Site
    app: Flask
    slapd: Slapd
    clock: Clock

    @property
    def ledger(self) -> Any:
        return self.site.ledger

    def reset(self) -> None:
        self.ledger.storage.execute("DELETE FROM {t:login_throttle}")
        self.clock.now += 7200

    def position(self) -> int:
        return int(self.ledger.recorder.max_notification_id() or 0)

    def history(self, name: str) -> list[tuple[str, str, str | None]]:
        found = [a for a in account_history(self.ledger) if a["username"] == name]
        if not found:
            return []
        return [(h["change"], h["actor"], h["reason"]) for h in found[0]["history"]]


def ldap_env(url: str) -> dict[str, str]:
    return {
        "SDSI_LDAP_URL": url,
        "SDSI_LDAP_USER_DN_TEMPLATE": f"uid={{username}},{PEOPLE}",
        "SDSI_LDAP_GROUP_BASE": GROUPS,
        "SDSI_LDAP_GROUP_ROLES": MAPPING,
        "SDSI_LDAP_TIMEOUT": "3",
    }


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def directory(
    request: pytest.FixtureRequest, tmp_path_factory: Any, slapd: Slapd
) -> Iterator[Directory]:
    site = open_world(request, tmp_path_factory, request.param)
    base = site.app.extensions["sdsi"].settings
    settings = dataclasses.replace(base, ldap=ldap_settings(ldap_env(slapd.url)))
    app = create_app(
        {"TESTING": True, "FOLLOW": False, "WTF_CSRF_ENABLED": False},
        settings=settings,
        ledger=site.ledger,
    )
    clock = Clock()
    app.extensions["sdsi"].extra["throttle"].counters.clock = clock
    found = Directory(site, app, slapd, clock)
    found.reset()
    yield found
    app.extensions["sdsi"].read_model.close()
    site.close()


def ui_login(app: Flask, username: str, password: str, ip: str = "10.2.0.1") -> Any:
    client = app.test_client()
    answer = client.post(
        "/connexion",
        data={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )
    answer.client = client
    return answer


def api_login(app: Flask, username: str, password: str, ip: str = "10.2.0.1") -> Any:
    return app.test_client().post(
        "/api/v1/auth/token",
        json={"username": username, "password": password},
        environ_base={"REMOTE_ADDR": ip},
    )


def test_a_first_sign_in_records_the_account_and_its_roles_with_the_mapping_as_reason(
    directory: Directory,
) -> None:
    directory.reset()
    answer = ui_login(directory.app, "alice", PASSWORDS["alice"])
    assert answer.status_code == 302
    home = answer.client.get("/")
    assert home.status_code == 200
    assert "Alice Martin" in home.get_data(as_text=True)
    assert directory.history("alice") == [
        ("Registered", "annuaire", FIRST),
        ("DirectoryLinked", "annuaire", FIRST),
        ("+dsi", "annuaire", DSI_REASON),
        ("+member", "annuaire", MEMBER_REASON),
    ]
    account = directory.ledger.account("alice")
    assert (account.directory, account.email, sorted(account.grants)) == (
        "ldap",
        "alice@ville.fr",
        ["dsi", "member"],
    )
    # no local password: the directory's does not open the local door either
    assert directory.ledger.authenticate("alice", PASSWORDS["alice"]) is None


def test_signing_in_again_writes_nothing(directory: Directory) -> None:
    directory.reset()
    assert ui_login(directory.app, "alice", PASSWORDS["alice"]).status_code == 302
    before = directory.position()
    assert ui_login(directory.app, "alice", PASSWORDS["alice"]).status_code == 302
    answer = api_login(directory.app, "ALICE", PASSWORDS["alice"])
    assert answer.status_code == 200
    assert (answer.get_json()["username"], sorted(answer.get_json()["roles"])) == (
        "alice",
        ["dsi", "member"],
    )
    assert directory.position() == before


def test_a_scoped_role_comes_from_the_mapping(directory: Directory) -> None:
    directory.reset()
    answer = api_login(directory.app, "bob", PASSWORDS["bob"])
    assert answer.status_code == 200
    assert sorted(answer.get_json()["roles"]) == ["member", "referent:DSN"]
    assert directory.history("bob")[2:] == [
        ("+member", "annuaire", MEMBER_REASON),
        (
            "+referent:DSN",
            "annuaire",
            "annuaire LDAP : membre du groupe « referents-dsn », qui donne le rôle "
            "referent:DSN (SDSI_LDAP_GROUP_ROLES)",
        ),
    ]


def test_a_group_left_in_the_directory_revokes_the_role_at_the_next_sign_in(
    directory: Directory,
) -> None:
    directory.reset()
    copil = f"cn=copil,{GROUPS}"
    dave = f"uid=dave,{PEOPLE}"
    assert ui_login(directory.app, "dave", PASSWORDS["dave"]).status_code == 302
    # an administrator's own grant, outside the mapping, is the administrator's
    admin = Caller(actor="admin", reason="jury d'évaluation")
    directory.ledger.grant_role(admin, "dave", "evaluator")
    directory.slapd.modify(copil, {"member": [(MODIFY_DELETE, [dave])]})
    try:
        before = directory.position()
        assert ui_login(directory.app, "dave", PASSWORDS["dave"]).status_code == 302
        assert directory.history("dave")[-1] == (
            "-member",
            "annuaire",
            "annuaire LDAP : membre d'aucun groupe donnant le rôle member "
            "(SDSI_LDAP_GROUP_ROLES : « copil »)",
        )
        assert directory.position() == before + 1
        assert sorted(directory.ledger.account("dave").grants) == ["dsi", "evaluator"]
    finally:
        directory.slapd.modify(copil, {"member": [(MODIFY_ADD, [dave])]})
    assert ui_login(directory.app, "dave", PASSWORDS["dave"]).status_code == 302
    assert directory.history("dave")[-1] == ("+member", "annuaire", MEMBER_REASON)
    assert sorted(directory.ledger.account("dave").grants) == [
        "dsi",
        "evaluator",
        "member",
    ]


def test_wrong_passwords_and_unknown_logins_are_throttled_like_local_ones(
    directory: Directory,
) -> None:
    """Five failures free per account and client, then waits: the same answers for
    a directory account, a login neither knows, and a local account."""

    def answers(username: str, ip: str) -> list[tuple[int, str | None]]:
        directory.reset()
        out = []
        for n, pause in enumerate((0, 0, 0, 0, 0, 0, 0.5, 0.5, 1, 0)):
            directory.clock.now += pause
            door = ui_login if n % 2 else api_login
            r = door(directory.app, username, WRONG, ip)
            out.append((r.status_code, r.headers.get("Retry-After")))
        return out

    before = directory.position()
    local = answers(login("member"), "10.2.1.1")
    assert local[:6] == [(401, None)] * 5 + [(429, "1")]
    assert answers("erin", "10.2.1.2") == local
    assert answers("personne.inconnue", "10.2.1.3") == local
    directory.reset()
    for _ in range(5):
        assert api_login(directory.app, "erin", WRONG, "10.2.1.2").status_code == 401
    # throttled: even the right password waits, and the directory is not asked
    refused = ui_login(directory.app, "erin", PASSWORDS["erin"], "10.2.1.2")
    assert (refused.status_code, refused.headers["Retry-After"]) == (429, "1")
    assert directory.position() == before  # failures and refusals write nothing
    directory.clock.now += 1
    assert (
        ui_login(directory.app, "erin", PASSWORDS["erin"], "10.2.1.2").status_code
        == 302
    )


def test_a_local_account_is_never_taken_over_by_a_directory_login(
    directory: Directory,
) -> None:
    directory.reset()
    before = directory.position()
    for name in ("admin", login("dsi")):
        refused = ui_login(directory.app, name, PASSWORDS[name])
        assert refused.status_code == 401
        assert "Identifiant ou mot de passe incorrect." in text(refused)
        assert api_login(directory.app, name, PASSWORDS[name]).status_code == 401
    assert directory.position() == before  # no role from the directory's groups
    assert ui_login(directory.app, "admin", PASSWORD).status_code == 302
    assert sorted(directory.ledger.account(login("dsi")).grants) == ["dsi"]


def test_with_the_directory_down_a_clear_message_and_local_accounts_still_sign_in(
    directory: Directory,
) -> None:
    directory.reset()
    directory.slapd.stop()
    try:
        down = ui_login(directory.app, "alice", PASSWORDS["alice"])
        assert down.status_code == 503
        assert (
            "L'annuaire de la collectivité ne répond pas : la connexion par "
            "l'annuaire est impossible pour l'instant. Réessayez plus tard ; les "
            "comptes locaux peuvent se connecter."
        ) in text(down)
        api = api_login(directory.app, "newcomer", PASSWORDS["alice"])
        assert api.status_code == 503
        assert api.get_json()["error"]["code"] == "directory_unavailable"
        assert ui_login(directory.app, "admin", PASSWORD).status_code == 302
        assert api_login(directory.app, login("dsi"), PASSWORD).status_code == 200
        # unanswered attempts do not count against the account
        for _ in range(6):
            assert ui_login(directory.app, "alice", WRONG).status_code == 503
    finally:
        directory.slapd.start()
    assert ui_login(directory.app, "alice", PASSWORDS["alice"]).status_code == 302


def test_the_directory_actor_manages_only_the_accounts_it_registered(
    directory: Directory,
) -> None:
    led = directory.ledger
    annuaire = Caller(actor="annuaire", reason="essai")
    with pytest.raises(NotAllowed):
        led.grant_role(annuaire, login("member"), "admin")
    with pytest.raises(NotAllowed):  # only the directory registers directory accounts
        led.register_directory_account(
            Caller(actor="admin", reason="essai"), "mallory", "Mallory", "ldap"
        )
    for reserved in ("annuaire", "system"):
        with pytest.raises(InvalidValue):
            led.add_user(Caller(actor="admin", reason="essai"), reserved, "X", PASSWORD)


# --- settings -----------------------------------------------------------------------


def test_the_mapping_reads_dns_names_several_roles_and_scopes() -> None:
    mapping = parse_mapping(MAPPING, "SDSI_LDAP_GROUP_ROLES")
    assert mapping.lines == (
        GroupRole(f"cn=sdsi-dsi,{GROUPS}", "dsi", None),
        GroupRole("copil", "member", None),
        GroupRole("referents-dsn", "referent", "DSN"),
        GroupRole("sdsi-admins", "admin", None),
        GroupRole("sdsi-admins", "auditor", None),
    )
    assert mapping.managed == {"dsi", "member", "referent:DSN", "admin", "auditor"}
    assert set(mapping.wanted({"COPIL", "autre"})) == {"member"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("copil", "'copil' is not GROUP=role"),
        ("copil=maire", "unknown role 'maire' for 'copil'"),
        ("refs=referent", "role 'referent' needs a direction (referent:DSN)"),
        ("copil=member:DSN", "role 'member' takes no scope"),
    ],
)
def test_a_wrong_mapping_is_refused_at_start_naming_the_line(
    raw: str, message: str
) -> None:
    env = {**ldap_env("ldap://127.0.0.1:1"), "SDSI_LDAP_GROUP_ROLES": raw}
    with pytest.raises(ConfigError, match="SDSI_LDAP_GROUP_ROLES: ") as caught:
        ldap_settings(env)
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"SDSI_LDAP_URL": "http://x"}, "SDSI_LDAP_URL must be ldap://"),
        ({"SDSI_LDAP_USER_DN_TEMPLATE": ""}, "give exactly one of"),
        ({"SDSI_LDAP_USER_SEARCH_BASE": PEOPLE}, "give exactly one of"),
        ({"SDSI_LDAP_USER_DN_TEMPLATE": "uid=x"}, "must contain {username}"),
        (
            {"SDSI_LDAP_START_TLS": "peut-être"},
            "SDSI_LDAP_START_TLS must be true or false",
        ),
        ({"SDSI_LDAP_TIMEOUT": "0"}, "SDSI_LDAP_TIMEOUT must be a positive integer"),
    ],
)
def test_wrong_ldap_settings_are_refused_at_start(
    changes: dict[str, str], message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        ldap_settings({**ldap_env("ldap://127.0.0.1:1"), **changes})
    assert message in str(caught.value)


def test_without_ldap_url_the_directory_is_off() -> None:
    assert ldap_settings({"SDSI_LDAP_GROUP_ROLES": "copil=member"}) is None


def test_a_search_with_a_service_account_finds_the_user_and_its_groups(
    slapd: Slapd,
) -> None:
    """The other way to find users (Active Directory style): a service account
    searches ``SDSI_LDAP_USER_SEARCH_BASE`` with ``SDSI_LDAP_USER_FILTER``, then the
    user binds with their own password; a login that would widen the filter finds
    nobody."""
    env = {
        "SDSI_LDAP_URL": slapd.url,
        "SDSI_LDAP_USER_SEARCH_BASE": PEOPLE,
        "SDSI_LDAP_USER_FILTER": "(&(objectClass=inetOrgPerson)(uid={username}))",
        "SDSI_LDAP_BIND_DN": ROOT_DN,
        "SDSI_LDAP_BIND_PASSWORD": ROOT_PASSWORD,
        "SDSI_LDAP_GROUP_BASE": GROUPS,
        "SDSI_LDAP_GROUP_ROLES": MAPPING,
    }
    found = LdapDirectory(ldap_settings(env)).authenticate("Bob", PASSWORDS["bob"])
    assert found == DirectoryUser(
        username="bob",
        display_name="Bob Durand",
        email="bob@ville.fr",
        groups=frozenset(
            {
                "copil",
                f"cn=copil,{GROUPS}",
                "referents-dsn",
                f"cn=referents-dsn,{GROUPS}",
            }
        ),
    )
    ldap = LdapDirectory(ldap_settings(env))
    assert ldap.authenticate("bob", WRONG) is None
    assert ldap.authenticate("bob", "") is None  # never an unauthenticated bind
    for sneaky in ("*", "b*", "bob)(uid=*", "bob,ou=people"):
        assert ldap.authenticate(sneaky, PASSWORDS["bob"]) is None


@pytest.fixture(scope="module")
def tls_slapd(tmp_path_factory: Any) -> Iterator[Slapd]:
    root: Path = tmp_path_factory.mktemp("slapd-tls")
    entries = [person("bob", "Bob Durand", PASSWORDS["bob"]), group("copil", "bob")]
    server = Slapd(root, entries, tls=True)
    server.start()
    yield server
    server.stop()


@pytest.mark.parametrize("way", ["ldaps", "starttls"])
def test_over_tls_the_directory_certificate_is_checked(
    tls_slapd: Slapd, way: str
) -> None:
    """``ldaps://`` or StartTLS: signed in with the directory's CA; refused as
    unavailable (never in clear) with a certificate nobody vouches for."""
    env = {
        **ldap_env(tls_slapd.ldaps_url if way == "ldaps" else tls_slapd.url),
        "SDSI_LDAP_START_TLS": "1" if way == "starttls" else "0",
        "SDSI_LDAP_CA_FILE": str(tls_slapd.ca_file),
    }
    found = LdapDirectory(ldap_settings(env)).authenticate("bob", PASSWORDS["bob"])
    assert found is not None and "copil" in found.groups
    untrusted = LdapDirectory(ldap_settings({**env, "SDSI_LDAP_CA_FILE": ""}))
    with pytest.raises(DirectoryUnavailable):
        untrusted.authenticate("bob", PASSWORDS["bob"])
    unchecked = {**env, "SDSI_LDAP_CA_FILE": "", "SDSI_LDAP_VERIFY_CERTIFICATES": "0"}
    assert LdapDirectory(ldap_settings(unchecked)).authenticate("bob", PASSWORDS["bob"])


def test_a_group_s_name_counts_only_under_the_group_base() -> None:
    """A mapping line naming a group by its name alone gives its roles only for a group
    of that name under SDSI_LDAP_GROUP_BASE: a `sdsi-admins` group created elsewhere in
    the directory gives nothing (only its full DN, which the mapping does not name)."""
    inside = f"cn=sdsi-admins,{GROUPS}"
    elsewhere = f"cn=sdsi-admins,ou=projets,{SUFFIX}"
    assert _names(inside, GROUPS) == {inside, "sdsi-admins"}
    assert _names(inside.upper(), GROUPS) == {inside.upper(), "SDSI-ADMINS"}
    assert _names(elsewhere, GROUPS) == {elsewhere}
    assert _names(GROUPS, GROUPS) == {GROUPS}  # the base itself is no group of it
    assert _names("not a dn", GROUPS) == {"not a dn"}
    mapping = parse_mapping(MAPPING, "SDSI_LDAP_GROUP_ROLES")
    assert mapping.wanted(_names(elsewhere, GROUPS)) == {}
    assert set(mapping.wanted(_names(inside, GROUPS))) == {"admin", "auditor"}


def test_names_without_a_group_base_are_refused_at_start() -> None:
    env = {**ldap_env("ldap://127.0.0.1:1"), "SDSI_LDAP_GROUP_BASE": ""}
    with pytest.raises(ConfigError) as caught:
        ldap_settings(env)
    assert str(caught.value) == (
        "SDSI_LDAP_GROUP_ROLES names groups by their name (copil, referents-dsn, "
        "sdsi-admins): set SDSI_LDAP_GROUP_BASE (names are looked up only under it) "
        "or give each group's full DN"
    )
    by_dn = {**env, "SDSI_LDAP_GROUP_ROLES": f"cn=sdsi-dsi,{GROUPS}=dsi"}
    assert ldap_settings(by_dn) is not None


def test_an_erased_directory_account_cannot_sign_in_with_its_directory_password(
    directory: Directory,
) -> None:
    """The directory still knows the person; the ledger erased them (issue 19): the
    directory's password opens nothing, and the sign-in writes nothing (no role
    granted back, no name taken again from the directory) — a 401, never a 500."""
    directory.reset()
    assert ui_login(directory.app, "dave", PASSWORDS["dave"]).status_code == 302
    directory.ledger.erase_user(
        Caller(actor="admin", reason="demande RGPD art. 17"), "dave"
    )
    before = directory.position()
    refused = ui_login(directory.app, "dave", PASSWORDS["dave"])
    assert refused.status_code == 401
    assert "Identifiant ou mot de passe incorrect." in text(refused)
    assert api_login(directory.app, "dave", PASSWORDS["dave"]).status_code == 401
    assert directory.position() == before
    assert directory.ledger.account("dave").display_name == "personne effacée"
