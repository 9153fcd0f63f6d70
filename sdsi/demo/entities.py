"""The demo's whole territory: beside the town, its CCAS and the intercommunality,
each with a valid SIREN, its directions and its envelopes for 2026, and projects
shared between them with a cost split (one approved in a COPIL of its own, two on
the agenda of the session under way). Loaded last, so every earlier position of the
demo stays as it was. Deterministic."""

from __future__ import annotations

from datetime import date
from typing import Any

from domain.entities import MAIN
from sdsi.demo import data as D

CCAS, EPCI = "CCAS-SAL", "CALA"
ENTITIES = [
    (CCAS, "CCAS de Saint-Aubin-sur-Loire", "ccas", "264500018"),
    (EPCI, "Communauté d'agglomération Loire-Aubinoise", "epci", "200045615"),
]
# code, name, pôle, entity (the town's "Action sociale (CCAS)" direction moves)
DIRECTIONS = [
    ("AGG-MOB", "Mobilités et transports (agglomération)", "PAM", EPCI),
    ("AGG-EAU", "Eau et assainissement (agglomération)", "PAM", EPCI),
    ("AGG-ECO", "Développement économique (agglomération)", "PDG", EPCI),
]
# entity, year, section, amount (BP voted in December 2025)
ENVELOPES = [
    (CCAS, 2026, "investissement", "180000.00"),
    (CCAS, 2026, "fonctionnement", "45000.00"),
    (EPCI, 2026, "investissement", "650000.00"),
    (EPCI, 2026, "fonctionnement", "120000.00"),
]
SHARED = {
    "code": "PORTAIL-TERR",
    "direction": "DSN",
    "title": "Portail unique des démarches du territoire",
    "description": (
        "Un seul compte usager pour les démarches de la ville, du CCAS et de "
        "l'agglomération (aides sociales, eau, transports scolaires)."
    ),
    "amount": "120000.00",
    "shares": [
        {"entity": MAIN, "percent": "45"},
        {"entity": CCAS, "percent": "20"},
        {"entity": EPCI, "percent": "35"},
    ],
}
# splits of two proposals deferred to the session under way: the town's share
# and the CCAS's (33.33 / 66.67: the odd cent goes by the largest remainder)
PENDING_SPLITS = [
    [{"entity": MAIN, "percent": "33.33"}, {"entity": CCAS, "percent": "66.67"}],
    [{"entity": MAIN, "percent": "60"}, {"entity": EPCI, "percent": "40"}],
]
DSI, CHAIR, FINANCE = "dsi.martin", "dgs.lefebvre", "fin.garnier"
SESSION = "COPIL-TERRITOIRE-2026-11-26"


def load(loader: Any) -> None:
    """Record the territory through the ledger's commands (copy 1 only)."""
    led, as_ = loader.ledger, loader.as_
    loader.clock.on(date(2026, 11, 25))
    for code, name, kind, siren in ENTITIES:
        led.declare_entity(as_(loader.admin), code, name, kind, siren)
        loader.stats.add("entités")
    led.assign_direction_entity(
        as_(loader.admin, "L'action sociale relève du budget du CCAS"), "CCAS", CCAS
    )
    for code, name, pole, entity in DIRECTIONS:
        led.create_direction(as_(loader.admin), code, name, pole, entity)
        loader.stats.add("directions")
    for entity, y, section, amount in ENVELOPES:
        led.vote_budget(
            as_(FINANCE),
            y,
            section,
            amount,
            f"Délibération BP {y} ({entity})",
            date(y - 1, 12, 15),
            entity,
        )
        loader.stats.add("enveloppes")
    _pending_splits(loader)
    _shared_project(loader)


def _pending_splits(loader: Any) -> None:
    """Two proposals deferred to the session under way are shared."""
    deferred = [
        i.code for i in loader.items if i.status == "deferred" and "-" not in i.code
    ]
    for code, shares in zip(deferred, PENDING_SPLITS, strict=False):
        loader.ledger.set_cost_split(loader.as_(DSI), code, shares)
        loader.stats.add("fiches partagées")


def _shared_project(loader: Any) -> None:
    """The territory's portal: drafted, qualified, approved with its split."""
    led, as_ = loader.ledger, loader.as_
    code, amount = SHARED["code"], SHARED["amount"]
    costs = [{"year": 2026, "section": "investissement", "amount": amount}]
    content = {
        "title": SHARED["title"],
        "description": SHARED["description"],
        "costs": costs,
    }
    led.draft_proposal(as_(DSI), code, SHARED["direction"], content)
    led.submit_proposal(as_(DSI), code)
    led.qualify_proposal(as_(DSI), code, {"costs": costs, "note": "chiffrage DSI"})
    led.set_cost_split(as_(DSI), code, SHARED["shares"])
    chair = as_(CHAIR)
    loader.clock.on(date(2026, 11, 26))
    led.convene_session(
        chair,
        SESSION,
        "Comité de pilotage du territoire — 26/11/2026",
        date(2026, 11, 26),
        D.VOTING,
        D.NON_VOTING,
    )
    led.add_agenda_item(chair, SESSION, code)
    led.open_session(chair, SESSION, D.VOTING + D.NON_VOTING)
    led.record_decision(
        chair,
        SESSION,
        code,
        "approved",
        "Projet mutualisé : la ville, le CCAS et l'agglomération le financent "
        "selon la clé de répartition votée.",
        ap_amount=amount,
        cp=costs,
    )
    led.close_session(chair, SESSION)
    loader.stats.add("fiches partagées")
    loader.stats.add("séances")
