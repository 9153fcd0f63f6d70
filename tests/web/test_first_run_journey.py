"""A municipality from zero, through the JSON API only, on both backends.

From an empty ledger as ``sdsi init`` leaves it (one administrator, no demo), the
administrator sets everything up through ``/api/v1`` — the municipality, the accounts,
the plan and its phases, pôles, directions, teams and their capacity, axes,
indicators and their targets, the COPIL's composition — then the DSI moves phases
forward and drafts the grid, the chair adopts it, finance votes the envelope, the
referent drafts and submits a proposal, the DSI qualifies it, the evaluators score
it, the chair convenes the COPIL from its composition, the members vote, the chair
decides and closes the session, finance records a commitment, and the minutes PDF
and the budget export are downloaded. Every step answers 201; the checklist of the
first run ends all done; closing a direction keeps its proposal and refuses new ones.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from projections import reference_queries as rq
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.web.ui_client import Site, open_site

PASSWORD = "mot-de-passe-solide-1"
TODAY = datetime.now(UTC).date()
YEAR = TODAY.year  # the plan starts this year: what is recorded now is inside it
PHASES = (
    "cadrage",
    "revue_documentaire",
    "alignement_strategique",
    "diagnostic_si",
    "evolutions_demandees",
    "plan_strategique_numerique",
)
CRITERIA = [
    {
        "code": code,
        "label": label,
        "family": family,
        "weight": weight,
        "scale": [{"level": n, "descriptor": f"niveau {n}"} for n in range(1, 5)],
    }
    for code, label, family, weight in (
        ("VAL", "Valeur pour les usagers", "value", "60"),
        ("ALI", "Alignement stratégique", "value", "40"),
        ("RIS", "Risque de réalisation", "risk", "100"),
    )
]


class Api:
    """The JSON API as each person uses it: a bearer token per login."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.client = site.app.test_client()
        self.tokens: dict[str, dict[str, str]] = {}

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        response = self.client.post(
            "/api/v1/auth/token", json={"username": username, "password": password}
        )
        assert response.status_code == 200, response.get_json()
        self.tokens[username] = {
            "Authorization": f"Bearer {response.get_json()['token']}"
        }

    def send(
        self, who: str, method: str, path: str, body: dict[str, Any], status: int = 201
    ) -> dict[str, Any]:
        response = self.client.open(
            "/api/v1" + path, method=method, json=body, headers=self.tokens[who]
        )
        assert response.status_code == status, (who, method, path, response.get_json())
        return response.get_json()  # type: ignore[no-any-return]

    def post(self, who: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
        return self.send(who, "POST", path, body, status)

    def put(self, who: str, path: str, body: dict[str, Any], status: int = 201) -> Any:
        return self.send(who, "PUT", path, body, status)

    def get(self, who: str, path: str) -> Any:
        response = self.client.get(path, headers=self.tokens[who])
        assert response.status_code == 200, (who, path, response.status_code)
        return response


def fresh_site(tmp: Path, database_url: str) -> Site:
    """The app over a ledger as `sdsi init` leaves it: one administrator, no demo."""
    from ledger.app import open_ledger
    from ledger.keys import ensure_signing_key

    settings = make_settings(tmp / "data", database_url)
    ensure_signing_key(settings)
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    return open_site(settings, ledger)


def set_up_the_municipality(api: Api) -> None:
    """The administrator: municipality, accounts, plan, organisation, strategy, COPIL."""
    api.sign_in("admin", ADMIN_PASSWORD)
    town = api.post(
        "admin",
        "/municipality",
        {
            "name": "Ville de Paris",
            "siren": "217 500 016",
            "siret": "21750001600019",
            "insee": "75056",
        },
    )
    assert town["result"]["siren"] == "217500016"
    for login, name, roles in (
        ("dsi.moreau", "Claire Moreau", ["dsi"]),
        ("dgs.bernard", "Paul Bernard", ["chair", "member"]),
        ("elu.roche", "Anne Roche", ["member"]),
        ("elu.faure", "Marc Faure", ["member"]),
        ("eval.leroy", "Inès Leroy", ["evaluator"]),
        ("eval.noel", "Yann Noël", ["evaluator"]),
        ("fin.perrin", "Lise Perrin", ["finance"]),
    ):
        api.post(
            "admin",
            "/accounts",
            {
                "username": login,
                "display_name": name,
                "password": PASSWORD,
                "roles": roles,
            },
        )
    plan = api.post(
        "admin",
        "/plan",
        {
            "name": "Schéma directeur numérique",
            "first_year": YEAR,
            "last_year": YEAR + 5,
        },
    )
    assert plan["result"] == {
        "name": "Schéma directeur numérique",
        "first_year": YEAR,
        "last_year": YEAR + 5,
    }
    for i, phase in enumerate(PHASES):
        api.post(
            "admin",
            f"/plan/phases/{phase}/schedule",
            {
                "planned_start": f"{YEAR}-{i + 1:02d}-01",
                "planned_end": f"{YEAR}-{i + 2:02d}-28",
            },
        )
    api.post("admin", "/organisation/poles", {"code": "PSF", "name": "Pôle services"})
    for code, name in (("EDU", "Éducation"), ("CIT", "Citoyenneté")):
        api.post(
            "admin",
            "/organisation/directions",
            {"code": code, "name": name, "pole": "PSF"},
        )
    capacity = {str(y): 200 for y in range(YEAR, YEAR + 6)}
    api.post(
        "admin",
        "/organisation/teams",
        {
            "code": "DSI-APP",
            "name": "Applications",
            "kind": "dsi",
            "capacity": capacity,
        },
    )
    api.put(
        "admin",
        f"/organisation/teams/DSI-APP/capacity/{YEAR + 1}",
        {"days": 180, "reason": "départ en retraite"},
    )
    api.post("admin", "/axes", {"code": "A1", "label": "Services en ligne"})
    api.post(
        "admin",
        "/axes/A1/indicators",
        {
            "code": "A1-I1",
            "label": "Démarches en ligne",
            "unit": "%",
            "baseline": "35",
            "target": 80,
            "target_year": YEAR + 5,
        },
    )
    api.put("admin", f"/indicators/A1-I1/targets/{YEAR + 2}", {"value": "55.5"})
    for login, name in (("ref.edu", "Léa Martin"), ("ref.cit", "Hugo Blanc")):
        direction = login.split(".")[1].upper()
        api.post(
            "admin",
            "/accounts",
            {
                "username": login,
                "display_name": name,
                "password": PASSWORD,
                "roles": [f"referent:{direction}"],
            },
        )
    for login, kind, voting in (
        ("dgs.bernard", "dgs", True),
        ("elu.roche", "elu", True),
        ("elu.faure", "elu", True),
        ("dsi.moreau", "dsi", False),
    ):
        api.post(
            "admin",
            "/committee/members",
            {"username": login, "kind": kind, "voting": voting},
        )
    for login in (
        "dsi.moreau", "dgs.bernard", "elu.roche", "elu.faure", "eval.leroy",
        "eval.noel", "fin.perrin", "ref.edu", "ref.cit",
    ):  # fmt: skip
        api.sign_in(login)


def reach_a_first_decision(api: Api) -> None:
    """Grid, envelope, a proposal from draft to decision, a commitment."""
    api.post("dsi.moreau", "/plan/phases/cadrage/start", {"on": TODAY.isoformat()})
    api.post(
        "dsi.moreau",
        "/plan/phases/cadrage/complete",
        {
            "on": TODAY.isoformat(),
            "without_deliverables": True,
            "reason": "cadrage sur papier",
        },
    )
    api.post(
        "dsi.moreau",
        "/grids",
        {"number": 1, "label": "Grille initiale", "criteria": CRITERIA},
    )
    api.post(
        "dgs.bernard",
        "/grids/1/adopt",
        {"on": TODAY.isoformat(), "reason": "adoptée en COPIL"},
    )
    api.post(
        "fin.perrin",
        "/budget/envelopes",
        {
            "year": YEAR,
            "section": "investissement",
            "amount": "500000.00",
            "deliberation": f"BP {YEAR}",
            "on": TODAY.isoformat(),
        },
    )
    api.post(
        "ref.edu",
        "/proposals",
        {
            "code": "EDU-ENT",
            "direction": "EDU",
            "title": "Espace numérique de travail",
            "description": "Un ENT pour les écoles élémentaires.",
            "axes": [{"axis": "A1", "indicator": "A1-I1", "expected_effect": "+5 %"}],
            "costs": [
                {"year": YEAR, "section": "investissement", "amount": "120000.00"}
            ],
        },
    )
    api.post("ref.edu", "/proposals/EDU-ENT/submit", {})
    api.post(
        "dsi.moreau",
        "/proposals/EDU-ENT/qualify",
        {
            "costs": [
                {"year": YEAR, "section": "investissement", "amount": "120000.00"}
            ],
            "workloads": [{"team": "DSI-APP", "year": YEAR, "days": 60}],
            "risks": [{"label": "Adhésion des écoles", "level": 2}],
        },
    )
    for evaluator, levels in (("eval.leroy", (4, 3, 2)), ("eval.noel", (3, 3, 1))):
        api.post(
            evaluator,
            "/proposals/EDU-ENT/scores",
            {
                "revision": 1,
                "grid_version": 1,
                "scores": {
                    c["code"]: {"level": level, "justification": "vu en revue"}
                    for c, level in zip(CRITERIA, levels, strict=True)
                },
            },
        )
    convened = {
        "code": "COPIL-1",
        "title": "Premier COPIL",
        "on": TODAY.isoformat(),
        "voting": ["dgs.bernard", "elu.roche", "elu.faure"],
        "non_voting": ["dsi.moreau"],
    }
    refused = api.post(
        "dgs.bernard",
        "/sessions",
        {**convened, "voting": [*convened["voting"], "fin.perrin"]},
        status=422,
    )
    assert refused["error"]["details"]["field"] == "voting"
    api.post("dgs.bernard", "/sessions", convened)
    api.post("dgs.bernard", "/sessions/COPIL-1/agenda", {"proposal": "EDU-ENT"})
    api.post(
        "dgs.bernard",
        "/sessions/COPIL-1/open",
        {"present": ["dgs.bernard", "elu.roche", "elu.faure", "dsi.moreau"]},
    )
    for member in ("dgs.bernard", "elu.roche", "elu.faure"):
        api.post(
            member, "/sessions/COPIL-1/votes", {"proposal": "EDU-ENT", "choice": "for"}
        )
    decision = api.post(
        "dgs.bernard",
        "/sessions/COPIL-1/decisions",
        {
            "proposal": "EDU-ENT",
            "outcome": "approved",
            "rationale": "Priorité du mandat.",
            "ap_amount": "120000.00",
            "cp": [{"year": YEAR, "section": "investissement", "amount": "120000.00"}],
        },
    )
    assert decision["result"]["outcome"] == "approved"
    assert decision["result"]["votes_for"] == 3
    api.post("dgs.bernard", "/sessions/COPIL-1/close", {})
    api.post(
        "fin.perrin",
        "/projects/EDU-ENT/commitments",
        {
            "reference": "ENG-1",
            "year": YEAR,
            "section": "investissement",
            "amount": "45000.00",
            "on": TODAY.isoformat(),
            "supplier": "Éditeur ENT",
        },
    )


def test_a_municipality_from_zero_reaches_its_first_decision_through_the_api(
    tmp_path: Path, database_url: str
) -> None:
    site = fresh_site(tmp_path, database_url)
    api = Api(site)
    try:
        set_up_the_municipality(api)
        reach_a_first_decision(api)
        site.caught_up()

        minutes = api.get("dgs.bernard", "/exports/minutes.pdf?session=COPIL-1")
        assert minutes.mimetype == "application/pdf"
        assert minutes.get_data().startswith(b"%PDF")
        budget = api.get("fin.perrin", "/exports/budget.csv").get_data(as_text=True)
        line = next(ln for ln in budget.splitlines() if ";EDU-ENT;" in ln)
        assert line.split(";")[11:19] == [
            "120000,00", "0,00", "120000,00", "120000,00", "120000,00",
            "45000,00", "0,00", "75000,00",
        ]  # fmt: skip

        opendata = api.get("ref.edu", "/exports/opendata.json").get_data()
        with zipfile.ZipFile(io.BytesIO(opendata)) as bundle:
            meta = json.loads(bundle.read("budget.json"))["meta"]
        assert (
            meta["publisher"],
            meta["publisher_siren"],
            meta["publisher_insee"],
        ) == (
            "Ville de Paris",
            "217500016",
            "75056",
        )

        checklist = rq.setup_checklist(site.read_model.store)
        assert {k: v["state"] for k, v in checklist.items()} == {
            k: "done" for k in checklist
        }
        direction = api.get("admin", "/api/v1/organisation/directions/EDU").get_json()
        assert direction["referents"] == [
            {"username": "ref.edu", "display_name": "Léa Martin"}
        ]
        assert direction["proposals"] == ["EDU-ENT"]
        assert [
            (g["username"], g["action"], g["actor"])
            for g in direction["referent_grants"]
        ] == [("ref.edu", "grant", "admin")]
        seen_by_referent = api.get("ref.edu", "/api/v1/organisation/directions/EDU")
        assert seen_by_referent.get_json()["referent_grants"] == []
        team = api.get("admin", "/api/v1/organisation/teams/DSI-APP").get_json()
        assert team["capacity"][str(YEAR + 1)] == 180
        changed = [
            (c["field"], c["new"], e["reason"], e["actor"])
            for e in team["history"]
            if e["event_type"] == "Team.CapacitySet"
            for c in e["changes"]
            if c["field"] == "days"
        ]
        assert changed[0] == ("days", 180, "départ en retraite", "admin")

        # Closing a direction keeps its proposal and its history; it takes no new one.
        api.post("admin", "/organisation/directions/EDU/close", {"reason": "fusion"})
        refused = api.post(
            "ref.edu",
            "/proposals",
            {"code": "EDU-2", "direction": "EDU", "title": "T", "description": "D"},
            status=409,
        )
        assert refused["error"]["code"] == "record_closed"
        assert refused["error"]["details"]["field"] == "direction"
        site.caught_up()
        closed = api.get("admin", "/api/v1/organisation/directions/EDU").get_json()
        assert (closed["status"], closed["proposals"]) == ("closed", ["EDU-ENT"])
        assert [e["event_type"] for e in closed["history"]][:1] == ["Direction.Closed"]
        assert api.get("ref.edu", "/api/v1/proposals/EDU-ENT").get_json()["status"] == (
            "approved"
        )
    finally:
        site.close()
        site.ledger.close()
