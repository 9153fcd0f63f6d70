"""The label of each field a schema or the domain names, for messages: a refusal
names the field as the form shows it (« Justification du critère VAL2 »), never by
its name in the code (``amount``, ``username``)."""

from __future__ import annotations

import re

from flask_babel import gettext as _

from web.i18n import N_

LABELS: dict[str, str] = {
    "a": N_("Première version"),
    "actor": N_("Auteur"),
    "actual": N_("Date réelle"),
    "adopted": N_("Adoptée"),
    "aggregate": N_("Enregistrement"),
    "amount": N_("Montant"),
    "ap_amount": N_("Montant de l'AP"),
    "as_of": N_("Date de lecture"),
    "axes": N_("Axes stratégiques"),
    "axis": N_("Axe stratégique"),
    "b": N_("Seconde version"),
    "based_on": N_("Version de départ"),
    "baseline": N_("Valeur de référence"),
    "body": N_("Texte"),
    "budget_scale": N_("Facteur d'enveloppe"),
    "capacity": N_("Capacité"),
    "chapter": N_("Chapitre M57"),
    "choice": N_("Vote"),
    "code": N_("Code"),
    "codes": N_("Codes"),
    "columns": N_("Colonnes"),
    "command": N_("Commande"),
    "comment": N_("Commentaire"),
    "commitment": N_("Engagement"),
    "components": N_("Volets"),
    "conditions": N_("Conditions"),
    "costs": N_("Coûts"),
    "cp": N_("CP"),
    "criteria": N_("Critères"),
    "criterion": N_("Critère"),
    "criterion_code": N_("Code du critère proposé"),
    "criterion_label": N_("Libellé du critère proposé"),
    "current_password": N_("Mot de passe actuel"),
    "date": N_("Date"),
    "date_format": N_("Format des dates"),
    "days": N_("Jours-personne"),
    "decimal": N_("Séparateur décimal"),
    "deliberation": N_("Délibération"),
    "delimiter": N_("Séparateur de colonnes"),
    "delta": N_("Variation"),
    "dependencies": N_("Dépendances"),
    "description": N_("Description"),
    "descriptor": N_("Descripteur"),
    "direction": N_("Direction"),
    "display_name": N_("Nom affiché"),
    "draws": N_("Tirages"),
    "email": N_("Adresse électronique"),
    "end": N_("Fin"),
    "event_type": N_("Type d'événement"),
    "evidence": N_("Empreinte des éléments de décision"),
    "expected_effect": N_("Effet attendu"),
    "family": N_("Famille"),
    "first_year": N_("Première année"),
    "fonction": N_("Fonction M57"),
    "force_change": N_("Changement de mot de passe obligatoire"),
    "forced_in": N_("Projets imposés"),
    "forced_out": N_("Projets exclus"),
    "from": N_("Taille de départ"),
    "greedy": N_("Méthode gloutonne"),
    "grid_version": N_("Version de la grille"),
    "high": N_("Borne haute"),
    "indicator": N_("Indicateur"),
    "insee": N_("Code commune INSEE"),
    "internal": N_("Interne"),
    "justification": N_("Justification"),
    "key": N_("Clé"),
    "kind": N_("Type"),
    "entity": N_("Entité"),
    "shares": N_("Répartition entre entités"),
    "kind_values": N_("Valeurs du type"),
    "label": N_("Intitulé"),
    "last_year": N_("Dernière année"),
    "legal_basis": N_("Base légale"),
    "level": N_("Niveau"),
    "low": N_("Borne basse"),
    "mandatory": N_("Obligatoire"),
    "member": N_("Membre"),
    "municipality": N_("Collectivité"),
    "name": N_("Nom"),
    "names": N_("Personnes nommées (identifiants)"),
    "nature": N_("Article M57"),
    "non_voting": N_("Membres sans voix délibérative"),
    "note": N_("Note de qualification"),
    "number": N_("Numéro"),
    "on": N_("Date"),
    "operation": N_("Opération"),
    "outcome": N_("Décision"),
    "override_reason": N_("Motif du forçage"),
    "owner": N_("Responsable"),
    "page": N_("Page"),
    "parent": N_("Commentaire auquel on répond"),
    "password": N_("Mot de passe"),
    "per_page": N_("Lignes par page"),
    "percent": N_("Avancement (%)"),
    "plan": N_("Plan"),
    "planned": N_("Date prévue"),
    "planned_end": N_("Fin prévue"),
    "planned_start": N_("Début prévu"),
    "pole": N_("Pôle"),
    "present": N_("Présents"),
    "project": N_("Projet"),
    "proposal": N_("Fiche"),
    "quorum": N_("Quorum"),
    "rationale": N_("Motivation"),
    "proposition": N_("Critère proposé"),
    "reason": N_("Motif"),
    "early_reason": N_("Motif de l'ouverture anticipée"),
    "starts": N_("Heure de début"),
    "ends": N_("Heure de fin"),
    "place": N_("Lieu"),
    "reference": N_("Référence"),
    "revision": N_("Révision"),
    "risk_weight": N_("Poids du risque"),
    "risks": N_("Risques"),
    "role": N_("Rôle"),
    "roles": N_("Rôles"),
    "scale": N_("Échelle"),
    "scenario": N_("Scénario"),
    "scope": N_("Périmètre"),
    "scores": N_("Notes"),
    "section": N_("Section"),
    "section_values": N_("Valeurs de la section"),
    "seed": N_("Graine"),
    "session": N_("Séance"),
    "since": N_("Depuis"),
    "siren": N_("SIREN"),
    "siret": N_("SIRET"),
    "sort": N_("Tri"),
    "source": N_("Code financier"),
    "spread": N_("Écart"),
    "start": N_("Début"),
    "status": N_("Statut"),
    "steps": N_("Étapes"),
    "subject_kind": N_("Sujet de la discussion"),
    "supplier": N_("Fournisseur"),
    "target": N_("Cible"),
    "target_year": N_("Année cible"),
    "team": N_("Équipe"),
    "time_limit": N_("Temps de calcul maximal"),
    "title": N_("Intitulé"),
    "to": N_("Taille d'arrivée"),
    "tolerance": N_("Tolérance"),
    "unit": N_("Unité"),
    "until": N_("Jusqu'au"),
    "username": N_("Identifiant"),
    "value": N_("Valeur"),
    "voting": N_("Membres votants"),
    "weight": N_("Poids"),
    "window": N_("Fenêtre"),
    "workloads": N_("Charges"),
    "year": N_("Exercice"),
    # webargs' locations and marshmallow's schema-wide errors
    "json": N_("Corps de la requête"),
    "_schema": N_("Requête"),
    "_": N_("Formulaire"),
    "file": N_("Fichier"),
    "filename": N_("Nom du fichier"),
    "sha256": N_("Empreinte SHA-256"),
    "size": N_("Taille"),
    "media_type": N_("Type de fichier"),
    "subject": N_("Objet"),
    "ref": N_("Référence"),
    "attachment": N_("Pièce jointe"),
    # the notifications' mark-read and preferences (web.api.notifications)
    "all": N_("Toutes les notifications lues"),
    "answer": N_("Réponse à votre question"),
    "decision": N_("Décision sur une fiche de votre direction"),
    "grid": N_("Décision du COPIL sur la grille de valeur"),
    "follow": N_("Changement d'une fiche suivie"),
    "ids": N_("Notifications lues"),
    "override": N_("Forçage d'une règle budgétaire"),
    "qualify": N_("Fiche à qualifier"),
    "score": N_("Fiche à évaluer"),
    "vote": N_("Séance ouverte : scrutin attendu"),
    # the phases' deliverables (web.api.phases)
    "record_kind": N_("Enregistrement désigné"),
    "record_ref": N_("Référence de l'enregistrement"),
    "copil_decision": N_("Séance du COPIL qui a décidé"),
    "without_deliverables": N_("Terminer sans tous les livrables validés"),
    # the diagnosis of the information system
    "annual_cost": N_("Coût annuel"),
    "applications": N_("Applications"),
    "assessments": N_("Évaluations citées"),
    "coverage": N_("Couverture des besoins"),
    "criticality": N_("Criticité"),
    "end_of_support": N_("Fin de support"),
    "findings": N_("Constats"),
    "obsolescence": N_("Obsolescence"),
    "product_version": N_("Version"),
    "risk": N_("Risques"),
    "satisfaction": N_("Satisfaction"),
    "statement": N_("Constat détaillé"),
    "suggestion": N_("Suggestion confirmée"),
    "technical_state": N_("État technique"),
    "technology": N_("Technologie"),
    "users": N_("Nombre d'utilisateurs"),
    "lines": N_("Lignes"),
    "q": N_("Recherche"),
    # the document review
    "author": N_("Auteur"),
    "summary": N_("Résumé"),
    "documents": N_("Documents de la revue documentaire cités"),
}

# What a key under a mapping field is (``scores.VAL2`` is criterion VAL2).
KEYED = {
    "scores": N_("du critère %(key)s"),
    "capacity": N_("de l'année %(key)s"),
}

# A field whose label differs inside one list (a cost split's ``percent`` is a share).
WITHIN = {("shares", "percent"): N_("Pourcentage")}


def field_label(path: str) -> str:
    """The label of a field named by its path: ``amount`` → « Montant »,
    ``costs.0.amount`` → « Montant (Coûts, ligne 1) », ``scores.VAL2.justification``
    → « Justification du critère VAL2 ». A name of no schema (an unknown field the
    client sent, a column of a spreadsheet) is shown as it is."""
    parts = [p for p in re.split(r"[.\[\]]+", path) if p]
    if not parts:
        return _(LABELS["_"])
    if len(parts) == 2 and parts[0] == "columns":  # a finance import profile's
        return _("Colonne du champ %(field)s", field=parts[1])
    context: list[str] = []
    keyed = ""
    name = parts[-1]
    for i, part in enumerate(parts[:-1]):
        following = parts[i + 1]
        if part in KEYED and i + 1 < len(parts):
            keyed = _(KEYED[part], key=following)
        elif following.isdigit() and part in LABELS:
            context.append(
                _("%(list)s, ligne %(n)s", list=_(LABELS[part]), n=int(following) + 1)
            )
    if name.isdigit() and len(parts) > 1:  # an item of a list as a whole
        list_name = parts[-2]
        base = _(LABELS[list_name]) if list_name in LABELS else list_name
        return _("%(list)s, ligne %(n)s", list=base, n=int(name) + 1)
    owner = next((p for p in reversed(parts[:-1]) if not p.isdigit()), "")
    if (owner, name) in WITHIN:
        base = _(WITHIN[owner, name])
    elif name in LABELS:
        base = _(LABELS[name])
    elif parts[:-1] and parts[-2] in KEYED:  # the mapping's entry itself
        base = _(LABELS[parts[-2]])
    else:
        base = name
    label = f"{base} {keyed}" if keyed else base
    return f"{label} ({'; '.join(context)})" if context else label
