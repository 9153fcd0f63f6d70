"""What the chair and the evaluators see before submitting (issue 16, item 6), on both
backends: the decision form shows, when the page is shown, the CP envelopes an
approval would draw on, the vote tally and the rules an approval would break; the
scoring form keeps each justification next to its criterion and tells which
criteria remain to be scored."""

from __future__ import annotations

import html
import re
from decimal import Decimal

import pytest

from domain.entities import split_amount
from projections import queries as q
from tests.web.demo_site import CHAIR, field_error, page, shared_site
from tests.web.ui_client import Site
from web.formatting import eur

OPEN = "COPIL-2026-11-24"  # the demo's open session: FIBRE and TABLETTE to decide


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def plain(fragment: str) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment))
    return re.sub(r"[ \t\r\n]+", " ", text).strip(" ")


def section(body: str, ident: str) -> str:
    found = re.search(rf'<section class="card" id="{ident}".*?</section>', body, re.S)
    assert found, ident
    return plain(found.group(0))


def money(site: Site, value: Decimal) -> str:
    with site.app.test_request_context():
        return eur(value)


def test_decision_form_shows_envelopes_tally_and_conflicts_before_submitting(
    site: Site,
) -> None:
    st = site.read_model.store
    (cost,) = q.proposal(st, "TABLETTE")["costs"]  # type: ignore[index]
    assert (cost["year"], cost["section"]) == (2026, "investissement")
    asked = Decimal(cost["amount_c"]) / 100
    # TABLETTE is shared with the CCAS (demo): each entity's share on its envelope
    shares = {"principale": Decimal("33.33"), "CCAS-SAL": Decimal("66.67")}
    names = {e["code"]: e["name"] for e in q.entities(st)}
    rows = []
    for entity, part in split_amount(asked, shares).items():
        env = next(
            e
            for e in q.envelopes(st, None, entity)
            if (e["year"], e["section"]) == (2026, "investissement")
        )
        left = env["total"] - env["allocated"] - part
        rows.append(
            f"2026 Investissement {names[entity]} ({entity}) "
            f"{shares[entity]:.2f} % ".replace(".", ",")
            + f"{money(site, env['total'])} "
            f"{money(site, env['allocated'])} {money(site, env['available'])} "
            f"{money(site, part)} "
            + (
                f"dépassement de {money(site, -left)}"
                if left < 0
                else money(site, left)
            )
        )
        if entity == "principale":
            assert left < 0  # the town's 2026 investment envelope is nearly used up
    head = site.head()
    body = page(site.client(CHAIR).get(f"/seances/{OPEN}/arbitrer/TABLETTE"))
    assert section(body, "enveloppes") == (
        "Enveloppes de crédits de paiement (CP) par année "
        "Ce que les coûts estimés de la fiche prendraient sur chaque enveloppe "
        "(saisissez les CP pour les vérifier) "
        "Année Section Entité Part Enveloppe Déjà allouée Disponible Demandé "
        "Reste après approbation " + " ".join(rows)
    )
    tally = plain(re.search(r'<dd id="tally">.*?</dd>', body, re.S).group(0))  # type: ignore[union-attr]
    assert tally == (
        "3 pour, 0 contre, 0 abstention(s) — majorité favorable : un rejet ou un "
        "ajournement doit être justifié"
    )
    conflicts = section(body, "conflits")
    assert conflicts.startswith(
        "Règles qu'une approbation enfreindrait Enveloppe 2026 (investissement) "
        "dépassée pour TABLETTE"
    )
    assert site.head() == head  # showing the form writes nothing


def test_decision_form_checks_the_cp_the_chair_entered(site: Site) -> None:
    response = site.client(CHAIR).post(
        f"/seances/{OPEN}/arbitrer/TABLETTE",
        data={
            "cp-0-year": "2027",
            "cp-0-section": "investissement",
            "cp-0-amount": "1 000,00",
        },
    )
    body = page(response)
    assert response.status_code == 422  # no outcome nor rationale: nothing written
    assert section(body, "enveloppes").endswith(
        "Ce que les CP saisis ci-dessous prendraient sur chaque enveloppe "
        "Année Section Entité Part Enveloppe Déjà allouée Disponible Demandé "
        "Reste après approbation "
        "2027 Investissement Ville de Saint-Aubin-sur-Loire (principale) 33,33 % "
        "aucune enveloppe votée : l'approbation sera refusée "
        f"{money(site, Decimal('333.30'))} — "
        "2027 Investissement CCAS de Saint-Aubin-sur-Loire (CCAS-SAL) 66,67 % "
        "aucune enveloppe votée : l'approbation sera refusée "
        f"{money(site, Decimal('666.70'))} —"
    )
    # no envelope voted for 2027: the ledger refuses the approval, no override helps
    assert '<p id="conflits" class="flash success">' not in body
    assert '<p id="sans-enveloppe" class="flash error">' in body


@pytest.mark.parametrize(
    ("year", "amount"),
    [("2026", "9" * 32), ("99999999999999999999999", "1 000,00"), ("²", "1 000,00")],
)
def test_decision_form_with_cp_past_any_budget_answers_its_errors(
    site: Site, year: str, amount: str
) -> None:
    """A CP the ledger would refuse (an amount past 10^12 €, a year past 64 bits)
    is left out of the envelopes' preview instead of overflowing it (a 500)."""
    head = site.head()
    response = site.client(CHAIR).post(
        f"/seances/{OPEN}/arbitrer/TABLETTE",
        data={
            "cp-0-year": year,
            "cp-0-section": "investissement",
            "cp-0-amount": amount,
        },
    )
    assert response.status_code == 422
    assert section(page(response), "enveloppes").startswith(
        "Enveloppes de crédits de paiement (CP) par année"
    )
    assert site.head() == head


def test_scoring_form_tells_the_remaining_criteria_and_keeps_each_justification(
    site: Site,
) -> None:
    evaluator, code = "dga.roux", "ARCHIVE"  # has not scored ARCHIVE in the demo
    grid = max(
        (g for g in q.grids(site.read_model.store) if g["status"] == "adopted"),
        key=lambda g: g["number"],
    )
    criteria = sorted(grid["criteria"])
    body = page(site.client(evaluator).get(f"/fiches/{code}/noter"))
    remaining = section(body, "restant")
    assert remaining == (
        f"Critères restant à noter {len(criteria)} critères sur {len(criteria)} "
        "restent à noter : "
        + " ".join(f"{c} — {grid['criteria'][c]['label']}" for c in criteria)
    )
    first, second = criteria[0], criteria[1]
    head = site.head()
    response = site.client(evaluator).post(
        f"/fiches/{code}/noter",
        data={
            f"level_{first}": "1",
            f"justification_{first}": "",
            f"level_{second}": "",
            f"justification_{second}": "Sans niveau mais justifié",
        },
    )
    body = page(response)
    assert response.status_code == 422
    assert site.head() == head
    assert field_error(body, f"js-{first}") != ""
    # the typed justification stays in the textarea of its own criterion
    assert re.search(
        rf'<textarea id="js-{second}"[^>]*>Sans niveau mais justifié</textarea>', body
    )
    assert f'<label for="js-{second}">Justification du critère {second}</label>' in body
    assert section(body, "restant").startswith(
        f"Critères restant à noter {len(criteria)} critères sur {len(criteria)}"
    )


@pytest.mark.parametrize("level", ["²", "9" * 5000])
def test_a_level_int_cannot_read_is_refused_next_to_its_field(
    site: Site, level: str
) -> None:
    """ "²" is a digit to ``isdigit()`` but not to ``int()``, nor are 5,000 digits:
    a French message next to the level, nothing written (it was a 500)."""
    evaluator, code = "dga.roux", "ARCHIVE"
    grid = max(
        (g for g in q.grids(site.read_model.store) if g["status"] == "adopted"),
        key=lambda g: g["number"],
    )
    first = sorted(grid["criteria"])[0]
    head = site.head()
    response = site.client(evaluator).post(
        f"/fiches/{code}/noter",
        data={f"level_{first}": level, f"justification_{first}": "Justifié"},
    )
    assert response.status_code == 422
    assert site.head() == head
    assert field_error(page(response), f"lv-{first}") == "Nombre entier attendu."
