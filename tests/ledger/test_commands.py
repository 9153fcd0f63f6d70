"""The command machinery on both backends: context, idempotency, lost acks, conflicts."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from domain.accounts import Account
from domain.errors import NotAllowed, UnknownActor
from domain.values import CommandContext
from ledger.app import open_ledger
from ledger.core import Caller
from ledger.errors import ConflictError, IdempotencyKeyReused
from ledger.queries import iter_events
from tests.conftest import ADMIN, make_settings
from tests.ledger import flaky


def all_events(ledger):  # type: ignore[no-untyped-def]
    return [ev for _nid, ev in iter_events(ledger)]


def test_same_idempotency_key_twice_writes_once_and_returns_the_first_result(
    ledger,
) -> None:  # type: ignore[no-untyped-def]
    caller = ADMIN.with_key("req-42")
    first = ledger.add_user(
        caller, "alice", "Alice Martin", "alice-password", roles=[("dsi", None)]
    )
    head = ledger.head()
    second = ledger.add_user(
        caller, "alice", "Alice Martin", "alice-password", roles=[("dsi", None)]
    )

    assert ledger.head() == head
    assert first.replayed is False and second.replayed is True
    assert second.data == first.data == {"username": "alice", "roles": ["dsi"]}
    assert second.notification_id == first.notification_id == head
    assert [type(e).__name__ for e in all_events(ledger)].count(
        "Registered"
    ) == 2  # admin + alice


def test_idempotency_key_reused_for_another_command_is_refused(ledger) -> None:  # type: ignore[no-untyped-def]
    ledger.add_user(ADMIN.with_key("k-1"), "bob", "Bob", "bob-password-1")
    head = ledger.head()
    with pytest.raises(IdempotencyKeyReused) as err:
        ledger.grant_role(ADMIN.with_key("k-1"), "bob", "dsi")
    assert err.value.params == {
        "key": "k-1",
        "previous": "add_user",
        "command": "grant_role",
    }
    assert ledger.head() == head


@pytest.mark.parametrize("bad_key", ["", "   ", "x" * 201, "tab\tkey"])
def test_malformed_idempotency_key_is_refused(ledger, bad_key: str) -> None:  # type: ignore[no-untyped-def]
    head = ledger.head()
    with pytest.raises(Exception) as err:
        ledger.add_user(ADMIN.with_key(bad_key), "carol", "Carol", "carol-password")
    assert getattr(err.value, "field", None) == "idempotency_key"
    assert ledger.head() == head


def test_lost_commit_acknowledgement_is_reported_as_success(
    tmp_path: Path, database_url: str, backend: str
) -> None:
    recorder = (
        flaky.FlakySQLiteRecorder
        if backend == "sqlite"
        else flaky.FlakyPostgresRecorder
    )
    settings = make_settings(
        tmp_path, database_url, APPLICATION_RECORDER_TOPIC=get_topic(recorder)
    )
    led = open_ledger(settings, create=True)
    try:
        led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        before = led.head()
        recorder.lose_next, recorder.lost = 1, 0
        result = led.add_user(
            ADMIN, "dora", "Dora", "dora-password", roles=[("finance", None)]
        )
        assert recorder.lost == 1
        assert result.replayed is False
        assert result.data == {"username": "dora", "roles": ["finance"]}
        assert result.notification_id == led.head()
        # the save landed exactly once: Registered + RoleGranted
        names = [type(e).__name__ for e in all_events(led)]
        assert names == ["Registered", "RoleGranted", "Registered", "RoleGranted"]
        assert led.head() - before == 2 or backend == "postgres"  # PG ids may have gaps
        assert led.stats.lost_acks == 1
    finally:
        led.close()


def test_concurrent_commands_on_one_aggregate_lose_no_update(ledger) -> None:  # type: ignore[no-untyped-def]
    ledger.add_user(ADMIN, "eve", "Eve", "eve-password-1")
    applied: list[int] = []
    refused: list[Exception] = []
    others: list[Exception] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(50):
            try:
                ledger.reset_password(ADMIN, "eve", "eve-password-2")
            except ConflictError as exc:
                with lock:
                    refused.append(exc)
            except Exception as exc:
                with lock:
                    others.append(exc)
            else:
                with lock:
                    applied.append(1)

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert others == []
    assert len(applied) + len(refused) == 1000
    eve = ledger.account("eve")
    assert eve.version == 1 + len(applied)  # Registered + one PasswordReset per applied
    changes = [e for e in all_events(ledger) if isinstance(e, Account.PasswordReset)]
    assert len(changes) == len(applied)
    assert len({e.context.key for e in changes}) == len(applied)


def test_every_event_carries_the_full_command_context(ledger) -> None:  # type: ignore[no-untyped-def]
    caller = Caller(actor="admin", origin="api", reason="nouvelle DSI", key="key-ctx")
    ledger.add_user(
        caller,
        "fred",
        "Fred",
        "fred-password",
        roles=[("dsi", None), ("evaluator", None)],
    )
    events = all_events(ledger)[-3:]
    assert [type(e).__name__ for e in events] == [
        "Registered",
        "RoleGranted",
        "RoleGranted",
    ]
    for ev in events:
        ctx = ev.context
        assert isinstance(ctx, CommandContext)
        assert (ctx.actor, ctx.roles, ctx.origin, ctx.reason, ctx.key, ctx.command) == (
            "admin",
            ("admin",),
            "api",
            "nouvelle DSI",
            "key-ctx",
            "add_user",
        )
        assert ctx.at.utcoffset().total_seconds() == 0
        assert ev.timestamp == ctx.at


def test_events_survive_a_restart(settings) -> None:  # type: ignore[no-untyped-def]
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    led.add_user(ADMIN, "gina", "Gina", "gina-password", roles=[("auditor", None)])
    before = [
        (type(e).__name__, e.originator_id, e.originator_version, e.context)
        for e in all_events(led)
    ]
    led.close()

    reopened = open_ledger(settings)
    try:
        after = [
            (type(e).__name__, e.originator_id, e.originator_version, e.context)
            for e in all_events(reopened)
        ]
        assert after == before
        assert reopened.account("gina").grants == ["auditor"]
        assert reopened.authenticate("gina", "gina-password") is not None
        assert reopened.authenticate("gina", "wrong-password") is None
    finally:
        reopened.close()


def test_event_stored_by_an_older_class_version_still_loads(ledger) -> None:  # type: ignore[no-untyped-def]
    """Account.Registered v1 had no e-mail; the v2 upcast fills it in."""
    account_id = Account.id_for("legacy")
    ctx = {
        "_type_": "vo:CommandContext",
        "_data_": {
            "actor": "system",
            "roles": ["system"],
            "at": {"_type_": "datetime_iso", "_data_": "2020-01-01T00:00:00+00:00"},
            "origin": "import",
            "command": "add_user",
            "key": "legacy-1",
            "reason": None,
        },
    }
    v1_state = {
        "timestamp": {"_type_": "datetime_iso", "_data_": "2020-01-01T00:00:00+00:00"},
        "originator_topic": get_topic(Account),
        "context": ctx,
        "username": "legacy",
        "display_name": "Ancien compte",
    }
    ledger.recorder.insert_events(
        [
            StoredEvent(
                originator_id=account_id,
                originator_version=1,
                topic=get_topic(Account.Registered),
                state=json.dumps(v1_state).encode(),
            )
        ]
    )
    account = ledger.account("legacy")
    assert (account.username, account.display_name, account.email) == (
        "legacy",
        "Ancien compte",
        "",
    )
    # new events of that class are stored as version 3: name and e-mail encrypted
    ledger.add_user(ADMIN, "newer", "Nouveau", "newer-password", email="n@example.org")
    stored = ledger.recorder.select_events(Account.id_for("newer"))[0]
    state = json.loads(stored.state)
    assert state["class_version"] == 3
    assert state["display_name"]["_type_"] == "pii"
    assert b"Nouveau" not in stored.state and b"n@example.org" not in stored.state


def test_unknown_actor_and_missing_role_are_refused_and_write_nothing(ledger) -> None:  # type: ignore[no-untyped-def]
    ledger.add_user(ADMIN, "henri", "Henri", "henri-password", roles=[("dsi", None)])
    head = ledger.head()
    with pytest.raises(UnknownActor):
        ledger.add_user(Caller(actor="nobody"), "x1", "X", "x-password-1")
    with pytest.raises(NotAllowed) as err:
        ledger.grant_role(Caller(actor="henri", reason="moi"), "henri", "admin")
    assert "henri" in err.value.message and "attribuer un rôle" in err.value.message
    assert ledger.head() == head


def test_the_last_administrator_keeps_the_admin_role(ledger) -> None:  # type: ignore[no-untyped-def]
    from domain.errors import LastAdministrator

    head = ledger.head()
    with pytest.raises(LastAdministrator):
        ledger.revoke_role(Caller("admin", reason="départ"), "admin", "admin")
    with pytest.raises(LastAdministrator):
        ledger.disable_user(Caller("admin", reason="départ"), "admin")
    assert ledger.head() == head
    ledger.add_user(
        ADMIN, "second", "Second admin", "second-password", roles=[("admin", None)]
    )
    ledger.revoke_role(Caller("second", reason="passation"), "admin", "admin")
    assert ledger.account("admin").grants == []


def test_a_non_administrator_removing_the_last_administrator_is_not_allowed(
    ledger,
) -> None:  # type: ignore[no-untyped-def]
    """Who may not manage accounts is refused as such (403), not told the rule that
    would have stopped an administrator (409 ``last_administrator``)."""
    ledger.add_user(
        ADMIN, "fin", "Finance", "finance-password-1", roles=[("finance", None)]
    )
    head = ledger.head()
    finance = Caller("fin", reason="tentative")
    with pytest.raises(NotAllowed) as err:
        ledger.revoke_role(finance, "admin", "admin")
    assert "retirer un rôle" in err.value.message
    with pytest.raises(NotAllowed) as err:
        ledger.disable_user(finance, "admin")
    assert "désactiver un compte" in err.value.message
    assert ledger.head() == head


@pytest.mark.parametrize("bad", ["Titre\x00nul", "Bip\x07", "Esc\x1b[0m"])
def test_control_characters_are_refused_in_text_and_reasons(ledger, bad: str) -> None:  # type: ignore[no-untyped-def]
    from domain.errors import InvalidValue

    head = ledger.head()
    with pytest.raises(InvalidValue) as err:
        ledger.add_user(ADMIN, "nul", bad, "nul-password-1")
    assert err.value.field == "display_name"
    with pytest.raises(InvalidValue) as err:
        ledger.add_user(Caller("admin", reason=bad), "nul", "Nul", "nul-password-1")
    assert err.value.field == "reason"
    assert ledger.head() == head


def test_saves_refused_for_a_landed_key_never_break_the_connection(
    tmp_path: Path, database_url: str, backend: str
) -> None:
    """On PostgreSQL the save is one pipeline: a duplicate key that failed before the
    library's NOTIFY and INSERT made psycopg record, at their fifth use, statements
    as prepared that the server skipped — every later save on that connection then
    failed ("prepared statement _pg3_9 does not exist"). One connection, many
    refused repeats, then ordinary commands: all answer as they should."""
    url = (
        f"{database_url}&pool_size=1&max_overflow=0"
        if backend == "postgres"
        else database_url
    )
    led = open_ledger(make_settings(tmp_path / "one", url), create=True)
    try:
        led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        for i in range(30):
            led.create_pole(ADMIN.with_key(f"k-{i}"), f"P{i}", "Pôle")
            with pytest.raises(IdempotencyKeyReused):  # saved, then refused by the key
                led.create_pole(ADMIN.with_key(f"k-{i}"), f"Q{i}", "Autre pôle")
        assert led.create_pole(ADMIN, "LAST", "Dernier").data == {"code": "LAST"}
        assert [type(e).__name__ for e in all_events(led)].count("Created") == 31
    finally:
        led.close()
