"""Direct tampering by the database owner is caught by `sdsi verify` and by verifier.py.

Each case edits the tables the way someone with the database's keys could, then runs
``python -m sdsi verify`` and, on a bundle exported afterwards, the independent
``verifier.py``: both must fail and name the same first bad position and kind.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent

import ledger.integrity as integrity
from ledger.bundle import Bundle, export_bundle, verify_bundle
from ledger.keys import ensure_signing_key
from ledger.notes import trusted_verifiers
from ledger.sealing import Sealer
from tests.conftest import ADMIN
from tests.ledger.integrity_helpers import (
    Tamperer,
    forged_checkpoints,
    run_verifier,
    sdsi_verify,
    session_closed_state,
    verifier_report,
)

PASSWORD = "secret-password-1"


@dataclass
class Sealed:
    """A sealed ledger of 14 events, checkpoints at 4, 8, 12 and 14, and a tamperer."""

    ledger: Any
    settings: Any
    url: str
    tamper: Tamperer
    tmp: Path

    def bundle(self) -> Path:
        path = self.tmp / f"bundle-{uuid4().hex[:6]}"
        export_bundle(self.ledger, path)
        return path


@pytest.fixture
def sealed(
    ledger: Any,
    backend: str,
    settings: Any,
    database_url: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> Sealed:
    ensure_signing_key(settings)
    for i in range(5):
        ledger.add_user(ADMIN, f"user{i}", f"User {i}", PASSWORD, roles=[("dsi", None)])
    ledger.set_password(ADMIN, "user0", "another-password-1")
    ledger.set_password(ADMIN, "user1", "another-password-2")
    Sealer(ledger, every_events=4).checkpoint_now()
    server = request.getfixturevalue("pg_server_url") if backend == "postgres" else None
    return Sealed(
        ledger, settings, database_url, Tamperer(backend, settings, server), tmp_path
    )


def assert_caught(s: Sealed, kind: str, position: int, last: int | None = None) -> None:
    """sdsi verify, verifier.py and the import-time check all name the same failure."""
    code, report = sdsi_verify(s.settings, s.url)
    first = report["first_problem"]
    assert code == 1 and (first["kind"], first["position"]) == (kind, position), report
    if last is not None:
        assert first["last"] == last
    bundle = s.bundle()
    code, vreport = verifier_report(bundle, s.settings.public_key_file)
    vfirst = vreport["first_problem"]
    assert code == 1 and (vfirst["kind"], vfirst["position"]) == (kind, position), (
        vreport
    )
    ours = verify_bundle(Bundle(bundle), trusted_verifiers(s.settings))
    assert not ours.ok and ours.first is not None
    assert (ours.first.kind, ours.first.position) == (kind, position)


def test_an_untouched_ledger_verifies(sealed: Sealed) -> None:
    code, report = sdsi_verify(sealed.settings, sealed.url)
    assert code == 0 and report["ok"] and report["tree_size"] == 14
    assert report["latest_checkpoint"]["tree_size"] == 14
    code, vreport = verifier_report(sealed.bundle(), sealed.settings.public_key_file)
    assert code == 0 and vreport["root"] == report["root"]


def forged_event() -> StoredEvent:
    return StoredEvent(
        uuid4(), 1, "domain.accounts:Account.RoleGranted", session_closed_state()
    )


TAMPERINGS: dict[str, tuple[Callable[[Sealed], None], str, int]] = {
    "change a state byte": (lambda s: s.tamper.change_state_byte(6), "altered", 6),
    "change a topic": (
        lambda s: s.tamper.change_topic(7, "domain.accounts:Account.Disabled"),
        "altered",
        7,
    ),
    "delete a row": (lambda s: s.tamper.delete(5), "missing", 5),
    "insert a row": (
        lambda s: s.tamper.insert_before(5, forged_event()),
        "inserted",
        5,
    ),
    "swap two rows": (lambda s: s.tamper.swap(3, 9), "reordered", 3),
    "cut the tail": (lambda s: s.tamper.cut_tail(2), "missing", 13),
}


@pytest.mark.parametrize("case", list(TAMPERINGS))
def test_direct_sql_tampering_is_caught_at_the_right_position(
    sealed: Sealed, case: str
) -> None:
    tamper, kind, position = TAMPERINGS[case]
    tamper(sealed)
    assert_caught(sealed, kind, position)


def test_a_forged_event_resealed_and_signed_with_another_key_is_caught(
    sealed: Sealed,
) -> None:
    sealed.tamper.reseal(10)
    forged = forged_checkpoints(
        sealed.ledger, 8, [12, 14], Ed25519PrivateKey.generate()
    )
    sealed.tamper.replace_checkpoints(9, forged)
    assert_caught(
        sealed, "bad signature", 9, last=12
    )  # checkpoint #3 vouched for 9..12


def test_a_forged_event_resealed_under_the_old_checkpoints_is_caught(
    sealed: Sealed,
) -> None:
    sealed.tamper.reseal(10)
    assert_caught(
        sealed, "altered", 9, last=12
    )  # checkpoint #3's root no longer matches


def test_a_lying_server_cannot_prove_an_altered_event(
    sealed: Sealed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server alters an event, recomputes its leaf, keeps the old checkpoint."""
    sealed.tamper.reseal(6)
    with pytest.raises(integrity.ProofError, match="no longer matches checkpoint #4"):
        integrity.inclusion_proof(sealed.ledger, 6)
    # A lying server skips its own check and serves the proof anyway.
    monkeypatch.setattr(integrity, "verify_inclusion", lambda *args: True)
    lie = integrity.inclusion_proof(sealed.ledger, 6)
    proof_file = sealed.tmp / "lie.json"
    proof_file.write_text(json.dumps(lie))
    code, out = run_verifier(
        "inclusion", str(proof_file), "--key", str(sealed.settings.public_key_file)
    )
    assert code == 1 and "is NOT in the tree of size 14" in out
    monkeypatch.undo()
    code, report = verifier_report(sealed.bundle(), sealed.settings.public_key_file)
    first = report["first_problem"]
    assert code == 1 and (first["kind"], first["position"], first["last"]) == (
        "altered",
        5,
        8,
    )


# --- the guards ------------------------------------------------------------------


def test_the_guards_refuse_update_delete_and_truncate(
    sealed: Sealed, backend: str, request: pytest.FixtureRequest
) -> None:
    refused = []
    if backend == "sqlite":
        tables = ("stored_events", "seals", "checkpoints")
        statements = ["UPDATE {t} SET rowid = rowid", "DELETE FROM {t}"]
        for table in tables:
            for statement in statements:
                conn = sqlite3.connect(sealed.settings.database.sqlite_path)
                try:
                    conn.execute(statement.format(t=table))
                except sqlite3.DatabaseError as exc:
                    refused.append("append-only" in str(exc))
                finally:
                    conn.close()
        assert refused == [True] * 6
    else:
        schema = sealed.settings.database.schema
        for table in ("sdsi_events", "sdsi_seals", "sdsi_checkpoints"):
            for statement in (
                "UPDATE {t} SET topic = topic"
                if table == "sdsi_events"
                else "UPDATE {t} SET position = position"
                if table == "sdsi_seals"
                else "UPDATE {t} SET seq = seq",
                "DELETE FROM {t}",
                "TRUNCATE {t}",
            ):
                url = request.getfixturevalue("pg_server_url")
                with psycopg.connect(url, autocommit=True) as conn:
                    try:
                        conn.execute(statement.format(t=f'"{schema}".{table}'))
                    except psycopg.Error as exc:
                        refused.append("append-only" in str(exc))
        assert refused == [True] * 9
    code, report = sdsi_verify(sealed.settings, sealed.url)
    assert code == 0, report
