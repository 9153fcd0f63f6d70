"""The read side on both backends: one code path, exactly once, as of any moment."""

from __future__ import annotations

import itertools
import time
from decimal import Decimal
from pathlib import Path

import pytest

from ledger.app import open_ledger
from ledger.core import Caller
from projections import queries as q
from projections.projector import OutOfOrder, Projector
from projections.service import Follower, ReadModel, init_views
from projections.store import SQLiteViewStore
from projections.views.reference import queries as rq
from sdsi.demo.loader import DemoLoader
from tests.conftest import ADMIN, make_settings


@pytest.fixture
def read_model(ledger, settings):  # type: ignore[no-untyped-def]
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    yield rm
    rm.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def demo_ledger(request, tmp_path_factory):  # type: ignore[no-untyped-def]
    """The demo municipality (once per backend for this module), projected incrementally
    by a follower thread while it loads."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "sqlite":
        url = f"sqlite:///{tmp}/ledger.db"
    else:
        url = request.getfixturevalue("pg_module_schema_url")
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    init_views(settings, led)
    rm = ReadModel(led, settings)
    follower = Follower(rm, poll=0.005).start()
    try:
        DemoLoader(led).run()
        deadline = time.monotonic() + 120
        while (
            rm.current_position() < rm.head_position() and time.monotonic() < deadline
        ):
            time.sleep(0.02)
    finally:
        follower.close()
    assert follower.error is None
    assert rm.current_position() == rm.head_position()
    yield led, rm
    rm.close()
    led.close()


@pytest.fixture
def demo(demo_ledger):  # type: ignore[no-untyped-def]
    return demo_ledger[1]


def test_incremental_equals_rebuild_equals_as_of_head(
    demo_ledger, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    ledger, demo = demo_ledger
    incremental = q.dump(demo.store)
    rebuilt_store = SQLiteViewStore(tmp_path / "rebuilt.db")
    projector = Projector(ledger, rebuilt_store, batch_size=997)
    projector.ensure_tables()
    projector.rebuild()
    rebuilt = q.dump(rebuilt_store)
    head = demo.head_position()
    as_of_head = q.dump(demo.replay(head))
    assert incremental == rebuilt == as_of_head
    assert len(incremental["events"]) == head
    assert len(incremental["proposals"]) == 61  # 60 of the catalogue + PORTAIL-TERR
    rebuilt_store.close()


def test_rebuild_in_place_gives_the_same_views(demo) -> None:  # type: ignore[no-untyped-def]
    before = q.dump(demo.store)
    demo.projector(batch_size=300).rebuild()
    assert q.dump(demo.store) == before


def test_budget_totals_reconcile_at_every_level_to_the_cent(demo) -> None:  # type: ignore[no-untyped-def]
    data = q.budget_consumption(demo.store)
    lines = data["lines"]
    assert lines, "the demo has approved projects with CP lines"
    for level, buckets in data["totals"].items():
        for field in q.MONEY_FIELDS:
            assert (
                sum((b[field] for b in buckets.values()), Decimal("0.00"))
                == data["total"][field]
            ), (level, field)
    for env in data["envelopes"]:
        mine = [
            ln
            for ln in lines
            if (ln["year"], ln["section"]) == (env["year"], env["section"])
        ]
        assert (
            sum((ln["allocated"] for ln in mine), Decimal("0.00")) == env["allocated"]
        )
        assert env["available"] == env["total"] - env["allocated"]
        assert env["total"] == env["bp"] + env["dm"]
    for ln in lines:
        assert ln["available"] == ln["cp"] - ln["committed"]
        assert all(
            isinstance(ln[f], Decimal) and ln[f] == ln[f].quantize(Decimal("0.01"))
            for f in q.MONEY_FIELDS
        )
    # the demo's flagged overrides show in the views
    assert any(ln["override_allocation"] for ln in lines)
    assert any(ln["override_commitment"] for ln in lines)
    committed = sum(
        (
            c["amount"]
            for p in {ln["proposal"] for ln in lines}
            for c in q.project_budget(demo.store, p)["commitments"]
        ),
        Decimal("0.00"),
    )
    assert committed == data["total"]["committed"]


def test_decision_history_links_each_decision_to_its_evidence(demo) -> None:  # type: ignore[no-untyped-def]
    decisions = q.decision_history(demo.store)
    assert len(decisions) == len(q.dump(demo.store)["decisions"])
    approved = next(d for d in decisions if d["outcome"] == "approved")
    assert approved["grid_version"] in (1, 2)
    assert approved["scores"]["evaluators"] >= 2
    assert approved["budget_state"] and all(
        b["requested_c"] > 0 for b in approved["budget_state"]
    )
    events = {
        e["position"]: e for e in q.audit_trail(demo.store, limit=100000)["events"]
    }
    assert events[approved["position"]]["event_type"] == "Session.DecisionRecorded"
    for p in approved["positions"]["votes"]:
        assert events[p]["event_type"] == "Session.VoteCast"
    for p in approved["positions"]["scores"]:
        assert events[p]["event_type"] == "ScoreSheet.Scored"
    assert events[approved["positions"]["convened"]]["event_type"] == "Session.Convened"
    assert len(approved["votes"]) == approved["votes_for"] + approved[
        "votes_against"
    ] + approved["abstentions"] + sum(1 for v in approved["votes"] if not v["current"])
    departing = [d for d in decisions if d["departs_from_majority"]]
    assert departing and all(d["justification"] for d in departing)


def test_the_demo_s_notifications_follow_the_rules(demo) -> None:  # type: ignore[no-untyped-def]
    """From the demo: each decision tells its direction's referents, each submission
    the DSI, each qualification the evaluators, nobody their own act."""
    from projections.views.notifications import queries as nq

    store = demo.store
    events = {e["position"]: e for e in q.audit_trail(store, limit=100000)["events"]}
    rows = nq.addressed(store, 0, nq.head(store))
    by_position: dict[int, set[str]] = {}
    for login, row in rows:
        by_position.setdefault(row.position, set()).add(login)
        assert events[row.position]["actor"] == row.actor != login
    roles = {a["username"]: set(a["roles"]) for a in rq.accounts(store)}
    proposals = {p["code"]: p for p in q.portfolio(store)}
    decided = [e for e in events.values() if e["event_type"] == "Proposal.Decided"]
    assert decided
    for e in decided:
        direction = proposals[e["aggregate"]]["direction"]
        referents = {u for u, r in roles.items() if f"referent:{direction}" in r}
        assert by_position.get(e["position"], set()) == referents - {e["actor"]}
    for event_type, role in (
        ("Proposal.Submitted", "dsi"),
        ("Proposal.Qualified", "evaluator"),
    ):
        holders = {u for u, r in roles.items() if role in r}
        for e in (e for e in events.values() if e["event_type"] == event_type):
            assert by_position[e["position"]] == holders - {e["actor"]}


def test_capacity_counts_active_projects_only(demo) -> None:  # type: ignore[no-untyped-def]
    rows = q.capacity(demo.store, team="DSI-APPS")
    assert [r["year"] for r in rows] == list(range(2020, 2027))
    active = [
        p["code"] for p in q.portfolio(demo.store) if p["status"] in q.ACTIVE_STATUSES
    ]
    expected = sum(
        w[3]
        for w in q.dump(demo.store)["workloads"]
        if w[1] == "DSI-APPS" and w[2] == 2025 and w[0] in active
    )
    assert next(r for r in rows if r["year"] == 2025)["workload"] == expected


def test_portfolio_filters_and_ranks(demo) -> None:  # type: ignore[no-untyped-def]
    allp = q.portfolio(demo.store)
    ranked = [p for p in allp if p["value"] is not None]
    for p in ranked:
        assert p["rank"] == 1 + sum(1 for o in ranked if o["value"] > p["value"])
    assert all(a["value"] >= b["value"] for a, b in itertools.pairwise(ranked))
    pole = q.portfolio(demo.store, pole="PRS")
    assert pole and all(p["pole"] == "PRS" for p in pole)
    axis = q.portfolio(demo.store, axis="A3")
    assert axis and all(
        "A3"
        in {a["axis"] for a in q.proposal(demo.store, p["code"])["content"]["axes"]}
        for p in axis
    )
    v1 = q.portfolio(demo.store, grid_version=1)
    assert v1 and all(p["grid_version"] == 1 for p in v1)
    done = q.portfolio(demo.store, status="done")
    assert done and all(
        p["status"] == "done" and p["progress"] == Decimal("100.00") for p in done
    )
    stale = [p for p in allp if p["stale_scores"]]
    assert stale, "amended proposals keep their older scores, flagged stale"


def test_duplicate_or_out_of_order_batch_is_refused_and_writes_nothing(
    ledger, read_model
) -> None:  # type: ignore[no-untyped-def]
    from ledger.log import Cursor, read_batch

    ledger.add_user(ADMIN, "zoe", "Zoé", "zoe-password-1")
    projector = read_model.projector()
    entries = read_batch(ledger.recorder, Cursor(), 100)
    end = projector.process(entries, Cursor())
    before = q.dump(read_model.store)
    with pytest.raises(OutOfOrder):
        projector.process(entries, Cursor())  # the same batch again
    assert q.dump(read_model.store) == before
    ledger.add_user(ADMIN, "yann", "Yann", "yann-password-1", roles=[("dsi", None)])
    newer = read_batch(ledger.recorder, end, 100)
    with pytest.raises(OutOfOrder):
        projector.process(
            newer[1:], Cursor(end.position + 1, newer[0].notification_id)
        )  # skipping one
    assert q.dump(read_model.store) == before
    projector.process(newer, end)
    assert [a["username"] for a in q.accounts(read_model.store)] == [
        "admin",
        "yann",
        "zoe",
    ]


def test_as_of_a_past_time_equals_the_views_of_only_the_earlier_events(
    ledger, read_model, tmp_path: Path, backend: str, request
) -> None:  # type: ignore[no-untyped-def]
    ledger.add_user(ADMIN, "anna", "Anna", "anna-password", roles=[("dsi", None)])
    ledger.define_plan(Caller("anna"), "SDSI", "Ville", 2024, 2026)
    ledger.create_pole(Caller("anna"), "P1", "Pôle 1")
    time.sleep(0.05)
    moment = (
        time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
        + f".{int(time.time() * 1e6) % 1_000_000:06d}Z"
    )
    time.sleep(0.05)
    ledger.create_pole(Caller("anna"), "P2", "Pôle 2")
    ledger.grant_role(Caller("admin", reason="audit"), "anna", "auditor")
    read_model.projector().catch_up()
    before = ledger.head()

    # an independent ledger holding only the events recorded before the moment
    other_url = (
        f"sqlite:///{tmp_path}/other.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    other_settings = make_settings(tmp_path / "other", other_url)
    other = open_ledger(other_settings, create=True)
    try:
        earlier = [
            n
            for n in ledger.recorder.select_notifications(None, 1000)
            if ledger.mapper.to_domain_event(n).timestamp.strftime(
                "%Y-%m-%dT%H:%M:%S.%fZ"
            )
            <= moment
        ]
        assert 0 < len(earlier) < before
        other.recorder.insert_events(earlier)
        # the names are ciphertext: their keys travel apart (docs/privacy.md)
        other.personal_keys.import_(ledger.personal_keys.export())
        init_views(other_settings, other)
        other_rm = ReadModel(other, other_settings)
        other_rm.projector().catch_up()
        expected = q.dump(other_rm.store)
        other_rm.close()
    finally:
        other.close()
    replayed = q.dump(read_model.at(moment))
    for table in expected:
        if table != "tracking":
            assert replayed[table] == expected[table], table
    assert [p["code"] for p in q.organisation(read_model.at(moment))["poles"]] == ["P1"]
    assert [p["code"] for p in q.organisation(read_model.store)["poles"]] == [
        "P1",
        "P2",
    ]


def test_read_your_writes_waits_for_the_views(ledger, read_model) -> None:  # type: ignore[no-untyped-def]
    follower = Follower(read_model, poll=0.5).start()
    try:
        result = ledger.add_user(ADMIN, "bea", "Béa", "bea-password-1")
        follower.notify()
        assert read_model.wait_for(result.notification_id, timeout=5)
        assert "bea" in [a["username"] for a in q.accounts(read_model.store)]
    finally:
        follower.close()
    assert read_model.wait_for(ledger.head() + 1000, timeout=0.1) is False


def test_as_of_refuses_bad_values(read_model) -> None:  # type: ignore[no-untyped-def]
    from domain.errors import InvalidValue

    for bad in ("yesterday", "position:x", "position:-1", "position:999999"):
        with pytest.raises(InvalidValue) as err:
            read_model.at(bad)
        assert err.value.field == "as_of"
