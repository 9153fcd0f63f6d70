"""An event's changes as a person reads them: "Statut : En cours → Annulée".

The audit view keeps each change as ``{"field", "old", "new"}`` with the event's own
field names and plain JSON values (``projections/views/audit/rendering.py``); here
each field gets its French label, each value its form on the other pages (amounts in
euros, dates, statuses, roles, votes), and a structured value (a score, CP lines, a
decision) its fields one after the other. The raw JSON stays one click away.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from web.formatting import (
    CHOICE,
    FAMILY,
    MEMBER_KIND,
    PHASE,
    ROLE,
    SECTION,
    STATUS,
    day,
    eur,
    label,
)

# Every field of every domain event, and of the values they carry, by its label.
FIELDS: dict[str, Any] = {
    "active": _l("Actif"),
    "actual": _l("Date réelle"),
    "amount": _l("Montant"),
    "ap_amount": _l("Montant de l'AP"),
    "abstentions": _l("Abstentions"),
    "against": _l("Contre"),
    "axes": _l("Axes"),
    "axis": _l("Axe"),
    "based_on": _l("Version de départ"),
    "baseline": _l("Valeur de référence"),
    "chair": _l("Président de séance"),
    "choice": _l("Vote"),
    "code": _l("Code"),
    "codes": _l("Codes des entités"),
    "comment": _l("Commentaire"),
    "commitment": _l("Engagement"),
    "components": _l("Composantes"),
    "conditions": _l("Conditions"),
    "conflicts": _l("Conflits"),
    "content": _l("Contenu de la fiche"),
    "costs": _l("Coûts"),
    "cp": _l("Crédits de paiement (CP)"),
    "criteria": _l("Critères"),
    "criterion": _l("Critère"),
    "criterion_code": _l("Code du critère"),
    "days": _l("Jours-personne"),
    "decision": _l("Décision"),
    "deliberation": _l("Délibération"),
    "delta": _l("Variation"),
    "dependencies": _l("Dépendances"),
    "description": _l("Description"),
    "descriptor": _l("Descripteur"),
    "direction": _l("Direction"),
    "directions_listed": _l("Directions listées"),
    "display_name": _l("Nom affiché"),
    "email": _l("Courriel"),
    "end": _l("Fin"),
    "evaluator": _l("Évaluateur"),
    "evaluators_listed": _l("Évaluateurs listés"),
    "expected_effect": _l("Effet attendu"),
    "family": _l("Famille"),
    "first_year": _l("Première année"),
    "for": _l("Pour"),
    "force_change": _l("Changement de mot de passe exigé"),
    "gap": _l("Écart d'optimalité"),
    "greedy": _l("Sélection gloutonne"),
    "grid": _l("Grille"),
    "grid_version": _l("Version de la grille"),
    "indicator": _l("Indicateur"),
    "indicators": _l("Indicateurs"),
    "indicators_listed": _l("Indicateurs listés"),
    "input_hash": _l("Empreinte des données d'entrée"),
    "inputs": _l("Données d'entrée"),
    "insee": _l("Code INSEE"),
    "early_reason": _l("Motif de l'ouverture anticipée"),
    "filename": _l("Nom du fichier"),
    "media_type": _l("Type de fichier"),
    "replaces": _l("Fichier remplacé (SHA-256)"),
    "subject_kind": _l("Objet de la pièce jointe"),
    "subject_ref": _l("Référence de l'objet"),
    "sha256": _l("Empreinte SHA-256"),
    "starts_at": _l("Début"),
    "ends_at": _l("Fin"),
    "timezone": _l("Fuseau horaire"),
    "place": _l("Lieu"),
    "recipients": _l("Destinataires"),
    "agenda_sha256": _l("Empreinte SHA-256 de l'ordre du jour"),
    "sequence": _l("Envoi n°"),
    "size": _l("Taille (octets)"),
    "justification": _l("Justification"),
    "kind": _l("Nature"),
    "label": _l("Libellé"),
    "last_year": _l("Dernière année"),
    "level": _l("Niveau"),
    "member": _l("Membre"),
    "milestone": _l("Jalon"),
    "moved": _l("Reporté"),
    "municipality": _l("Collectivité"),
    "name": _l("Nom"),
    "non_voting": _l("Membres sans voix délibérative"),
    "number": _l("Numéro"),
    "objective": _l("Objectif"),
    "on": _l("Date"),
    "outcome": _l("Décision"),
    "override_reason": _l("Motif du forçage"),
    "parameters": _l("Paramètres"),
    "pending": _l("En attente"),
    "percent": _l("Avancement (%)"),
    "phase": _l("Phase"),
    "plan": _l("Plan"),
    "planned": _l("Date prévue"),
    "planned_end": _l("Fin prévue"),
    "planned_start": _l("Début prévu"),
    "pole": _l("Pôle"),
    "present": _l("Présents"),
    "previous": _l("Montant précédent"),
    "projects": _l("Projets"),
    "proposal": _l("Fiche"),
    "qualification": _l("Qualification"),
    "quorum": _l("Quorum"),
    "reference": _l("Référence"),
    "referent": _l("Référent"),
    "result": _l("Résultat"),
    "revision": _l("Révision"),
    "risks": _l("Risques"),
    "role": _l("Rôle"),
    "scale": _l("Échelle"),
    "scope": _l("Périmètre"),
    "score": _l("Note"),
    "section": _l("Section"),
    "session": _l("Séance"),
    "siren": _l("SIREN"),
    "sirens": _l("SIREN des entités ouvertes"),
    "siret": _l("SIRET"),
    "solver": _l("Solveur"),
    "solver_version": _l("Version du solveur"),
    "source": _l("Source"),
    "start": _l("Début"),
    "status": _l("Statut"),
    "subject": _l("Identifiant dans l'annuaire"),
    "summary": _l("Résumé"),
    "supplier": _l("Fournisseur"),
    "target": _l("Cible"),
    "target_year": _l("Année cible"),
    "title": _l("Titre"),
    "unit": _l("Unité"),
    "username": _l("Identifiant"),
    "value": _l("Valeur"),
    "voting": _l("Membres votants"),
    "workload": _l("Charge"),
    "year": _l("Exercice"),
    # Discussion (comments, replies, answers, hiding)
    "answered_by": _l("Réponse retenue par"),
    "accepted_by": _l("Proposition retenue par"),
    "declined_by": _l("Proposition écartée par"),
    "author": _l("Auteur"),
    "body": _l("Texte"),
    "internal": _l("Interne"),
    "parent_author": _l("Auteur du message d'origine"),
    "parent_id": _l("Message d'origine"),
    "proposition": _l("Proposition"),
    "reason": _l("Motif"),
    "subject_id": _l("Identifiant de l'objet"),
    # Finance import and its settings
    "batches": _l("Lots"),
    "counts": _l("Nombres créés"),
    "definition": _l("Définition"),
    "file_name": _l("Nom du fichier importé"),
    "key": _l("Clé d'idempotence"),
    "profile": _l("Profil d'import"),
    "project": _l("Projet"),
    "totals": _l("Totaux"),
    # M57 imputation
    "chapter": _l("Chapitre"),
    "fonction": _l("Fonction"),
    "nature": _l("Nature"),
    "operation": _l("Opération"),
    "warnings": _l("Avertissements"),
    # the diagnosis of the information system (domain.inventory, domain.findings)
    "annual_cost": _l("Coût annuel"),
    "applications": _l("Applications"),
    "assessments": _l("Évaluations citées"),
    "coverage": _l("Couverture des besoins"),
    "criticality": _l("Criticité"),
    "end_of_support": _l("Fin de support"),
    "findings": _l("Constats"),
    "obsolescence": _l("Obsolescence"),
    "product_version": _l("Version"),
    "risk": _l("Risques"),
    "satisfaction": _l("Satisfaction"),
    "statement": _l("Constat détaillé"),
    "suggestion": _l("Suggestion confirmée"),
    "technical_state": _l("État technique"),
    "technology": _l("Technologie"),
    "users": _l("Utilisateurs"),
    # the document review (domain.reviewed_documents)
    "documents": _l("Documents de la revue documentaire cités"),
    "date": _l("Date"),
    "attachment": _l("Pièce jointe"),
    "by": _l("Examiné par"),
    "entity": _l("Entité"),
    "items": _l("Livrables attendus"),
    "missing": _l("Livrables manquants"),
    "owner": _l("Responsable"),
    "plan_number": _l("Numéro du plan"),
    "record_kind": _l("Nature de l'enregistrement"),
    "record_ref": _l("Référence de l'enregistrement"),
    "shares": _l("Répartition entre entités"),
}
AMOUNTS = {"amount", "ap_amount", "delta", "previous", "annual_cost"}
DATES = {
    "on",
    "start",
    "end",
    "planned",
    "actual",
    "planned_start",
    "planned_end",
    "end_of_support",
    "date",
}
CODED = {
    "status": STATUS,
    "outcome": STATUS,
    "choice": CHOICE,
    "section": SECTION,
    "role": ROLE,
    "family": FAMILY,
    "phase": PHASE,
}
MAX_ITEMS = 12
MAX_DEPTH = 8  # levels of records and lists shown as such (our events nest 4)


def field_label(name: str) -> str:
    """The French (or English) label of an event field; the name if none is known."""
    found = FIELDS.get(name)
    return str(found) if found is not None else name


def _scalar(name: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if name in AMOUNTS:
        try:
            return eur(Decimal(str(value)))
        except InvalidOperation:
            return str(value)
    if name in DATES and isinstance(value, str) and len(value) >= 10:
        try:
            return day(value)
        except ValueError:
            return value
    if name == "kind" and value in MEMBER_KIND:
        return label(MEMBER_KIND, value)
    if name in CODED:
        return label(CODED[name], value)
    return str(value)


def _parsed(value: Any) -> Any:
    """A structured value the audit view stored as JSON text, parsed back; a value cut
    short for length (ending in "…") stays text."""
    if isinstance(value, str) and value[:1] in "[{" and not value.endswith("…"):
        try:
            return json.loads(value)
        except (
            ValueError,
            RecursionError,
        ):  # text, or brackets nested past Python's stack
            return value
    return value


def _compact(value: Any) -> str:
    try:
        return json.dumps(value, ensure_ascii=False)
    except RecursionError:
        return "…"


def readable(name: str, value: Any, depth: int = 0) -> Markup:
    """One value as HTML: a scalar in words, a record as "label : value" pairs, a list
    of records one per line. Past ``MAX_DEPTH`` levels (our events nest 4; a typed
    text such as "[[[[…]]]]" parses as deep as it likes) the rest is shown as text."""
    raw, value = value, _parsed(value)
    if depth >= MAX_DEPTH and isinstance(value, dict | list):
        return escape(raw if isinstance(raw, str) else _compact(value))
    if isinstance(value, dict):
        pairs = [
            f'<span class="field-name">{escape(field_label(k))}</span> : '
            f"{readable(k, v, depth + 1)}"
            for k, v in sorted(value.items())
        ]
        return Markup(" ; ".join(pairs) if pairs else "—")
    if isinstance(value, list):
        if not value:
            return Markup("—")
        if all(not isinstance(v, dict | list) for v in value):
            return escape(", ".join(_scalar(name, v) for v in value))
        items = [f"<li>{readable(name, v, depth + 1)}</li>" for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            more = len(value) - MAX_ITEMS
            items.append(
                f'<li class="muted">{escape(_("et %(n)s de plus", n=more))}</li>'
            )
        return Markup(f'<ul class="values">{"".join(items)}</ul>')
    return escape(_scalar(name, value))


def lines(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each change as ``{"label", "old", "new"}`` (``old`` None when the event only
    sets the value)."""
    return [
        {
            "field": c["field"],
            "label": field_label(c["field"]),
            "old": None if c.get("old") is None else readable(c["field"], c["old"]),
            "new": readable(c["field"], c.get("new")),
        }
        for c in changes
    ]


def raw_json(changes: list[dict[str, Any]]) -> str:
    """The changes as the API gives them, indented (structured values parsed back)."""
    plain = [
        {
            "field": c["field"],
            "old": _parsed(c.get("old")),
            "new": _parsed(c.get("new")),
        }
        for c in changes
    ]
    return json.dumps(plain, ensure_ascii=False, indent=1, sort_keys=True)
