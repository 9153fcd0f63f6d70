"""Rows the seals cannot see: ids above the head, duplicate and missing versions,
aggregate ids in another textual form (issue 12, review findings 3 and 13).

A row's leaf is computed from its canonical aggregate id and says nothing of the
aggregate's other versions. Each case below is one row slipped into a sealed ledger
of 14 events — the next event of user2's account, disabling it — as the database
owner would: with the guards of ``ledger/migrations.py`` in place it is refused, as
owner and as the least-privilege app role; with them removed it is stored, and then
``sdsi verify``, the bundle check, ``verifier.py``, the sealer and the write side each
say exactly what they find (position, aggregate, version), never "intact", never a
traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID, uuid4

import psycopg
import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import verifier
from ledger.app import open_ledger
from ledger.bundle import Bundle, export_bundle, verify_bundle
from ledger.errors import LedgerCorrupted
from ledger.logrows import ABOVE_HEAD, DUPLICATE_VERSION, NON_CANONICAL, VERSION_GAP
from ledger.notes import trusted_verifiers
from ledger.sealing import Sealer, SealingError
from ledger.sealstore import SealStore
from ledger.verify import verify_ledger
from tests.conftest import ADMIN
from tests.ledger import test_tamper
from tests.ledger.integrity_helpers import (
    Tamperer,
    outside_event,
    sdsi_cli,
    sdsi_verify,
)
from tests.ledger.test_tamper import Sealed

# The fixtures of the tamper suite: a sealed ledger of 14 events (either backend, or
# PostgreSQL only) and a least-privilege app role on it.
sealed = test_tamper.sealed
pg_sealed = test_tamper.pg_sealed
app_role_url = test_tamper.app_role_url

DISABLED = "domain.accounts:Account.Disabled"
Expected = tuple[str, int, str]  # kind, position, detail


@dataclass(frozen=True)
class Row:
    """The row slipped in, and what the database held before it."""

    oid: str  # canonical aggregate id
    version: int
    nid: int  # the id it got
    last_id: int  # the largest id before it
    issued: int  # PostgreSQL: the last id the sequence issued (SQLite: 0)
    stored_id: str | None  # the aggregate id's text, when not the recorder's


@dataclass(frozen=True)
class Case:
    """One way to slip a row in, and what every reader must then say."""

    backends: tuple[str, ...]
    offset: int = 1  # the row's version: user2's last one + offset
    nid: Callable[[Tamperer], int | None] = lambda t: None  # None: the database's
    form: Callable[[UUID], str] | None = None  # the aggregate id's text (SQLite)
    drop_key: bool = False  # a duplicate version needs the primary key gone
    loads: bool = True  # the write side loads user2 (and sees the row or not)


CASES: dict[str, Case] = {
    "an id above the head": Case(
        ("sqlite", "postgres"), nid=lambda t: t.next_free_id()
    ),
    "a far id above the head": Case(("sqlite", "postgres"), nid=lambda t: 2**62),
    "a version gap": Case(("sqlite", "postgres"), offset=2, loads=False),
    "a duplicate version": Case(
        ("sqlite", "postgres"), offset=0, drop_key=True, loads=False
    ),
    "an upper-case aggregate id": Case(("sqlite",), form=lambda u: u.hex.upper()),
    "a hyphenated aggregate id": Case(("sqlite",), form=str),
    "a braced aggregate id": Case(("sqlite",), form=lambda u: "{" + str(u) + "}"),
    "a duplicate version under another form of its id": Case(
        ("sqlite",), offset=0, form=lambda u: u.hex.upper()
    ),
}


def expected(case: str, row: Row, backend: str) -> list[Expected]:
    """What ``sdsi verify`` reports, in order: the row is at position 15."""
    who = f"event {row.oid} version {row.version}"
    found: list[Expected] = []
    if "above the head" in case:
        found.append(
            (
                ABOVE_HEAD,
                15,
                f"{who} is stored with id {row.nid} after id {row.last_id}: SQLite"
                f" gives each event the next id ({row.last_id + 1})"
                if backend == "sqlite"
                else f"{who} is stored with id {row.nid}, which its sequence never"
                f" issued (the last issued is {row.issued}): later events get smaller"
                " ids, which followers skip",
            )
        )
    if row.stored_id is not None:
        found.append(
            (
                NON_CANONICAL,
                15,
                f"{who} is stored under the aggregate id {row.stored_id!r}, not"
                f" {UUID(row.oid).hex!r}: the log counts it in its aggregate, the"
                " write side does not see it",
            )
        )
    if "gap" in case:
        found.append(
            (
                VERSION_GAP,
                15,
                f"aggregate {row.oid}: version {row.version} after"
                f" {row.version - 2}, version {row.version - 1} is missing",
            )
        )
    if "duplicate" in case:
        found.append(
            (
                DUPLICATE_VERSION,
                15,
                f"aggregate {row.oid}: duplicate version {row.version}, already"
                " stored before this position",
            )
        )
    return found


def sealer_refusal(case: str, row: Row, backend: str, store: SealStore) -> str | None:
    """Why the sealer stops at the row (None: it seals it)."""
    if row.stored_id is not None:
        why = (
            f"its aggregate id is stored as {row.stored_id!r}, not as the 32"
            " lower-case hex digits the write side looks up"
        )
    elif "above the head" in case and backend == "postgres":
        why = (
            "its id was never issued by the event sequence (the last issued is"
            f" {row.issued})"
        )
    elif "duplicate" in case:
        earlier = store.sealed_position((row.oid, row.version))
        why = (
            f"a duplicate version: this version is already sealed at position {earlier}"
        )
    else:
        return None
    return (
        f"cannot seal the event at position 15 (notification id {row.nid},"
        f" {row.oid} version {row.version}, {DISABLED}): {why}; run `sdsi verify`"
    )


def the_row(s: Sealed, case: Case) -> tuple[StoredEvent, str | None, int | None]:
    """user2's next event at the case's version, its id's text and its row id."""
    event = outside_event(s.ledger, "user2")
    version = event.originator_version - 1 + case.offset
    stored = case.form(UUID(str(event.originator_id))) if case.form else None
    return (
        StoredEvent(event.originator_id, version, event.topic, event.state),
        stored,
        case.nid(s.tamper),
    )


def slip_in(s: Sealed, case: Case, backend: str) -> Row:
    """Remove the guards (and the key if need be) and store the case's row."""
    event, stored, nid = the_row(s, case)
    last_id = s.tamper.last_id()
    issued = s.tamper.issued() if backend == "postgres" else 0
    s.tamper.remove_row_guards()
    if case.drop_key:
        s.tamper.drop_primary_key()
    with s.tamper.guarded() as conn:
        s.tamper.insert_row(conn, nid, event, stored)
    given = s.tamper.stored_ids()[-1][0] if nid is None else nid
    return Row(
        str(event.originator_id),
        event.originator_version,
        given,
        last_id,
        issued,
        stored,
    )


def found(report: Any) -> list[Expected]:
    return [(p.kind, p.position, p.detail) for p in report.problems]


@pytest.mark.parametrize(
    ("backend", "case"),
    [(b, c) for c, spec in CASES.items() for b in spec.backends],
    indirect=["backend"],
)
def test_a_row_slipped_in_without_the_guards_is_named_by_every_reader(
    sealed: Sealed, backend: str, case: str
) -> None:
    spec = CASES[case]
    row = slip_in(sealed, spec, backend)
    problems = expected(case, row, backend)

    # sdsi verify: every problem, in order; the seals themselves are intact.
    report = verify_ledger(sealed.ledger)
    assert found(report) == problems, report.lines()
    assert (report.sealed, report.unsealed) == (14, 1)
    code, cli = sdsi_verify(sealed.settings, sealed.url)
    first = cli["first_problem"]
    assert (
        code == 1
        and (first["kind"], first["position"], first["detail"]) == (problems[0])
    )

    # The sealer seals the row, or stops at it in one line naming it.
    store = SealStore(sealed.ledger.storage)
    refusal = sealer_refusal(case, row, backend, store)
    if refusal is None:
        assert Sealer(sealed.ledger).run_once() == 1
        after = verify_ledger(sealed.ledger)
        assert found(after) == problems and after.sealed == 15
    else:
        with pytest.raises(SealingError) as stopped:
            Sealer(sealed.ledger).run_once()
        assert str(stopped.value) == refusal
        assert store.head()[0] == 14

    # A bundle carries positions and canonical ids: the version problems only, the
    # same in the project's check and in verifier.py.
    bundle = sealed.tmp / f"bundle-{uuid4().hex[:6]}"
    export_bundle(sealed.ledger, bundle)
    in_bundle = [p for p in problems if p[0] in (VERSION_GAP, DUPLICATE_VERSION)]
    ours = verify_bundle(Bundle(bundle), trusted_verifiers(sealed.settings))
    assert found(ours) == in_bundle
    theirs = verifier.verify_bundle(
        verifier.Bundle(bundle),
        verifier.load_keys(str(sealed.settings.public_key_file)),
        [],
    )
    assert [(p["kind"], p["position"], p["detail"]) for p in theirs["problems"]] == (
        in_bundle
    )
    assert theirs["ok"] is ours.ok is (not in_bundle)

    # The write side, loading from the table (a fresh process: no cached
    # aggregate): the row is its aggregate's next event (loaded), in a form it does
    # not look up (ignored — what verify reports), or breaks the versions (refused,
    # named, nothing written).
    fresh = open_ledger(sealed.settings)
    try:
        if spec.loads:
            sees_it = row.stored_id is None
            assert fresh.account("user2").active is not sees_it
        else:
            head = fresh.head()
            with pytest.raises(LedgerCorrupted) as refused:
                fresh.grant_role(ADMIN, "user2", "auditor")
            previous = row.version - 2 if "gap" in case else row.version
            assert refused.value.params == {
                "originator_id": row.oid,
                "previous": previous,
                "found": row.version,
            }
            assert refused.value.status == 500
            assert fresh.head() == head
    finally:
        fresh.close()


def assert_refused(s: Sealed, case: str, url: str | None = None) -> None:
    """The guards refuse the row; the ledger is as it was, and verifies."""
    spec = CASES[case]
    before = s.tamper.count()
    event, stored, nid = the_row(s, spec)
    with (
        pytest.raises((sqlite3.DatabaseError, psycopg.Error)) as refused,
        s.tamper.guarded(url) as conn,
    ):
        s.tamper.insert_row(conn, nid, event, stored)
    assert "the SDSI ledger refuses" in str(refused.value)
    assert s.tamper.count() == before
    report = verify_ledger(s.ledger)
    assert (report.ok, report.sealed, report.unsealed) == (True, 14, 0), report.lines()
    assert s.ledger.account("user2").active


@pytest.mark.parametrize(
    ("backend", "case"),
    [(b, c) for c, spec in CASES.items() for b in spec.backends],
    indirect=["backend"],
)
def test_the_owner_with_the_guards_in_place_cannot_slip_a_row_in(
    sealed: Sealed, backend: str, case: str
) -> None:
    assert_refused(sealed, case)


@pytest.mark.parametrize(
    "case", [c for c, spec in CASES.items() if "postgres" in spec.backends]
)
def test_the_app_role_cannot_slip_a_row_in(
    pg_sealed: Sealed, app_role_url: str, case: str
) -> None:
    assert_refused(pg_sealed, case, app_role_url)


FORMS: dict[str, Callable[[UUID], str]] = {
    "upper case": lambda u: str(u).upper(),
    "braces": lambda u: "{" + str(u) + "}",
    "no hyphens": lambda u: u.hex,
}


@pytest.mark.parametrize("form", list(FORMS))
def test_postgresql_stores_any_textual_form_as_the_one_uuid(
    pg_sealed: Sealed, app_role_url: str, form: str
) -> None:
    """The uuid column has one form: another text of the id is the same aggregate
    for the write side and the log, and its versions are guarded alike."""
    s = pg_sealed
    event = outside_event(s.ledger, "user2")
    text = FORMS[form](UUID(str(event.originator_id)))
    again = StoredEvent(event.originator_id, 1, event.topic, event.state)
    with (
        pytest.raises(psycopg.Error, match="the SDSI ledger refuses"),
        s.tamper.guarded(app_role_url) as conn,
    ):
        s.tamper.insert_row(conn, None, again, text)
    with s.tamper.guarded(app_role_url) as conn:
        s.tamper.insert_row(conn, None, event, text)
    assert s.tamper.stored_ids()[-1][1] == str(event.originator_id)
    assert not s.ledger.account("user2").active
    report = verify_ledger(s.ledger)
    assert (report.ok, report.unsealed) == (True, 1)


def test_sdsi_seal_names_the_row_it_cannot_seal_in_one_line(
    sealed: Sealed, backend: str
) -> None:
    row = slip_in(sealed, CASES["a duplicate version"], backend)
    store = SealStore(sealed.ledger.storage)
    earlier = store.sealed_position((row.oid, row.version))
    for args in (("seal",), ("ledger", "export", str(sealed.tmp / "b"))):
        result = sdsi_cli(sealed.settings, sealed.url, *args)
        assert result.returncode == 1
        assert result.stderr == (
            "sdsi: error: sealing stopped: cannot seal the event at position 15"
            f" (notification id {row.nid}, {row.oid} version {row.version},"
            f" {DISABLED}): a duplicate version: this version is already sealed at"
            f" position {earlier}; run `sdsi verify`\n"
        )
    assert store.head()[0] == 14


def test_a_page_of_events_before_an_unsealable_one_is_sealed(
    sealed: Sealed, backend: str
) -> None:
    """The sealer seals what precedes the row, then stops there, every time."""
    for i in range(3):
        sealed.ledger.grant_role(ADMIN, f"user{i + 2}", "auditor")  # positions 15..17
    row = slip_in(sealed, CASES["a duplicate version"], backend)
    sealer = Sealer(sealed.ledger)
    for _ in range(2):
        with pytest.raises(SealingError, match="at position 18 "):
            sealer.run_once()
        assert SealStore(sealed.ledger.storage).head()[0] == 17
    assert row.nid == sealed.tamper.last_id()


# --- the write side, whatever versions are stored ---------------------------------


@given(versions=st.lists(st.integers(1, 5), min_size=1, max_size=6))
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_the_write_side_loads_exactly_the_aggregates_whose_versions_follow(
    sealed: Sealed, versions: list[int]
) -> None:
    """Any versions stored for an aggregate, in any order, duplicates included: the
    write side loads it when they are 1..n, and otherwise refuses it naming the
    first break (never the library's AssertionError or OriginatorVersionError);
    verify names a version problem of it exactly when the log order is not 1..n."""
    if not hasattr(sealed, "source"):
        for i in range(4):
            sealed.ledger.reset_password(ADMIN, "user4", f"password-number-{i}")
        user4 = sealed.ledger.account("user4").id
        sealed.source = {  # type: ignore[attr-defined]
            e.originator_version: e for e in sealed.ledger.recorder.select_events(user4)
        }
        sealed.tamper.remove_row_guards()
        sealed.tamper.drop_primary_key()
    source = sealed.source  # type: ignore[attr-defined]
    oid = uuid4()
    with sealed.tamper.guarded() as conn:
        for v in versions:
            event = StoredEvent(oid, v, source[v].topic, source[v].state)
            sealed.tamper.insert_row(conn, None, event)

    stored = sorted(versions)  # as the write side reads them
    breaks = [
        (previous, found)
        for previous, found in zip([0, *stored], stored, strict=False)
        if found != previous + 1
    ]
    fresh = open_ledger(sealed.settings)
    try:
        if not breaks:
            assert fresh.repository.get(oid).version == len(stored)
        else:
            with pytest.raises(LedgerCorrupted) as refused:
                fresh.repository.get(oid)
            assert refused.value.params == {
                "originator_id": str(oid),
                "previous": breaks[0][0],
                "found": breaks[0][1],
            }
    finally:
        fresh.close()
    named = [p for p in verify_ledger(sealed.ledger).problems if str(oid) in p.detail]
    assert (named == []) is (versions == list(range(1, len(versions) + 1)))
