"""Notification rules: exactly who is told what, from an empty ``sdsi init`` through
a scripted history (submission, qualification, sessions, decisions, a budget
override), on both backends; followers read at query time; the same rows following,
rebuilding and replaying."""

from __future__ import annotations

from typing import Any

from ledger.core import Caller
from ledger.notifications import NotificationSettings
from projections import queries as q
from projections.service import ReadModel, init_views
from projections.views.notifications import queries as nq
from tests.projections.test_generated import setup
from tests.projections.test_tricky_histories import _history

FIN = Caller("fin", reason="dépassement motivé")


def _rows(store: Any) -> set[tuple[str, str, str, str]]:
    """(recipient, kind, subject, detail) of every row a rule addressed."""
    return {
        (login, row.kind, row.subject, row.detail)
        for login, row in nq.addressed(store, 0, nq.head(store))
    }


def _world(led: Any, settings: Any) -> ReadModel:
    init_views(settings, led)
    rm = ReadModel(led, settings)
    setup(led, bootstrap=False)
    admin = Caller("admin", reason="tests")
    led.add_user(admin, "fin2", "FIN2", "password-fin2-1", roles=[("finance", None)])
    for run in _history(led):
        run()
    # a commitment beyond the CP of the year, overridden by finance: the other
    # finance account is told
    led.record_commitment(
        FIN,
        "P1",
        "E-1",
        2025,
        "investissement",
        "20000.00",
        "2025-02-01",
        "Fournisseur",
        override_reason="urgence",
    )
    rm.projector().catch_up()
    return rm


def test_each_rule_tells_exactly_its_recipients(ledger, settings) -> None:  # type: ignore[no-untyped-def]
    rm = _world(ledger, settings)
    try:
        rows = _rows(rm.store)
        by_kind: dict[str, set[tuple[str, str, str]]] = {}
        for login, kind, subject, detail in rows:
            by_kind.setdefault(kind, set()).add((login, subject, detail))
        # submitted by the referent: the DSI qualifies (an amendment of a qualified
        # proposal goes back to "submitted": the DSI is told again, same login)
        assert by_kind["qualify"] == {("dsi", c, "") for c in ("P1", "P2", "P3")}
        # qualified by the DSI: every evaluator scores
        assert by_kind["score"] == {
            (ev, c, "") for ev in ("ev1", "ev2") for c in ("P1", "P2", "P3")
        }
        # opened by the chair: the present voting members but the chair
        assert by_kind["vote"] == {("m1", "S1", ""), ("m1", "S2", ""), ("m2", "S2", "")}
        # decisions: the direction's referent
        assert by_kind["decision"] == {
            ("ref", "P1", "approved"),
            ("ref", "P2", "deferred"),
            ("ref", "P3", "rejected"),
        }
        # the override: finance but its author
        assert by_kind["override"] == {("fin2", "P1", "Committed")}
        assert set(by_kind) == {"qualify", "score", "vote", "decision", "override"}
        # nobody is ever told of their own act
        events = {e["position"]: e["actor"] for e in q.audit_trail(rm.store)["events"]}
        for login, row in nq.addressed(rm.store, 0, nq.head(rm.store)):
            assert events[row.position] == row.actor != login
    finally:
        rm.close()


def test_followers_see_the_changes_after_they_followed_and_nobody_else_s(
    ledger, settings
) -> None:  # type: ignore[no-untyped-def]
    rm = _world(ledger, settings)
    try:
        prefs = NotificationSettings(ledger.storage)
        changes = nq.changes(rm.store, 0, nq.head(rm.store))
        p2 = [c for c in changes if c.subject == "P2"]
        # m1 follows P2 from its qualification on
        since = next(c.position for c in p2 if c.detail == "Qualified")
        prefs.follow("m1", "P2", since)
        follows = prefs.follows("m1")
        rows, total = nq.inbox(rm.store, "m1", follows, limit=500)
        kinds = sorted({(r.kind, r.subject) for r in rows})
        expected_follow = [
            c.position
            for c in p2
            if c.position > since
            and c.position not in {r.position for r in rows if r.kind != "follow"}
        ]
        assert [r.position for r in rows if r.kind == "follow"] == sorted(
            expected_follow, reverse=True
        )
        assert ("vote", "S1") in kinds and total == len(rows)
        # the same person unfollowing: only their own rows remain
        prefs.unfollow("m1", "P2")
        rows, _ = nq.inbox(rm.store, "m1", prefs.follows("m1"), limit=500)
        assert {r.kind for r in rows} == {"vote"}
        # another person's inbox never shows m1's rows
        other, _ = nq.inbox(rm.store, "m2", prefs.follows("m2"), limit=500)
        assert {(r.kind, r.subject) for r in other} == {("vote", "S2")}
    finally:
        rm.close()


def test_read_marks_count_down_the_unread(ledger, settings) -> None:  # type: ignore[no-untyped-def]
    rm = _world(ledger, settings)
    try:
        prefs = NotificationSettings(ledger.storage)
        rows, total = nq.inbox(rm.store, "ev1", (), limit=500)
        assert total == 4  # P1, P2, P3 qualified, and P1 again once amended

        def unread() -> int:
            seen, read = prefs.read_marks("ev1")
            return nq.unread_count(rm.store, "ev1", (), seen, read)

        assert unread() == 4
        prefs.mark_read("ev1", [rows[0].position])
        prefs.mark_read("ev1", [rows[0].position])  # twice: once
        assert unread() == 3
        prefs.mark_all_read("ev1", nq.newest_position(rm.store, "ev1", ()))
        assert unread() == 0
        assert prefs.read_marks("ev1") == (rows[0].position, set())
        assert nq.among(rm.store, "ev1", (), {rows[1].position, 1}) == {
            rows[1].position
        }
    finally:
        rm.close()
