"""The demo's diagnosis of the information system (phase 4): the inventory of about
forty components, the DSI's assessment of each application (some reassessed), the
assessments of the owner direction and of the other using directions (several on
the same application), findings — suggestions the DSI confirmed and findings of its
own — and the proposals of the catalogue linked to the applications they replace or
change. Deterministic, like the rest of the demo; a few hundred events."""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from domain.proposals import Proposal
from sdsi.demo import data as D

DSI = "dsi.martin"
REFERENTS = {d[0]: d[3] for d in D.DIRECTIONS}
AROUND = date(2026, 1, 1)  # the diagnosis' point of view on ends of support


def _values(row: tuple[Any, ...]) -> dict[str, Any]:
    _code, kind, name, direction, supplier, tech, version, eos, users, cost, crit, _u = row  # fmt: skip
    return {
        "kind": kind,
        "name": name,
        "direction": direction,
        "supplier": supplier,
        "technology": tech,
        "product_version": version,
        "end_of_support": eos,
        "users": users,
        "annual_cost": cost,
        "criticality": crit,
    }


def _technical(rng: random.Random, eos: str | None) -> dict[str, int]:
    """An older component is in a worse state and more obsolete."""
    years = (date.fromisoformat(eos) - AROUND).days / 365 if eos else 4.0
    base = 1 if years < 0 else 2 if years < 1.5 else 3 if years < 3 else 4
    state = max(1, min(4, base + rng.choice((-1, 0, 0, 1))))
    return {
        "technical_state": state,
        "risk": max(1, min(4, 5 - state + rng.choice((-1, 0, 0)))),
        "obsolescence": max(1, min(4, 5 - base)),
    }


COMMENTS = {
    1: "Application vieillissante, incidents fréquents.",
    2: "Fonctionne mais la montée de version est urgente.",
    3: "Stable, quelques limites fonctionnelles.",
    4: "Récente et bien maintenue.",
}
USE_COMMENTS = {
    1: "Ne répond plus à nos besoins : ressaisies et contournements.",
    2: "Utilisable mais lente et peu ergonomique.",
    3: "Satisfaisante au quotidien.",
    4: "Outil apprécié des agents.",
}


def load(loader: Any) -> None:
    """Record the diagnosis through the ledger's commands (copy 1 only)."""
    led, as_ = loader.ledger, loader.as_
    for row in D.INVENTORY:
        led.register_application(as_(DSI), row[0], _values(row))
        loader.stats.add("composants de l'inventaire")
    for row in D.INVENTORY:
        code, kind, eos = row[0], row[1], row[7]
        rng = loader.vary("diagnostic", code)
        first = _technical(rng, eos)
        if rng.random() < 0.25:  # an earlier, more optimistic assessment, superseded
            earlier = {**first, "technical_state": min(4, first["technical_state"] + 1)}
            led.assess_application(
                as_(DSI), code, **earlier, comment="Première évaluation (cadrage)."
            )
        led.assess_application(
            as_(DSI), code, **first, comment=COMMENTS[first["technical_state"]]
        )
        if kind != "application":
            continue
        for direction in [row[3], *row[11]]:
            satisfaction = max(1, min(4, first["technical_state"] + rng.choice((-1, 0, 0, 1))))  # fmt: skip
            coverage = max(1, min(4, satisfaction + rng.choice((-1, 0, 1))))
            led.assess_application_use(
                as_(REFERENTS[direction]),
                code,
                direction,
                satisfaction=satisfaction,
                coverage=coverage,
                comment=USE_COMMENTS[satisfaction],
            )
            loader.stats.add("évaluations des directions")
    _findings(loader)
    _links(loader)


FINDINGS = [
    (
        "risk",
        "Socle serveurs et annuaire hors support",
        "La virtualisation et l'annuaire ne reçoivent plus de correctifs de sécurité.",
        ["SERVEURS", "IAM"],
    ),
    (
        "weakness",
        "Applications sociales sur des technologies en fin de vie",
        "Le dossier social et le portage de repas reposent sur Windev sans montée de version possible.",
        ["SOCIAL", "SENIORS"],
    ),
    (
        "strength",
        "Portail famille apprécié et récent",
        "Le portail famille couvre les besoins de l'éducation et de la petite enfance.",
        ["FAMILLE"],
    ),
    (
        "opportunity",
        "Mutualiser la relation citoyen",
        "La GRC peut absorber les demandes de voirie et d'état civil aujourd'hui traitées par courriel.",
        ["GRC", "COURRIER"],
    ),
    (
        "risk",
        "Sauvegardes sur bandes non testées",
        "Aucune restauration complète testée depuis 2022 ; le support des lecteurs est terminé.",
        ["SAUVEGARDE"],
    ),
    (
        "weakness",
        "Outils bureautiques et postes en fin de support",
        "Messagerie, suite bureautique et Windows 10 arrivent en fin de support en octobre 2025.",
        ["MESSAGERIE", "BUREAUTIQUE", "POSTES"],
    ),
]


def _findings(loader: Any) -> None:
    led, as_ = loader.ledger, loader.as_
    for kind, title, statement, apps in FINDINGS:
        led.record_finding(
            as_(DSI),
            kind=kind,
            title=title,
            statement=statement,
            applications=apps,
            assessments=[f"{a}:dsi:1" for a in apps],
        )
        loader.stats.add("constats")
    # two suggestions of the rules confirmed by the DSI
    for code, name in (("PAIE", "Paie et gestion des carrières"), ("ETATCIVIL", "État civil et élections")):  # fmt: skip
        led.record_finding(
            as_(DSI),
            kind="risk",
            title=f"{name} : fin de support proche",
            statement="Suggestion confirmée par la DSI.",
            applications=[code],
            suggestion=f"support:{code}",
        )
        loader.stats.add("constats")


def _links(loader: Any) -> None:
    led, as_ = loader.ledger, loader.as_
    for app, (proposal, effect) in sorted(D.REPLACED_BY.items()):
        if led.load(Proposal, Proposal.id_for(proposal)) is None:
            continue
        led.link_proposal(as_(DSI), proposal, applications={app: effect})
        loader.stats.add("liens fiche → application")
    if led.load(Proposal, Proposal.id_for("SAUVEG")) is not None:
        led.link_proposal(
            as_(DSI),
            "SAUVEG",
            applications={"SAUVEGARDE": "replaces"},
            findings=["CST-005"],
        )
