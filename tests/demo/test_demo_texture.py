"""`sdsi demo` looks like a real town, the same on every run and on both backends.

The demo is loaded once per backend through the command a newcomer types
(``sdsi demo --no-serve``, SQLite and PostgreSQL): it has one administrator, printed
first, and prints each direction's referent with its code; its projects, indicators
and scores are varied rather than uniform (distinct dates, progress and indicator
ratios; value and risk not mirror images); one session's decisions cite a recorded
optimiser scenario, a member arrives late and another leaves early, sessions use two
grid versions, and a proposal whose required project was rejected is rejected too.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from domain.accounts import Account
from domain.axes import Indicator
from domain.proposals import Proposal
from domain.scenarios import Scenario
from domain.sessions import Session
from ledger.app import Ledger, open_ledger
from sdsi.cli import demo_accounts
from sdsi.demo import data as D
from sdsi.demo.loader import LAST_SESSION, SESSIONS
from tests.conftest import BACKENDS, make_settings
from tests.domain.test_demo_replay import database


class Loaded:
    """The demo of one backend: its ledger and what ``sdsi demo`` printed."""

    def __init__(self, ledger: Ledger, stdout: str) -> None:
        self.ledger = ledger
        self.stdout = stdout

    def proposal(self, code: str) -> Proposal:
        return self.ledger.load(Proposal, Proposal.id_for(code))

    def session(self, day: date) -> Session:
        return self.ledger.load(Session, Session.id_for(f"COPIL-{day.isoformat()}"))

    def events(self, agg_id: Any) -> list[Any]:
        return [
            self.ledger.mapper.to_domain_event(stored)
            for stored in self.ledger.recorder.select_events(agg_id)
        ]


class Loads:
    """The demo loaded by ``sdsi demo`` at most once per backend for this module."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.loaded: dict[str, Loaded] = {}
        self.cleanups: list[Any] = []

    def get(self, backend: str) -> Loaded:
        if backend not in self.loaded:
            url, drop = database(backend, self.request)
            directory = Path(tempfile.mkdtemp(prefix="sdsi-demo-cli-"))
            self.cleanups += [drop, lambda: shutil.rmtree(directory)]
            run = subprocess.run(
                [sys.executable, "-m", "sdsi", "demo", "--no-serve"],
                env={
                    **os.environ,
                    "SDSI_DATA_DIR": str(directory / "data"),
                    "SDSI_DATABASE_URL": url,
                    "SDSI_PASSWORD_HASHING": "fast",
                },
                capture_output=True,
                text=True,
                timeout=900,
            )
            assert run.returncode == 0, run.stderr[-3000:]
            ledger = open_ledger(make_settings(directory / "data", url))
            self.cleanups.insert(0, ledger.close)
            self.loaded[backend] = Loaded(ledger, run.stdout)
        return self.loaded[backend]


@pytest.fixture(scope="module")
def loads(request: pytest.FixtureRequest) -> Iterator[Loads]:
    loads = Loads(request)
    try:
        yield loads
    finally:
        for cleanup in loads.cleanups:
            cleanup()


@pytest.fixture(params=BACKENDS)
def demo(request: pytest.FixtureRequest, loads: Loads) -> Loaded:
    return loads.get(request.param)


CATALOGUE = [c[0] for c in D.CATALOGUE]


def test_one_administrator_printed_first_then_the_referents_with_their_codes(
    demo: Loaded,
) -> None:
    logins = ["admin", *(p[0] for p in D.PEOPLE), *(d[3] for d in D.DIRECTIONS)]
    admins = [
        login
        for login in logins
        if (account := demo.ledger.load(Account, Account.id_for(login))) is not None
        and "admin" in account.grants
    ]
    assert admins == ["admin.sdsi"]
    assert demo.ledger.load(Account, Account.id_for("admin")) is None
    printed = demo.stdout.splitlines()
    accounts = printed[printed.index(demo_accounts()[0]) :]
    assert accounts == demo_accounts()
    assert accounts[0] == (
        "sign in first as admin.sdsi (password: sdsi-demo-2026), the administrator "
        "(Rémi Vidal); every demo account below has the same password:"
    )
    assert (
        "  DSN   ref.dsn        Nadia Benali           Direction du numérique (DSI)"
        in accounts
    )
    assert (
        "  CCAS  ref.ccas       Fatou Diallo           Action sociale (CCAS)"
        in accounts
    )
    assert sum(1 for line in accounts if " ref." in line) == len(D.DIRECTIONS) == 21
    assert not any("admin.sdsi" in line for line in accounts[1:])


def test_running_projects_have_their_own_dates_progress_and_next_milestone(
    demo: Loaded,
) -> None:
    running = [
        p for p in map(demo.proposal, CATALOGUE) if p.status.value == "in_progress"
    ]
    assert len(running) == 11
    ends = {p.milestones["MEP"].planned for p in running}
    assert len(ends) >= 10
    upcoming = {
        min(m.planned for m in p.milestones.values() if m.actual is None)
        for p in running
    }
    assert len(upcoming) >= 10
    assert len({p.progress for p in running}) >= 5
    assert {p.progress for p in running} <= {5 * n for n in range(1, 20)}
    # late projects: a milestone reached after its planned day
    late = [
        p.code
        for p in map(demo.proposal, CATALOGUE)
        if any(m.actual and m.actual > m.planned for m in p.milestones.values())
    ]
    assert len(late) >= 10


def test_indicators_move_at_their_own_pace_with_a_planned_trajectory(
    demo: Loaded,
) -> None:
    ratios = []
    for _axis, _label, indicators in D.AXES:
        for code, *_rest in indicators:
            ind = demo.ledger.load(Indicator, Indicator.id_for(code))
            realised = [m for m in ind.measurements if m["kind"] == "realised"]
            planned = [m for m in ind.measurements if m["kind"] == "planned"]
            assert len(realised) == len(SESSIONS)
            assert planned[-1]["value"] == ind.target
            last = realised[-1]["value"]
            ratios.append(round((last - ind.baseline) / (ind.target - ind.baseline), 2))
    assert len(ratios) == 15
    assert len(set(ratios)) >= 12
    assert min(ratios) < Decimal("0.6") and max(ratios) >= 1


def test_value_and_risk_are_not_mirror_images(demo: Loaded) -> None:
    pairs = [
        (float(d.evidence.value), float(d.evidence.risk))
        for day, _grid in SESSIONS
        for d in demo.session(day).decisions.values()
        if d.evidence is not None and d.evidence.value is not None
    ]
    assert len(pairs) >= 60
    r = statistics.correlation([v for v, _ in pairs], [k for _, k in pairs])
    assert -0.7 < r < 0
    assert len({round(v + k) for v, k in pairs}) >= 30


def test_a_recorded_scenario_is_cited_by_the_decisions_of_its_session(
    demo: Loaded,
) -> None:
    scenario = demo.ledger.load(Scenario, Scenario.id_for("SC-2025-05-20"))
    assert scenario is not None
    assert scenario.status == "optimal"
    assert scenario.label == "Préparation du COPIL du 20/05/2025"
    assert len(scenario.selection) >= 3
    session = demo.session(date(2025, 5, 20))
    cited = [d for d in session.decisions.values() if d.scenario == "SC-2025-05-20"]
    assert len(cited) == len(session.decisions) >= 5
    # the approved ones are those the scenario retains
    approved = {d.proposal for d in cited if d.outcome.value.startswith("approved")}
    assert approved == set(scenario.selection)


def test_a_member_arrives_late_and_another_leaves_early(demo: Loaded) -> None:
    arrived = demo.session(date(2023, 11, 21))
    changes = [
        (type(e).__name__, e.member, e.present)
        for e in demo.events(arrived.id)
        if type(e).__name__ == "AttendanceChanged"
    ]
    assert changes == [("AttendanceChanged", "elu.dubois", True)]
    first, *rest = arrived.agenda
    assert "elu.dubois" not in arrived.votes.get(first, {})
    assert all("elu.dubois" in arrived.votes[code] for code in rest)
    left = demo.session(date(2024, 6, 18))
    changes = [
        (e.member, e.present)
        for e in demo.events(left.id)
        if type(e).__name__ == "AttendanceChanged"
    ]
    assert changes == [("elu.laurent", False)]
    assert "elu.laurent" not in left.present


def test_sessions_use_two_grid_versions_and_open_on_their_day(demo: Loaded) -> None:
    sessions = [demo.session(day) for day, _grid in SESSIONS]
    assert [s.grid_version for s in sessions] == [grid for _day, grid in SESSIONS]
    assert {s.grid_version for s in sessions} == {1, 2}
    for s in [*sessions, demo.session(LAST_SESSION)]:
        opened = next(e for e in demo.events(s.id) if type(e).__name__ == "Opened")
        assert opened.timestamp.date() >= s.on, s.code


def test_a_proposal_whose_required_project_was_rejected_is_rejected(
    demo: Loaded,
) -> None:
    session = demo.session(date(2021, 3, 18))
    assert session.decisions["PORTAIL"].outcome.value == "rejected"
    for code in ("RDV", "GRC"):
        decision = session.decisions[code]
        assert decision.outcome.value == "rejected"
        assert decision.rationale == (
            "Dépendance refusée : la fiche requiert PORTAIL, que le COPIL n'a pas "
            "retenu ; sans elle, le projet ne peut être mené."
        )
        assert demo.proposal(code).status.value == "rejected"


# --- the phase deliverables (issue 20) ---------------------------------------------------


def test_every_phase_is_done_with_its_deliverables_validated(demo: Loaded) -> None:
    from domain.attachments import Attachment
    from domain.deliverables import DEFAULTS, PhaseDeliverables
    from domain.plan import Plan

    plan = demo.ledger.load(Plan, Plan.id_for())
    assert {p["status"] for p in plan.phases.values()} == {"done"}
    kinds = {"document": 0, "record": 0}
    for phase, defaults in DEFAULTS.items():
        found = demo.ledger.load(PhaseDeliverables, PhaseDeliverables.id_for(1, phase))
        assert found.missing() == []
        assert sorted(found.items) == sorted(k for k, _l, _t in defaults)
        for item in found.items.values():
            kinds[item["kind"]] += 1
            assert (item["owner"], item["reviewed_by"]) == (
                "amo.bonnet",
                "dgs.lefebvre",
            )
            if item["kind"] == "document":
                file = demo.ledger.load(Attachment, uuid.UUID(item["attachment"]))
                assert (file.subject, file.sha256, file.media_type) == (
                    "deliverable",
                    item["sha256"],
                    "application/pdf",
                )
            else:
                assert item["record_kind"] in ("axes", "inventory", "portfolio")
    assert kinds == {"document": 5, "record": 3}


def test_grid_v2_is_built_with_the_directions_and_adopted_by_a_copil_vote(
    demo: Loaded,
) -> None:
    """Issue 20: propositions of referents, the DSI and the consultant, discussed,
    each settled by the chair (none pending); the COPIL's vote adopts the grid."""
    from domain.discussion import Comment
    from domain.grids import GridVersion
    from sdsi.demo import grid_building as G

    grid = demo.ledger.load(GridVersion, GridVersion.id_for(2))
    assert (grid.adopted, grid.adopted_by_session) == (True, G.SESSION)
    session = demo.ledger.load(Session, Session.id_for(G.SESSION))
    decision = session.grid_decisions[2]
    assert (decision.votes_for, decision.votes_against, decision.abstentions) == (
        5,
        0,
        1,
    )
    settled = []
    for p in G.PROPOSITIONS:
        comment = demo.ledger.load(Comment, Comment.id_for(f"demo-grid-2-{p.key}"))  # fmt: skip
        settled.append(comment.settled)
    assert settled.count("accepted") == 4 and settled.count("declined") == 4
    authors = {p.who.split(".")[0] for p in G.PROPOSITIONS}
    assert authors == {"ref", "dsi", "amo"}
