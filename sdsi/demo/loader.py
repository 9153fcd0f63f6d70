"""Load the demo municipality through the ledger's commands, as its users would.

The organisation (pôles, directions, teams and capacities, axes and indicators,
accounts with their roles) comes from the import of its set-up file,
``sample-setup.xlsx`` beside this module — exactly what ``sdsi setup import`` does
for a real municipality; everything else is the commands the API sends.

Deterministic: a seeded random generator drives every choice, and a simulated clock
dates the commands along the scenario (2020–2026), so two loads produce the same events
(idempotency keys aside). ``scale`` N replicates the directions, their proposals and the
sessions N times (``-2``, ``-3``… suffixes) for benchmarks.
"""

from __future__ import annotations

import random
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from domain.arbitration import Conflict, Rule, dependency_conflicts
from domain.budget import Envelope, ProjectBudget
from domain.organisation import Team
from domain.proposals import Proposal
from domain.scenarios import Scenario
from domain.sessions import Session, departs_from_majority
from domain.values import Origin
from ledger.app import Ledger
from ledger.core import Caller
from sdsi.demo import data as D
from sdsi.demo import deliverables as demo_deliverables
from sdsi.demo import diagnosis as demo_diagnosis
from sdsi.demo import documents as demo_documents
from sdsi.demo import entities as demo_entities
from sdsi.demo import grid_building as demo_grid_building
from setupfile.importer import apply, plan_rows
from setupfile.sheets import Row, read

CHAIR = "dgs.lefebvre"
DSI = "dsi.martin"
FINANCE = "fin.garnier"
ADMIN = "admin.sdsi"
K = Decimal(1000)

# (session date, grid version in force)
SESSIONS = [
    (date(2021, 3, 18), 1),
    (date(2021, 11, 16), 1),
    (date(2022, 6, 21), 1),
    (date(2023, 3, 14), 2),
    (date(2023, 11, 21), 2),
    (date(2024, 6, 18), 2),
    (date(2025, 5, 20), 2),
    (date(2026, 3, 17), 2),
]
LAST_SESSION = date(2026, 11, 24)  # opened, votes in progress, no decision yet
# session index -> the voting member who arrives after the first item / leaves
# before the last one
LATE_ARRIVAL = {4: "elu.dubois"}
EARLY_DEPARTURE = {5: "elu.laurent"}
# statuses of a required proposal that will never be approved
ENDED_WITHOUT_PROJECT = ("rejected", "withdrawn", "cancelled")
# sessions prepared with an optimiser scenario, which their decisions cite
SCENARIO_SESSIONS = (6,)


class DemoClock:
    """A monotonic simulated clock: jumps to scenario dates, a second per command."""

    def __init__(self, start: date) -> None:
        self.current = datetime.combine(start, time(9, 0), UTC)

    def on(self, day: date) -> None:
        self.current = max(self.current, datetime.combine(day, time(9, 0), UTC))

    def __call__(self) -> datetime:
        self.current += timedelta(seconds=1)
        return self.current


@dataclass
class Stats:
    """What the load created, for the summary."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n


@dataclass
class Item:
    """One proposal of the scenario, with its hidden 'true' value and its fate."""

    code: str
    title: str
    direction: str
    referent: str
    axis: str
    cost: int
    teams: list[str]
    session: int
    quality: float
    risk: float = 0.5  # hidden riskiness, drawn apart from the quality
    costs: list[dict[str, Any]] = field(default_factory=list)
    status: str = "draft"
    revision: int = 1
    grids: set[int] = field(default_factory=set)  # versions scored on (current rev.)
    schedule: Schedule | None = None  # planned and actual dates, once approved
    progress: int = 0


@dataclass
class Schedule:
    """An approved project's dates: planned start and end, its milestones (code,
    label, planned day, actual day) and the day it really ends (late ones slip)."""

    start: date
    end: date
    finish: date
    milestones: list[tuple[str, str, date, date]]
    reached: set[str] = field(default_factory=set)


class DemoLoader:
    """Runs the scenario against a ledger."""

    def __init__(
        self,
        ledger: Ledger,
        scale: int = 1,
        seed: int = 2026,
        progress: Callable[[str], None] | None = None,
        admin: str = "admin",
    ) -> None:
        self.ledger = ledger
        self.admin = admin  # the administrator who imports the set-up file
        self.scale = scale
        self.seed = seed
        self.rng = random.Random(seed)
        self.clock = DemoClock(date(2020, 1, 15))
        self.progress = progress or (lambda _msg: None)
        self.stats = Stats()
        self.items: list[Item] = []
        self.phases_done = False
        self.override_done = False
        self.commitment_override_done = False
        self.deferrals: dict[str, int] = {}
        self.scenarios: dict[int, str] = {}  # session index -> scenario code

    # --- helpers ---------------------------------------------------------------------

    def as_(self, actor: str, reason: str | None = None) -> Caller:
        return Caller(actor=actor, origin=Origin.IMPORT, reason=reason)

    def vary(self, *key: object) -> random.Random:
        """A generator of its own for one record (a project, an indicator…): the
        texture of the demo (dates, paces, risks) without disturbing the main
        sequence of draws, the same on every run."""
        return random.Random(":".join([str(self.seed), *map(str, key)]))

    @staticmethod
    def suffix(copy: int) -> str:
        return "" if copy == 1 else f"-{copy}"

    def run(self) -> Stats:
        """Load everything; returns the counts of what was created."""
        self.ledger.clock = self.clock
        try:
            self.setup_import()
            self.organisation()
            self.strategy()
            self.grid_v1()
            self.budget_envelopes()
            self.plan_indicators()
            self.catalogue()
            for index, (day, grid) in enumerate(SESSIONS):
                if index == 3:
                    self.grid_v2()
                self.progress(f"séance du {day.isoformat()}")
                for copy in range(1, self.scale + 1):
                    self.prepare_session(index, day, grid, copy)
                    if copy == 1 and index in SCENARIO_SESSIONS:
                        self.scenarios[index] = self.compute_scenario(day)
                    self.hold_session(index, day, copy)
                self.year_end(day)
            for copy in range(1, self.scale + 1):
                self.open_last_session(copy)
            self.cancel_one()
            demo_diagnosis.load(self)
            demo_documents.load(self)
            self.identify_municipality()
            self.impute_budgets()
            demo_entities.load(self)
        finally:
            self.ledger.clock = lambda: datetime.now(UTC)
        return self.stats

    # --- actors and organisation ------------------------------------------------------

    def setup_import(self) -> None:
        """The organisation, as a municipality sets it up: the import of its set-up
        file (``sample-setup.xlsx``; with ``--scale``, each further copy adds its
        own directions, referents and teams), through the same commands."""
        self.progress("organisation (import du fichier de paramétrage)")
        rows, issues = read(SAMPLE_SETUP)
        rows = with_copies(rows, self.scale)
        plan = plan_rows(
            self.ledger,
            rows,
            SAMPLE_SETUP.name,
            issues,
            password_for=lambda _login: D.DEMO_PASSWORD,
        )
        if not plan.ok:
            raise RuntimeError(
                "the demo's set-up file is refused: " + "; ".join(plan.lines())
            )
        apply(self.ledger, plan, Caller(actor=self.admin, origin=Origin.IMPORT))
        for sheet, label in (
            ("poles", "pôles"), ("directions", "directions"), ("equipes", "équipes"),
            ("axes", "axes"), ("indicateurs", "indicateurs"), ("comptes", "comptes"),
        ):  # fmt: skip
            self.stats.add(label, len(rows[sheet]))

    def identify_municipality(self) -> None:
        """The municipality's official identifiers, entered by the administrator
        (last, so that every earlier position of the demo stays as it was)."""
        self.ledger.define_municipality(
            self.as_(self.admin), D.MUNICIPALITY, D.SIREN, D.INSEE, D.SIRET
        )

    def organisation(self) -> None:
        self.progress("plan et phases")
        dsi = self.as_(DSI)
        self.ledger.define_plan(
            dsi, D.PLAN_NAME, D.MUNICIPALITY, D.FIRST_YEAR, D.LAST_YEAR
        )
        phases = [
            ("cadrage", date(2020, 1, 20), date(2020, 3, 31)),
            ("revue_documentaire", date(2020, 3, 1), date(2020, 5, 31)),
            ("alignement_strategique", date(2020, 5, 1), date(2020, 7, 15)),
            ("diagnostic_si", date(2020, 6, 1), date(2020, 10, 31)),
            ("evolutions_demandees", date(2020, 9, 1), date(2021, 1, 31)),
            ("plan_strategique_numerique", date(2021, 1, 1), date(2021, 3, 18)),
        ]
        for phase, start, end in phases:
            self.ledger.schedule_phase(dsi, phase, start, end)
        for phase, start, end in phases[:3]:
            self.clock.on(start)
            self.ledger.start_phase(dsi, phase, start)
            self.clock.on(end)
            demo_deliverables.deliver(self, phase, end)
            self.ledger.complete_phase(dsi, phase, end)

    def strategy(self) -> None:
        dsi = self.as_(DSI)
        for phase in ("diagnostic_si", "evolutions_demandees"):
            self.ledger.start_phase(dsi, phase, self.clock.current.date())

    def _criterion(
        self, code: str, label: str, family: str, weight: str, axis: str | None
    ) -> dict[str, Any]:
        scale = D.SCALE4 if family == "value" else D.RISK4
        return {
            "code": code,
            "label": label,
            "family": family,
            "weight": weight,
            "axis": axis,
            "scale": [{"level": lv, "descriptor": d} for lv, d in scale],
        }

    def grid_v1(self) -> None:
        self.progress("grille v1")
        self.clock.on(date(2020, 6, 2))
        criteria = [
            self._criterion(c, lbl, fam, w1, axis)
            for c, lbl, fam, w1, _w2, axis in D.CRITERIA
        ]
        self.ledger.draft_grid(
            self.as_(DSI), 1, "Grille de valeur partagée 2020", criteria=criteria
        )
        self.clock.on(date(2020, 6, 15))
        self.ledger.adopt_grid(
            self.as_(CHAIR, "grille validée par le COPIL de cadrage"),
            1,
            date(2020, 6, 15),
        )
        self.stats.add("versions de grille")

    def grid_v2(self) -> None:
        """Grid v2, built with the directions and adopted by a COPIL vote."""
        self.progress("grille v2")
        demo_grid_building.load(self)
        self.stats.add("versions de grille")

    def budget_envelopes(self) -> None:
        """The PPI envelopes of 2021–2026, voted in December 2020."""
        self.progress("enveloppes budgétaires")
        self.clock.on(date(2020, 12, 15))
        fin = self.as_(FINANCE)
        per_year = Decimal(D.LAST_YEAR - 2021 + 1)
        total_inv = sum(Decimal(c[4]) for c in D.CATALOGUE) * K * self.scale
        for y in range(2021, D.LAST_YEAR + 1):
            inv = (total_inv * Decimal("0.95") / per_year).quantize(K)
            ope = (total_inv * Decimal("0.09") / per_year).quantize(K)
            self.ledger.vote_budget(
                fin,
                y,
                "investissement",
                inv,
                f"DCM 2020-12-{y - 2000:02d} (PPI {y})",
                date(2020, 12, 15),
            )
            self.ledger.vote_budget(
                fin,
                y,
                "fonctionnement",
                ope,
                f"DCM 2020-12-{y - 2000:02d} (PPI {y})",
                date(2020, 12, 15),
            )
            self.stats.add("enveloppes", 2)

    # --- proposals -----------------------------------------------------------------------

    def catalogue(self) -> None:
        per_session = len(D.CATALOGUE) / len(SESSIONS)
        for copy in range(1, self.scale + 1):
            sfx = self.suffix(copy)
            for i, (code, title, direction, axis, cost, teams) in enumerate(
                D.CATALOGUE
            ):
                referent = next(d[3] for d in D.DIRECTIONS if d[0] == direction) + sfx
                self.items.append(
                    Item(
                        code=code + sfx,
                        title=title,
                        direction=direction + sfx,
                        referent=referent,
                        axis=axis,
                        cost=cost,
                        teams=[t + sfx for t in teams],
                        session=min(int(i / per_session), len(SESSIONS) - 1),
                        quality=self.rng.random(),
                    )
                )
                item = self.items[-1]
                # riskiness: partly the reverse of the value, mostly its own
                item.risk = (
                    0.3 * (1 - item.quality)
                    + 0.7 * self.vary("risk", item.code).random()
                )

    def content(
        self, item: Item, first_year: int, factor: Decimal = Decimal(1)
    ) -> dict[str, Any]:
        years = [
            y
            for y in range(first_year, first_year + (3 if item.cost > 200 else 2))
            if y <= D.LAST_YEAR
        ]
        inv = (Decimal(item.cost) * K * factor).quantize(Decimal(1))
        costs = []
        for n, y in enumerate(years):
            share = inv / len(years)
            costs.append(
                {
                    "year": y,
                    "section": "investissement",
                    "amount": str(share.quantize(Decimal("0.01"))),
                }
            )
            if n:
                costs.append(
                    {
                        "year": y,
                        "section": "fonctionnement",
                        "amount": str(
                            (inv * Decimal("0.08")).quantize(Decimal("0.01"))
                        ),
                    }
                )
        workloads = [
            {
                "team": t,
                "year": y,
                "days": max(
                    5,
                    int(item.cost * (0.9 if t.startswith("DSI") else 0.4) / len(years)),
                ),
            }
            for t in item.teams
            for y in years
        ]
        base = item.code.split("-")[0]
        deps = [
            {"kind": k, "proposal": tgt + item.code[len(base) :]}
            for src, k, tgt in D.DEPENDENCIES
            if src == base and self._known(tgt + item.code[len(base) :])
        ]
        return {
            "title": item.title,
            "description": f"{item.title} : projet porté par la direction {item.direction}, au service de l'axe {item.axis}.",
            "components": [
                {
                    "kind": "organisation",
                    "description": "Revue des processus et des circuits de validation",
                    "owner": item.referent,
                },
                {
                    "kind": "si",
                    "description": "Solution applicative, intégration et reprise des données",
                    "owner": DSI,
                },
                {
                    "kind": "rh",
                    "description": "Formation des agents et accompagnement du changement",
                    "owner": "ref.drh",
                },
                {
                    "kind": "communication",
                    "description": "Information des usagers et des agents",
                    "owner": "ref.com",
                },
            ],
            "axes": [
                {
                    "axis": item.axis,
                    "indicator": f"{item.axis}-I1",
                    "expected_effect": "Contribution directe à l'indicateur",
                }
            ],
            "costs": costs,
            "workloads": workloads,
            "dependencies": deps,
            "mandatory": base in D.MANDATORY,
            "legal_basis": D.MANDATORY.get(base, ""),
            "risks": [
                {
                    "label": "Disponibilité des équipes métier",
                    "level": 1 + int(self.rng.random() * 3),
                }
            ],
        }

    def _known(self, code: str) -> bool:
        return any(i.code == code and i.status != "draft" for i in self.items)

    def prepare_session(self, index: int, day: date, grid: int, copy: int) -> None:
        sfx = self.suffix(copy)
        items = [
            i
            for i in self.items
            if i.session == index
            and i.code.endswith(sfx)
            and (copy > 1 or "-" not in i.code)
        ]
        first_year = min(day.year + 1, D.LAST_YEAR)
        self.clock.on(day - timedelta(days=120))
        for item in items:
            content = self.content(item, first_year)
            self.ledger.draft_proposal(
                self.as_(item.referent), item.code, item.direction, content
            )
            item.status = str(
                self.ledger.submit_proposal(self.as_(item.referent), item.code)[
                    "status"
                ]
            )
            self.stats.add("fiches projet")
        self.clock.on(day - timedelta(days=60))
        for item in items:
            factor = Decimal(str(round(1 + self.rng.random() * 0.3, 2)))
            est = self.content(item, first_year, factor)
            item.costs = est["costs"]
            qualified = self.ledger.qualify_proposal(
                self.as_(DSI),
                item.code,
                {
                    "costs": est["costs"],
                    "workloads": est["workloads"],
                    "dependencies": est["dependencies"],
                    "risks": est["risks"],
                    "note": f"Chiffrage DSI (coefficient {factor})",
                },
            )
            item.status = str(qualified["status"])
        self.clock.on(day - timedelta(days=30))
        for item in items:
            self.score(item, grid, revision=1)
        # one amendment per session after scoring: scores of revision 1 go stale
        if items:
            amended = items[len(items) // 2]
            self.ledger.amend_proposal(
                self.as_(
                    amended.referent, "mise à jour du périmètre après l'analyse DSI"
                ),
                amended.code,
                self.content(amended, first_year, Decimal("0.95")),
            )
            amended.revision, amended.grids = 2, set()
            est = self.content(amended, first_year, Decimal("1.05"))
            amended.costs = est["costs"]
            self.ledger.qualify_proposal(
                self.as_(DSI),
                amended.code,
                {
                    "costs": est["costs"],
                    "workloads": est["workloads"],
                    "dependencies": est["dependencies"],
                    "risks": est["risks"],
                    "note": "Chiffrage DSI révisé",
                },
            )
            self.score(amended, grid, revision=2, evaluators=D.EVALUATORS[:2])
        self.rescore_carried_over(sfx, copy, index, grid)
        if index == 2 and items:
            withdrawn = items[-1]
            withdrawn.status = str(
                self.ledger.withdraw_proposal(
                    self.as_(
                        withdrawn.referent, "projet repris par l'intercommunalité"
                    ),
                    withdrawn.code,
                )["status"]
            )

    def rescore_carried_over(self, sfx: str, copy: int, index: int, grid: int) -> None:
        """Deferred proposals going back on an agenda after a new grid version was
        adopted are scored on it: a session's evidence is on the version in force
        when it is convened, and a value needs every criterion scored."""
        for item in self.items:
            if (
                item.code.endswith(sfx)
                and (copy > 1 or "-" not in item.code)
                and item.status == "deferred"
                and item.session <= index
                and grid not in item.grids
            ):
                self.score(item, grid, revision=item.revision)

    def score(
        self, item: Item, grid: int, revision: int, evaluators: list[str] | None = None
    ) -> None:
        criteria = [
            c for c in D.CRITERIA if (c[3] if grid == 1 else c[4]) is not None
        ] + (
            []
            if grid == 1
            else [(c[0], c[1], c[2], c[3], c[3], c[4]) for c in D.CRITERIA_V2_NEW]
        )
        for n, evaluator in enumerate(evaluators or D.EVALUATORS):
            bias = (
                -0.25
                if evaluator == "eval.petit"
                else (0.2 if evaluator == "dga.roux" else 0.0)
            )
            scores = {}
            for code, label, family, *_rest in criteria:
                base = item.quality if family == "value" else item.risk
                raw = base + bias + (self.rng.random() - 0.5) * 0.5
                level = min(4, max(1, 1 + int(raw * 4)))
                scores[code] = {
                    "level": level,
                    "justification": f"{label} : niveau {level} selon l'analyse de la fiche {item.code}",
                }
            self.ledger.score_proposal(
                self.as_(evaluator), item.code, revision, grid, scores
            )
            item.grids.add(grid)
            self.stats.add("notations")
            if (
                n == 0 and item.quality > 0.8
            ):  # a re-score that supersedes an earlier one
                first = next(iter(scores))
                scores = {
                    first: {
                        **scores[first],
                        "level": max(1, scores[first]["level"] - 1),
                        "justification": "Note revue après échange avec le référent",
                    }
                }
                self.ledger.score_proposal(
                    self.as_(evaluator), item.code, revision, grid, scores
                )

    def compute_scenario(self, day: date) -> str:
        """The DSI's optimiser scenario a week before the session, computed on the
        views as they stand then (projected into a scratch store) and recorded."""
        from optimiser.scenarios import compute_and_record
        from projections.projector import Projector
        from projections.store import SQLiteViewStore

        code = f"SC-{day.isoformat()}"
        self.clock.on(day - timedelta(days=7))
        with tempfile.TemporaryDirectory(prefix="sdsi-demo-views-") as tmp:
            store = SQLiteViewStore(Path(tmp) / "views.db")
            try:
                Projector(self.ledger, store, batch_size=5000).rebuild()
                compute_and_record(
                    self.ledger,
                    self.as_(DSI),
                    code,
                    store=store,
                    label=f"Préparation du COPIL du {day.strftime('%d/%m/%Y')}",
                    risk_weight="0.5",
                    window=1,
                )
            finally:
                store.close()
        self.stats.add("scénarios")
        return code

    # --- sessions ----------------------------------------------------------------------

    def hold_session(self, index: int, day: date, copy: int) -> None:
        sfx = self.suffix(copy)
        code = f"COPIL-{day.isoformat()}{sfx}"
        chair = self.as_(CHAIR)
        agenda = [
            i
            for i in self.items
            if i.code.endswith(sfx)
            and (copy > 1 or "-" not in i.code)
            and i.status in ("qualified", "deferred")
            and (i.session <= index)
        ]
        self.clock.on(day - timedelta(days=20))
        self.ledger.convene_session(
            chair,
            code,
            f"Comité de pilotage du SDSI — {day.strftime('%d/%m/%Y')}",
            day,
            D.VOTING,
            D.NON_VOTING,
        )
        self.stats.add("séances")
        for item in agenda:
            self.ledger.add_agenda_item(chair, code, item.code)
        self.clock.on(day)
        absent_one = D.VOTING[(index + 3) % len(D.VOTING)]
        if absent_one == CHAIR:  # a session opens with its chair present
            absent_one = D.VOTING[(index + 4) % len(D.VOTING)]
        absent = {absent_one}
        # one member arrives late (after the first item), another leaves early
        # (before the last): both recorded as attendance changes
        late = LATE_ARRIVAL.get(index)
        leaves = EARLY_DEPARTURE.get(index)
        present = [m for m in D.VOTING + D.NON_VOTING if m not in absent and m != late]
        self.ledger.open_session(chair, code, present)
        scenario = self.scenarios.get(index)
        for n, item in enumerate(agenda):
            if late and n == 1:
                self.clock.current += timedelta(minutes=35)
                self.ledger.set_attendance(chair, code, late, True)
                present.append(late)
            if leaves and n == len(agenda) - 1 and n > 0:
                self.clock.current += timedelta(minutes=50)
                self.ledger.set_attendance(chair, code, leaves, False)
                present.remove(leaves)
            for member in [m for m in D.VOTING if m in present]:
                p = item.quality + (self.rng.random() - 0.5) * 0.6
                choice = "for" if p > 0.45 else ("against" if p < 0.3 else "abstain")
                self.ledger.cast_vote(self.as_(member), code, item.code, choice)
                self.stats.add("votes")
            if (
                index == 1 and item is agenda[0]
            ):  # a member changes their vote: both kept
                self.ledger.cast_vote(self.as_(D.VOTING[1]), code, item.code, "abstain")
        # a proposal is decided after those it requires (if on the same agenda)
        on_agenda = {i.code for i in agenda}
        ranked = sorted(
            agenda,
            key=lambda i: (
                any(t in on_agenda for t in self._required(i.code)),
                -i.quality,
            ),
        )
        for rank, item in enumerate(ranked):
            self.decide(code, index, item, rank, len(ranked), scenario)
        self.ledger.close_session(chair, code)

    def decide(
        self,
        session: str,
        index: int,
        item: Item,
        rank: int,
        count: int,
        scenario: str | None = None,
    ) -> None:
        """The chair's decision, as a chair who reads the decision form would take it:
        an approval that would break a dependency or a team's capacity is deferred
        (or rejected), except a mandatory project, approved under a motivated override
        of every rule it breaks; one priority project is approved beyond its envelope
        under an override, compensated by the next DM."""
        chair_reason = self.as_(CHAIR)
        session_agg = self.ledger.load(Session, Session.id_for(session))
        votes_for, votes_against, _ = (
            session_agg.tally(item.code) if session_agg else (0, 0, 0)
        )
        base = item.code.split("-")[0]
        cp = [c for c in item.costs if c["year"] >= 2021]
        ap = sum(Decimal(c["amount"]) for c in cp)
        fits = all(self._available(c) >= Decimal(c["amount"]) for c in cp)
        mandatory = base in D.MANDATORY
        conflicts = self._conflicts(item.code)
        blocked = {c.rule for c in conflicts}
        # a dependency the COPIL refused (rejected, withdrawn, cancelled): no waiting
        refused = sorted(
            c.target
            for c in conflicts
            if c.rule is Rule.REQUIRES
            and getattr(c.status, "value", c.status) in ENDED_WITHOUT_PROJECT
        )
        override = None
        deferrable = self.deferrals.get(item.code, 0) < 2
        reason = ""  # why an approvable project is not approved
        if mandatory:
            outcome = "approved"
            broken = [c.describe() for c in conflicts] + (
                [] if fits else ["enveloppe de l'exercice insuffisante"]
            )
            if broken:
                override = (
                    f"Projet obligatoire ({D.MANDATORY[base]}) : approuvé malgré les "
                    "règles enfreintes ("
                    + " ; ".join(broken)
                    + "), renfort par un prestataire et compensation à la prochaine DM"
                )
        elif refused and item.quality > 0.2:
            outcome, reason = "rejected", "refused"
        elif Rule.EXCLUDES in blocked and item.quality > 0.35:
            outcome, reason = "rejected", "exclusion"
        elif blocked and item.quality > 0.35 and deferrable:
            outcome = "deferred"
            reason = "requires" if Rule.REQUIRES in blocked else "capacity"
        elif blocked and item.quality > 0.35:
            outcome, reason = "rejected", "blocked"
        elif item.quality > 0.35 and fits:
            outcome = "approved" if item.quality > 0.6 else "approved_with_conditions"
        elif item.quality > 0.35 and index >= 2 and not self.override_done:
            self.override_done = True
            outcome, override = (
                "approved",
                "Projet prioritaire : dépassement de l'enveloppe accepté, compensé par la prochaine DM",
            )
        elif item.quality > 0.2 and deferrable:
            outcome = "deferred"
        else:
            outcome = "rejected"
        if outcome == "deferred":
            self.deferrals[item.code] = self.deferrals.get(item.code, 0) + 1
        favourable = outcome.startswith("approved")
        departs = departs_from_majority(outcome, votes_for, votes_against)
        others = ", ".join(sorted({c.target for c in conflicts}))
        justification = ""
        if departs:
            justification = (
                f"Obligation légale ({D.MANDATORY[base]})"
                if mandatory and favourable
                else "Projet jugé prioritaire par la présidence malgré le vote"
                if favourable
                else {
                    "requires": f"Dépend de {others}, pas encore approuvé : approbation impossible avant",
                    "capacity": f"Capacité des équipes insuffisante ({others}) : report à l'exercice suivant",
                    "exclusion": f"Exclusif de {others}, déjà retenu",
                    "refused": f"Dépend de {', '.join(refused)}, refusé : le projet ne peut être mené",
                    "blocked": f"Dépendances ou capacité ({others}) toujours bloquantes",
                }.get(
                    reason,
                    "Arbitrage budgétaire : enveloppe de l'exercice insuffisante",
                )
            )
        rationale = {
            "approved": f"Valeur élevée pour l'axe {item.axis} ; chiffrage DSI validé.",
            "approved_with_conditions": f"Intérêt confirmé pour l'axe {item.axis}, sous réserve d'un cadrage détaillé.",
            "deferred": "Intérêt reconnu mais enveloppe insuffisante : réexamen à la prochaine séance.",
            "rejected": "Valeur insuffisante au regard de la grille et des autres priorités.",
        }[outcome]
        rationale = {
            "requires": f"Intérêt reconnu, mais la fiche dépend de {others}, non encore approuvée : réexamen après sa décision.",
            "capacity": f"Intérêt reconnu, mais la charge dépasserait la capacité des équipes ({others}) : réexamen à la prochaine séance.",
            "exclusion": f"Solution exclusive de {others}, déjà retenu par le COPIL.",
            "refused": f"Dépendance refusée : la fiche requiert {', '.join(refused)}, que le COPIL n'a pas retenu ; sans elle, le projet ne peut être mené.",
            "blocked": f"Dépendances ou capacité ({others}) toujours bloquantes après deux ajournements.",
        }.get(reason, rationale)
        if scenario is not None:
            justification = self._scenario_justification(
                scenario, item, favourable, justification
            )
        kwargs: dict[str, Any] = {
            "justification": justification,
            "override_reason": override,
            "scenario": scenario,
        }
        if favourable:
            kwargs.update(ap_amount=str(ap), cp=cp)
        if outcome == "approved_with_conditions":
            kwargs["conditions"] = (
                "Présenter un cadrage détaillé et un plan de conduite du changement au prochain COPIL."
            )
        self.ledger.record_decision(
            chair_reason, session, item.code, outcome, rationale, **kwargs
        )
        self.stats.add("décisions")
        item.status = (
            outcome  # a decision's outcome is the status after it (STATUS_AFTER)
        )
        if favourable:
            self.execute_project(item, index)

    def _scenario_justification(
        self, scenario: str, item: Item, favourable: bool, justification: str
    ) -> str:
        """The justification of a decision citing ``scenario``: a departure from its
        recommendation is explained (the ledger refuses it otherwise)."""
        found = self.ledger.load(Scenario, Scenario.id_for(scenario))
        recommends = found.recommends(item.code) if found else None
        if recommends is None or recommends == favourable:
            return justification
        if justification:
            return f"{justification} (écart au scénario {scenario})"
        if favourable:
            return (
                f"Écart au scénario {scenario}, qui ne retient pas ce projet : "
                f"priorité donnée par le COPIL à l'axe {item.axis}"
            )
        return (
            f"Écart au scénario {scenario}, qui retient ce projet : le COPIL "
            "préfère le réexaminer après les arbitrages budgétaires de l'exercice"
        )

    def _required(self, code: str) -> list[str]:
        """The proposals ``code`` requires (its current estimates)."""
        p = self.ledger.load(Proposal, Proposal.id_for(code))
        return (
            [d.proposal for d in p.dependencies if d.kind.value == "requires"]
            if p
            else []
        )

    def _conflicts(self, code: str) -> list[Conflict]:
        """What approving ``code`` would break (dependencies, team capacity), as the
        decision form shows it (``domain.arbitration``)."""
        p = self.ledger.load(Proposal, Proposal.id_for(code))
        if p is None:
            return []
        targets = {d.proposal for d in p.dependencies} | set(p.excluded_by)
        others = {c: self.ledger.load(Proposal, Proposal.id_for(c)) for c in targets}
        out = dependency_conflicts(
            code,
            p.dependencies,
            {c: o.status for c, o in others.items() if o is not None},
            {c: o.dependencies for c, o in others.items() if o and c in p.excluded_by},
        )
        for w in p.estimates[1]:
            team = self.ledger.load(Team, Team.id_for(w.team))
            conflict = team.conflict(code, w.year, w.days) if team else None
            if conflict is not None:
                out.append(conflict)
        return out

    def _available(self, line: dict[str, Any]) -> Decimal:
        env = self.ledger.load(Envelope, Envelope.id_for(line["year"], line["section"]))
        return env.available if env else Decimal(0)

    def execute_project(self, item: Item, index: int) -> None:
        """Plan an approved project: its own start and end dates and milestones (the
        DSI's schedule), run and paid along the following years by ``year_end``."""
        dsi = self.as_(DSI)
        item.schedule = self.schedule(item)
        sch = item.schedule
        planned = self.ledger.plan_project(dsi, item.code, sch.start, sch.end)
        for code, label, day, _actual in sch.milestones:
            self.ledger.set_milestone(dsi, item.code, code, label, day)
        item.status = str(planned["status"])

    def schedule(self, item: Item) -> Schedule:
        """Varied dates: a start between January and May of the first year, an end
        between June and November of the last, milestones at their own offsets; one
        project in four slips by two to seven months (its milestones too)."""
        r = self.vary("schedule", item.code)
        years = sorted({c["year"] for c in item.costs if c["year"] >= 2021})
        start = date(years[0], 1 + r.randrange(5), 1 + r.randrange(28))
        end = date(years[-1], 6 + r.randrange(6), 1 + r.randrange(28))
        span = (end - start).days
        slip = timedelta(days=60 + r.randrange(150)) if r.random() < 0.25 else None
        late = slip or timedelta(0)
        finish = end + late
        cadrage = start + timedelta(days=30 + r.randrange(45))
        recette = start + timedelta(days=int(span * (0.55 + r.random() * 0.2)))
        mep = end - timedelta(days=15 + r.randrange(30))
        return Schedule(
            start=start,
            end=end,
            finish=finish,
            milestones=[
                ("CADRAGE", "Cadrage détaillé validé", cadrage,
                 cadrage + timedelta(days=r.randrange(-5, 20))),
                ("RECETTE", "Recette fonctionnelle prononcée", recette,
                 recette + late + timedelta(days=r.randrange(0, 25))),
                ("MEP", "Mise en production", mep,
                 min(finish - timedelta(days=10), mep + late)),
            ],
        )  # fmt: skip

    def track(self, item: Item, day: date) -> None:
        """What a running project reached by ``day``: milestones and progress (the
        share of its real duration elapsed, by steps of 5 %, 95 % at most)."""
        dsi = self.as_(DSI)
        sch = item.schedule
        assert sch is not None
        for code, _label, _planned, actual in sch.milestones:
            if code not in sch.reached and actual <= day and code != "MEP":
                self.ledger.reach_milestone(dsi, item.code, code, actual)
                sch.reached.add(code)
        elapsed = (day - sch.start).days / max(1, (sch.finish - sch.start).days)
        percent = min(95, round(100 * max(0.0, elapsed) / 5) * 5)
        if percent > item.progress:
            self.ledger.report_progress(dsi, item.code, percent)
            item.progress = percent

    def year_end(self, day: date) -> None:
        """Execution, commitments, payments, DMs and measurements up to ``day``."""
        fin, dsi = self.as_(FINANCE), self.as_(DSI)
        for item in self.items:
            if item.status not in ("planned", "in_progress"):
                continue
            years = sorted({c["year"] for c in item.costs if c["year"] >= 2021})
            sch = item.schedule
            assert sch is not None
            if item.status == "planned" and sch.start <= day:
                started = self.ledger.start_project(dsi, item.code, sch.start)
                item.status = str(started["status"])
            if item.status != "in_progress":
                continue
            done_years = [y for y in years if y < day.year]
            for y in done_years:
                for line in [c for c in item.costs if c["year"] == y]:
                    ref = f"EJ{y}-{item.code}-{line['section'][:3].upper()}"
                    budget = self.ledger.load(
                        ProjectBudget, ProjectBudget.id_for(item.code)
                    )
                    if budget is None or ref in budget.commitments:
                        continue
                    amount = (Decimal(line["amount"]) * Decimal("0.85")).quantize(
                        Decimal("0.01")
                    )
                    override = None
                    if (
                        y >= 2023
                        and line["section"] == "investissement"
                        and not self.commitment_override_done
                    ):
                        self.commitment_override_done = True
                        amount = Decimal(line["amount"]) + Decimal("12500.00")
                        override = "Avenant n°1 au marché : fonctionnalités d'accessibilité (RGAA)"
                    self.ledger.record_commitment(
                        fin,
                        item.code,
                        ref,
                        y,
                        line["section"],
                        amount,
                        date(y, 4, 2),
                        "Titulaire du marché",
                        override,
                    )
                    self.ledger.record_payment(
                        fin,
                        item.code,
                        f"MD{y}-{item.code}-{line['section'][:3].upper()}",
                        ref,
                        (amount * Decimal("0.7")).quantize(Decimal("0.01")),
                        date(y, 10, 20),
                    )
                    self.stats.add("engagements")
                    self.stats.add("mandats")
            self.track(item, day)
            if years[-1] < day.year and sch.finish <= day:
                mep = next(m[3] for m in sch.milestones if m[0] == "MEP")
                self.ledger.reach_milestone(dsi, item.code, "MEP", mep)
                done = self.ledger.complete_project(dsi, item.code, sch.finish)
                item.status = str(done["status"])
        self.measure(day)
        if day.year >= 2022 and day.month < 6:
            self.ledger.adjust_budget(
                fin,
                day.year,
                "investissement",
                Decimal(150000 * self.scale),
                f"DM n°1 {day.year}",
                day,  # voted at the session: a DM is not dated after it is recorded
            )
        if not self.phases_done:
            self.phases_done = True
            for phase in ("diagnostic_si", "evolutions_demandees"):
                demo_deliverables.deliver(self, phase, day - timedelta(days=60))
                self.ledger.complete_phase(dsi, phase, day - timedelta(days=60))
            self.ledger.start_phase(
                dsi, "plan_strategique_numerique", day - timedelta(days=50)
            )
            demo_deliverables.deliver(self, "plan_strategique_numerique", day)
            self.ledger.complete_phase(dsi, "plan_strategique_numerique", day)

    def measure(self, day: date) -> None:
        """The indicators measured at ``day``: each moves towards its target at its
        own pace (some ahead, most behind, one or two barely moving), with noise."""
        dsi = self.as_(DSI)
        for _code, _label, indicators in D.AXES:
            for icode, _l, unit, baseline, target, target_year in indicators:
                b, t = Decimal(baseline), Decimal(target)
                pace = 0.35 + self.vary("pace", icode).random() * 0.8
                noise = (self.vary("noise", icode, day).random() - 0.5) * 0.08
                elapsed = max(
                    0.0, (day.year - 2020 + day.month / 12) / (target_year - 2020)
                )
                share = min(1.08, max(0.0, elapsed * pace + noise))
                value = b + (t - b) * Decimal(str(round(share, 4)))
                if unit == "%":
                    value = min(Decimal(100), max(Decimal(0), value))
                whole = "." not in baseline + target and abs(t - b) >= 20
                value = value.quantize(Decimal(1) if whole else Decimal("0.1"))
                self.ledger.measure_indicator(
                    dsi,
                    icode,
                    date(day.year, day.month, 1),
                    value,
                    "realised",
                    f"Mesure {day.year}",
                )

    def plan_indicators(self) -> None:
        """The planned trajectory of each indicator: a straight line from its
        baseline to its target, one value per year (recorded with the plan)."""
        dsi = self.as_(DSI)
        for _code, _label, indicators in D.AXES:
            for icode, _l, _u, baseline, target, target_year in indicators:
                b, t = Decimal(baseline), Decimal(target)
                whole = "." not in baseline + target and abs(t - b) >= 20
                for year in range(2021, target_year + 1):
                    share = Decimal(year - 2020) / Decimal(target_year - 2020)
                    value = (b + (t - b) * share).quantize(
                        Decimal(1) if whole else Decimal("0.1")
                    )
                    self.ledger.measure_indicator(
                        dsi, icode, date(year, 12, 31), value, "planned",
                        f"Trajectoire du SDSI ({year})",
                    )  # fmt: skip

    # The M57 imputation of each project's AP/CP and commitments: appended after
    # everything else so the positions of the earlier events stay where they were.
    M57_LINES = {
        "investissement": (
            ("20", "2051", "020"),
            ("21", "2183", "020"),
            ("23", "2318", "0202"),
        ),
        "fonctionnement": (
            ("011", "6156", "020"),
            ("011", "611", "0202"),
            ("011", "6262", "020"),
        ),
    }

    def impute_budgets(self) -> None:
        """Impute every voted AP/CP (per section) and commitment, deterministically;
        one commitment carries an article outside the shipped nomenclature, to show
        the warning."""
        fin = self.as_(FINANCE)
        warned = False
        for index, item in enumerate(self.items):
            budget = self.ledger.load(ProjectBudget, ProjectBudget.id_for(item.code))
            if budget is None:
                continue
            operation = f"{100 + index}"
            sections = sorted({key.split("/")[1] for key in budget.cp})
            for section in sections:
                chapter, nature, fonction = self.M57_LINES[section][index % 3]
                self.ledger.impute(
                    fin,
                    item.code,
                    {
                        "chapter": chapter,
                        "nature": nature,
                        "fonction": fonction,
                        "operation": operation if section == "investissement" else None,
                    },
                    section=section,
                )
            for ref, c in sorted(budget.commitments.items()):
                chapter, nature, fonction = self.M57_LINES[c["section"]][index % 3]
                if not warned and c["section"] == "fonctionnement":
                    nature, warned = "6288", True
                self.ledger.impute(
                    fin,
                    item.code,
                    {
                        "chapter": chapter,
                        "nature": nature,
                        "fonction": fonction,
                        "operation": operation
                        if c["section"] == "investissement"
                        else None,
                    },
                    commitment=ref,
                )
                self.stats.add("imputations M57")

    def cancel_one(self) -> None:
        """The running project of lowest value is cancelled (with its reason)."""
        running = sorted(
            (i for i in self.items if i.status == "in_progress"),
            key=lambda i: i.quality,
        )
        if running:
            cancelled = self.ledger.cancel_project(
                self.as_(
                    CHAIR,
                    "abandon : solution mutualisée proposée par l'intercommunalité",
                ),
                running[0].code,
            )
            running[0].status = str(cancelled["status"])

    def open_last_session(self, copy: int) -> None:
        """A session under way: agenda, attendance, some votes cast, no decision yet."""
        sfx = self.suffix(copy)
        code = f"COPIL-{LAST_SESSION.isoformat()}{sfx}"
        chair = self.as_(CHAIR)
        agenda = [
            i
            for i in self.items
            if i.code.endswith(sfx)
            and (copy > 1 or "-" not in i.code)
            and i.status == "deferred"
        ]
        self.clock.on(LAST_SESSION - timedelta(days=20))
        self.ledger.convene_session(
            chair,
            code,
            f"Comité de pilotage du SDSI — {LAST_SESSION.strftime('%d/%m/%Y')}",
            LAST_SESSION,
            D.VOTING,
            D.NON_VOTING,
        )
        for item in agenda:
            self.ledger.add_agenda_item(chair, code, item.code)
        self.clock.on(LAST_SESSION)
        self.ledger.open_session(
            chair, code, [m for m in D.VOTING + D.NON_VOTING if m != "elu.simon"]
        )
        for item in agenda[:1]:
            for member in D.VOTING[:3]:
                self.ledger.cast_vote(self.as_(member), code, item.code, "for")
        self.stats.add("séances")


SAMPLE_SETUP = Path(__file__).with_name("sample-setup.xlsx")


def with_copies(rows: dict[str, list[Row]], scale: int) -> dict[str, list[Row]]:
    """The set-up rows of ``scale`` copies of the municipality: each further copy
    ``n`` has its own directions, referents and teams (codes suffixed ``-n``)."""
    out = {sheet: list(found) for sheet, found in rows.items()}
    for copy in range(2, scale + 1):
        for sheet, found in rows.items():
            for row in found:
                cells = _copied(sheet, dict(row.cells), copy)
                if cells is not None:
                    out[sheet].append(Row(sheet, row.number, cells))
    return out


def _copied(sheet: str, c: dict[str, str], copy: int) -> dict[str, str] | None:
    """A row of copy ``copy`` of the municipality (None: shared by every copy)."""
    sfx = f"-{copy}"
    if sheet == "directions":
        return {**c, "code": c["code"] + sfx, "nom": f"{c['nom']} ({copy})"}
    if sheet == "equipes":
        direction = c.get("direction", "")
        return {
            **c,
            "code": c["code"] + sfx,
            "nom": f"{c['nom']} ({copy})",
            "direction": direction + sfx if direction else "",
        }
    if sheet == "capacites":
        return {**c, "equipe": c["equipe"] + sfx}
    if sheet == "comptes" and c["roles"].startswith("referent:"):
        return {**c, "identifiant": c["identifiant"] + sfx, "roles": c["roles"] + sfx}
    return None
