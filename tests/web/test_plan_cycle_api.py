"""The next SDSI cycle through the JSON API, on both backends.

After a first decision (an approved project with 120 000 € of CP this year, 45 000 €
committed), the DSI extends the plan by a year and a referent costs a proposal in
that year; then the next plan is adopted (from next year, before this one ends): the
project carries over with its AP, this year keeps its CP (not over yet, still
executed), the old plan stays readable as it was (``plan=1``), and the views as of
before the new plan equal those taken before it existed — plan block included.
After the adoption, this year is still executed (a commitment, a payment on the
earlier commitment, a DM) and the budget of the plan in force shows it; a proposal
cannot be costed in it any more.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.conftest import ADMIN_PASSWORD
from tests.web.test_first_run_journey import (
    TODAY,
    YEAR,
    Api,
    fresh_site,
    reach_a_first_decision,
    set_up_the_municipality,
)

INV = "investissement"


def views(api: Api, query: str = "") -> dict[str, Any]:
    return {
        name: api.get("fin.perrin", f"/api/v1/{name}{query}").get_json()
        for name in ("portfolio", "budget")
    }


def without_plan(seen: dict[str, Any]) -> dict[str, Any]:
    """The views without the description of the plan they show (which says, now,
    that the plan has ended)."""
    return {
        name: {k: v for k, v in view.items() if k != "plan"}
        for name, view in seen.items()
    }


def cp_lines(budget: dict[str, Any], code: str) -> list[tuple[int, str, str]]:
    return [
        (line["year"], line["section"], line["cp"])
        for line in budget["lines"]
        if line["proposal"] == code
    ]


def test_the_plan_is_extended_then_followed_by_the_next_one(
    tmp_path: Path, database_url: str
) -> None:
    site = fresh_site(tmp_path, database_url)
    api = Api(site)
    try:
        set_up_the_municipality(api)
        reach_a_first_decision(api)
        site.caught_up()
        before_position = site.read_model.current_position()
        before = views(api)
        assert before["budget"]["plan"] == {
            "number": 1,
            "name": "Schéma directeur numérique",
            "first_year": YEAR,
            "last_year": YEAR + 5,
            "current": True,
            "ended_position": None,
            "ended_at": None,
        }

        # Extending: the DSI or the administrator, with a reason; then costed.
        refused = api.post(
            "fin.perrin", "/plan/extend", {"last_year": YEAR + 6, "reason": "x"}, 403
        )
        assert refused["error"]["code"] == "forbidden"
        api.post(
            "dsi.moreau",
            "/plan/extend",
            {"last_year": YEAR + 6, "reason": "délibération du conseil"},
        )
        api.post(
            "ref.edu",
            "/proposals",
            {
                "code": "EDU-LAB",
                "direction": "EDU",
                "title": "Laboratoire numérique",
                "description": "Un fab-lab pour les collèges.",
                "costs": [{"year": YEAR + 6, "section": INV, "amount": "8000.00"}],
            },
        )
        shrink = api.post(
            "dsi.moreau",
            "/plan/extend",
            {"last_year": YEAR + 5, "reason": "retour à 6 ans"},
            409,
        )
        assert shrink["error"]["code"] == "horizon_below_costed"
        assert shrink["error"]["details"]["field"] == "last_year"
        site.caught_up()
        extended_position = site.read_model.current_position()
        extended = views(api)

        # The next plan.
        api.post(  # no reason: refused, nothing written
            "dsi.moreau",
            "/plans",
            {"name": "SDSI 2", "first_year": YEAR + 1, "last_year": YEAR + 7},
            422,
        )
        followed = api.post(
            "dgs.bernard",
            "/plans",
            {
                "name": "Schéma directeur 2",
                "first_year": YEAR + 1,
                "last_year": YEAR + 7,
                "reason": "adopté par le conseil municipal",
            },
        )
        assert followed["result"] == {
            "number": 2,
            "name": "Schéma directeur 2",
            "first_year": YEAR + 1,
            "last_year": YEAR + 7,
            "projects": ["EDU-ENT"],
            "pending": ["EDU-LAB"],
            "grid": 2,
        }
        site.caught_up()

        # The project carried over: AP unchanged, this year's CP stay (not over).
        now = views(api)
        assert now["budget"]["plan"]["number"] == 2
        assert cp_lines(now["budget"], "EDU-ENT") == [(YEAR, INV, "120000.00")]
        project = api.get("fin.perrin", "/api/v1/projects/EDU-ENT/budget").get_json()
        assert project["ap"] == "120000.00"
        assert [(x["year"], x["cp"], x["committed"]) for x in project["lines"]] == [
            (YEAR, "120000.00", "45000.00"),
        ]
        assert sorted(r["code"] for r in now["portfolio"]["proposals"]) == [
            "EDU-ENT",
            "EDU-LAB",
        ]

        # The old plan, as it was when it ended.
        old = views(api, "?plan=1")
        assert old["budget"]["plan"] == {
            **extended["budget"]["plan"],
            "current": False,
            "ended_position": extended_position,
            "ended_at": old["budget"]["plan"]["ended_at"],
        }
        assert old["budget"]["plan"]["ended_at"] is not None
        assert without_plan(old) == without_plan(extended)

        # As of before the new plan: the views as they were then, plan block
        # included (the plan in force at that moment, not ended yet).
        for position, seen in (
            (before_position, before),
            (extended_position, extended),
        ):
            assert views(api, f"?as_of=position:{position}") == seen
            assert views(api, f"?as_of=position:{position}&plan=1") == seen

        unknown = site.app.test_client().get(
            "/api/v1/budget?plan=3", headers=api.tokens["fin.perrin"]
        )
        assert unknown.status_code == 404
        plans = api.get("admin", "/api/v1/plan").get_json()["plans"]
        assert [(p["number"], p["current"]) for p in plans] == [(1, False), (2, True)]

        # The new plan's budget: its first year's envelope, nothing carried into it.
        api.post(
            "fin.perrin",
            "/budget/envelopes",
            {
                "year": YEAR + 1,
                "section": INV,
                "amount": "300000.00",
                "deliberation": f"BP {YEAR + 1}",
                "on": TODAY.isoformat(),
            },
        )
        site.caught_up()
        envelope = next(
            e
            for e in api.get("fin.perrin", "/api/v1/budget").get_json()["envelopes"]
            if e["year"] == YEAR + 1
        )
        assert (envelope["allocated"], envelope["available"]) == (
            "0.00",
            "300000.00",
        )
        export = api.get("fin.perrin", "/exports/budget.csv?plan=1")
        assert "plan-1" in export.headers["Content-Disposition"]
    finally:
        site.close()
        site.ledger.close()


def line(budget: dict[str, Any], code: str, year: int) -> tuple[str, str, str]:
    found = [
        (x["cp"], x["committed"], x["paid"])
        for x in budget["lines"]
        if x["proposal"] == code and x["year"] == year
    ]
    assert len(found) == 1, budget["lines"]
    return found[0]


def test_this_year_is_still_executed_and_shown_after_next_years_plan(
    tmp_path: Path, database_url: str
) -> None:
    """Adopting next year's plan in December closes nothing: commitments, payments
    and DMs on this year go on, and every budget view of the plan in force shows
    them; the plan that ended, read with ``plan=1``, stays as it was."""
    site = fresh_site(tmp_path, database_url)
    api = Api(site)
    try:
        set_up_the_municipality(api)
        reach_a_first_decision(api)
        api.post(
            "dgs.bernard",
            "/plans",
            {
                "name": "Schéma directeur 2",
                "first_year": YEAR + 1,
                "last_year": YEAR + 6,
                "reason": "adopté par le conseil municipal",
            },
        )
        site.caught_up()
        ended = views(api, "?plan=1")
        today = TODAY.isoformat()
        api.post(
            "fin.perrin",
            "/projects/EDU-ENT/commitments",
            {
                "reference": "ENG-2",
                "year": YEAR,
                "section": INV,
                "amount": "10000.00",
                "on": today,
                "supplier": "Intégrateur",
            },
        )
        api.post(
            "fin.perrin",
            "/projects/EDU-ENT/payments",
            {
                "reference": "MAN-1",
                "commitment": "ENG-1",
                "amount": "20000.00",
                "on": today,
            },
        )
        api.post(
            "fin.perrin",
            "/budget/adjustments",
            {
                "year": YEAR,
                "section": INV,
                "delta": "5000.00",
                "deliberation": "DM 2",
                "on": today,
            },
        )
        # Planning stays within the plan in force.
        refused = api.post(
            "ref.edu",
            "/proposals",
            {
                "code": "EDU-OLD",
                "direction": "EDU",
                "title": "Trop tard",
                "description": "Costée dans une année du plan précédent.",
                "costs": [{"year": YEAR, "section": INV, "amount": "1000.00"}],
            },
            422,
        )
        assert refused["error"]["code"] == "year_outside_horizon"
        before_any_plan = api.post(
            "fin.perrin",
            "/projects/EDU-ENT/commitments",
            {
                "reference": "ENG-3",
                "year": YEAR - 1,
                "section": INV,
                "amount": "1.00",
                "on": today,
                "supplier": "Intégrateur",
            },
            422,
        )
        assert before_any_plan["error"]["details"] == {
            "field": "year",
            "year": YEAR - 1,
            "first": YEAR,
            "last": YEAR + 6,
        }
        site.caught_up()

        for query in ("", "?plan=2"):
            budget = views(api, query)["budget"]
            assert budget["plan"]["number"] == 2
            assert line(budget, "EDU-ENT", YEAR) == (
                "120000.00",
                "55000.00",
                "20000.00",
            )
            envelope = next(e for e in budget["envelopes"] if e["year"] == YEAR)
            assert (envelope["dm"], envelope["total"]) == ("5000.00", "505000.00")
        assert views(api, "?plan=1") == ended
        assert line(ended["budget"], "EDU-ENT", YEAR) == (
            "120000.00",
            "45000.00",
            "0.00",
        )
        csv = api.get("fin.perrin", "/exports/budget.csv").get_data(as_text=True)
        old_csv = api.get("fin.perrin", "/exports/budget.csv?plan=1").get_data(
            as_text=True
        )
        project_row = (
            f"Projet;{YEAR};investissement;PSF;Pôle services;EDU;Éducation;A1;EDU-ENT;"
            "Espace numérique de travail;approuvé;120000,00;0,00;120000,00;120000,00;"
            "120000,00;{committed};{paid};{available};non;non;non"
            ";;;;"  # no M57 imputation: chapter, article, fonction, operation empty
        )
        assert (
            project_row.format(
                committed="55000,00", paid="20000,00", available="65000,00"
            )
            in csv.splitlines()
        )
        assert (
            project_row.format(committed="45000,00", paid="0,00", available="75000,00")
            in old_csv.splitlines()
        )
    finally:
        site.close()
        site.ledger.close()


def test_a_withdrawn_draft_no_longer_holds_the_horizon(
    tmp_path: Path, database_url: str
) -> None:
    site = fresh_site(tmp_path, database_url)
    api = Api(site)
    try:
        set_up_the_municipality(api)
        api.post("dsi.moreau", "/plan/extend", {"last_year": YEAR + 9, "reason": "x"})
        api.post(
            "ref.edu",
            "/proposals",
            {
                "code": "EDU-FAR",
                "direction": "EDU",
                "title": "Projet lointain",
                "description": "Costé dans la dernière année.",
                "costs": [{"year": YEAR + 9, "section": INV, "amount": "1000.00"}],
            },
        )
        shorten = {"last_year": YEAR + 5, "reason": "retour à 6 ans"}
        held = api.post("dsi.moreau", "/plan/extend", shorten, 409)
        assert held["error"]["details"] == {
            "field": "last_year",
            "year": YEAR + 5,
            "costed": YEAR + 9,
        }
        api.post("ref.edu", "/proposals/EDU-FAR/withdraw", {"reason": "abandonné"})
        done = api.post("dsi.moreau", "/plan/extend", shorten)
        assert done["result"]["last_year"] == YEAR + 5
    finally:
        site.close()
        site.ledger.close()


def test_extending_before_any_plan_says_none_is_defined(
    tmp_path: Path, database_url: str
) -> None:
    site = fresh_site(tmp_path, database_url)
    api = Api(site)
    try:
        api.sign_in("admin", ADMIN_PASSWORD)
        refused = api.post(
            "admin", "/plan/extend", {"last_year": YEAR + 5, "reason": "x"}, 409
        )
        assert refused["error"]["code"] == "no_plan"
        assert refused["error"]["message"].startswith("Aucun plan n'est défini")
    finally:
        site.close()
        site.ledger.close()
