"""Administration pages on both backends: accounts and the grant history for the
administrator only; creating accounts, granting, revoking and disabling — each an
event with its reason, shown on the next page; refusals in French, nothing written."""

from __future__ import annotations

import pytest

from projections import queries as q
from tests.web.demo_site import ADMIN, BY_ROLE, field_error, page, shared_site
from tests.web.ui_client import Site, post_forms, text


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def new_account(site: Site, username: str, *roles: str, referent: str = "") -> None:
    response = site.client(ADMIN).post(
        "/admin/comptes/nouveau",
        data={
            "username": username,
            "display_name": f"Agent {username}",
            "email": f"{username}@example.org",
            "password": "un-mot-de-passe-sûr",
            "roles": list(roles),
            "referent": referent,
            "reason": "recrutement",
        },
    )
    assert response.status_code == 302, text(response)


def test_accounts_page_is_for_the_administrator_only(site: Site) -> None:
    for role, user in BY_ROLE.items():
        for url in (
            "/admin/comptes",
            "/admin/comptes/nouveau",
            f"/admin/comptes/{user}",
        ):
            response = site.client(user).get(url)
            assert response.status_code == (200 if role == "admin" else 403), (
                role,
                url,
            )
    body = text(site.client(ADMIN).get("/admin/comptes"))
    assert "Martine Garnier" in body and "Finances" in body
    # the reason of the demo's grants: the import of its set-up file
    assert "Import du fichier de paramétrage sample-setup.xlsx" in body


def test_creating_an_account_records_it_with_its_roles_and_reason(site: Site) -> None:
    head = site.head()
    new_account(site, "agent.nouveau", "evaluator", referent="EDU")
    events = site.events_since(head)
    assert events[0] == "Account.Registered"
    assert events.count("Account.RoleGranted") == 2
    account = q.account(site.read_model.store, "agent.nouveau")
    assert account is not None
    assert sorted(account["roles"]) == ["evaluator", "referent:EDU"]
    body = text(site.client(ADMIN).get("/admin/comptes/agent.nouveau"))
    assert "Évaluateur" in body and "Référent numérique (EDU)" in body
    assert "recrutement" in body


def test_account_creation_refusals_are_next_to_their_field(site: Site) -> None:
    client = site.client(ADMIN)
    head = site.head()
    taken = client.post(
        "/admin/comptes/nouveau",
        data={
            "username": "fin.garnier",
            "display_name": "Doublon",
            "password": "un-mot-de-passe-sûr",
        },
    )
    assert taken.status_code == 409
    assert field_error(page(taken), "f-username") == "Compte existe déjà : fin.garnier."
    weak = client.post(
        "/admin/comptes/nouveau",
        data={"username": "x", "display_name": "", "password": "court"},
    )
    assert weak.status_code == 422
    body = page(weak)
    assert field_error(body, "f-username") == "De 2 à 40 caractères."
    assert field_error(body, "f-display_name") == "Champ obligatoire."
    assert field_error(body, "f-password") == "De 10 à 200 caractères."
    unknown = client.post(
        "/admin/comptes/nouveau",
        data={
            "username": "agent.inconnu",
            "display_name": "Agent",
            "password": "un-mot-de-passe-sûr",
            "referent": "NOPE",
        },
    )
    assert unknown.status_code == 404
    assert field_error(page(unknown), "f-referent") == "Direction introuvable : NOPE."
    assert site.head() == head


def test_granting_a_referent_role_for_a_direction_is_shown_in_the_history(
    site: Site,
) -> None:
    new_account(site, "agent.grant", "member")
    client = site.client(ADMIN)
    head = site.head()
    response = client.post(
        "/admin/comptes/agent.grant/attribuer",
        data={
            "role": "referent",
            "scope": "VOI",
            "reason": "nouvelle référente voirie",
        },
    )
    assert response.status_code == 302
    assert site.events_since(head) == ["Account.RoleGranted"]
    history = text(client.get("/admin/comptes"))
    assert (
        "Attribution Référent numérique (VOI) admin.sdsi nouvelle référente voirie"
        in (history)
    )


def test_grant_refusals_are_french_and_write_nothing(site: Site) -> None:
    new_account(site, "agent.refus", "evaluator")
    client = site.client(ADMIN)
    head = site.head()
    no_scope = client.post(
        "/admin/comptes/agent.refus/attribuer", data={"role": "referent", "reason": "x"}
    )
    assert no_scope.status_code == 422
    assert "le rôle référent exige une direction" in field_error(
        page(no_scope), "grant-scope"
    )
    no_reason = client.post(
        "/admin/comptes/agent.refus/attribuer", data={"role": "dsi", "reason": ""}
    )
    assert field_error(page(no_reason), "grant-reason") == "Champ obligatoire."
    twice = client.post(
        "/admin/comptes/agent.refus/attribuer",
        data={"role": "evaluator", "reason": "x"},
    )
    assert twice.status_code == 409
    assert field_error(page(twice), "grant-role") == (
        "agent.refus a déjà le rôle evaluator."
    )
    assert site.head() == head


def test_revoking_a_role_needs_a_reason_and_is_recorded(site: Site) -> None:
    new_account(site, "agent.retrait", "finance", "auditor")
    client = site.client(ADMIN)
    head = site.head()
    refused = client.post(
        "/admin/comptes/agent.retrait/retirer", data={"grant": "finance", "reason": ""}
    )
    assert refused.status_code == 422
    assert field_error(page(refused), "revoke-reason") == "Champ obligatoire."
    not_held = client.post(
        "/admin/comptes/agent.retrait/retirer", data={"grant": "dsi", "reason": "x"}
    )
    assert field_error(page(not_held), "revoke-grant") == (
        "agent.retrait n'a pas le rôle dsi."
    )
    assert site.head() == head
    done = client.post(
        "/admin/comptes/agent.retrait/retirer",
        data={"grant": "finance", "reason": "changement de service"},
    )
    assert done.status_code == 302
    assert site.events_since(head) == ["Account.RoleRevoked"]
    body = text(client.get("/admin/comptes/agent.retrait"))
    assert "Retrait Finances admin.sdsi changement de service" in body
    assert q.account(site.read_model.store, "agent.retrait")["roles"] == ["auditor"]


def test_a_disabled_account_can_no_longer_sign_in(site: Site) -> None:
    new_account(site, "agent.depart", "auditor")
    assert site.client("agent.depart").get("/budget").status_code == 200
    client = site.client(ADMIN)
    head = site.head()
    refused = client.post("/admin/comptes/agent.depart/desactiver", data={"reason": ""})
    assert field_error(page(refused), "disable-reason") == "Champ obligatoire."
    assert site.head() == head
    done = client.post(
        "/admin/comptes/agent.depart/desactiver", data={"reason": "départ en retraite"}
    )
    assert done.status_code == 302
    assert site.events_since(head) == ["Account.Disabled"]
    body = text(client.get("/admin/comptes/agent.depart"))
    assert "Désactivé" in body and "départ en retraite" in body
    assert site.client("agent.depart").get("/budget").status_code == 302  # to login


def test_accounts_as_of_a_past_moment_show_the_older_state_without_forms(
    site: Site,
) -> None:
    new_account(site, "agent.passe", "member")
    grant = [g for g in q.grants(site.read_model.store, "agent.passe")][-1]
    client = site.client(ADMIN)
    before = client.get(f"/admin/comptes?as_of=position:{grant['position'] - 5}")
    assert before.status_code == 200
    assert "agent.passe" not in text(before)
    now = client.get("/admin/comptes/agent.passe")
    assert len(post_forms(now)) == 6  # grant, revoke, disable, address, erase, password
    past = client.get(f"/admin/comptes/agent.passe?as_of=position:{grant['position']}")
    assert post_forms(past) == []
