"""Budget pages on both backends: roles, totals that reconcile, as-of, and every
finance form's happy path (read-your-writes) and refusals (French, nothing written)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from projections import queries as q
from projections.budget_report import (
    by_key,
    by_year_section,
    grouped_lines,
    projects,
    reconciled,
)
from projections.paging import Page
from tests.web.demo_site import (
    BY_ROLE,
    CHAIR,
    DSI,
    FINANCE,
    field_error,
    page,
    shared_site,
)
from tests.web.ui_client import Site, post_forms, text
from web.formatting import eur

PROJECT = (
    "SITEWEB"  # in progress in the demo: 2026 investment CP, nothing committed yet
)
PAYEE = "WIFI"  # another one, for the payments
VIEWERS = {"finance", "dsi", "chair", "member", "auditor"}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def french(app: object, amount: Decimal) -> str:
    """The amount as the pages print it, spaces collapsed as ``text()`` does."""
    with app.test_request_context():  # type: ignore[attr-defined]
        return re.sub(r"\s+", " ", eur(amount))


# --- reading ----------------------------------------------------------------------


def test_budget_page_renders_for_its_roles_and_is_refused_to_the_others(
    site: Site,
) -> None:
    for role, user in BY_ROLE.items():
        response = site.client(user).get("/budget")
        assert response.status_code == (200 if role in VIEWERS else 403), role
        if role in VIEWERS:
            body = text(response)
            assert "Enveloppes par exercice et section" in body
            assert "AP/CP par projet" in body
            assert page(response).count('<svg class="chart"') == 2


def test_only_finance_is_offered_the_forms_and_never_as_of_a_past_moment(
    site: Site,
) -> None:
    assert "/budget/bp" in page(site.client(FINANCE).get("/budget"))
    assert "/budget/bp" not in page(site.client(DSI).get("/budget"))
    past = page(site.client(FINANCE).get("/budget?as_of=position:300"))
    assert "/budget/bp" not in past and "/budget/engagements" not in past
    assert post_forms(site.client(FINANCE).get("/budget")) == []


def test_consumption_totals_reconcile_to_the_cent(site: Site) -> None:
    data = q.budget_consumption(site.read_model.store)
    total = data["total"]
    assert reconciled(data)
    subtotals = [r for r in by_year_section(data) if r["kind"] == "subtotal"]
    for f in ("cp", "committed", "paid", "available"):
        assert sum(r[f] for r in subtotals) == total[f]
        assert sum(r[f] for r in by_key(data["totals"]["pole"], {})) == total[f]
        assert sum(r[f] for r in by_key(data["totals"]["axis"], {})) == total[f]
        assert sum(p[f] for p in projects(data["lines"])) == total[f]
        groups = [r for r in grouped_lines(data) if r["kind"] == "subtotal"]
        assert sum(r[f] for r in groups) == total[f]
    body = text(site.client(FINANCE).get("/budget"))
    assert "concordent au centime" in body
    assert f"Total général {french(site.app, total['cp'])}" in body


def test_filters_narrow_the_consumption_and_bad_ones_are_explained(site: Site) -> None:
    client = site.client(FINANCE)
    response = client.get("/budget?year=2024&section=investissement&pole=PRS")
    assert response.status_code == 200
    data = q.budget_consumption(
        site.read_model.store, year=2024, section="investissement", pole="PRS"
    )
    assert f"Total général {french(site.app, data['total']['cp'])}" in text(response)
    refused = client.get("/budget?year=deux-mille&section=tout")
    assert refused.status_code == 422
    assert (
        field_error(page(refused), "f-year") == "Valeur non autorisée : filtre ignoré."
    )


def test_budget_as_of_shows_the_envelopes_before_the_first_dm(site: Site) -> None:
    moves = q.budget_moves(site.read_model.store)
    first_dm = next(m for m in moves if m["kind"] == "DM")
    client = site.client(FINANCE)
    assert first_dm["deliberation"] in text(client.get("/budget"))
    before = client.get(f"/budget?as_of=position:{first_dm['position'] - 1}")
    assert before.status_code == 200
    assert first_dm["deliberation"] not in text(before)
    assert "Vue historique" in page(before)


def test_project_budget_page_lists_commitments_and_links_to_the_proposal(
    site: Site,
) -> None:
    doc = q.project_budget(site.read_model.store, "BILLET")
    assert doc is not None and doc["commitments"]
    response = site.client(CHAIR).get("/budget/projets/BILLET")
    assert response.status_code == 200
    assert doc["commitments"][0]["reference"] in text(response)
    assert 'href="/fiches/BILLET"' in page(response)
    assert site.client(CHAIR).get("/budget/projets/NOPE").status_code == 404


# --- commitments and payments ---------------------------------------------------------


def commitment(reference: str, amount: str, **extra: str) -> dict[str, str]:
    return {
        "proposal": extra.pop("proposal", PROJECT),
        "reference": reference,
        "year": "2026",
        "section": "investissement",
        "amount": amount,
        "on": "2026-03-02",
        "supplier": "Hébergeur de confiance SAS",
        **extra,
    }


def test_a_commitment_is_recorded_and_shown_on_the_next_page(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    response = client.post(
        "/budget/engagements", data=commitment("ENG-T1", "12 500,50")
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/budget/projets/{PROJECT}#engagements"
    )
    assert site.events_since(head) == ["ProjectBudget.Committed"]
    shown = text(client.get(f"/budget/projets/{PROJECT}"))
    assert "ENG-T1" in shown and "Hébergeur de confiance SAS" in shown
    assert french(site.app, Decimal("12500.50")) in shown


def test_over_commitment_without_override_is_refused_next_to_the_amount(
    site: Site,
) -> None:
    head = site.head()
    response = site.client(FINANCE).post(
        "/budget/engagements", data=commitment("ENG-T2", "9999999")
    )
    assert response.status_code == 409
    message = field_error(page(response), "f-amount")
    assert message.startswith(f"CP 2026 (investissement) de {PROJECT} dépassés")
    assert "forçage motivé" in message
    assert site.head() == head


def test_an_override_with_its_reason_is_recorded_and_flagged(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    response = client.post(
        "/budget/engagements",
        data=commitment(
            "ENG-T3", "400000", override_reason="marché notifié en urgence"
        ),
    )
    assert response.status_code == 302
    assert site.events_since(head) == ["ProjectBudget.Committed"]
    shown = text(client.get(f"/budget/projets/{PROJECT}"))
    assert "au-delà des CP : marché notifié en urgence" in shown
    row = re.search(
        rf'<tr><td><a href="/budget/projets/{PROJECT}">.*?</tr>',
        page(client.get("/budget")),
        re.S,
    )
    assert row and '<span class="flag">engagement</span>' in row.group(0)


def test_commitment_form_refusals_are_french_and_write_nothing(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    bad = client.post(
        "/budget/engagements",
        data=commitment("", "douze", on="2026-13-40", supplier=""),
    )
    assert bad.status_code == 422
    body = page(bad)
    assert field_error(body, "f-reference") == "Champ obligatoire."
    assert field_error(body, "f-on") == "Date attendue (AAAA-MM-JJ)."
    assert field_error(body, "f-supplier") == "Champ obligatoire."
    assert field_error(body, "f-amount") == (
        "Montant en euros attendu : chiffres (milliers séparés par une espace), "
        "virgule ou point, au plus deux décimales (ex. 12 500,50 ou 12500.50)."
    )
    wrong_year = client.post(
        "/budget/engagements", data=commitment("ENG-T4", "10", on="2025-12-31")
    )
    assert wrong_year.status_code == 422
    assert field_error(page(wrong_year), "f-on") == (
        "La date 2025-12-31 n'appartient pas à l'exercice 2026."
    )
    assert site.head() == head


def test_a_payment_against_a_commitment_is_recorded_and_shown(site: Site) -> None:
    client = site.client(FINANCE)
    made = client.post(
        "/budget/engagements", data=commitment("ENG-P1", "1000", proposal=PAYEE)
    )
    assert made.status_code == 302
    assert "ENG-P1" in page(client.get(f"/budget/mandats?proposal={PAYEE}"))
    head = site.head()
    response = client.post(
        "/budget/mandats",
        data={
            "commitment": f"{PAYEE}/ENG-P1",
            "reference": "MAN-P1",
            "amount": "400",
            "on": "2026-04-01",
        },
    )
    assert response.status_code == 302
    assert site.events_since(head) == ["ProjectBudget.Paid"]
    shown = text(client.get(f"/budget/projets/{PAYEE}"))
    assert "MAN-P1" in shown


def test_a_payment_beyond_its_commitment_is_refused(site: Site) -> None:
    client = site.client(FINANCE)
    made = client.post(
        "/budget/engagements", data=commitment("ENG-P2", "100", proposal=PAYEE)
    )
    assert made.status_code == 302
    head = site.head()
    over = client.post(
        "/budget/mandats",
        data={
            "commitment": f"{PAYEE}/ENG-P2",
            "reference": "MAN-P2",
            "amount": "100.01",
            "on": "2026-04-01",
        },
    )
    assert over.status_code == 409
    assert field_error(page(over), "f-amount") == (
        "Engagement ENG-P2 dépassé : mandat de 100,01 €, reste 100,00 €. "
        "Un dépassement exige un forçage motivé des finances."
    )
    unknown = client.post(
        "/budget/mandats",
        data={
            "commitment": f"{PAYEE}/NOPE",
            "reference": "MAN-P3",
            "amount": "1",
            "on": "2026-04-01",
        },
    )
    assert unknown.status_code == 404
    assert field_error(page(unknown), "f-commitment") == (
        f"Engagement introuvable : {PAYEE}/NOPE."
    )
    assert site.head() == head


# --- envelopes and AP ---------------------------------------------------------------


def test_a_dm_with_its_deliberation_is_recorded_and_listed(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    response = client.post(
        "/budget/dm",
        data={
            "year": "2026",
            "section": "fonctionnement",
            "delta": "2 500,00",
            "deliberation": "DCM 2026-09-30 n° 77 (DM n° 2)",
            "on": "2026-09-30",
        },
    )
    assert response.status_code == 302
    assert site.events_since(head) == ["Envelope.Adjusted"]
    assert "DCM 2026-09-30 n° 77 (DM n° 2)" in text(client.get("/budget"))


def test_a_dm_below_what_is_allocated_is_refused_next_to_the_amount(
    site: Site,
) -> None:
    head = site.head()
    response = site.client(FINANCE).post(
        "/budget/dm",
        data={
            "year": "2026",
            "section": "investissement",
            "delta": "-1600000",
            "deliberation": "DM de réduction",
            "on": "2026-09-30",
        },
    )
    assert response.status_code == 409
    assert field_error(page(response), "f-delta").startswith(
        "L'enveloppe 2026 (investissement) ne peut pas descendre à"
    )
    assert site.head() == head


def test_the_bp_of_a_new_year_is_voted_and_a_second_vote_refused(site: Site) -> None:
    client = site.client(FINANCE)
    vote = {
        "year": "2020",
        "section": "investissement",
        "amount": "250000",
        "deliberation": "DCM 2019-12-16",
        "on": "2019-12-16",
    }
    head = site.head()
    assert client.post("/budget/bp", data=vote).status_code == 302
    assert site.events_since(head) == ["Envelope.BudgetVoted"]
    assert "DCM 2019-12-16" in text(client.get("/budget"))
    again = client.post("/budget/bp", data=vote)
    assert again.status_code == 409
    assert field_error(page(again), "f-year") == (
        "Le budget primitif 2020 (investissement) est déjà voté ; "
        "les ajustements passent par une DM."
    )


def test_ap_revision_records_the_new_schedule_with_its_reason(site: Site) -> None:
    doc = q.project_budget(site.read_model.store, "ENT")
    assert doc is not None
    ap = doc["ap"]
    lines = {(x["year"], x["section"]): x["cp"] for x in doc["lines"]}
    form = {
        "ap_amount": str(ap + 1000),
        "deliberation": "DCM 2026-10-15 n° 80",
        "reason": "avenant au marché",
    }
    for i, ((y, s), cp) in enumerate(sorted(lines.items())):
        bump = 1000 if i == 0 else 0
        form |= {
            f"cp-{i}-year": str(y),
            f"cp-{i}-section": s,
            f"cp-{i}-amount": str(cp + bump),
        }
    client = site.client(CHAIR)
    assert "/budget/projets/ENT/ap" in page(client.get("/budget/projets/ENT"))
    head = site.head()
    response = client.post("/budget/projets/ENT/ap", data=form)
    assert response.status_code == 302, field_error(page(response), "f-ap_amount")
    assert "ProjectBudget.APRevised" in site.events_since(head)
    shown = text(client.get("/budget/projets/ENT"))
    assert "avenant au marché" in shown and "DCM 2026-10-15 n° 80" in shown
    assert french(site.app, ap + 1000) in shown


def test_ap_revision_refusals_are_shown_next_to_their_field(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    form = {
        "ap_amount": "1000.00",
        "cp-0-year": "2026",
        "cp-0-section": "investissement",
        "cp-0-amount": "900.00",
        "deliberation": "DCM",
        "reason": "essai",
    }
    unbalanced = client.post("/budget/projets/ENT/ap", data=form)
    assert unbalanced.status_code == 422
    cp_error = re.search(r'<p class="error" id="cp-e">([^<]*)</p>', page(unbalanced))
    assert cp_error and "diffère de l&#39;AP (1\u202f000,00\u00a0€)" in cp_error.group(
        1
    )
    no_reason = client.post("/budget/projets/ENT/ap", data={**form, "reason": ""})
    assert field_error(page(no_reason), "f-reason") == "Champ obligatoire."
    assert site.head() == head


def test_finance_forms_are_refused_to_other_roles_and_write_nothing(
    site: Site,
) -> None:
    head = site.head()
    for user in (DSI, BY_ROLE["auditor"], BY_ROLE["member"]):
        client = site.client(user)
        assert client.get("/budget/engagements").status_code == 403
        response = client.post("/budget/engagements", data=commitment("ENG-X", "1"))
        assert response.status_code == 403
    assert site.client(DSI).post("/budget/projets/ENT/ap", data={}).status_code == 403
    assert site.head() == head


def test_the_database_sums_the_totals_and_the_projects_of_every_line(
    site: Site,
) -> None:
    store = site.read_model.store
    for filters in (
        {},
        {"year": 2024, "section": "investissement", "pole": "PRS"},
        {"section": "fonctionnement"},
        {"year": 1999},  # no line: zero everywhere
    ):
        data = q.budget_consumption(store, **filters)
        summed = q.summed_totals(store, **filters)
        assert summed == {"totals": data["totals"], "total": data["total"]}, filters
        every, count, read = q.budget_projects(store, Page(1, 500), **filters)
        assert (every, count, read.number) == (
            projects(data["lines"]),
            len(projects(data["lines"])),
            1,
        )
        pages = [q.budget_projects(store, Page(n, 3), **filters)[0] for n in (1, 2)]
        assert pages[0] + pages[1] == every[:6]
        lines, count, _read = q.budget_lines_page(store, Page(2, 4), **filters)
        assert (lines, count) == (data["lines"][4:8], len(data["lines"]))


def test_the_budget_page_shows_a_page_of_projects_sorted_and_every_total(
    site: Site,
) -> None:
    store = site.read_model.store
    data = q.budget_consumption(store)
    every = projects(data["lines"])
    by_paid = sorted(every, key=lambda p: (-p["paid"], p["proposal"]))
    client = site.client(FINANCE)
    response = client.get("/budget?sort=-paid&per_page=2&page=2")
    assert response.status_code == 200
    shown = re.findall(r'href="/budget/projets/([^"?]+)">', page(response))
    assert shown[:2] == [p["proposal"] for p in by_paid[2:4]]
    body = text(response)
    assert f"{len(every)} projet(s) — 2 par page" in body
    assert f"Total général {french(site.app, data['total']['cp'])}" in body
    assert "concordent au centime" in body
    detail = page(client.get("/budget?detail=1&detail_per_page=5&detail_page=2"))
    assert 'rel="prev"' in detail and "detail_page=1" in detail
    assert page(client.get("/budget?sort=colour&page=deux")).count("<svg") == 2
