"""The open-data budget dataset: one row per project, financial year, section and
entity (each entity's share of a shared project), with the national SCDL budget
schema's names where they mean the same thing. Summed over the entities, the rows
of a project, year and section give the consolidated line to the cent."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exports.french import STATUSES, label
from exports.rows import Column, Names, Table
from projections import queries as q
from projections.store import ViewStore

OPEN_BUDGET_COLUMNS = (
    Column(
        "BGT_ANNEE",
        "Exercice",
        "int",
        "Année de l'exercice budgétaire des crédits de paiement (CP) de la ligne.",
        scdl=True,
        required=True,
    ),
    Column(
        "BGT_NOM",
        "Collectivité",
        "text",
        "Nom de la collectivité.",
        scdl=True,
        required=True,
    ),
    Column(
        "BGT_SECTION",
        "Section",
        "text",
        "Section budgétaire de la ligne.",
        scdl=True,
        required=True,
        enum=("investissement", "fonctionnement"),
    ),
    Column(
        "BGT_CODRD",
        "Recette ou dépense",
        "text",
        "Sens du crédit : toujours une dépense (projets du schéma directeur).",
        scdl=True,
        required=True,
        enum=("dépense",),
    ),
    Column(
        "BGT_OPBUDG",
        "Type d'opération",
        "text",
        "Opération réelle (les projets ne portent pas d'opérations d'ordre).",
        scdl=True,
        required=True,
        enum=("réel",),
    ),
    Column(
        "BGT_OPERATION",
        "Opération (projet)",
        "text",
        "Code du projet du schéma directeur, l'opération budgétaire de la ligne.",
        scdl=True,
        required=True,
    ),
    Column("operation_libelle", "Intitulé du projet", "text", "Intitulé du projet."),
    Column("pole", "Pôle", "text", "Code du pôle de la direction qui porte le projet."),
    Column("pole_libelle", "Libellé du pôle", "text", "Nom du pôle."),
    Column(
        "direction",
        "Direction",
        "text",
        "Code de la direction métier qui porte le projet.",
    ),
    Column(
        "direction_libelle", "Libellé de la direction", "text", "Nom de la direction."
    ),
    Column(
        "axe",
        "Axe stratégique",
        "text",
        "Code de l'axe stratégique principal du projet (vide si aucun).",
    ),
    Column("axe_libelle", "Libellé de l'axe", "text", "Intitulé de l'axe stratégique."),
    Column(
        "statut",
        "Statut du projet",
        "text",
        "Statut du projet : approuvé, prévu, en cours, réalisé, annulé…",
    ),
    Column(
        "ap_votee",
        "AP votée",
        "money",
        "Autorisation de programme votée par le "
        "comité de pilotage, en euros (montant du projet, ou sa part pour l'entité "
        "de la ligne, répété sur chaque ligne).",
    ),
    Column(
        "ap_actuelle",
        "AP actuelle",
        "money",
        "Autorisation de programme après révisions, en euros (la part de l'entité "
        "pour un projet partagé).",
    ),
    Column(
        "BGT_MTPREV",
        "CP votés",
        "money",
        "Crédits de paiement de l'exercice et "
        "de la section votés avec la décision, en euros.",
        scdl=True,
    ),
    Column(
        "BGT_CREDOUV",
        "CP ouverts",
        "money",
        "Crédits de paiement ouverts après "
        "révisions (alloués sur l'enveloppe de l'exercice), en euros.",
        scdl=True,
    ),
    Column(
        "engage",
        "Engagé",
        "money",
        "Montant des engagements juridiques sur les CP de la ligne, en euros.",
    ),
    Column(
        "BGT_MTREAL",
        "Mandaté",
        "money",
        "Montant réalisé (mandaté) sur la ligne, en euros.",
        scdl=True,
    ),
    Column(
        "BGT_MTRAR3112",
        "Reste à réaliser",
        "money",
        "Engagé non encore mandaté, en euros.",
        scdl=True,
    ),
    Column(
        "disponible", "Disponible", "money", "CP ouverts non encore engagés, en euros."
    ),
    Column(
        "derogation_allocation",
        "Dérogation à l'enveloppe",
        "bool",
        "Vrai si l'allocation dépasse l'enveloppe de l'exercice avec une "
        "dérogation motivée.",
    ),
    Column(
        "derogation_engagement",
        "Dérogation aux CP",
        "bool",
        "Vrai si un engagement dépasse les CP de la ligne avec une dérogation motivée.",
    ),
    Column(
        "derogation_paiement",
        "Dérogation au paiement",
        "bool",
        "Vrai si un mandat dépasse son engagement avec une dérogation motivée.",
    ),
    Column(
        "entite",
        "Entité",
        "text",
        "Code de l'entité (collectivité, CCAS, intercommunalité…) dont la ligne est "
        "la part : la commune est « principale ». Un projet partagé entre entités a "
        "une ligne par entité, sa part de chaque montant (arrondie au centime par le "
        "plus fort reste) ; la somme des lignes d'un projet, exercice et section sur "
        "les entités est le montant consolidé, au centime.",
        required=True,
    ),
    Column("entite_nom", "Nom de l'entité", "text", "Nom de l'entité."),
    Column(
        "entite_siren",
        "SIREN de l'entité",
        "text",
        "SIREN de l'entité (9 chiffres), s'il est renseigné.",
    ),
)


def open_budget_table(store: ViewStore, names: Names, municipality: str) -> Table:
    """The budget lines for open data, one row per entity's share of each line
    (SCDL names where they match)."""
    entities = q.entities(store)
    shares = {
        e["code"]: {
            (ln["year"], ln["section"], ln["proposal"]): ln
            for ln in q.budget_lines(store, entity=e["code"])
        }
        for e in entities
    }

    def rows() -> Iterator[tuple[Any, ...]]:
        for whole in q.budget_lines(store):  # in the consolidated lines' order
            key = (whole["year"], whole["section"], whole["proposal"])
            for e in entities:
                ln = shares[e["code"]].get(key)
                if ln is not None:
                    yield (
                        *_row(ln, names, municipality),
                        e["code"],
                        e["name"],
                        e["siren"],
                    )

    return Table(
        "budget",
        "Budget des projets du schéma directeur",
        OPEN_BUDGET_COLUMNS,
        rows(),
        description="Une ligne par projet, exercice, section et entité : autorisation "
        "de programme, crédits de paiement, engagements et mandats (la part de "
        "chaque entité d'un projet partagé ; leur somme est le montant consolidé).",
    )


def _row(ln: dict[str, Any], names: Names, municipality: str) -> tuple[Any, ...]:
    return (
        ln["year"],
        municipality,
        ln["section"],
        "dépense",
        "réel",
        ln["proposal"],
        ln["title"],
        ln["pole"],
        names.poles.get(ln["pole"], ""),
        ln["direction"],
        names.directions.get(ln["direction"], ""),
        ln["axis"] or "",
        names.axes.get(ln["axis"] or "", ""),
        label(STATUSES, ln["status"]),
        ln["ap_voted"],
        ln["ap_current"],
        ln["cp_initial"],
        ln["cp"],
        ln["committed"],
        ln["paid"],
        ln["committed"] - ln["paid"],
        ln["available"],
        ln["override_allocation"],
        ln["override_commitment"],
        ln["override_payment"],
    )
