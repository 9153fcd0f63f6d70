"""The grid and plan pages on both backends: roles, weights, diff, as-of, drafting,
criteria, adoption (and its refusals), CSRF."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ledger.app import open_ledger
from ledger.core import Caller
from projections import queries as q
from tests.conftest import make_settings
from tests.web.ui_client import Site, open_site, post_forms, text

PASSWORD = "mot-de-passe-de-test"
USERS = {
    "dsi": ("Nathalie Martin", [("dsi", None)]),
    "chair": ("Hélène Lefebvre", [("chair", None), ("member", None)]),
    "elu": ("Jean Dubois", [("member", None)]),
    "ref": ("Nadia Benali", [("referent", "DSN")]),
    "auditor": ("Paul Mathieu", [("auditor", None)]),
}
SCALE = [
    {"level": 0, "descriptor": "Aucun"},
    {"level": 1, "descriptor": "Faible"},
    {"level": 2, "descriptor": "Fort"},
]


def criterion(code: str, family: str, weight: str, **extra: Any) -> dict[str, Any]:
    label = f"Critère {code}"
    return {
        "code": code,
        "label": label,
        "family": family,
        "weight": weight,
        "scale": SCALE,
        **extra,
    }


V1 = [
    criterion("V-USAG", "value", "60", axis="A1", indicator="A1-I1"),
    criterion("V-EFF", "value", "40"),
    criterion("R-TECH", "risk", "100"),
]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    """A small municipality: plan, organisation, one axis, grid v1 adopted."""
    tmp = tmp_path_factory.mktemp(f"grids-{request.param}")
    if request.param == "sqlite":
        url = f"sqlite:///{tmp}/ledger.db"
    else:
        url = request.getfixturevalue("pg_module_schema_url")
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings, create=True)
    led.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    running = open_site(settings, led)
    admin = Caller(actor="admin", reason="comptes du test")
    dsi = Caller(actor="dsi")
    led.add_user(admin, "dsi", "Nathalie Martin", PASSWORD, roles=[("dsi", None)])
    led.define_plan(dsi, "SDSI 2025-2030", "Ville de Test", 2025, 2030)
    led.schedule_phase(dsi, "cadrage", "2025-01-06", "2025-03-31")
    led.start_phase(dsi, "cadrage", "2025-01-13")
    led.complete_phase(
        Caller(actor="dsi", reason="livrables remis hors outil"),
        "cadrage",
        "2025-04-10",
        override=True,
    )
    led.schedule_phase(dsi, "revue_documentaire", "2025-03-01", "2025-05-31")
    led.create_pole(dsi, "PRS", "Pôle ressources")
    led.create_direction(dsi, "DSN", "Direction du numérique", "PRS")
    led.create_team(
        dsi, "DSI-APPS", "Applications métier", "dsi", None, {2025: 800, 2026: 820}
    )
    led.create_axis(dsi, "A1", "Des services en ligne pour tous")
    led.create_indicator(
        dsi, "A1-I1", "A1", "Démarches en ligne", "%", "35", "90", 2030
    )
    led.measure_indicator(dsi, "A1-I1", "2025-06-30", "41.5")
    for name, (display, roles) in USERS.items():
        if name != "dsi":
            led.add_user(admin, name, display, PASSWORD, roles=roles)
    led.draft_grid(dsi, 1, "Grille 2025", criteria=V1)
    led.adopt_grid(Caller(actor="chair"), 1, "2025-02-01")
    running.caught_up()
    yield running
    running.close()


def draft(site: Site, *extra: dict[str, Any]) -> int:
    """A new draft version copied from v1, plus ``extra`` criteria (by the DSI)."""
    number = max(g["number"] for g in q.grids(site.read_model.store)) + 1
    site.ledger.draft_grid(
        Caller(actor="dsi"),
        number,
        f"Brouillon {number}",
        based_on=1,
        criteria=list(extra),
    )
    site.caught_up()
    return number


def field_error(page: str, field_id: str) -> str:
    """The error message tied to an input by aria-describedby (empty if none)."""
    tag = re.search(rf'<(?:input|textarea|select)[^>]*id="{field_id}"[^>]*>', page)
    assert tag, f"no field {field_id}"
    described = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    if not described:
        return ""
    found = re.search(rf'<p class="error" id="{described.group(1)}">([^<]*)</p>', page)
    return html.unescape(found.group(1)) if found else ""


# --- the grid page --------------------------------------------------------------------


def test_grid_page_renders_for_every_role_with_the_forms_of_each_role(
    site: Site,
) -> None:
    number = draft(site)
    for user in USERS:
        response = site.client(user).get(f"/grille?v={number}")
        assert response.status_code == 200, user
        forms = set(post_forms(response))
        assert ("/grille/versions" in forms) == (user in ("dsi", "chair")), user
        assert (f"/grille/{number}/criteres" in forms) == (user in ("dsi", "chair"))
        assert (f"/grille/{number}/adopter" in forms) == (user == "chair"), user


def test_grid_page_shows_criteria_scales_and_the_weights_of_each_family(
    site: Site,
) -> None:
    response = site.client("elu").get("/grille?v=1")
    body = text(response)
    assert "Version 1 — Grille 2025 Adoptée" in body
    assert "Critères de valeur — poids total 100 %" in body
    assert "Critères de risque — poids total 100 %" in body
    assert "V-USAG Critère V-USAG 60 % 0 — Aucun 1 — Faible 2 — Fort A1 / A1-I1" in body
    assert "R-TECH Critère R-TECH 100 %" in body
    assert post_forms(response) == []


def test_drafting_a_version_copied_from_another_shows_it_after_the_redirect(
    site: Site,
) -> None:
    number = max(g["number"] for g in q.grids(site.read_model.store)) + 1
    head = site.head()
    response = site.client("dsi").post(
        "/grille/versions",
        data={"number": str(number), "label": "Révision 2026", "based_on": "1"},
        follow_redirects=True,
    )
    body = text(response)
    assert response.status_code == 200 and response.history[0].status_code == 302
    assert site.events_since(head) == ["GridVersion.Drafted"]
    assert f"Version {number} de la grille rédigée (brouillon)." in body
    assert f"Version {number} — Révision 2026 Brouillon" in body
    assert "V-USAG Critère V-USAG 60 %" in body  # copied from v1


def test_drafting_a_version_out_of_sequence_is_refused_next_to_its_number(
    site: Site,
) -> None:
    head = site.head()
    response = site.client("dsi").post(
        "/grille/versions", data={"number": "99", "label": "Trop loin"}
    )
    assert response.status_code == 422
    assert field_error(response.get_data(as_text=True), "dr-number") == (
        "Valeur invalide pour « Numéro » : « 99 » (la version 98 n'existe pas)."
    )
    assert site.head() == head


def test_adding_then_replacing_a_criterion_with_its_scale(site: Site) -> None:
    number = draft(site)
    dsi = site.client("dsi")
    new = {
        "code": "V-SOBR",
        "label": "Sobriété numérique",
        "family": "value",
        "weight": "20",
        "axis": "A1",
        "scale-0-level": "1",
        "scale-0-descriptor": "Peu",
        "scale-1-level": "2",
        "scale-1-descriptor": "Moyen",
        "scale-2-level": "3",
        "scale-2-descriptor": "Beaucoup",
    }
    head = site.head()
    added = dsi.post(f"/grille/{number}/criteres", data=new, follow_redirects=True)
    body = text(added)
    assert site.events_since(head) == ["GridVersion.CriterionSet"]
    assert f"Critère V-SOBR enregistré dans la version {number}." in body
    assert "V-SOBR Sobriété numérique 20 % 1 — Peu 2 — Moyen 3 — Beaucoup A1" in body
    assert "poids total 120 % (100 % attendus)" in body

    edit = dsi.get(f"/grille?v={number}&edit=V-SOBR").get_data(as_text=True)
    assert 'id="cr-label" name="label" type="text" value="Sobriété numérique"' in edit
    head = site.head()
    replaced = dsi.post(
        f"/grille/{number}/criteres",
        data={**new, "weight": "12,5"},
        follow_redirects=True,
    )
    assert site.events_since(head) == ["GridVersion.CriterionSet"]
    assert "V-SOBR Sobriété numérique 12,5 %" in text(replaced)
    doc = {g["number"]: g for g in q.grids(site.read_model.store)}[number]
    assert doc["criteria"]["V-SOBR"]["weight"] in ("12.5", "12.50")


def test_a_criterion_with_one_level_and_no_weight_is_refused_next_to_its_fields(
    site: Site,
) -> None:
    number = draft(site)
    head = site.head()
    response = site.client("dsi").post(
        f"/grille/{number}/criteres",
        data={
            "code": "V-X",
            "label": "Incomplet",
            "family": "value",
            "scale-0-level": "1",
            "scale-0-descriptor": "Seul niveau",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error(page, "cr-weight") == "Champ obligatoire."
    assert (
        '<p class="error" id="scale-e">Au moins deux niveaux entiers consécutifs, '
        "chacun avec son descripteur.</p>"
    ) in page
    assert 'value="Incomplet"' in page  # what was typed is kept
    assert site.head() == head


def test_removing_a_criterion(site: Site) -> None:
    number = draft(site)
    head = site.head()
    response = site.client("chair").post(
        f"/grille/{number}/criteres/retirer",
        data={"criterion": "V-EFF"},
        follow_redirects=True,
    )
    assert site.events_since(head) == ["GridVersion.CriterionRemoved"]
    assert f"Critère V-EFF retiré de la version {number}." in text(response)
    assert "poids total 60 % (100 % attendus)" in text(response)


def test_changing_an_adopted_version_is_refused(site: Site) -> None:
    head = site.head()
    response = site.client("dsi").post(
        "/grille/1/criteres/retirer", data={"criterion": "V-EFF"}
    )
    assert response.status_code == 409
    assert "La grille v1 est adoptée : elle ne peut plus être modifiée." in text(
        response
    )
    assert site.head() == head


def test_adopting_a_version_whose_weights_do_not_sum_to_100_is_refused(
    site: Site,
) -> None:
    number = draft(site, criterion("V-SOBR", "value", "20"))
    head = site.head()
    response = site.client("chair").post(
        f"/grille/{number}/adopter", data={"on": "2026-01-15"}
    )
    assert response.status_code == 409
    assert (
        f"Les poids de la famille « valeur » de la grille v{number} totalisent "
        "120,00 %" in text(response)
    )
    assert '<p class="error" id="ad-e">' in response.get_data(as_text=True)
    assert site.head() == head


def test_chair_adopts_a_version_after_a_confirmation(site: Site) -> None:
    number = draft(site)
    chair = site.client("chair")
    page = chair.get(f"/grille?v={number}").get_data(as_text=True)
    assert re.search(
        rf'action="/grille/{number}/adopter"[^>]*data-confirm="Adopter la version '
        rf'{number} \? Elle ne pourra plus être modifiée."',
        page,
    )
    head = site.head()
    response = chair.post(
        f"/grille/{number}/adopter",
        data={"on": "2026-01-15", "reason": "COPIL de janvier"},
        follow_redirects=True,
    )
    assert site.events_since(head) == ["GridVersion.Adopted"]
    assert f"Version {number} adoptée : elle est désormais figée." in text(response)
    assert f"v{number} Brouillon {number} Adoptée le 15 janvier 2026" in text(response)
    assert post_forms(response).count(f"/grille/{number}/criteres") == 0


def test_grid_forms_are_refused_to_roles_without_the_permission(site: Site) -> None:
    number = draft(site)
    head = site.head()
    assert (
        site.client("dsi")
        .post(f"/grille/{number}/adopter", data={"on": "2026-01-15"})
        .status_code
        == 403
    )
    for user in ("elu", "ref", "auditor"):
        client = site.client(user)
        assert client.post("/grille/versions", data={}).status_code == 403
        assert client.post(f"/grille/{number}/criteres", data={}).status_code == 403
    assert site.head() == head


def test_grid_diff_lists_added_removed_and_changed_criteria(site: Site) -> None:
    number = draft(site, criterion("V-SOBR", "value", "20"))
    site.ledger.remove_grid_criterion(Caller(actor="dsi"), number, "V-EFF")
    site.ledger.set_grid_criterion(
        Caller(actor="dsi"), number, criterion("V-USAG", "value", "80")
    )
    site.caught_up()
    response = site.client("ref").get(f"/grille?a=1&b={number}")
    body = text(response)
    assert (
        f"De v1 à v{number} : critères ajoutés Code Libellé Famille Poids "
        "V-SOBR Critère V-SOBR Valeur 20 %"
    ) in body
    assert "Critères retirés Code Libellé Famille Poids V-EFF Critère V-EFF" in body
    assert (
        "Critères modifiés Critère Champ Avant Après V-USAG Axe A1 — "
        "V-USAG Indicateur A1-I1 — V-USAG Poids (%) 60 % 80 %"
    ) in body


def test_grid_page_as_of_shows_the_versions_of_that_moment_without_forms(
    site: Site,
) -> None:
    grid = {g["number"]: g for g in q.grids(site.read_model.store)}[1]
    drafted = grid["drafted_position"]
    response = site.client("chair").get(f"/grille?as_of=position:{drafted}")
    body = text(response)
    assert response.status_code == 200
    assert "Version 1 — Grille 2025 Brouillon" in body
    assert post_forms(response) == []


def test_a_grid_form_without_the_csrf_token_is_refused(site: Site) -> None:
    head = site.head()
    site.app.config["WTF_CSRF_ENABLED"] = True
    try:
        response = site.client("dsi").post(
            "/grille/versions", data={"number": "50", "label": "Sans jeton"}
        )
        assert response.status_code == 400
    finally:
        site.app.config["WTF_CSRF_ENABLED"] = False
    assert site.head() == head


# --- the plan -------------------------------------------------------------------------


def test_plan_page_shows_phases_axes_indicators_and_organisation_for_every_role(
    site: Site,
) -> None:
    for user in USERS:
        response = site.client(user).get("/plan")
        assert response.status_code == 200, user
        assert post_forms(response) == []
    body = text(site.client("ref").get("/plan"))
    assert "SDSI 2025-2030 Collectivité Ville de Test Horizon 2025–2030" in body
    assert (
        "1. Cadrage Réalisée 6 janvier 2025 31 mars 2025 13 janvier 2025 "
        "10 avril 2025 en retard"
    ) in body
    assert "2. Revue documentaire Prévue 1 mars 2025 31 mai 2025 — —" in body
    phases = re.findall(r"\b(\d)\. [A-ZÉ]", body)
    assert phases == ["1", "2", "3", "4", "5", "6"]
    assert (
        "A1-I1 — Démarches en ligne % 35,00 90,00 2030 41,50 % (30 juin 2025)"
    ) in body
    assert "Pôle ressources (PRS) DSN — Direction du numérique" in body
    assert "DSI-APPS — Applications métier DSI — 800 820 — — — —" in body


def test_plan_page_as_of_shows_the_plan_before_the_measurement(site: Site) -> None:
    measured = q.measurements(site.read_model.store, "A1-I1")[0]["position"]
    response = site.client("auditor").get(f"/plan?as_of=position:{measured - 1}")
    assert "A1-I1 — Démarches en ligne % 35,00 90,00 2030 aucune" in text(response)
