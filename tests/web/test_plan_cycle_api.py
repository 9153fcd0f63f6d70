"""The next SDSI cycle through the JSON API, on both backends.

After a first decision (an approved project with 120 000 € of CP this year, 45 000 €
committed), the DSI extends the plan by a year and a referent costs a proposal in
that year; then the next plan is adopted: the project carries over with its AP and
exactly its remaining CP (75 000 €, moved to the new first year), the old plan stays
readable as it was (``plan=1``), and the views as of before the new plan equal those
taken before it existed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

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

        # The project carried over: AP unchanged, exactly its remaining CP moved.
        now = views(api)
        assert now["budget"]["plan"]["number"] == 2
        assert cp_lines(now["budget"], "EDU-ENT") == [(YEAR + 1, INV, "75000.00")]
        project = api.get("fin.perrin", "/api/v1/projects/EDU-ENT/budget").get_json()
        assert project["ap"] == "120000.00"
        assert [(x["year"], x["cp"], x["committed"]) for x in project["lines"]] == [
            (YEAR, "45000.00", "45000.00"),
            (YEAR + 1, "75000.00", "0.00"),
        ]
        assert sorted(r["code"] for r in now["portfolio"]["proposals"]) == [
            "EDU-ENT",
            "EDU-LAB",
        ]

        # The old plan, as it was when it ended.
        old = views(api, "?plan=1")
        assert old["budget"]["plan"]["current"] is False
        assert old["budget"]["plan"]["ended_position"] == extended_position
        assert {k: v for k, v in old["budget"].items() if k != "plan"} == {
            k: v for k, v in extended["budget"].items() if k != "plan"
        }
        assert old["portfolio"]["proposals"] == extended["portfolio"]["proposals"]
        assert cp_lines(old["budget"], "EDU-ENT") == [(YEAR, INV, "120000.00")]

        # As of before the new plan: what the views were before it existed.
        for position, seen in ((before_position, before), (extended_position, extended)):
            replayed = views(api, f"?as_of=position:{position}")
            assert without_plan(replayed) == without_plan(seen)
            assert replayed["budget"]["plan"] == old["budget"]["plan"]

        unknown = site.app.test_client().get(
            "/api/v1/budget?plan=3", headers=api.tokens["fin.perrin"]
        )
        assert unknown.status_code == 404
        plans = api.get("admin", "/api/v1/plan").get_json()["plans"]
        assert [(p["number"], p["current"]) for p in plans] == [(1, False), (2, True)]

        # The new plan's budget: its first year's envelope receives the carried CP.
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
            "75000.00",
            "225000.00",
        )
        export = api.get("fin.perrin", "/exports/budget.csv?plan=1")
        assert "plan-1" in export.headers["Content-Disposition"]
    finally:
        site.close()
        site.ledger.close()
