"""Erasure that keeps the seals (issue 19 part 3, ``docs/privacy.md``): a person's
name and e-mail are sealed as ciphertext under their own key; ``sdsi users erase``
destroys the key, and then every seal, checkpoint and bundle still verifies while
the name and e-mail are nowhere: not in the database files (SQLite bytes, or a
plain-text ``pg_dump``), not in any view table, not in the bundle. Both backends."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from domain.accounts import Account
from domain.errors import (
    AccountErased,
    NotAllowed,
    NotFound,
    OfficialRecordKept,
    ReasonRequired,
)
from domain.personal import ERASED
from ledger.app import open_ledger
from ledger.bundle import export_bundle
from ledger.core import Caller
from ledger.keys import ensure_signing_key
from ledger.sealing import Sealer
from projections import queries as q
from projections.erasure import erase_person
from projections.schema import TABLES
from projections.service import ReadModel, init_views
from tests.conftest import ADMIN
from tests.ledger.integrity_helpers import sdsi_cli, sdsi_verify, verifier_report

NAME = "Zoé Lefèvre-Ünal"
EMAIL = "zoe.lefevre@ville.example.fr"
NEW_EMAIL = "z.lefevre-unal@ville.example.fr"
ERASE = Caller(actor="admin", reason="demande RGPD art. 17 n° 2026-14")


def forms(value: str) -> list[bytes]:
    """The ways a text may sit in a file: UTF-8, and JSON's ASCII escapes."""
    return sorted({value.encode(), json.dumps(value)[1:-1].encode()})


def leaks(blob: bytes, secrets: list[str]) -> list[str]:
    return [s for s in secrets for f in forms(s) if f in blob]


def view_dump(store: Any) -> str:
    """Every row of every view table, as text."""
    return "\n".join(
        repr(store.fetchall(f"SELECT * FROM {{{t.name}}}")) for t in TABLES
    )


def database_bytes(settings: Any) -> bytes:
    """The ledger database as the disk holds it (SQLite: both files and their WAL)
    or as a plain-text ``pg_dump`` of its schema."""
    db = settings.database
    if not db.is_postgres:
        blob = b""
        for path in sorted(Path(db.sqlite_path).parent.glob("*.db*")):
            blob += path.read_bytes()
        return blob
    kw = db.libpq_kwargs()
    dump = subprocess.run(
        ["pg_dump", "-h", str(kw["host"]), "-p", str(kw["port"]),
         "-U", str(kw["user"]), "-d", str(kw["dbname"]), "-n", db.schema],
        capture_output=True, check=True, timeout=120,
    )  # fmt: skip
    return dump.stdout


def bundle_bytes(path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(path.rglob("*")) if p.is_file())


@pytest.fixture
def views(ledger: Any, settings: Any) -> Any:
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    yield rm
    rm.close()


def test_an_erased_person_is_nowhere_and_every_seal_still_verifies(
    ledger: Any, settings: Any, database_url: str, views: Any, tmp_path: Path
) -> None:
    ensure_signing_key(settings)
    ledger.add_user(ADMIN, "zoe", NAME, "zoe-password-1", email=EMAIL)
    ledger.change_email(ADMIN, "zoe", NEW_EMAIL)
    ledger.add_user(ADMIN, "yves", "Yves Témoin", "yves-password-1")
    Sealer(ledger, every_events=2).checkpoint_now()
    views.projector().catch_up()
    assert q.account(views.store, "zoe")["display_name"] == NAME
    key = ledger.personal_keys.key_of(Account.id_for("zoe"))
    assert key is not None
    secrets = [NAME, EMAIL, NEW_EMAIL]
    # sealed as ciphertext from the start: the log never held them
    stored = b"".join(
        e.state for e in ledger.recorder.select_events(Account.id_for("zoe"))
    )
    assert leaks(stored, secrets) == []

    report = erase_person(ledger, views, ERASE, "zoe", catch_up=True)
    assert report.legacy_plaintext_events == 0
    Sealer(ledger, every_events=2).checkpoint_now()

    zoe = ledger.account("zoe")
    assert (zoe.display_name, zoe.email, zoe.active, zoe.erased) == (
        ERASED, "", False, True,
    )  # fmt: skip
    assert ledger.account("yves").display_name == "Yves Témoin"
    account = q.account(views.store, "zoe")
    assert (account["display_name"], account["email"]) == (ERASED, "")
    assert leaks(view_dump(views.store).encode(), secrets) == []
    assert leaks(database_bytes(settings), secrets) == []
    raw_key = base64.b64encode(key)
    assert raw_key not in database_bytes(settings)
    assert ledger.personal_keys.key_of(Account.id_for("zoe")) is None

    code, verified = sdsi_verify(settings, database_url)
    assert (code, verified["ok"]) == (0, True), verified
    bundle = tmp_path / "bundle"
    export_bundle(ledger, bundle)
    assert leaks(bundle_bytes(bundle), secrets) == []
    assert raw_key not in bundle_bytes(bundle)
    code, theirs = verifier_report(bundle, settings.public_key_file)
    assert (code, theirs["ok"]) == (0, True), theirs

    # a rebuild from event 1 finds only ciphertext without its key
    views.projector().rebuild()
    assert q.account(views.store, "zoe")["display_name"] == ERASED
    assert leaks(view_dump(views.store).encode(), secrets) == []


def test_erasing_twice_an_unknown_login_or_as_non_admin_is_refused_and_writes_nothing(
    ledger: Any, views: Any
) -> None:
    ledger.add_user(ADMIN, "zoe", NAME, "zoe-password-1", email=EMAIL)
    ledger.add_user(ADMIN, "dsi1", "Dominique Sidi", "dsi1-password-1",
                    roles=[("dsi", None)])  # fmt: skip
    head = ledger.head()
    with pytest.raises(NotFound, match="nobody"):
        erase_person(ledger, views, ERASE, "nobody", catch_up=True)
    with pytest.raises(NotAllowed):
        erase_person(ledger, views, Caller("dsi1", reason="r"), "zoe", catch_up=True)
    with pytest.raises(ReasonRequired):
        erase_person(ledger, views, Caller("admin"), "zoe", catch_up=True)
    assert ledger.head() == head
    assert ledger.personal_keys.key_of(Account.id_for("zoe")) is not None
    erase_person(ledger, views, ERASE, "zoe", catch_up=True)
    head = ledger.head()
    with pytest.raises(AccountErased, match="zoe"):
        erase_person(ledger, views, ERASE, "zoe", catch_up=True)
    with pytest.raises(AccountErased):
        ledger.change_email(ADMIN, "zoe", EMAIL)
    with pytest.raises(AccountErased):
        ledger.enable_user(ADMIN, "zoe")
    assert ledger.head() == head


def test_the_cli_erases_and_says_what_stays_in_legacy_plain_text_events(
    ledger: Any, settings: Any, database_url: str, views: Any
) -> None:
    """An account registered before this change (its event holds the name in
    clear): read as erased everywhere, and the command says the bytes remain."""
    subject = Account.id_for("ancien")
    state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2025-01-02T03:04:05+00:00"},
        "originator_topic": get_topic(Account),
        "username": "ancien",
        "display_name": "Gérard Ancien",
        "email": "gerard.ancien@ville.example.fr",
        "class_version": 2,
        "context": {"_type_": "vo:CommandContext", "_data_": {
            "actor": "system", "roles": ["system"], "at": {
                "_type_": "datetime_iso", "_data_": "2025-01-02T03:04:05+00:00"},
            "origin": "cli", "command": "add_user", "key": "legacy-1",
            "reason": "avant le chiffrement"}},
    }  # fmt: skip
    ledger.recorder.insert_events(
        [StoredEvent(subject, 1, get_topic(Account.Registered),
                     json.dumps(state).encode())]
    )  # fmt: skip
    assert ledger.account("ancien").display_name == "Gérard Ancien"
    result = sdsi_cli(settings, database_url, "users", "erase", "ancien",
                      "--reason", "demande RGPD")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ancien: personal data erased" in result.stdout
    assert "WARNING: 1 event(s) stored before encryption" in result.stdout
    assert ledger.account("ancien").display_name == ERASED
    event = ledger.mapper.to_domain_event(ledger.recorder.select_events(subject)[0])
    assert event.display_name.erased and event.display_name.shown == ERASED
    views.projector().catch_up()
    assert q.account(views.store, "ancien")["display_name"] == ERASED
    assert leaks(view_dump(views.store).encode(), ["Gérard Ancien"]) == []
    again = sdsi_cli(settings, database_url, "users", "erase", "ancien",
                     "--reason", "encore")  # fmt: skip
    assert again.returncode != 0 and "a été effacé" in again.stderr + again.stdout


def test_an_official_who_voted_is_not_erased(ledger: Any, views: Any) -> None:
    ledger.add_user(ADMIN, "elu", "Élu Votant", "elu-password-1")
    ledger.recorder.insert_events([_vote("elu")])
    head = ledger.head()
    with pytest.raises(OfficialRecordKept, match="elu a voté en séance"):
        erase_person(ledger, views, ERASE, "elu", catch_up=True)
    assert ledger.head() == head
    assert ledger.account("elu").display_name == "Élu Votant"


def _vote(member: str) -> StoredEvent:
    from uuid import uuid4

    from domain.sessions import Session

    at = {"_type_": "datetime_iso", "_data_": "2025-01-02T03:04:05+00:00"}
    state = {
        "timestamp": at, "proposal": "P-1", "member": member,
        "choice": {"_type_": "enum:Choice", "_data_": "for"},
        "context": {"_type_": "vo:CommandContext", "_data_": {
            "actor": member, "roles": ["member"], "at": at, "origin": "cli",
            "command": "cast_vote", "key": "vote-1", "reason": None}},
    }  # fmt: skip
    return StoredEvent(
        uuid4(), 1, get_topic(Session.VoteCast), json.dumps(state).encode()
    )


def test_keys_exported_apart_restore_the_names_of_an_imported_bundle(
    ledger: Any, settings: Any, database_url: str, tmp_path: Path
) -> None:
    ledger.add_user(ADMIN, "zoe", NAME, "zoe-password-1", email=EMAIL)
    keys = tmp_path / "keys.json"
    result = sdsi_cli(settings, database_url, "keys", "export", str(keys))
    assert result.returncode == 0, result.stderr
    assert oct(keys.stat().st_mode & 0o777) == "0o600"
    exported = json.loads(keys.read_text())
    assert {k["subject"] for k in exported["keys"]} == {
        str(Account.id_for("admin")),
        str(Account.id_for("zoe")),
    }
    # lost keys: the names read as erased; restored from the backup: back again
    ledger.storage.execute("DELETE FROM {t:personal_keys}")
    assert ledger.load(Account, Account.id_for("zoe")).display_name == ERASED
    result = sdsi_cli(settings, database_url, "keys", "import", str(keys))
    assert result.returncode == 0, result.stderr
    assert "2 key(s) added" in result.stdout
    fresh = open_ledger(settings)  # this process cached the account read without key
    try:
        assert fresh.load(Account, Account.id_for("zoe")).display_name == NAME
    finally:
        fresh.close()


NAMES = st.text(
    alphabet=st.characters(
        categories=("L", "M", "Zs", "Pd"), include_characters="'’.-éèêëàâçîïôöùûüÿœæ"
    ),
    min_size=1,
    max_size=60,
)
EMAILS = st.emails()


@pytest.fixture(scope="module")
def key_ledger(tmp_path_factory: Any) -> Any:
    """A SQLite ledger whose key table the generated cases write (real storage)."""
    from tests.conftest import make_settings

    tmp = tmp_path_factory.mktemp("keys")
    led = open_ledger(make_settings(tmp / "data", f"sqlite:///{tmp}/ledger.db"),
                      create=True)  # fmt: skip
    yield led
    led.close()


@given(name=NAMES, email=EMAILS)
@hsettings(max_examples=60, deadline=None)
def test_any_name_or_email_round_trips_then_reads_erased_once_its_key_is_gone(
    key_ledger: Any, name: str, email: str
) -> None:
    from uuid import uuid4

    from domain.personal import Personal
    from ledger.personal_keys import TABLE

    transcoder = key_ledger.mapper.transcoder
    subject = uuid4()
    stored = [transcoder.encode(Personal(subject, v)) for v in (name, email)]
    for blob, value in zip(stored, (name, email), strict=True):
        if len(value) >= 8:  # a shorter text may occur by chance in base64
            assert leaks(blob, [value]) == []
        decoded = transcoder.decode(blob)
        assert (decoded.text, decoded.erased, decoded.subject) == (
            value, False, subject
        )  # fmt: skip
    key_ledger.storage.execute(
        f"UPDATE {{t:{TABLE}}} SET data_key = NULL, erased_at = ? WHERE subject = ?",
        ("2026-01-01T00:00:00+00:00", str(subject)),
    )
    for blob in stored:
        decoded = transcoder.decode(blob)
        assert (decoded.erased, decoded.text, decoded.shown) == (True, "", ERASED)
