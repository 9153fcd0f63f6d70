"""Random command sequences: following incrementally, rebuilding and replaying as of the
head give identical views (canonical dumps), on both backends."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.errors import DomainError
from domain.proposals import Proposal
from ledger.app import open_ledger
from ledger.core import Caller
from projections import queries as q
from projections.projector import Projector
from projections.service import ReadModel, init_views
from projections.store import SQLiteViewStore
from tests.conftest import ci_sized, make_settings

# fewer under CI=true (tests/conftest.py); SDSI_PROJECTION_EXAMPLES sets any number
EXAMPLES = int(os.environ.get("SDSI_PROJECTION_EXAMPLES") or ci_sized(6, 4))
CHAIR, DSI, REF, FIN = Caller("chair"), Caller("dsi"), Caller("ref"), Caller("fin")
EVALUATORS = [Caller("ev1"), Caller("ev2")]
MEMBERS = ["chair", "m1", "m2"]
CRITERIA = [
    {
        "code": "V1",
        "label": "Valeur",
        "family": "value",
        "weight": "60",
        "scale": [{"level": i, "descriptor": f"n{i}"} for i in range(1, 5)],
    },
    {
        "code": "V2",
        "label": "Usagers",
        "family": "value",
        "weight": "40",
        "scale": [{"level": i, "descriptor": f"n{i}"} for i in range(1, 5)],
    },
    {
        "code": "R1",
        "label": "Risque",
        "family": "risk",
        "weight": "100",
        "scale": [{"level": i, "descriptor": f"n{i}"} for i in range(1, 4)],
    },
]


def setup(led, *, bootstrap: bool = True) -> None:  # type: ignore[no-untyped-def]
    admin = Caller("admin", reason="tests")
    if bootstrap:  # else `sdsi init` made the administrator
        led.bootstrap_admin("admin", "Admin", "admin-password-1")
    for name, roles in (
        ("chair", ["chair", "member"]),
        ("dsi", ["dsi"]),
        ("fin", ["finance"]),
        ("ev1", ["evaluator"]),
        ("ev2", ["evaluator"]),
        ("m1", ["member"]),
        ("m2", ["member"]),
    ):
        led.add_user(
            admin,
            name,
            name.upper(),
            "password-" + name + "-1",
            roles=[(r, None) for r in roles],
        )
    led.define_plan(DSI, "SDSI", "Ville", 2024, 2026)
    led.create_pole(DSI, "P", "Pôle")
    led.create_direction(DSI, "D", "Direction", "P")
    led.add_user(admin, "ref", "Référent", "password-ref-1", roles=[("referent", "D")])
    led.create_team(DSI, "T", "Équipe", "dsi", capacity={2025: 100})
    led.create_axis(DSI, "A", "Axe")
    # reference records the reference steps rename, close and change (not the ones
    # the proposals use, whose lifecycle must go on)
    led.define_municipality(admin, "Ville", "217500016", "75056")
    led.create_pole(DSI, "P2", "Pôle 2")
    led.create_direction(DSI, "D2", "Direction 2", "P2")
    led.create_team(DSI, "T2", "Équipe 2", "business", "D2", capacity={2025: 50})
    led.create_axis(DSI, "A2", "Axe 2")
    led.create_indicator(DSI, "A2-I1", "A2", "Indicateur", "%", 10, 50, 2026)
    led.draft_grid(DSI, 1, "Grille", criteria=CRITERIA)
    led.adopt_grid(Caller("chair", reason="ok"), 1, "2024-01-10")
    for y in (2025, 2026):
        # both BPs voted in January 2025: not after the clocks of the tests using this
        led.vote_budget(FIN, y, "investissement", "100000.00", f"BP {y}", "2025-01-05")


@contextmanager
def fresh_projection(
    backend: str, tmp_path_factory: Any, request: Any, name: str, batch_size: int
) -> Iterator[tuple[Path, Any, ReadModel, Projector]]:
    """A new ledger on ``backend`` with its views: (a scratch directory, the ledger,
    its read model, a projector of ``batch_size``); the ledger is closed after."""
    tmp: Path = tmp_path_factory.mktemp(name)
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg, create=True)
    try:
        init_views(cfg, led)
        rm = ReadModel(led, cfg)
        yield tmp, led, rm, rm.projector(batch_size=batch_size)
    finally:
        led.close()


def content(i: int, amount: int) -> dict:  # type: ignore[type-arg]
    return {
        "title": f"Projet {i}",
        "description": "…",
        "components": [],
        "axes": [{"axis": "A", "indicator": None, "expected_effect": "+"}],
        "costs": [
            {"year": 2025, "section": "investissement", "amount": f"{amount}.00"}
        ],
        "workloads": [{"team": "T", "year": 2025, "days": amount // 1000}],
        "dependencies": [],
        "mandatory": False,
        "legal_basis": "",
        "risks": [],
    }


def step(led, action: str, i: int, n: int) -> None:  # type: ignore[no-untyped-def]
    code, session = f"P{i % 4}", f"S{i % 2}"
    amount = 10000 + 7000 * n
    try:
        if action == "draft":
            led.draft_proposal(REF, code, "D", content(i, amount))
        elif action == "submit":
            led.submit_proposal(REF, code)
        elif action == "amend":
            led.amend_proposal(
                Caller("ref", reason="mise à jour"), code, content(i, amount)
            )
        elif action == "qualify":
            led.qualify_proposal(
                DSI,
                code,
                {
                    "costs": [
                        {
                            "year": 2025,
                            "section": "investissement",
                            "amount": f"{amount}.00",
                        }
                    ],
                    "workloads": [{"team": "T", "year": 2025, "days": n}],
                },
            )
        elif action == "score":
            p = led.load(Proposal, Proposal.id_for(code))
            rev = p.revision if p else 1
            led.score_proposal(
                EVALUATORS[n % 2],
                code,
                rev,
                1,
                {
                    c["code"]: {"level": 1 + (n + k) % 3, "justification": "ok"}
                    for k, c in enumerate(CRITERIA)
                },
            )
        elif action == "convene":
            led.convene_session(CHAIR, session, "Séance", "2025-01-20", MEMBERS)
        elif action == "agenda":
            led.add_agenda_item(CHAIR, session, code)
        elif action == "open":
            led.open_session(CHAIR, session, MEMBERS[: 2 + n % 2])
        elif action == "vote":
            led.cast_vote(
                Caller(MEMBERS[n % 3]),
                session,
                code,
                ["for", "against", "abstain"][n % 3],
            )
        elif action == "decide":
            outcome = ["approved", "deferred", "rejected"][n % 3]
            extra = (
                {
                    "ap_amount": f"{amount}.00",
                    "cp": [
                        {
                            "year": 2025,
                            "section": "investissement",
                            "amount": f"{amount}.00",
                        }
                    ],
                }
                if outcome == "approved"
                else {}
            )
            led.record_decision(
                CHAIR,
                session,
                code,
                outcome,
                "motif",
                justification="arbitrage",
                **extra,
            )
        elif action == "close":
            led.close_session(CHAIR, session)
        elif action == "commit":
            led.record_commitment(
                FIN,
                code,
                f"E{i}{n}",
                2025,
                "investissement",
                f"{1000 * (n + 1)}.00",
                "2025-03-01",
                "Fournisseur",
            )
        elif action == "pay":
            led.record_payment(
                FIN, code, f"M{i}{n}", f"E{i}{n}", f"{500 * (n + 1)}.00", "2025-04-01"
            )
        elif action == "dm":
            led.adjust_budget(
                FIN, 2025, "investissement", f"{1000 * (n - 4)}.00", "DM", "2025-06-01"
            )
        elif action == "reference":
            reference_step(led, i, n)
        elif action == "committee":
            committee_step(led, i, n)
    except DomainError:
        pass  # refused: nothing written


WHY = Caller("dsi", reason="réorganisation")


def reference_step(led, i: int, n: int) -> None:  # type: ignore[no-untyped-def]
    """Create, rename, move, close and change reference records (some refused)."""
    admin = Caller("admin", reason="correction")
    steps = [
        lambda: led.create_direction(DSI, f"D{3 + i}", f"Direction {i}", "P2"),
        lambda: led.move_direction(WHY, "D2", ["P", "P2"][n % 2]),
        lambda: led.rename_direction(WHY, "D2", f"Direction {n}"),
        lambda: led.close_direction(WHY, f"D{3 + i}"),
        lambda: led.close_pole(WHY, "P2"),
        lambda: led.rename_team(WHY, "T2", f"Équipe {n}"),
        lambda: led.set_team_capacity(WHY, "T2", 2025 + i % 2, 10 * n),
        lambda: led.close_team(WHY, "T2"),
        lambda: led.set_indicator_target(WHY, "A2-I1", 2024 + i, n),
        lambda: led.rename_axis(WHY, "A2", f"Axe {n}", "description"),
        lambda: led.close_indicator(WHY, "A2-I1"),
        lambda: led.close_axis(WHY, "A2"),
        lambda: led.rename_plan(WHY, f"SDSI {n}"),
        lambda: led.change_municipality(
            admin, f"Ville {n}", "217500016", ["75056", "2A004"][i % 2]
        ),
        lambda: led.schedule_phase(
            DSI, "cadrage", "2024-01-0" + str(1 + n % 9), "2024-03-01"
        ),
        lambda: led.start_phase(DSI, "cadrage", "2024-01-15"),
        lambda: led.complete_phase(WHY, "cadrage", "2024-02-15", override=True),
    ]
    steps[(i * 10 + n) % len(steps)]()


def committee_step(led, i: int, n: int) -> None:  # type: ignore[no-untyped-def]
    """Seat, change and remove COPIL members (some refused)."""
    who = ["chair", "m1", "m2", "dsi"][i]
    admin = Caller("admin", reason="composition")
    if n < 4:
        led.appoint_committee_member(
            admin, who, "dsi" if who == "dsi" else "elu", who != "dsi"
        )
    elif n < 7:
        led.change_committee_member(admin, who, "dga", n == 5 and who != "dsi")
    else:
        led.remove_committee_member(admin, who)


ACTIONS = [
    "draft",
    "submit",
    "amend",
    "qualify",
    "score",
    "convene",
    "agenda",
    "open",
    "vote",
    "decide",
    "close",
    "commit",
    "pay",
    "dm",
    "reference",
    "reference",
    "committee",
]
NEXT = {
    None: ["draft"],
    "draft": ["submit"],
    "submitted": ["qualify"],
    "qualified": ["score", "score", "convene", "agenda"],
    "on_agenda": ["open", "vote", "vote", "decide"],
    "deferred": ["convene", "agenda"],
    "approved": ["commit", "pay", "close"],
    "rejected": ["close"],
}


def advance(led, i: int, n: int) -> None:  # type: ignore[no-untyped-def]
    """Move proposal i along its lifecycle (most steps), or make some noise."""
    p = led.load(Proposal, Proposal.id_for(f"P{i % 4}"))
    choices = NEXT.get(p.status.value if p else None, ACTIONS)
    step(led, choices[n % len(choices)], i, n)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(st.sampled_from(ACTIONS), st.integers(0, 3), st.integers(0, 9)),
        min_size=15,
        max_size=60,
    )
)
def test_random_sequences_follow_rebuild_and_as_of_agree(
    steps, backend: str, tmp_path_factory, request
) -> None:  # type: ignore[no-untyped-def]
    tmp: Path = tmp_path_factory.mktemp("gen")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg, create=True)
    try:
        init_views(cfg, led)
        rm = ReadModel(led, cfg)
        projector = rm.projector(batch_size=3)
        setup(led)
        for action, i, n in steps:
            if action in (
                "draft",
                "submit",
                "qualify",
                "score",
                "agenda",
                "vote",
                "decide",
                "commit",
            ):
                advance(led, i, n)  # most steps move a proposal forward
            else:
                step(led, action, i, n)
            projector.catch_up()  # follow: after every command, in small batches
        incremental = q.dump(rm.store)
        fresh = SQLiteViewStore(tmp / "fresh.db")
        rebuild = Projector(led, fresh, batch_size=5000)
        rebuild.ensure_tables()
        rebuild.rebuild()
        assert incremental == q.dump(fresh)
        assert incremental == q.dump(rm.replay(rm.head_position()))
        fresh.close()
        rm.close()
    finally:
        led.close()


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    steps=st.lists(
        st.tuples(
            st.sampled_from(ACTIONS),
            st.integers(0, 3),
            st.integers(0, 9),
            st.integers(0, 2),  # which process catches up after the command
        ),
        min_size=15,
        max_size=60,
    )
)
def test_several_processes_taking_turns_at_projecting_equal_a_rebuild(
    steps, backend: str, tmp_path_factory, request
) -> None:  # type: ignore[no-untyped-def]
    """Three followers, each with its own connections and document cache (as three
    `sdsi serve` workers have), project in turns: none may write from a stale cache."""
    tmp: Path = tmp_path_factory.mktemp("turns")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    cfg = make_settings(tmp / "data", url)
    led = open_ledger(cfg, create=True)
    models = []
    try:
        init_views(cfg, led)
        models = [ReadModel(led, cfg) for _ in range(3)]
        projectors = [rm.projector(batch_size=2) for rm in models]
        setup(led)
        for action, i, n, who in steps:
            advance(led, i, n) if action != "close" else step(led, action, i, n)
            projectors[who].catch_up()
        projectors[0].catch_up()
        followed = q.dump(models[0].store)
        fresh = SQLiteViewStore(tmp / "fresh.db")
        rebuild = Projector(led, fresh, batch_size=5000)
        rebuild.ensure_tables()
        rebuild.rebuild()
        assert followed == q.dump(fresh)
        fresh.close()
        for p in projectors:
            p.close()
    finally:
        for rm in models:
            rm.close()
        led.close()
