"""Row generators shared by the tabular writers (CSV, XLSX, JSON).

A :class:`Table` is a list of typed :class:`Column` and an iterable of rows (tuples in
column order). The same table feeds the French CSV and the XLSX workbook of the finance
export, and the open-data CSV and JSON; only the writers differ. Figures come from
``projections.queries`` as exact ``Decimal`` euros; totals are the projection's own
totals, never re-added here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from exports.french import CHOICES, OUTCOMES, STATUSES, label
from projections import queries as q
from projections.store import ViewStore

# Column kinds and their Table Schema types (https://specs.frictionlessdata.io).
SCHEMA_TYPES = {
    "text": "string",
    "int": "integer",
    "money": "number",
    "decimal": "number",
    "bool": "boolean",
    "date": "date",
    "datetime": "datetime",
    "list": "array",
}

LINE, SUBTOTAL, TOTAL = "Projet", "Sous-total", "Total général"


@dataclass(frozen=True)
class Column:
    """One column: machine key, French header, kind, meaning (and SCDL alignment)."""

    key: str
    header: str
    kind: str = "text"
    description: str = ""
    width: int = 14
    scdl: bool = False
    required: bool = False
    enum: tuple[str, ...] = ()


@dataclass
class Table:
    """Typed columns and rows (tuples in column order); ``emphasis`` marks totals."""

    name: str
    title: str
    columns: tuple[Column, ...]
    rows: Iterable[tuple[Any, ...]]
    emphasis: Callable[[tuple[Any, ...]], bool] | None = None
    description: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def keys(self) -> list[str]:
        return [c.key for c in self.columns]


# --- names of things (officials, organisation) ----------------------------------------


@dataclass(frozen=True)
class Names:
    """Display names of accounts, pôles, directions and axes, read once."""

    people: dict[str, str]
    poles: dict[str, str]
    directions: dict[str, str]
    axes: dict[str, str]

    @classmethod
    def read(cls, store: ViewStore) -> Names:
        org = q.organisation(store)
        return cls(
            people={a["username"]: a["display_name"] for a in q.accounts(store)},
            poles={p["code"]: p["name"] for p in org["poles"]},
            directions={d["code"]: d["name"] for d in org["directions"]},
            axes={a["code"]: a["label"] for a in q.axes(store)},
        )

    def person(self, username: str | None) -> str:
        if not username:
            return ""
        return self.people.get(username, username)


# --- finance: budget consumption ------------------------------------------------------

BUDGET_COLUMNS = (
    Column("kind", "Type de ligne", width=13),
    Column("year", "Exercice", "int", width=9),
    Column("section", "Section", width=15),
    Column("pole", "Pôle", width=7),
    Column("pole_name", "Libellé du pôle", width=28),
    Column("direction", "Direction", width=10),
    Column("direction_name", "Libellé de la direction", width=30),
    Column("axis", "Axe", width=6),
    Column("proposal", "Projet", width=12),
    Column("title", "Intitulé du projet", width=40),
    Column("status", "Statut", width=14),
    Column("ap_voted", "AP votée", "money"),
    Column("ap_revisions", "Révisions d'AP", "money"),
    Column("ap_current", "AP actuelle", "money"),
    Column("cp", "CP de l'exercice", "money"),
    Column("allocated", "Alloué", "money"),
    Column("committed", "Engagé", "money"),
    Column("paid", "Mandaté", "money"),
    Column("available", "Disponible", "money"),
    Column("override_allocation", "Dérogation allocation", "bool", width=11),
    Column("override_commitment", "Dérogation engagement", "bool", width=11),
    Column("override_payment", "Dérogation paiement", "bool", width=11),
    Column("chapter", "Chapitre M57", width=9),
    Column("nature", "Article M57 (nature)", width=10),
    Column("fonction", "Fonction M57", width=9),
    Column("operation", "Opération", width=10),
)

MONEY_TOTALS = q.MONEY_FIELDS  # cp, allocated, committed, paid, available


def budget_rows(
    data: dict[str, Any],
    names: Names,
    imputations: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> Iterator[tuple[Any, ...]]:
    """Project × year × section lines, a subtotal after each year × section, a total;
    each line with the M57 imputation of its project's section (``imputations``)."""
    imps = imputations or {}
    subtotals = data["totals"]["year_section"]
    current: tuple[int, str] | None = None

    def subtotal(key: tuple[int, str]) -> tuple[Any, ...]:
        sums = subtotals[f"{key[0]}/{key[1]}"]
        return _total_row(SUBTOTAL, key[0], key[1], sums)

    for ln in data["lines"]:
        key = (ln["year"], ln["section"])
        if current is not None and key != current:
            yield subtotal(current)
        current = key
        yield (
            LINE,
            ln["year"],
            ln["section"],
            ln["pole"],
            names.poles.get(ln["pole"], ""),
            ln["direction"],
            names.directions.get(ln["direction"], ""),
            ln["axis"] or "",
            ln["proposal"],
            ln["title"],
            label(STATUSES, ln["status"]),
            ln["ap_voted"],
            ln["ap_revisions"],
            ln["ap_current"],
            ln["cp"],
            ln["allocated"],
            ln["committed"],
            ln["paid"],
            ln["available"],
            ln["override_allocation"],
            ln["override_commitment"],
            ln["override_payment"],
            *_imputation(imps.get(ln["proposal"], {}), ln["section"]),
        )
    if current is not None:
        yield subtotal(current)
    yield _total_row(TOTAL, None, "", data["total"])


def _total_row(
    kind: str, year: int | None, section: str, sums: dict[str, Decimal]
) -> tuple[Any, ...]:
    return (
        kind,
        year,
        section,
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        None,
        None,
        None,
        sums["cp"],
        sums["allocated"],
        sums["committed"],
        sums["paid"],
        sums["available"],
        None,
        None,
        None,
        "",
        "",
        "",
        "",
    )


def _imputation(of: dict[str, dict[str, Any]], section: str) -> tuple[str, ...]:
    imp = q.line_imputation(of, section)
    return tuple(
        imp.get(f) or "" for f in ("chapter", "nature", "fonction", "operation")
    )


def budget_table(
    data: dict[str, Any],
    names: Names,
    imputations: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> Table:
    """The finance table of ``q.budget_consumption`` (lines, subtotals, total)."""
    return Table(
        "consommation",
        "Consommation budgétaire",
        BUDGET_COLUMNS,
        budget_rows(data, names, imputations),
        emphasis=lambda row: row[0] != LINE,
        meta={"lines": len(data["lines"])},
    )


ENVELOPE_COLUMNS = (
    Column("year", "Exercice", "int", width=9),
    Column("section", "Section", width=15),
    Column("bp", "Budget primitif (BP)", "money", width=18),
    Column("dm", "Décisions modificatives (DM)", "money", width=18),
    Column("total", "Enveloppe votée", "money", width=18),
    Column("allocated", "Alloué aux projets", "money", width=18),
    Column("available", "Disponible", "money", width=18),
    Column("overrides", "Allocations en dérogation", "int", width=12),
)


def envelope_table(data: dict[str, Any]) -> Table:
    """Envelopes per year and section, against what projects were allocated."""
    rows = [
        (
            e["year"],
            e["section"],
            e["bp"],
            e["dm"],
            e["total"],
            e["allocated"],
            e["available"],
            e["overrides"],
        )
        for e in data["envelopes"]
    ]
    return Table("enveloppes", "Enveloppes", ENVELOPE_COLUMNS, rows)


SUMMARY_COLUMNS = (
    Column("level", "Regroupement", width=16),
    Column("key", "Code", width=16),
    Column("name", "Libellé", width=40),
    Column("cp", "CP", "money", width=16),
    Column("allocated", "Alloué", "money", width=16),
    Column("committed", "Engagé", "money", width=16),
    Column("paid", "Mandaté", "money", width=16),
    Column("available", "Disponible", "money", width=16),
)

_LEVELS = (
    ("pole", "Pôle"),
    ("direction", "Direction"),
    ("axis", "Axe"),
    ("year_section", "Exercice et section"),
)


def summary_table(data: dict[str, Any], names: Names) -> Table:
    """The projection's totals per pôle, direction, axis and year × section."""
    lookup = {"pole": names.poles, "direction": names.directions, "axis": names.axes}

    def rows() -> Iterator[tuple[Any, ...]]:
        for level, title in _LEVELS:
            for key, sums in sorted(data["totals"][level].items()):
                yield (
                    title,
                    key,
                    lookup.get(level, {}).get(key, ""),
                    *(sums[f] for f in MONEY_TOTALS),
                )
        yield (TOTAL, "", "", *(data["total"][f] for f in MONEY_TOTALS))

    return Table(
        "synthese",
        "Synthèse",
        SUMMARY_COLUMNS,
        rows(),
        emphasis=lambda row: row[0] == TOTAL,
    )


# --- open data ------------------------------------------------------------------------

OPEN_DECISION_COLUMNS = (
    Column(
        "seance",
        "Séance",
        "text",
        "Code de la séance du comité de pilotage.",
        required=True,
    ),
    Column(
        "seance_date", "Date de la séance", "date", "Date de la séance.", required=True
    ),
    Column("projet", "Projet", "text", "Code du projet examiné.", required=True),
    Column("projet_libelle", "Intitulé du projet", "text", "Intitulé du projet."),
    Column(
        "direction", "Direction", "text", "Code de la direction qui porte le projet."
    ),
    Column(
        "direction_libelle", "Libellé de la direction", "text", "Nom de la direction."
    ),
    Column("pole", "Pôle", "text", "Code du pôle."),
    Column("pole_libelle", "Libellé du pôle", "text", "Nom du pôle."),
    Column(
        "revision_fiche",
        "Révision de la fiche",
        "int",
        "Révision de la fiche projet sur laquelle porte la décision.",
    ),
    Column(
        "decision",
        "Décision",
        "text",
        "Code de la décision.",
        required=True,
        enum=tuple(OUTCOMES),
    ),
    Column(
        "decision_libelle",
        "Libellé de la décision",
        "text",
        "Décision en français : approuvé, approuvé sous conditions, ajourné, rejeté.",
    ),
    Column(
        "motif",
        "Motif",
        "text",
        "Motif de la décision, tel que consigné par la présidence de séance.",
    ),
    Column(
        "conditions",
        "Conditions",
        "text",
        "Conditions d'une approbation sous conditions.",
    ),
    Column(
        "ecart_majorite",
        "Écart au vote",
        "bool",
        "Vrai si la décision s'écarte de la majorité des votes exprimés.",
    ),
    Column(
        "justification_ecart",
        "Justification de l'écart",
        "text",
        "Justification obligatoire d'une décision qui s'écarte du vote.",
    ),
    Column(
        "derogation_budgetaire",
        "Dérogation budgétaire",
        "bool",
        "Vrai si l'allocation des CP dépasse l'enveloppe avec une dérogation motivée.",
    ),
    Column(
        "derogation_motif",
        "Motif de la dérogation",
        "text",
        "Motif de la dérogation budgétaire.",
    ),
    Column(
        "ap_accordee",
        "AP accordée",
        "money",
        "Autorisation de programme accordée, en euros (vide si non approuvé).",
    ),
    Column(
        "cp_accordes",
        "CP accordés",
        "list",
        "Échéancier des crédits de paiement "
        "accordés : liste JSON d'objets {annee, section, montant}.",
    ),
    Column(
        "votes_pour", "Votes pour", "int", "Nombre de votes pour (votes en vigueur)."
    ),
    Column("votes_contre", "Votes contre", "int", "Nombre de votes contre."),
    Column("abstentions", "Abstentions", "int", "Nombre d'abstentions."),
    Column("votants_presents", "Votants présents", "int", "Membres votants présents."),
    Column(
        "quorum_requis",
        "Quorum requis",
        "int",
        "Nombre de membres votants présents requis.",
    ),
    Column(
        "version_grille",
        "Version de la grille",
        "int",
        "Version de la grille d'évaluation en vigueur.",
    ),
    Column(
        "valeur",
        "Score de valeur",
        "decimal",
        "Score de valeur consolidé sur 100 selon la grille.",
    ),
    Column(
        "risque",
        "Score de risque",
        "decimal",
        "Score de risque consolidé sur 100 selon la grille.",
    ),
    Column(
        "president_seance",
        "Président de séance",
        "text",
        "Nom de l'élu ou du "
        "cadre qui préside la séance, dans l'exercice de ses fonctions.",
    ),
    Column(
        "decide_le",
        "Horodatage",
        "datetime",
        "Date et heure (UTC) d'enregistrement de la décision.",
    ),
    Column(
        "position_registre",
        "Position dans le registre",
        "int",
        "Position de la "
        "décision dans le registre scellé (vérifiable par preuve d'inclusion).",
    ),
)


def open_decision_table(store: ViewStore, names: Names) -> Table:
    """Every COPIL decision for open data (no referent, no evaluator text)."""
    portfolio = {p["code"]: p for p in q.portfolio(store)}

    def rows() -> Iterator[tuple[Any, ...]]:
        for d in q.decision_history(store):
            p = portfolio.get(d["proposal"], {})
            direction, pole = p.get("direction", ""), p.get("pole", "")
            cp = [
                {
                    "annee": c["year"],
                    "section": c["section"],
                    "montant": Decimal(c["amount"]),
                }
                for c in d["cp"]
            ]
            yield (
                d["session"],
                d["session_date"],
                d["proposal"],
                p.get("title", ""),
                direction,
                names.directions.get(direction, ""),
                pole,
                names.poles.get(pole, ""),
                d["revision"],
                d["outcome"],
                label(OUTCOMES, d["outcome"]),
                d["rationale"],
                d["conditions"] or "",
                d["departs_from_majority"],
                d["justification"] or "",
                d["override"],
                d["override_reason"] or "",
                d["ap"],
                cp,
                d["votes_for"],
                d["votes_against"],
                d["abstentions"],
                d["present_voting"],
                d["quorum_required"],
                d["grid_version"],
                d["value"],
                d["risk"],
                names.person(d["chair"]),
                d["decided_at"],
                d["position"],
            )

    return Table(
        "decisions",
        "Décisions du comité de pilotage",
        OPEN_DECISION_COLUMNS,
        rows(),
        description="Une ligne par décision du comité de pilotage du schéma "
        "directeur, avec le décompte des votes et les montants accordés.",
    )


OPEN_VOTE_COLUMNS = (
    Column("seance", "Séance", "text", "Code de la séance.", required=True),
    Column("seance_date", "Date de la séance", "date", "Date de la séance."),
    Column("projet", "Projet", "text", "Code du projet soumis au vote.", required=True),
    Column(
        "membre",
        "Membre",
        "text",
        "Nom du membre votant du comité de pilotage "
        "(élu ou cadre de direction, dans l'exercice de ses fonctions).",
        required=True,
    ),
    Column(
        "vote",
        "Vote",
        "text",
        "pour, contre ou abstention.",
        required=True,
        enum=tuple(CHOICES.values()),
    ),
    Column(
        "remplace",
        "Vote remplacé",
        "bool",
        "Vrai si le membre a ensuite changé son vote (le vote remplacé reste public).",
    ),
    Column("horodatage", "Horodatage", "datetime", "Date et heure (UTC) du vote."),
    Column(
        "position_registre",
        "Position dans le registre",
        "int",
        "Position du vote dans le registre scellé.",
    ),
)


def open_vote_table(store: ViewStore, names: Names) -> Table:
    """Every vote, named, as public minutes show them."""
    dates = {s["code"]: s["on"] for s in q.sessions(store)}

    def rows() -> Iterator[tuple[Any, ...]]:
        for v in q.votes(store):
            yield (
                v["session"],
                dates.get(v["session"]),
                v["proposal"],
                names.person(v["member"]),
                label(CHOICES, v["choice"]),
                not v["current"],
                v["at"],
                v["position"],
            )

    return Table(
        "votes",
        "Votes nominatifs du comité de pilotage",
        OPEN_VOTE_COLUMNS,
        rows(),
        description="Une ligne par vote exprimé en séance, y compris les votes "
        "ensuite remplacés.",
    )
