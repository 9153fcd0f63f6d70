"""The "Référentiel" pages from an empty ``sdsi init``, on both backends: the
administrator's home is the first-run checklist, every record is created, renamed,
closed and changed through its form (CSRF token and all), each page shows its
history (who, when, why); a refused form shows its error next to the field and
writes nothing; closed records and past moments show no form.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.core import Caller
from projections import reference_queries as rq
from tests.conftest import ADMIN_PASSWORD, make_settings
from tests.web.demo_site import field_error, page
from tests.web.ui_client import Site, open_site, post_forms, text

PASSWORD = "mot-de-passe-solide-1"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    """An empty ledger as `sdsi init` leaves it, behind the app (CSRF on)."""
    from ledger.app import open_ledger
    from ledger.keys import ensure_signing_key

    tmp: Path = tmp_path_factory.mktemp(f"ref-{request.param}")
    url = (
        f"sqlite:///{tmp}/ledger.db"
        if request.param == "sqlite"
        else str(request.getfixturevalue("pg_module_schema_url"))
    )
    settings = make_settings(tmp / "data", url)
    ensure_signing_key(settings)
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", ADMIN_PASSWORD)
    running = open_site(settings, ledger, WTF_CSRF_ENABLED=True)
    yield running
    running.close()
    ledger.close()


class Browser:
    """The administrator's browser: signed in through the login form, each form sent
    with the CSRF token of the page it is on."""

    def __init__(self, site: Site, username: str, password: str) -> None:
        self.site = site
        self.client = site.app.test_client()
        login = self.client.get("/connexion")
        response = self.client.post(
            "/connexion",
            data={
                "username": username,
                "password": password,
                "csrf_token": token(login),
            },
        )
        assert response.status_code == 302, text(response)

    def get(self, url: str) -> Any:
        response = self.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return response

    def send(
        self, where: str, action: str, data: dict[str, Any], status: int = 302
    ) -> Any:
        form = self.get(where)
        assert action in post_forms(form), (action, post_forms(form))
        response = self.client.post(action, data={**data, "csrf_token": token(form)})
        assert response.status_code == status, (action, text(response)[:800])
        if status == 302:
            self.site.caught_up()
        return response


def token(response: Any) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page(response))
    assert found, "no CSRF token in the page"
    return found.group(1)


@pytest.fixture(scope="module")
def admin(site: Site) -> Browser:
    return Browser(site, "admin", ADMIN_PASSWORD)


def checklist(site: Site) -> dict[str, str]:
    return {k: v["state"] for k, v in rq.setup_checklist(site.read_model.store).items()}


def test_the_administrator_s_home_is_the_first_run_checklist(
    site: Site, admin: Browser
) -> None:
    home = admin.get("/")
    body = text(home)
    assert "Mise en service de la collectivité" in body
    assert "0 étape(s) sur 9 terminée(s)." in body
    links = re.findall(
        r'<li>\s*<span class="check todo">(?:(?!</li>).)*?<a href="([^"]+)"',
        page(home),
        re.S,
    )
    assert links == [
        "/referentiel/collectivite",
        "/referentiel/plan",
        "/referentiel/poles",
        "/referentiel/equipes",
        "/referentiel/axes",
        "/grille",
        "/admin/comptes",
        "/referentiel/copil",
    ]  # the budget's page is finance's: named, not linked
    for link in links:
        admin.get(link)
    assert "Premières enveloppes budgétaires (BP) (par un autre rôle)" in body


def test_a_refused_form_shows_its_error_next_to_the_field_and_writes_nothing(
    site: Site, admin: Browser
) -> None:
    head = site.head()
    refused = admin.send(
        "/referentiel/collectivite",
        "/referentiel/collectivite",
        {"name": "Ville de Paris", "siren": "217 500 017", "insee": "20056"},
        status=422,
    )
    assert field_error(page(refused), "define-siren").startswith(
        "Valeur invalide pour « SIREN » : « 217500017 » (SIREN invalide"
    )
    assert "Le formulaire contient des erreurs" not in page(refused)  # a domain refusal
    assert site.head() == head
    refused = admin.send(
        "/referentiel/collectivite",
        "/referentiel/collectivite",
        {"name": "Ville de Paris", "siren": "217500016", "insee": "20056"},
        status=422,
    )
    assert "code commune INSEE" in field_error(page(refused), "define-insee")
    assert site.head() == head


def test_the_administrator_sets_the_municipality_up_through_the_forms(
    site: Site, admin: Browser
) -> None:
    head = site.head()
    admin.send(
        "/referentiel/collectivite",
        "/referentiel/collectivite",
        {"name": "Ville de Paris", "siren": "217 500 016", "insee": "75056"},
    )
    admin.send(
        "/referentiel/collectivite",
        "/referentiel/collectivite/modifier",
        {
            "name": "Ville de Paris",
            "siren": "217500016",
            "siret": "21750001600019",
            "insee": "75056",
            "reason": "SIRET du siège",
        },
    )
    admin.send(
        "/referentiel/plan",
        "/referentiel/plan",
        {"name": "SDSI", "first_year": "2026", "last_year": "2031"},
    )
    admin.send(
        "/referentiel/plan",
        "/referentiel/plan/phases/cadrage/planifier",
        {"planned_start": "2026-01-05", "planned_end": "2026-03-31"},
    )
    admin.send(
        "/referentiel/poles",
        "/referentiel/poles",
        {"code": "PRS", "name": "Pôle Ressources"},
    )
    admin.send(
        "/referentiel/poles",
        "/referentiel/poles",
        {"code": "PSP", "name": "Pôle Services"},
    )
    for code, name in (("FIN", "Finances"), ("EDU", "Éducation")):
        admin.send(
            "/referentiel/directions",
            "/referentiel/directions",
            {"code": code, "name": name, "pole": "PRS"},
        )
    admin.send(
        "/referentiel/equipes",
        "/referentiel/equipes",
        {
            "code": "DSI-APP",
            "name": "Applications",
            "kind": "dsi",
            "capacity-2026": "200",
            "capacity-2027": "210",
        },
    )
    admin.send(
        "/referentiel/axes",
        "/referentiel/axes",
        {"code": "A1", "label": "Services en ligne"},
    )
    admin.send(
        "/referentiel/axes/A1",
        "/referentiel/axes/A1/indicateurs",
        {
            "code": "A1-I1",
            "label": "Démarches en ligne",
            "unit": "%",
            "baseline": "35",
            "target": "80",
            "target_year": "2031",
        },
    )
    admin.send(
        "/referentiel/indicateurs/A1-I1",
        "/referentiel/indicateurs/A1-I1/cibles",
        {"year": "2028", "value": "55,5"},
    )
    assert site.events_since(head) == [
        "Municipality.Defined",
        "Municipality.Changed",
        "Plan.Defined",
        "Plan.PhaseScheduled",
        "Pole.Created",
        "Pole.Created",
        "Pole.DirectionAttached",
        "Direction.Created",
        "Pole.DirectionAttached",
        "Direction.Created",
        "Team.Created",
        "Team.CapacitySet",
        "Team.CapacitySet",
        "Axis.Created",
        "Axis.IndicatorAttached",
        "Indicator.Created",
        "Indicator.TargetSet",
    ]
    body = text(admin.get("/referentiel/collectivite"))
    assert "SIRET du siège 21750001600019" in body
    assert "Modification SIRET du siège SIRET : — → 21750001600019" in body
    indicator = text(admin.get("/referentiel/indicateurs/A1-I1"))
    assert "2028 55,50 % 2031 80,00 %" in indicator
    assert checklist(site)["municipality"] == "done"
    assert checklist(site)["organisation"] == "done"


def test_renaming_moving_and_closing_record_who_when_and_why(
    site: Site, admin: Browser
) -> None:
    refused = admin.send(
        "/referentiel/directions/EDU",
        "/referentiel/directions/EDU/renommer",
        {"name": "Éducation et jeunesse"},
        status=422,
    )
    assert field_error(page(refused), "rename-reason") == "Champ obligatoire."
    admin.send(
        "/referentiel/directions/EDU",
        "/referentiel/directions/EDU/renommer",
        {"name": "Éducation et jeunesse", "reason": "nouvel organigramme"},
    )
    admin.send(
        "/referentiel/directions/EDU",
        "/referentiel/directions/EDU/rattacher",
        {"pole": "PSP", "reason": "nouvel organigramme"},
    )
    refused = admin.send(
        "/referentiel/poles/PRS",
        "/referentiel/poles/PRS/fermer",
        {"reason": "fusion des pôles"},
        status=409,
    )
    assert field_error(page(refused), "close-reason") == (
        "Le pôle PRS a encore des directions ouvertes (FIN) : rattachez-les à un "
        "autre pôle ou fermez-les d'abord."
    )
    admin.send(
        "/referentiel/directions/FIN",
        "/referentiel/directions/FIN/fermer",
        {"reason": "fusion"},
    )
    admin.send(
        "/referentiel/poles/PRS",
        "/referentiel/poles/PRS/fermer",
        {"reason": "fusion des pôles"},
    )
    pole = admin.get("/referentiel/poles/PRS")
    assert post_forms(pole) == []  # closed: kept, shown, no longer changed
    body = text(pole)
    assert "Hors service depuis le" in body
    assert re.search(
        r"#\d+ .* \d\d:\d\d:\d\d admin Fermeture fusion des pôles Statut : Ouverte → Close",
        body,
    )
    direction = text(admin.get("/referentiel/directions/EDU"))
    assert "Pôle PSP" in direction
    assert (
        "admin Rattachement à un autre pôle nouvel organigramme Pôle : PRS → PSP"
        in direction
    )
    assert (
        "admin Renommage nouvel organigramme Nom : Éducation → Éducation et jeunesse"
        in direction
    )


def test_the_copil_is_composed_from_accounts_and_feeds_convening(
    site: Site, admin: Browser
) -> None:
    for login, roles in (
        ("dgs.b", ["chair", "member"]),
        ("elu.r", ["member"]),
        ("dsi.m", ["dsi"]),
    ):
        site.ledger.add_user(
            Caller("admin", reason="tests"),
            login,
            login.upper(),
            PASSWORD,
            roles=[(r, None) for r in roles],
        )
    site.caught_up()
    refused = admin.send(
        "/referentiel/copil",
        "/referentiel/copil",
        {"username": "dsi.m", "kind": "dsi", "voting": "on"},
        status=422,
    )
    assert "un membre votant a le rôle membre du COPIL ou président" in field_error(
        page(refused), "appoint-voting"
    )
    admin.send(
        "/referentiel/copil",
        "/referentiel/copil",
        {"username": "dgs.b", "kind": "dgs", "voting": "on"},
    )
    admin.send(
        "/referentiel/copil",
        "/referentiel/copil",
        {"username": "elu.r", "kind": "elu", "voting": "on"},
    )
    admin.send(
        "/referentiel/copil", "/referentiel/copil", {"username": "dsi.m", "kind": "dsi"}
    )
    admin.send(
        "/referentiel/copil",
        "/referentiel/copil/elu.r/modifier",
        {"kind": "elu", "reason": "suppléant"},
    )
    body = text(admin.get("/referentiel/copil"))
    assert "DGS.B (dgs.b) DGS votant" in body
    assert "ELU.R (elu.r) Élu non votant" in body
    assert "DSI.M (dsi.m) DSI non votant" in body
    chair = Browser(site, "dgs.b", PASSWORD)
    sessions = page(chair.get("/seances"))
    seats = re.findall(r'name="seat-([^"]+)"', sessions)
    assert sorted(set(seats)) == ["dgs.b", "dsi.m", "elu.r"]
    assert checklist(site)["committee"] == "done"


def test_past_moments_show_the_records_as_they_were_and_no_form(
    site: Site, admin: Browser
) -> None:
    first = rq.history(site.read_model.store, "Direction", "EDU")[-1]["position"]
    past = admin.get(f"/referentiel/directions/EDU?as_of=position:{first}")
    assert post_forms(past) == []
    assert "Direction EDU — Éducation" in text(past)
    assert "Pôle PRS" in text(past)
