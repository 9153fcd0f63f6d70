"""The open-data table of the COPIL's decisions on adopting a value grid (issue 20,
part 4): a grid's adoption put to the vote is a decision like any other, published
beside the decisions on projects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from exports.rows import Column, Names, Table
from projections.store import ViewStore
from projections.views.decisions.grid_queries import grid_decisions

OPEN_GRID_DECISION_COLUMNS = (
    Column("seance", "Séance", "text", "Code de la séance du COPIL.", required=True),
    Column("seance_date", "Date de la séance", "date", "Date de la séance."),
    Column(
        "grille_version",
        "Version de la grille",
        "int",
        "Numéro de la version de la grille de valeur mise au vote.",
        required=True,
    ),
    Column(
        "adoptee",
        "Grille adoptée",
        "bool",
        "Vrai si le comité a adopté la grille.",
        required=True,
    ),
    Column("motif", "Motif", "text", "Motif de la décision."),
    Column(
        "justification_ecart",
        "Justification de l'écart",
        "text",
        "Pourquoi la décision s'écarte de la majorité des votes, le cas échéant.",
    ),
    Column("pour", "Pour", "int", "Votes pour."),
    Column("contre", "Contre", "int", "Votes contre."),
    Column("abstention", "Abstentions", "int", "Abstentions."),
    Column("votants_presents", "Votants présents", "int", "Membres votants présents."),
    Column("quorum", "Quorum", "int", "Nombre de membres votants requis."),
    Column("president", "Président de séance", "text", "Qui a enregistré la décision."),
    Column("decide_le", "Décidé le", "datetime", "Date-heure UTC de l'enregistrement."),
    Column("position", "Position", "int", "Position de la décision dans le registre."),
)


def open_grid_decision_table(store: ViewStore, names: Names) -> Table:
    """Every COPIL decision on adopting a grid, oldest first."""

    def rows() -> Iterator[tuple[Any, ...]]:
        for d in grid_decisions(store):
            yield (
                d["session"],
                d["session_date"],
                d["number"],
                d["adopted"],
                d["rationale"],
                d["justification"],
                d["votes_for"],
                d["votes_against"],
                d["abstentions"],
                d["present_voting"],
                d["quorum_required"],
                names.person(d["chair"]),
                d["decided_at"],
                d["position"],
            )

    return Table(
        "decisions-grille",
        "Décisions du comité de pilotage sur la grille de valeur",
        OPEN_GRID_DECISION_COLUMNS,
        rows(),
        description="Une ligne par décision du comité de pilotage sur l'adoption "
        "d'une version de la grille de valeur, construite avec les directions.",
    )
