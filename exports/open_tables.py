"""The open-data tables that the first publication lacked: the COPIL's decisions in
the national SCDL ``deliberations`` schema, the projects of the plan, and the signed
checkpoints of the ledger.

The SCDL table takes its columns, in order, from the pinned schema shipped in
``exports/schemas/deliberations.schema.json`` (version 2.1.5): the file is the rule,
the code fills it. Its ``COLL_NOM`` and ``COLL_SIRET`` are the municipality's as
defined in the Référentiel (``domain.municipality``); a SIRET is never made up: while
none is defined, a table with decisions is refused (:class:`MissingSiret`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from exports.base import ExportError
from exports.french import OUTCOMES, STATUSES, label
from exports.rows import Column, Names, Table
from projections import queries as q
from projections import reference_queries as rq
from projections.store import ViewStore

SCHEMAS = Path(__file__).parent / "schemas"
SCDL_VERSION = "2.1.5"
SCDL_DOCUMENTATION = "https://schema.data.gouv.fr/scdl/deliberations/2.1.5/"
# Every COPIL decision arbitrates programme authorisations and payment credits of the
# plan: the ACTES matter "7.1 Finances locales / Décisions budgétaires" (level 2).
MATTER_CODE = "7.1"
MATTER_NAME = "finances locales/décisions budgétaires"
APPROVED = ("approved", "approved_with_conditions")
# Where a project of the plan stands, as citizens read it (prévue / en cours /
# réalisée), from its lifecycle status.
STAGES = {
    "approved": "prévue",
    "approved_with_conditions": "prévue",
    "planned": "prévue",
    "in_progress": "en cours",
    "done": "réalisée",
    "cancelled": "annulée",
}
_TYPES = {"string": "text", "integer": "int", "date": "date"}


class MissingSiret(ExportError):
    """The SCDL deliberations need the municipality's SIRET, and none is defined."""

    def __init__(self) -> None:
        super().__init__(
            "le jeu « délibérations » (schéma national SCDL) exige le SIRET de la "
            "collectivité (COLL_SIRET, 14 chiffres) : il n'est pas renseigné. "
            "L'administrateur le saisit dans Référentiel › Collectivité ; aucun "
            "SIRET n'est inventé."
        )


@cache
def shipped_schema(name: str) -> dict[str, Any]:
    """A Table Schema shipped in ``exports/schemas`` (``name.schema.json``)."""
    path = SCHEMAS / f"{name}.schema.json"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def scdl_columns() -> tuple[Column, ...]:
    """The pinned SCDL schema's fields as columns, in its order."""
    return tuple(
        Column(
            f["name"],
            f["title"],
            _TYPES[f["type"]],
            f["description"],
            required=f["constraints"]["required"],
        )
        for f in shipped_schema("deliberations")["fields"]
    )


def budget_years(years: Iterable[int]) -> str:
    """SCDL ``BUDGET_ANNEE``: ``AAAA`` for one year, ``AAAA/AAAA`` for the first and
    last of several, empty for none."""
    found = sorted(set(years))
    if not found:
        return ""
    if found[0] == found[-1]:
        return f"{found[0]:04d}"
    return f"{found[0]:04d}/{found[-1]:04d}"


def deliberation_table(store: ViewStore, names: Names, municipality: str) -> Table:
    """Each COPIL decision as an SCDL deliberation (raises :class:`MissingSiret`
    when there are decisions and the municipality has no SIRET)."""
    decisions = q.decision_history(store)
    town = rq.municipality(store) or {}
    siret = town.get("siret") or ""
    if decisions and not siret:
        raise MissingSiret
    sessions = {s["code"]: s for s in q.sessions(store)}
    titles = {p["code"]: p["title"] for p in q.portfolio(store)}

    def rows() -> Iterator[tuple[Any, ...]]:
        for d in decisions:
            title = titles.get(d["proposal"], "")
            voting = sessions.get(d["session"], {}).get("voting", [])
            yield (
                municipality,
                siret,
                f"{d['session']}-{d['proposal']}",
                d["session_date"],
                MATTER_CODE,
                MATTER_NAME,
                f"Projet {d['proposal']} « {title} » du schéma directeur des "
                f"systèmes d'information : {label(OUTCOMES, d['outcome'])}",
                budget_years(c["year"] for c in d["cp"]),
                "",
                "",
                None,
                len(voting),
                d["present_voting"],
                d["votes_for"],
                d["votes_against"],
                d["abstentions"],
                "",
            )

    schema = shipped_schema("deliberations")
    return Table(
        "deliberations",
        "Décisions du comité de pilotage (schéma national SCDL Délibérations)",
        scdl_columns(),
        rows(),
        description="Une ligne par décision du comité de pilotage, au format du "
        f"schéma national SCDL « Délibérations » {schema['version']}.",
    )


PROJECT_COLUMNS = (
    Column("projet", "Projet", "text", "Code du projet.", required=True),
    Column("intitule", "Intitulé", "text", "Intitulé du projet.", required=True),
    Column("direction", "Direction", "text", "Code de la direction qui le porte."),
    Column(
        "direction_libelle", "Libellé de la direction", "text", "Nom de la direction."
    ),
    Column("pole", "Pôle", "text", "Code du pôle de la direction."),
    Column("pole_libelle", "Libellé du pôle", "text", "Nom du pôle."),
    Column("axe", "Axe stratégique", "text", "Code de l'axe stratégique principal."),
    Column("axe_libelle", "Libellé de l'axe", "text", "Intitulé de l'axe stratégique."),
    Column(
        "statut",
        "Statut",
        "text",
        "Statut du projet dans son cycle de vie (code).",
        required=True,
        enum=tuple(STAGES),
    ),
    Column(
        "statut_libelle", "Libellé du statut", "text", "Statut du projet en français."
    ),
    Column(
        "avancement_public",
        "État",
        "text",
        "Où en est le projet : prévue, en cours, réalisée (ou annulée).",
        required=True,
        enum=tuple(dict.fromkeys(STAGES.values())),
    ),
    Column(
        "avancement",
        "Avancement",
        "decimal",
        "Avancement déclaré par la DSI, en pourcentage (0 à 100).",
    ),
    Column(
        "obligatoire",
        "Obligatoire",
        "bool",
        "Vrai si le projet répond à une obligation légale ou réglementaire.",
    ),
    Column(
        "ap_accordee",
        "AP accordée",
        "money",
        "Autorisation de programme accordée par le comité de pilotage, en euros.",
    ),
    Column("premiere_annee", "Première année", "int", "Premier exercice des CP."),
    Column("derniere_annee", "Dernière année", "int", "Dernier exercice des CP."),
    Column(
        "seance_decision",
        "Séance de la décision",
        "text",
        "Code de la séance du comité de pilotage qui a approuvé le projet.",
    ),
    Column(
        "position_registre",
        "Position dans le registre",
        "int",
        "Position du dernier événement du projet dans le registre scellé.",
        required=True,
    ),
)


def project_table(store: ViewStore, names: Names) -> Table:
    """The projects of the plan: every proposal the COPIL approved, as it stands."""

    def rows() -> Iterator[tuple[Any, ...]]:
        for p in q.portfolio(store):
            if p["outcome"] not in APPROVED or p["status"] not in STAGES:
                continue
            axis = p["axis"] or ""
            yield (
                p["code"],
                p["title"],
                p["direction"],
                names.directions.get(p["direction"], ""),
                p["pole"] or "",
                names.poles.get(p["pole"] or "", ""),
                axis,
                names.axes.get(axis, ""),
                p["status"],
                label(STATUSES, p["status"]),
                STAGES[p["status"]],
                p["progress"],
                p["mandatory"],
                p["ap"],
                p["first_year"],
                p["last_year"],
                p["session"] or "",
                p["position"],
            )

    return Table(
        "projets",
        "Projets du schéma directeur",
        PROJECT_COLUMNS,
        rows(),
        description="Une ligne par projet approuvé par le comité de pilotage : "
        "porteur, axe, statut (prévue, en cours, réalisée), avancement, AP accordée.",
    )


CHECKPOINT_COLUMNS = (
    Column("numero", "Numéro", "int", "Numéro du point de contrôle.", required=True),
    Column(
        "taille_arbre",
        "Taille de l'arbre",
        "int",
        "Nombre d'événements du registre couverts par le point de contrôle.",
        required=True,
    ),
    Column(
        "racine_hex",
        "Racine (hexadécimal)",
        "text",
        "Racine SHA-256 de l'arbre de Merkle des événements, en hexadécimal.",
        required=True,
    ),
    Column("racine_base64", "Racine (base64)", "text", "La même racine, en base64."),
    Column(
        "signe_le",
        "Signé le",
        "datetime",
        "Date et heure (UTC) de la signature.",
        required=True,
    ),
    Column("motif", "Motif", "text", "Pourquoi le point de contrôle a été signé."),
    Column(
        "note_signee",
        "Note signée",
        "text",
        "Le point de contrôle signé (format C2SP signed-note, clé Ed25519) : "
        "vérifiable avec la clé publique du registre et verifier.py.",
        required=True,
    ),
)


def checkpoint_table(checkpoints: list[dict[str, Any]]) -> Table:
    """The signed checkpoints (tree size, root, signature), oldest first."""

    def rows() -> Iterator[tuple[Any, ...]]:
        for c in checkpoints:
            yield (
                c["seq"],
                c["tree_size"],
                c["root_hex"],
                c["root"],
                c["issued_at"],
                c["reason"],
                c["note"],
            )

    return Table(
        "points-de-controle",
        "Points de contrôle signés du registre",
        CHECKPOINT_COLUMNS,
        rows(),
        description="Une ligne par point de contrôle signé : de quoi vérifier, sans "
        "faire confiance au serveur, qu'aucun événement n'a été modifié ni retiré.",
    )
