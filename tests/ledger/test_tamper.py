"""Direct tampering by the database owner is caught by `sdsi verify` and by verifier.py.

Each case edits the tables the way someone with the database's keys could, then runs
``python -m sdsi verify`` and, on a bundle exported afterwards, the independent
``verifier.py``: both must fail and name the same first bad position and kind.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import uuid4

import psycopg
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import ledger.integrity as integrity
import verifier
from ledger.app import open_ledger
from ledger.bundle import Bundle, export_bundle, verify_bundle
from ledger.errors import EventOutsideLog
from ledger.guards import create_app_role
from ledger.keys import ensure_signing_key, load_signing_key
from ledger.notes import trusted_verifiers
from ledger.sealing import Sealer
from ledger.sealstore import SealStore
from ledger.verify import verify_ledger
from tests.conftest import ADMIN, make_settings
from tests.ledger.integrity_helpers import (
    Tamperer,
    forged_checkpoints,
    outside_event,
    run_verifier,
    sdsi_cli,
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


def seal_fourteen_events(
    ledger: Any,
    settings: Any,
    url: str,
    backend: str,
    server: str | None,
    tmp_path: Path,
) -> Sealed:
    ensure_signing_key(settings)
    for i in range(5):
        ledger.add_user(ADMIN, f"user{i}", f"User {i}", PASSWORD, roles=[("dsi", None)])
    ledger.reset_password(ADMIN, "user0", "another-password-1")
    ledger.reset_password(ADMIN, "user1", "another-password-2")
    Sealer(ledger, every_events=4).checkpoint_now()
    return Sealed(ledger, settings, url, Tamperer(backend, settings, server), tmp_path)


@pytest.fixture
def sealed(
    ledger: Any,
    backend: str,
    settings: Any,
    database_url: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> Sealed:
    server = request.getfixturevalue("pg_server_url") if backend == "postgres" else None
    return seal_fourteen_events(
        ledger, settings, database_url, backend, server, tmp_path
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


# --- tampering by row id (issue 12, defect 2) ------------------------------------------
#
# The log that sealing, verification, bundles and the views read is the event rows with
# ids > 0, in id order. A row with any other id, or with an id that is not the next
# one, is refused by the database (the guards of ledger/migrations.py), as the owner
# and as the least-privilege app role; where it is stored anyway (guards removed, or a
# database older than them), sdsi verify, verifier.py and the write side all report
# or refuse it — never "intact" while the write side sees something the log does not.

REFUSED_IDS: dict[str, Callable[[Tamperer], int | None]] = {
    "id 0": lambda t: 0,
    "id -1": lambda t: -1,
    "a far negative id": lambda t: -(2**62),
    "an id above the head": lambda t: t.next_free_id(),
    "a far id above the head": lambda t: 2**62,
    "a duplicate version": lambda t: None,
}


def refusal(kind: str, backend: str) -> str:
    # A duplicate version is refused by the version guard (schema version 6) before
    # the primary key sees it.
    return "the SDSI ledger refuses"


def assert_refused(s: Sealed, kind: str, url: str | None = None) -> None:
    """The row is refused; the ledger is as it was, and verifies."""
    before = s.tamper.count()
    event = outside_event(s.ledger, "user2")
    if kind == "a duplicate version":  # user2's registration, stored again
        event = StoredEvent(event.originator_id, 1, event.topic, event.state)
    nid = REFUSED_IDS[kind](s.tamper)
    with (
        pytest.raises((sqlite3.DatabaseError, psycopg.Error)) as refused,
        s.tamper.guarded(url) as conn,
    ):
        s.tamper.insert_row(conn, nid, event)
    assert refusal(kind, s.tamper.backend) in str(refused.value)
    assert s.tamper.count() == before
    report = verify_ledger(s.ledger)
    assert (report.ok, report.sealed) == (True, 14), report.lines()
    assert s.ledger.account("user2").active


@pytest.mark.parametrize("kind", list(REFUSED_IDS))
def test_the_owner_cannot_store_a_row_outside_the_log(
    sealed: Sealed, kind: str
) -> None:
    assert_refused(sealed, kind)


@pytest.fixture
def pg_sealed(
    pg_schema_url: str, pg_server_url: str, tmp_path: Path
) -> Iterator[Sealed]:
    settings = make_settings(tmp_path / "data", pg_schema_url)
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    try:
        yield seal_fourteen_events(
            led, settings, pg_schema_url, "postgres", pg_server_url, tmp_path
        )
    finally:
        led.close()


@pytest.fixture
def app_role_url(pg_sealed: Sealed, pg_server_url: str) -> Iterator[str]:
    """A login role made by `sdsi init --app-role` (ledger.guards.create_app_role)."""
    role = "sdsi_app_" + uuid4().hex[:8]
    create_app_role(pg_sealed.ledger, role, "role-password-1")
    try:
        yield pg_server_url.replace("postgres@", f"{role}:role-password-1@", 1)
    finally:
        with psycopg.connect(pg_server_url, autocommit=True) as conn:
            conn.execute(f"DROP OWNED BY {role}")
            conn.execute(f"DROP ROLE {role}")


@pytest.mark.parametrize("kind", list(REFUSED_IDS))
def test_the_app_role_cannot_store_a_row_outside_the_log(
    pg_sealed: Sealed, app_role_url: str, kind: str
) -> None:
    assert_refused(pg_sealed, kind, app_role_url)


def test_the_app_role_cannot_fill_a_gap_below_the_head(
    pg_sealed: Sealed, app_role_url: str
) -> None:
    """PostgreSQL ids have gaps (a rolled-back insert burns one): a row slipped into
    one would stand before events the followers already passed."""
    with pg_sealed.tamper.guarded(app_role_url) as conn:
        burnt = conn.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'notification_id'))",
            (pg_sealed.tamper.events,),
        ).fetchone()[0]
    pg_sealed.ledger.grant_role(ADMIN, "user3", "auditor")
    before = pg_sealed.tamper.count()
    event = outside_event(pg_sealed.ledger, "user2")
    with (
        pytest.raises(psycopg.Error, match="the SDSI ledger refuses"),
        pg_sealed.tamper.guarded(app_role_url) as conn,
    ):
        pg_sealed.tamper.insert_row(conn, burnt, event)
    assert pg_sealed.tamper.count() == before


HIDDEN_IDS = {"id 0": 0, "id -1": -1, "a far negative id": -(2**62)}


@pytest.mark.parametrize("where", list(HIDDEN_IDS))
def test_a_row_stored_outside_the_log_is_reported_everywhere_and_never_loaded(
    sealed: Sealed, where: str
) -> None:
    """The defect of issue 12: a hidden Disabled event made the write side refuse to
    act on the account while every verification said "ledger intact"."""
    nid = HIDDEN_IDS[where]
    event = outside_event(sealed.ledger, "user2")
    oid, version = str(event.originator_id), event.originator_version
    sealed.tamper.remove_id_guards()
    with sealed.tamper.guarded() as conn:
        sealed.tamper.insert_row(conn, nid, event)
    detail = (
        f"event {oid} version {version} (domain.accounts:Account.Disabled) is stored"
        f" with id {nid}, outside the log"
    )

    # sdsi verify: exit 1, the row named by id, originator and version.
    code, report = sdsi_verify(sealed.settings, sealed.url)
    first = report["first_problem"]
    assert code == 1 and report["ok"] is False
    assert (first["kind"], first["position"], first["notification_id"]) == (
        "outside the log",
        0,
        nid,
    )
    assert first["detail"].startswith(detail)
    assert report["tree_size"] == 14  # the log itself is intact
    text = sdsi_cli(sealed.settings, sealed.url, "verify")
    assert text.returncode == 1
    assert text.stdout.startswith(
        f"LEDGER INTEGRITY BROKEN: first bad row id {nid} (outside the log)\n"
    )
    assert text.stderr == (
        f"sdsi: error: integrity check failed at row id {nid} (outside the log)\n"
    )

    # verifier.py on an exported bundle, and the import-time check: the same.
    bundle = sealed.tmp / "bundle"
    exported = sdsi_cli(sealed.settings, sealed.url, "ledger", "export", str(bundle))
    assert exported.returncode == 0, exported.stderr
    code, vreport = verifier_report(bundle, sealed.settings.public_key_file)
    vfirst = vreport["first_problem"]
    assert code == 1
    assert (vfirst["kind"], vfirst["position"], vfirst["notification_id"]) == (
        "outside the log",
        0,
        nid,
    )
    assert vfirst["detail"] == detail
    code, out = run_verifier(str(bundle), "--key", str(sealed.settings.public_key_file))
    assert code == 1
    assert out.splitlines()[:2] == [
        f"BUNDLE VERIFICATION FAILED: first bad row id {nid} (outside the log)",
        f"  row id {nid}: outside the log — {detail}",
    ]
    ours = verify_bundle(Bundle(bundle), trusted_verifiers(sealed.settings))
    assert ours.first is not None
    assert (ours.first.kind, ours.first.notification_id) == ("outside the log", nid)

    # The write side refuses the account (loud, named), writes nothing; others work.
    head = sealed.ledger.head()
    expected = {"originator_id": oid, "version": version, "notification_id": nid}
    with pytest.raises(EventOutsideLog) as refused:
        sealed.ledger.account("user2")
    assert refused.value.params == expected
    with pytest.raises(EventOutsideLog) as refused:
        sealed.ledger.grant_role(ADMIN, "user2", "auditor")
    assert refused.value.params == expected
    assert sealed.ledger.head() == head
    assert sealed.ledger.grant_role(ADMIN, "user3", "auditor").data["roles"] == [
        "dsi",
        "auditor",
    ]


@given(data=st.data())
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_every_row_outside_the_log_is_named_and_its_aggregate_refused(
    sealed: Sealed, data: Any
) -> None:
    """Any number of rows outside the log, on any accounts: each is named by sdsi
    verify's checks and by both bundle verifiers; exactly their accounts are refused."""
    ids = data.draw(
        st.lists(st.integers(-(2**62), 0), min_size=1, max_size=4, unique=True),
        label="ids",
    )
    owners = data.draw(
        st.lists(
            st.sampled_from(["user2", "user3", "user4"]),
            min_size=len(ids),
            max_size=len(ids),
        ),
        label="accounts",
    )
    sealed.tamper.remove_id_guards()
    rows, events = [], []
    nexts = {o: outside_event(sealed.ledger, o) for o in set(owners)}
    for nid, owner in zip(ids, owners, strict=True):
        event = nexts[owner]  # the account's next versions, one after the other
        version = event.originator_version + sum(
            1 for e in events if e.originator_id == event.originator_id
        )
        events.append(
            StoredEvent(event.originator_id, version, event.topic, event.state)
        )
        rows.append((nid, str(event.originator_id), version))
    try:
        with sealed.tamper.guarded() as conn:
            for nid, event in zip(ids, events, strict=True):
                sealed.tamper.insert_row(conn, nid, event)
        expected = sorted(rows)
        report = verify_ledger(sealed.ledger)
        named = [
            (p.notification_id, *_named(p.detail))
            for p in report.problems
            if p.kind == "outside the log"
        ]
        assert named == expected and report.sealed == 14
        bundle = sealed.tmp / f"bundle-{uuid4().hex[:6]}"
        export_bundle(sealed.ledger, bundle)
        ours = verify_bundle(Bundle(bundle), trusted_verifiers(sealed.settings))
        theirs = verifier.verify_bundle(
            verifier.Bundle(bundle),
            verifier.load_keys(str(sealed.settings.public_key_file)),
            [],
        )
        assert [
            (p.notification_id, *_named(p.detail)) for p in ours.problems
        ] == expected
        assert [
            (p["notification_id"], *_named(p["detail"])) for p in theirs["problems"]
        ] == expected
        for owner in ("user2", "user3", "user4"):
            if owner in owners:
                with pytest.raises(EventOutsideLog):
                    sealed.ledger.account(owner)
            else:
                assert sealed.ledger.account(owner).active
    finally:
        with sealed.tamper.connect() as conn:
            conn.execute(sealed.tamper.q("DELETE FROM {e} WHERE {nid} <= 0"))


def _named(detail: str) -> tuple[str, int]:
    """(originator id, version) a problem's detail names."""
    words = detail.split()
    return words[1], int(words[3])


# --- checkpoints (issue 12, defect 9) ------------------------------------------------


def corrupt(frontier: bytes, how: str, at: int) -> bytes:
    if how == "flip a byte":
        i = at % len(frontier)
        return frontier[:i] + bytes([frontier[i] ^ 0x01]) + frontier[i + 1 :]
    if how == "drop a hash":
        return frontier[:-32]
    if how == "add a hash":
        return frontier + bytes(32)
    return b""


@given(
    seq=st.integers(1, 4),
    how=st.sampled_from(["flip a byte", "drop a hash", "add a hash", "empty"]),
    at=st.integers(0, 10_000),
)
@settings(
    max_examples=12,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_a_full_verify_checks_every_stored_compact_range(
    sealed: Sealed, seq: int, how: str, at: int
) -> None:
    """Sealing and --from-checkpoint resume from a checkpoint's stored compact range;
    a full verify checked none of them. Now every mode names the damaged one."""
    store = SealStore(sealed.ledger.storage)
    row = store.checkpoint(seq)
    assert row is not None
    bad = corrupt(row.frontier, how, at)
    assume(bad != row.frontier)
    with sealed.tamper.connect() as conn:
        conn.execute(
            sealed.tamper.q("UPDATE {c} SET frontier = ? WHERE seq = ?"), (bad, seq)
        )
    try:
        expected = [("inconsistent checkpoint", 1, row.tree_size, seq)]
        for start in (None, 1, 2, 3, 4):
            report = verify_ledger(sealed.ledger, from_checkpoint=start)
            found = [
                (p.kind, p.position, p.last, p.checkpoint) for p in report.problems
            ]
            assert found == expected, (start, report.lines())
            assert report.problems[0].detail.startswith(
                f"checkpoint #{seq}: its stored compact range does not match"
            )
    finally:
        with sealed.tamper.connect() as conn:
            conn.execute(
                sealed.tamper.q("UPDATE {c} SET frontier = ? WHERE seq = ?"),
                (row.frontier, seq),
            )


def test_sdsi_verify_names_a_damaged_compact_range(sealed: Sealed) -> None:
    with sealed.tamper.connect() as conn:
        conn.execute(
            sealed.tamper.q("UPDATE {c} SET frontier = ? WHERE seq = 2"), (bytes(64),)
        )
    for extra in ((), ("--from-checkpoint", "3")):
        code, report = sdsi_verify(sealed.settings, sealed.url, *extra)
        assert code == 1, extra
        assert [
            (p["kind"], p["position"], p["last"], p["checkpoint"])
            for p in report["problems"]
        ] == [("inconsistent checkpoint", 1, 8, 2)]


# A rewrite signed again with the ledger's own key (whoever holds it can) agrees with
# every stored checkpoint: only a checkpoint kept outside, e.g. printed in COPIL
# minutes, catches it — on a range that must hold the altered event.
REWRITES = {
    # altered position, stored checkpoints kept intact up to, kept by the auditor
    "event 10, checkpoint #4 kept": (10, 8, [4], (1, 14)),
    "event 10, checkpoints #2 and #4 kept": (10, 8, [2, 4], (9, 14)),
    "event 3, every checkpoint re-signed": (3, 0, [3], (1, 12)),
    "event 13, checkpoint #4 kept": (13, 12, [4], (1, 14)),
}


@pytest.mark.parametrize("case", list(REWRITES))
def test_a_rewrite_caught_by_a_kept_checkpoint_is_reported_on_a_range_holding_it(
    sealed: Sealed, case: str
) -> None:
    altered, intact, kept_seqs, (first, last) = REWRITES[case]
    store = SealStore(sealed.ledger.storage)
    kept = []
    for seq in kept_seqs:
        path = sealed.tmp / f"minutes-{seq}.txt"
        path.write_text(store.checkpoint(seq).note)  # type: ignore[union-attr]
        kept.append(path)
    sealed.tamper.reseal(altered)
    sizes = [size for size in (4, 8, 12, 14) if size > intact]
    own_key = load_signing_key(sealed.settings)
    sealed.tamper.replace_checkpoints(
        intact + 1, forged_checkpoints(sealed.ledger, intact, sizes, own_key)
    )
    assert sdsi_verify(sealed.settings, sealed.url)[0] == 0  # the key holder's limit

    options = [arg for path in kept for arg in ("--checkpoint", str(path))]
    code, report = sdsi_verify(sealed.settings, sealed.url, *options)
    problem = report["first_problem"]
    assert code == 1
    assert (problem["kind"], problem["position"], problem["last"]) == (
        "altered",
        first,
        last,
    )
    assert first <= altered <= last
    assert f"checkpoint file {kept[-1]} signed another root" in problem["detail"]
    bundle = sealed.bundle()
    code, out = run_verifier(
        str(bundle), "--key", str(sealed.settings.public_key_file), *options
    )
    assert code == 1
    assert out.splitlines()[:2] == [
        f"BUNDLE VERIFICATION FAILED: first bad position {first} (altered)",
        f"  positions {first}..{last}: altered — the events agree with the leaves, but"
        f" known checkpoint {len(kept)} (tree size {last}) signed another root: an"
        " event in this range was altered and re-sealed",
    ]


def test_the_independent_verifier_names_the_bundles_latest_checkpoint(
    sealed: Sealed,
) -> None:
    """Not the auditor's kept checkpoint, which the bundle need not hold: here the
    last stored checkpoint was lost, the kept one still vouches for the events."""
    store = SealStore(sealed.ledger.storage)
    kept = sealed.tmp / "minutes.txt"
    kept.write_text(store.checkpoint(4).note)  # type: ignore[union-attr]
    with sealed.tamper.connect() as conn:
        conn.execute(sealed.tamper.q("DELETE FROM {c} WHERE seq = 4"))
    code, report = sdsi_verify(sealed.settings, sealed.url, "--checkpoint", str(kept))
    assert code == 0 and report["latest_checkpoint"]["seq"] == 3
    bundle = sealed.bundle()  # exported as it is, without a new checkpoint
    key = str(sealed.settings.public_key_file)
    code, out = run_verifier(str(bundle), "--key", key, "--checkpoint", str(kept))
    assert code == 0
    assert out.splitlines()[1] == (
        "3 signed checkpoints, the latest checkpoint #3 (tree size 12)"
    )
