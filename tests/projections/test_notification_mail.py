"""Notifications by e-mail through the outbox: one message per (person, notification)
for those who chose "immediately", one digest a day from the configured hour for
those who chose a digest — each queued once however often, or however many processes
at once, dispatch; and an upgraded ledger never mails its history. Both backends."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from domain.errors import InvalidValue
from ledger.core import Caller
from ledger.migrations import SCHEMA_VERSION, migrate
from ledger.notifications import NotificationSettings
from ledger.outbox import Outbox
from projections.notification_mail import dispatch
from projections.service import ReadModel, init_views
from tests.ledger.integrity_helpers import ledger_at_version
from tests.projections.test_generated import DSI, REF, content, setup

ADMIN = Caller("admin", reason="tests")


def _mail_accounts(led: Any) -> None:
    for name, role in (("dsi.mail", "dsi"), ("ev.mail", "evaluator")):
        led.add_user(
            ADMIN,
            name,
            name,
            f"password-{name}-1",
            email=f"{name}@ville.example",
            roles=[(role, None)],
        )


def _keys(led: Any) -> list[str]:
    return sorted(m.key for m in Outbox(led.storage).newest(500))


def _views(led: Any, settings: Any) -> ReadModel:
    init_views(settings, led)
    return ReadModel(led, settings)


def test_an_upgraded_ledger_mails_nothing_of_its_history(settings) -> None:  # type: ignore[no-untyped-def]
    # the last version before notifications (9)
    old = ledger_at_version(settings, 8, keys_table=True)
    try:
        old.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        setup(old, bootstrap=False)
        _mail_accounts(old)
        for code in ("P1", "P2"):
            old.draft_proposal(REF, code, "D", content(1, 10000))
            old.submit_proposal(REF, code)
        assert migrate(old).after == SCHEMA_VERSION
        prefs = NotificationSettings(old.storage)
        assert prefs.dispatch_position() == old.head()
        prefs.set_preferences("dsi.mail", {"qualify": "immediate"})
        rm = _views(old, settings)
        rm.projector().catch_up()
        assert dispatch(rm.store, old.storage).queued == 0
        assert _keys(old) == []
        old.draft_proposal(REF, "P3", "D", content(1, 10000))
        old.submit_proposal(REF, "P3")
        rm.projector().catch_up()
        assert dispatch(rm.store, old.storage).queued == 1
        assert _keys(old) == [f"notif:dsi.mail:{old.head()}"]
        rm.close()
    finally:
        old.close()


def test_each_notification_is_queued_once_however_often_dispatched(
    ledger, settings
) -> None:  # type: ignore[no-untyped-def]
    setup(ledger, bootstrap=False)
    _mail_accounts(ledger)
    rm = _views(ledger, settings)
    prefs = NotificationSettings(ledger.storage)
    prefs.set_preferences("dsi.mail", {"qualify": "immediate", "follow": "immediate"})
    prefs.set_preferences("ev.mail", {"score": "digest"})
    prefs.set_preferences("dsi", {"qualify": "immediate"})  # no e-mail address
    ledger.draft_proposal(REF, "P1", "D", content(1, 10000))
    rm.projector().catch_up()
    prefs.follow("dsi.mail", "P1", rm.current_position())
    submitted = ledger.submit_proposal(REF, "P1")
    ledger.qualify_proposal(
        DSI,
        "P1",
        {"costs": [{"year": 2025, "section": "investissement", "amount": "1.00"}]},
    )
    rm.projector().catch_up()
    submitted_at = rm.current_position() - 1
    reports: list[Any] = []
    threads = [
        threading.Thread(
            target=lambda: reports.append(dispatch(rm.store, ledger.storage))
        )
        for _ in range(3)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dispatch(rm.store, ledger.storage)  # and once more
    # the submission (a rule's row), the qualification (a followed change); the
    # submission was both, told once
    assert _keys(ledger) == [
        f"notif:dsi.mail:{submitted_at}",
        f"notif:dsi.mail:{submitted_at + 1}",
    ]
    assert sum(r.queued for r in reports) == 2
    assert submitted.notification_id is not None
    mail = Outbox(ledger.storage).get(f"notif:dsi.mail:{submitted_at}")
    assert mail is not None and mail.recipient == "dsi.mail@ville.example"
    assert mail.subject == "[SDSI] Fiche à qualifier : P1"

    # the digest: nothing before the hour, then one a day, whatever the retries
    local_day = datetime.now(UTC) + timedelta(days=1)
    before = local_day.replace(hour=5, minute=0)  # 6:00 or 7:00 in Paris
    after = local_day.replace(hour=9, minute=0)
    assert dispatch(rm.store, ledger.storage, before).digests == 0
    runs = [dispatch(rm.store, ledger.storage, after) for _ in range(3)]
    day = after.date().isoformat()
    assert [r.digests for r in runs] == [1, 0, 0]
    digest = Outbox(ledger.storage).get(f"digest:ev.mail:{day}")
    assert digest is not None
    assert digest.subject == f"[SDSI] Vos notifications du {day} (1)"
    assert "Fiche à évaluer : P1 — Projet 1" in digest.text
    # the next day: nothing new, no digest
    assert dispatch(rm.store, ledger.storage, after + timedelta(days=1)).digests == 0
    rm.close()


def test_an_address_the_outbox_refuses_does_not_block_everyone_else(
    ledger, settings
) -> None:  # type: ignore[no-untyped-def]
    """An account whose address the outbox cannot take (an intranet domain without
    a dot, a space) is skipped: the others still get their e-mail, the cursor moves.
    Accounts now refuse such an address (one rule, domain.values.email_address), but
    a ledger may hold one recorded before the rule: its view row is given one here."""
    setup(ledger, bootstrap=False)
    _mail_accounts(ledger)
    with pytest.raises(InvalidValue):
        ledger.add_user(
            ADMIN, "dsi.refused", "Refusé", "password-intranet-1", email="dsi@mairie"
        )
    ledger.add_user(
        ADMIN,
        "dsi.intranet",
        "Intranet",
        "password-intranet-1",
        email="dsi@intranet.example",
        roles=[("dsi", None)],
    )
    rm = _views(ledger, settings)
    rm.projector().catch_up()
    (doc,) = rm.store.fetchone(
        "SELECT doc FROM {accounts} WHERE username = ?", ["dsi.intranet"]
    )
    old = json.loads(doc)
    old["email"] = "dsi@mairie"
    with rm.store.transaction() as cur:
        cur.execute(
            rm.store._ph(
                rm.store.sql("UPDATE {accounts} SET doc = ? WHERE username = ?")
            ),
            [json.dumps(old), "dsi.intranet"],
        )
    prefs = NotificationSettings(ledger.storage)
    for login in ("dsi.intranet", "dsi.mail"):
        prefs.set_preferences(login, {"qualify": "immediate"})
    ledger.draft_proposal(REF, "P1", "D", content(1, 10000))
    ledger.submit_proposal(REF, "P1")
    rm.projector().catch_up()
    report = dispatch(rm.store, ledger.storage)
    assert report.queued == 1
    assert _keys(ledger) == [f"notif:dsi.mail:{rm.current_position()}"]
    assert NotificationSettings(ledger.storage).dispatch_position() == (
        rm.current_position()
    )
    prefs.set_preferences("dsi.intranet", {"qualify": "digest"})
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=12, minute=0)
    assert dispatch(rm.store, ledger.storage, tomorrow).digests == 0
    rm.close()


def test_a_digest_too_long_for_one_e_mail_is_cut_not_stuck(
    ledger, settings, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """More notifications than one e-mail may carry (after a bulk import): the digest
    lists what fits and says how many more wait in the inbox; the others' digests
    still go out (it raised InvalidMail and stopped every digest after it)."""
    setup(ledger, bootstrap=False)
    _mail_accounts(ledger)
    rm = _views(ledger, settings)
    prefs = NotificationSettings(ledger.storage)
    prefs.set_preferences("dsi.mail", {"qualify": "digest"})
    prefs.set_preferences("ev.mail", {"qualify": "digest"})
    ledger.grant_role(ADMIN, "ev.mail", "dsi")
    for n in range(12):
        ledger.draft_proposal(REF, f"P{n}", "D", content(n, 10000))
        ledger.submit_proposal(REF, f"P{n}")
    rm.projector().catch_up()
    monkeypatch.setattr("ledger.outbox.TEXT_MAX", 500)
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).replace(hour=12, minute=0)
    assert dispatch(rm.store, ledger.storage, tomorrow).digests == 2
    day = tomorrow.date().isoformat()
    for login in ("dsi.mail", "ev.mail"):
        digest = Outbox(ledger.storage).get(f"digest:{login}:{day}")
        assert digest is not None
        assert digest.subject == f"[SDSI] Vos notifications du {day} (12)"
        assert len(digest.text) <= 500
        shown = digest.text.count("\n- ")
        assert 0 < shown < 12
        assert digest.text.endswith(
            f"… et {12 - shown} autre(s) : voyez-les dans vos notifications.\n"
        )
    rm.close()


def test_an_upgraded_ledger_with_id_gaps_mails_nothing_of_its_history(
    settings,
) -> None:  # type: ignore[no-untyped-def]
    """PostgreSQL's event ids have gaps (a rolled-back save burns one): the dispatch
    must start at the newest id, not at the number of events."""
    old = ledger_at_version(settings, 8, keys_table=True)
    try:
        old.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        setup(old, bootstrap=False)
        _mail_accounts(old)
        old.draft_proposal(REF, "P1", "D", content(1, 10000))
        if old.storage.is_postgres:  # what a version conflict leaves: a burnt id
            old.storage.fetchone(
                "SELECT nextval(pg_get_serial_sequence(?, 'notification_id'))",
                (old.storage.events_table,),
            )
        old.submit_proposal(REF, "P1")
        assert migrate(old).after == SCHEMA_VERSION
        assert NotificationSettings(old.storage).dispatch_position() == old.head()
        NotificationSettings(old.storage).set_preferences(
            "dsi.mail", {"qualify": "immediate"}
        )
        rm = _views(old, settings)
        rm.projector().catch_up()
        assert dispatch(rm.store, old.storage).queued == 0
        assert _keys(old) == []
        rm.close()
    finally:
        old.close()
