"""Domain errors in the language of the page.

``domain.errors`` writes every refusal in French (its ``template`` filled with its
``params``); the API keeps that French message. Pages in another language show the
English template of the same ``code``, filled with the same params, the French texts
a param may carry (an action, a reason, a kind of record…) put into English too.
A text with no English version stays as the domain wrote it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from flask_babel import get_locale, gettext

from domain.errors import LABELLED, DomainError
from domain.errors import LABELS as FRENCH_LABELS
from web.field_labels import field_label
from web.formatting import num

# code → English template (same placeholders as the French one).
ENGLISH: dict[str, str] = {
    "rule_violated": "A rule was not respected.",
    "invalid_value": "Invalid value for “{field_label}”: “{value}” ({reason}).",
    "not_found": "{kind} not found: {id}.",
    "already_exists": "{kind} already exists: {id}.",
    "finance_line_refused": "Line {line} ({key}) refused: {reason}",
    "finance_import_partly_written": (
        "Import interrupted at batch {batch} of {batches}: {reason} Batches 1 to "
        "{done} are recorded ({written}); nothing else was written. Import the same "
        "file again to complete the import: the lines already recorded are "
        "recognised by their key and will not be recorded twice."
    ),
    "forbidden": "{actor} is not allowed to {action} (roles: {roles}).",
    "unknown_actor": "Unknown or disabled account: {actor}.",
    "reason_required": "A reason is required to {action}.",
    "role_already_granted": "{username} already has the {role} role.",
    "role_not_held": "{username} does not have the {role} role.",
    "last_administrator": (
        "{username} is the last administrator: the admin role cannot be taken "
        "away from them."
    ),
    "account_disabled": "The account {username} is disabled.",
    "account_erased": (
        "The account {username} was erased (personne effacée): it can no longer be"
        " changed nor erased again."
    ),
    "official_record_kept": (
        "{username} voted in session ({votes} vote(s)): an official's name in the"
        " deliberations is kept (GDPR art. 17(3)(b) and (e), see docs/privacy.md)."
        " Erasure refused."
    ),
    "current_password_wrong": "The current password of {username} is wrong.",
    "current_password_required": (
        "{username} changes their own password by giving the current one: a reset "
        "is for other accounts."
    ),
    "password_unchanged": "The new password of {username} is the current one.",
    "phase_transition_refused": (
        "The phase “{phase}” is “{status}”: it cannot be moved to “{target}”."
    ),
    "deliverables_missing": (
        "The phase “{phase}” cannot be completed: deliverables not validated: "
        "{missing}. Have them validated, or complete the phase with a reason."
    ),
    "deliverable_refused": "Deliverable “{label}”: {why}.",
    "phase_closed": "The phase “{phase}” is done: its deliverables no longer change.",
    "year_outside_horizon": (
        "The year {year} is outside the plan's horizon ({first}–{last})."
    ),
    "horizon_below_costed": (
        "The plan cannot end in {year}: costs, CP or envelopes are already planned "
        "up to {costed}."
    ),
    "grid_frozen": "Grid v{version} is adopted: it can no longer be changed.",
    "discussion_closed": (
        "The discussion of grid v{version} is closed: the version is adopted."
    ),
    "comment_hidden": "Comment {comment} is hidden by the chair.",
    "not_referent_for_assessment": (
        "{actor} is not the digital referent of the {direction} department: they "
        "cannot assess application {application} for it."
    ),
    "unknown_evidence": "Finding: {what} not found ({id}).",
    "finding_withdrawn": "Finding {finding} is withdrawn.",
    "document_withdrawn": "Document {document} is withdrawn from the review register.",
    "not_a_question": (
        "Comment {comment} is not a question: there is no answer to mark."
    ),
    "not_a_proposition": (
        "Comment {comment} is not a criterion proposition: there is nothing to "
        "accept or decline."
    ),
    "proposition_settled": "Proposition {comment} is already {settled} by {by}.",
    "grid_not_on_agenda": "Grid v{version} is not on the agenda of session {session}.",
    "grid_already_on_agenda": (
        "Grid v{version} is already on the agenda of session {session}."
    ),
    "grid_already_decided": (
        "Session {session} has already decided on grid v{version}."
    ),
    "weights_do_not_sum": (
        "The weights of the “{family}” family in grid v{version} total {total}%, "
        "not 100%."
    ),
    "empty_grid": "Grid v{version} has no value criterion: it cannot be adopted.",
    "grid_not_adopted": "Grid v{version} is not adopted: it cannot be used to score.",
    "unknown_criterion": "Criterion {criterion} does not exist in grid v{version}.",
    "level_out_of_scale": (
        "Level {level} is outside the scale of criterion {criterion} ({low} to {high})."
    ),
    "invalid_transition": (
        "Proposal {proposal} is “{status}”: the action “{action}” is not possible."
    ),
    "not_referent_of_direction": (
        "{actor} is not the digital referent of the {direction} department "
        "(proposal {proposal})."
    ),
    "mandatory_without_legal_basis": (
        "Proposal {proposal} is declared mandatory without a legal basis."
    ),
    "invalid_dependency": "Invalid dependency from {proposal} on {target}: {reason}.",
    "score_on_stale_revision": (
        "Proposal {proposal} is at revision {current}: revision {revision} can no "
        "longer be scored."
    ),
    "justification_required": "A justification is required: {what}.",
    "session_closed": "Session {session} is closed: nothing more can be added to it.",
    "session_not_open": "Session {session} is not open (status “{status}”).",
    "no_convocation_recipient": (
        "No member convened to session {session} has an e-mail address: the "
        "convocation cannot be sent to anyone."
    ),
    "session_already_open": (
        "Session {session} is already open: {what} is no longer possible."
    ),
    "not_a_member": "{member} is not a member of session {session}.",
    "not_a_voting_member": "{member} has no vote in session {session}.",
    "member_absent": (
        "{member} is not present at session {session}: voting is not possible."
    ),
    "not_on_agenda": "Proposal {proposal} is not on the agenda of session {session}.",
    "already_on_agenda": (
        "Proposal {proposal} is already on the agenda of session {session}."
    ),
    "already_decided": (
        "A decision has already been taken on proposal {proposal} in session {session}."
    ),
    "quorum_not_met": (
        "Quorum not reached for session {session}: {present} voting member(s) "
        "present, {required} required."
    ),
    "not_the_chair": "{actor} does not chair session {session}.",
    "departs_from_majority": (
        "The decision “{outcome}” on {proposal} departs from the majority of the vote "
        "({votes_for} for, {votes_against} against): a justification is required."
    ),
    "departs_from_scenario": (
        "The decision “{outcome}” on {proposal} departs from the recommendation of "
        "scenario {scenario} ({recommendation}): a justification is required."
    ),
    "decision_amounts_invalid": (
        "Inconsistent amounts in the decision on {proposal}: {reason}."
    ),
    "undecided_items": (
        "Session {session} cannot be closed: there is no decision yet for {items}."
    ),
    "budget_already_voted": (
        "The {year} primitive budget (BP) ({section}) has already been voted; "
        "adjustments go through a budget amendment (DM)."
    ),
    "budget_not_voted": (
        "The {year} primitive budget (BP) ({section}) has not been voted."
    ),
    "envelope_exceeded": (
        "Envelope {year} ({section}) exceeded for {proposal}: €{requested} "
        "requested, €{available} available. Going beyond it requires a justified "
        "override by the chair."
    ),
    "required_proposal_not_approved": (
        "{proposal} requires proposal {required}, which is {status}: approving it "
        "requires a justified override by the chair."
    ),
    "excluded_proposal_approved": (
        "{proposal} and {other} exclude each other, and proposal {other} is "
        "{status}: approving {proposal} requires a justified override by the chair."
    ),
    "capacity_exceeded": (
        "Capacity of team {team} exceeded in {year} by {proposal}: {reserved} "
        "person-days already reserved + {requested} requested for a capacity of "
        "{capacity}. Going beyond it requires a justified override by the chair."
    ),
    "date_in_future": (
        "The date {date} is after the day of recording ({today}): {what} cannot be "
        "dated in the future."
    ),
    "envelope_below_allocated": (
        "Envelope {year} ({section}) cannot go down to €{total}: €{allocated} is "
        "already allocated."
    ),
    "cp_exceeded": (
        "CP {year} ({section}) of {proposal} exceeded: commitment of €{requested}, "
        "€{available} available. Going beyond them requires a justified override "
        "by finance."
    ),
    "commitment_exceeded": (
        "Commitment {commitment} exceeded: payment order of €{requested}, "
        "€{available} remaining. Going beyond it requires a justified override by "
        "finance."
    ),
    "cp_below_committed": (
        "The {year} CP ({section}) of {proposal} cannot go down to €{cp}: "
        "€{committed} is already committed."
    ),
    "override_not_allowed": (
        "{actor} cannot force {what}: this is reserved for the {role} role."
    ),
    "date_outside_year": "The date {date} is not in the {year} financial year.",
    "conflict": (
        "Conflict: “{command}” was refused after {attempts} attempts, as other "
        "concurrent changes touched the same data. Please try again."
    ),
    "idempotency_key_reused": (
        "The idempotency key {key} was already used for another request "
        "(“{previous}”): it only repeats the same command with the same arguments, "
        "not “{command}” with these. Use a new key."
    ),
    "record_closed": (
        "{kind} {id} has been out of service since {closed_on}: it is not possible "
        "to {action}."
    ),
    "pole_has_open_directions": (
        "Division {pole} still has open departments ({directions}): attach them to "
        "another division or close them first."
    ),
    "axis_has_open_indicators": (
        "Axis {axis} still has open indicators ({indicators}): close them first."
    ),
    "date_outside_horizon": "The date {date} is outside the plan's horizon ({first}–{last}).",
    "dates_out_of_order": "The date {date} precedes {before_what} ({before}): {what} impossible.",
    "no_plan": (
        "No plan is defined: it is not possible to {action} before defining the plan "
        "and its horizon (Reference data)."
    ),
    "chair_absent": (
        "Session {session} cannot open without its chair {chair} present "
        "(present: {present})."
    ),
    "opened_before_session_date": (
        "Session {session} is dated {on}: opening it as early as {today} needs a "
        "reason for the early opening, recorded with the opening."
    ),
    "evidence_changed": (
        "The decision's evidence has changed since it was shown: read it again "
        "(proposal {proposal}, session {session})."
    ),
    "event_outside_log": (
        "The ledger holds an event outside its log (aggregate {originator_id}, "
        "version {version}, id {notification_id}): neither sealed, exported nor "
        "shown, it cannot count; nothing was done. Have `sdsi verify` run."
    ),
    "ledger_corrupted": (
        "Ledger integrity compromised: the stored versions of aggregate "
        "{originator_id} do not follow each other (version {found} after version "
        "{previous}); nothing was done. Have `sdsi verify` run."
    ),
}

# The English of the codes ``domain.errors.LABELS`` names (statuses, actions, outcomes).
LABELS: dict[str, str] = {
    "draft": "draft",
    "submitted": "submitted",
    "qualified": "qualified",
    "on_agenda": "on the agenda",
    "approved": "approved",
    "approved_with_conditions": "approved with conditions",
    "deferred": "deferred",
    "rejected": "rejected",
    "planned": "planned",
    "in_progress": "in progress",
    "done": "done",
    "withdrawn": "withdrawn",
    "cancelled": "cancelled",
    "convened": "convened",
    "open": "open",
    "closed": "closed",
    "submit": "submit",
    "amend": "amend",
    "qualify": "qualify",
    "put_on_agenda": "put on the agenda",
    "take_off_agenda": "take off the agenda",
    "decide": "decide",
    "plan": "plan",
    "start": "start",
    "complete": "complete",
    "withdraw": "withdraw",
    "cancel": "cancel",
    "score": "score",
    "track": "track the execution",
}

# Params whose French text is put into English (the others are codes, names, values).
TRANSLATED = LABELLED | {
    "before_what",
    "kind",
    "reason",
    "what",
    "roles",
    "recommendation",
    "section",
    "phase",
}

# Exact French texts the domain puts in params: kinds of record, actions (after "to"),
# what a refusal concerns, reasons.
PHRASES: dict[str, str] = {
    # kinds of record
    "Fiche projet": "Project proposal",
    "Séance": "Session",
    "Compte": "Account",
    "Pôle": "Division",
    "Direction": "Department",
    "Équipe": "Team",
    "Axe stratégique": "Strategic axis",
    "Indicateur": "Indicator",
    "Grille": "Grid",
    "AP du projet": "Project AP",
    "Jalon": "Milestone",
    "Engagement": "Commitment",
    "Mandat": "Payment order",
    "Plan": "Plan",
    "Scénario": "Scenario",
    "Collectivité": "Local authority",
    "Membre du COPIL": "Steering committee (COPIL) member",
    # sections, phases, recommendations, roles
    "investissement": "investment",
    "fonctionnement": "operating",
    "cadrage": "scoping",
    "revue_documentaire": "document review",
    "alignement_strategique": "strategic alignment",
    "diagnostic_si": "IS assessment",
    "evolutions_demandees": "requested changes",
    "plan_strategique_numerique": "digital strategy plan",
    "retenue": "selected",
    "non retenue": "not selected",
    "aucun": "none",
    # dates (domain/dates.py): what a date is of, what it must not precede
    "un projet démarré": "a project started",
    "un projet réalisé": "a project done",
    "un projet planifié": "a planned project",
    "une phase planifiée": "a planned phase",
    "une phase terminée": "a completed phase",
    "une grille adoptée": "a grid adopted",
    "une mesure réalisée": "a realised measurement",
    "un budget primitif voté": "a primitive budget (BP) voted",
    "une décision modificative votée": "a budget amendment (DM) voted",
    "une DM": "a budget amendment (DM)",
    "un engagement": "a commitment",
    "un mandat": "a payment order",
    "son début": "its start",
    "son démarrage": "its start",
    "le vote du budget primitif": "the vote of the primitive budget (BP)",
    "son engagement": "its commitment",
    "voter un budget": "vote a budget",
    "ajuster un budget": "adjust a budget",
    "accorder des crédits de paiement": "grant payment credits (CP)",
    # actions (a role is needed to…)
    "rattacher une direction": "attach a department",
    "définir le plan": "define the plan",
    "modifier l'horizon du plan": "change the plan's horizon",
    "créer un compte": "create an account",
    "planifier une phase": "schedule a phase",
    "créer un indicateur": "create an indicator",
    "attribuer un rôle": "grant a role",
    "démarrer une phase": "start a phase",
    "créer une équipe": "create a team",
    "terminer une phase": "complete a phase",
    "retirer un rôle": "revoke a role",
    "mesurer un indicateur": "measure an indicator",
    "changer le mot de passe d'un autre compte": "change another account's password",
    "réinitialiser le mot de passe d'un compte": "reset an account's password",
    "changer l'adresse électronique d'un autre compte": (
        "change another account's e-mail address"
    ),
    "réinitialiser un mot de passe": "reset a password",
    "rédiger une grille": "draft a grid",
    "fixer la capacité d'une équipe": "set a team's capacity",
    "désactiver un compte": "disable an account",
    "réactiver un compte": "re-enable an account",
    "modifier une grille": "change a grid",
    "voter le budget primitif": "vote the primitive budget (BP)",
    "adopter une grille": "adopt a grid",
    # discussion (domain.discussion)
    "participer à la discussion": "take part in the discussion",
    "écrire un commentaire interne": "write an internal comment",
    "modifier le commentaire d'une autre personne": "edit someone else's comment",
    "marquer une question comme répondue": "mark a question answered",
    "masquer un commentaire": "hide a comment",
    "une proposition de critère se fait sur une grille": (
        "a criterion is proposed on a grid"
    ),
    "seulement pour une proposition de critère": "only for a proposed criterion",
    "on répond au commentaire, pas à une réponse": (
        "reply to the comment, not to a reply"
    ),
    "ajuster une enveloppe (DM)": "adjust an envelope (budget amendment, DM)",
    "convoquer une séance": "convene a session",
    "réviser une AP": "revise an AP",
    "engager une dépense": "commit an expense",
    "mandater un paiement": "issue a payment order",
    "créer un pôle": "create a division",
    "renommer un pôle": "rename a division",
    "créer une direction": "create a department",
    "créer un axe stratégique": "create a strategic axis",
    "qualifier une fiche": "qualify a proposal",
    "planifier un projet": "schedule a project",
    "démarrer un projet": "start a project",
    "clore un projet": "close a project",
    "annuler un projet": "cancel a project",
    "suivre un projet": "track a project",
    "noter une fiche": "score a proposal",
    "rédiger une fiche": "draft a proposal",
    "amender une fiche": "amend a proposal",
    "amender une fiche (nouvelle révision)": "amend a proposal (new revision)",
    "soumettre une fiche": "submit a proposal",
    "retirer une fiche": "withdraw a proposal",
    "lancer un scénario d'optimisation": "run an optimisation scenario",
    "inscrire une fiche à l'ordre du jour": "put a proposal on the agenda",
    "retirer une fiche de l'ordre du jour": "take a proposal off the agenda",
    "ouvrir la séance": "open the session",
    "modifier les présences": "change the attendance",
    "arbitrer": "decide",
    "clore la séance": "close the session",
    "envoyer la convocation": "send the convocation",
    "choisir un mot de passe local (compte d'annuaire)": (
        "choose a local password (directory account)"
    ),
    "un forçage": "override",
    # reference data: who may act, and what a closed record no longer does
    "fermer un pôle": "close a division",
    "renommer une direction": "rename a department",
    "fermer une direction": "close a department",
    "rattacher une direction à un autre pôle": "attach a department to another division",
    "renommer une équipe": "rename a team",
    "fermer une équipe": "close a team",
    "modifier la capacité d'une équipe": "change a team's capacity",
    "renommer un axe stratégique": "rename a strategic axis",
    "fermer un axe stratégique": "close a strategic axis",
    "fixer la cible d'un indicateur": "set an indicator's target",
    "modifier la cible d'un indicateur": "change an indicator's target",
    "renommer un indicateur": "rename an indicator",
    "fermer un indicateur": "close an indicator",
    "renommer le plan": "rename the plan",
    "prolonger le plan": "extend the plan",
    "adopter le plan suivant": "adopt the next plan",
    "définir la collectivité": "define the local authority",
    "modifier la collectivité": "change the local authority",
    "composer le COPIL": "set the membership of the steering committee (COPIL)",
    "modifier un membre du COPIL": "change a steering committee (COPIL) member",
    "retirer un membre du COPIL": "remove a steering committee (COPIL) member",
    "renommer": "rename it",
    "fermer": "close it",
    "recevoir une direction": "receive a department",
    "rattacher à un autre pôle": "attach it to another division",
    "recevoir une nouvelle équipe": "receive a new team",
    "fixer sa capacité": "set its capacity",
    "recevoir un nouvel indicateur": "receive a new indicator",
    "fixer une cible": "set a target",
    "mesurer": "measure it",
    "recevoir un référent": "receive a referent",
    "être lié à un critère": "be linked to a criterion",
    "être lié à une fiche": "be linked to a proposal",
    "recevoir une nouvelle fiche": "receive a new proposal",
    "recevoir une charge de travail": "receive a workload",
    # what a refusal concerns
    "retirer un point de l'ordre du jour": "taking an item off the agenda",
    "l'ouvrir à nouveau": "opening it again",
    "motivation de la décision": "the grounds for the decision",
    "conditions de l'approbation": "the conditions of the approval",
    "une allocation au-delà de l'enveloppe": "an allocation beyond the envelope",
    "une réservation au-delà de la capacité": "a reservation beyond the capacity",
    "une approbation malgré une règle enfreinte": "an approval breaking a rule",
    "un jalon atteint": "a milestone reached",
    "grille non adoptée": "grid not adopted",
    "un engagement au-delà des CP": "a commitment beyond the CP",
    "un mandat au-delà de l'engagement": "a payment order beyond the commitment",
    "une phase démarrée ou terminée": "a phase started or completed",
    # reasons
    "identifiant de 2 à 40 caractères : a-z, 0-9, . _ -": (
        "username of 2 to 40 characters: a-z, 0-9, . _ -"
    ),
    "adresse électronique attendue": "email address expected",
    "une adresse électronique comme nom@exemple.fr (254 caractères au plus)": (
        "an e-mail address such as name@example.fr (254 characters at most)"
    ),
    "le rôle référent exige une direction": "the referent role requires a department",
    "valeur décimale attendue": "decimal value expected",
    "majority, {kind: count, value: N} ou {kind: fraction, value: 0.5}": (
        "majority, {kind: count, value: N} or {kind: fraction, value: 0.5}"
    ),
    "fraction entre 0 et 1": "fraction between 0 and 1",
    "au moins un membre votant": "at least one voting member",
    "un membre est votant ou non votant, pas les deux": (
        "a member is either voting or non-voting, not both"
    ),
    "approved, approved_with_conditions, deferred ou rejected": (
        "approved, approved_with_conditions, deferred or rejected"
    ),
    "ne correspond pas aux entrées": "does not match the inputs",
    "statut de résolution inconnu": "unknown solver status",
    "projet absent des entrées du scénario": "project not among the scenario's inputs",
    "empreinte SHA-256 attendue": "SHA-256 digest expected",
    "entrées sans candidats": "inputs without candidates",
    "résultat sans sélection": "result without a selection",
    "code et année attendus": "code and year expected",
    "projet en double": "project listed twice",
    "montant en décimal exact, jamais en flottant": (
        "amount as an exact decimal, never a float"
    ),
    "montant décimal attendu": "decimal amount expected",
    "pourcentage attendu : chiffres sans signe, point ou virgule, au plus deux "
    "décimales (ex. 33,33)": (
        "percentage expected: unsigned digits, a point or comma, at most two "
        "decimals (e.g. 33.33)"
    ),
    "pourcentage de 0,01 à 100 avec au plus deux décimales": (
        "percentage from 0.01 to 100 with at most two decimals"
    ),
    "chaîne décimale attendue : chiffres, point, au plus 2 décimales": (
        "decimal string expected: digits, a point, at most 2 decimal places"
    ),
    "montant démesuré": "amount far too large",
    "au plus 2 décimales": "at most 2 decimal places",
    "montant négatif": "negative amount",
    "montant invalide": "invalid amount",
    "date attendue, pas un horodatage": "a date expected, not a timestamp",
    "date au format AAAA-MM-JJ attendue": "date expected in YYYY-MM-DD format",
    "date au format AAAA-MM-JJ ou JJ/MM/AAAA attendue": (
        "date expected in YYYY-MM-DD or DD/MM/YYYY format"
    ),
    "année de 1900 à 2100 attendue": "year from 1900 to 2100 expected",
    "code de 1 à 40 caractères : lettres, chiffres, _ . -": (
        "code of 1 to 40 characters: letters, digits, _ . -"
    ),
    "texte attendu": "text expected",
    "heure attendue, par exemple 14:30": "a time expected, e.g. 14:30",
    "après l'heure de début": "after the start time",
    "obligatoire": "required",
    "caractère de contrôle interdit": "control characters are not allowed",
    "année entre 2000 et 2100 attendue": "year between 2000 and 2100 expected",
    "entier positif attendu": "positive integer expected",
    "nombre décimal exact attendu, jamais un flottant": (
        "exact decimal number expected, never a float"
    ),
    "nombre décimal attendu": "decimal number expected",
    "nombre décimal attendu (ex. 12.5)": "decimal number expected (e.g. 12.5)",
    "pourcentage entre 0 et 100, au plus 2 décimales": (
        "percentage between 0 and 100, at most 2 decimal places"
    ),
    "liste attendue": "list expected",
    "objet attendu": "object expected",
    "la fin précède le début": "the end precedes the start",
    "la dernière année précède la première": "the last year precedes the first",
    "horizon de 16 ans au plus": "horizon of 16 years at most",
    "vrai ou faux attendu": "true or false expected",
    "vrai ou faux": "true or false",
    "chaque volet une seule fois": "each component once only",
    "une ligne par année et section": "one line per year and section",
    "une ligne par équipe et année": "one line per team and year",
    "niveau de 1 (faible) à 4 (critique)": "level from 1 (low) to 4 (critical)",
    "approuvé, approuvé sous conditions, ajourné ou rejeté": (
        "approved, approved with conditions, deferred or rejected"
    ),
    "au moins deux niveaux entiers consécutifs, croissants": (
        "at least two consecutive whole-number levels, in increasing order"
    ),
    "poids nul": "zero weight",
    "une DM modifie le montant": "a budget amendment (DM) changes the amount",
    "montant positif attendu": "positive amount expected",
    "numéro de révision attendu": "revision number expected",
    "au moins une note par critère": "at least one score per criterion",
    "objet {level, justification} attendu": "{level, justification} object expected",
    "une équipe métier appartient à une direction": (
        "a business team belongs to a department"
    ),
    "capacité démesurée (jours-personne par an)": (
        "capacity far too large (person-days per year)"
    ),
    "mot de passe trop simple": "password too simple",
    "liste d'identifiants": "list of usernames",
    "ce compte n'est pas membre du COPIL": (
        "this account is not a member of the steering committee (COPIL)"
    ),
    "aucun scénario de ce nom": "no scenario of that name",
    "entrée du scénario refusée": "scenario input refused",
    "numéro de version entier": "whole version number expected",
    "position:N avec N entier positif": "position:N with N a positive integer",
    "date-heure ISO 8601 (UTC) ou position:N": "ISO 8601 date-time (UTC) or position:N",
    "paramètre refusé": "parameter refused",
    "une fiche ne dépend pas d'elle-même": "a proposal cannot depend on itself",
    "cible en double": "duplicate target",
    "fiche inconnue": "unknown proposal",
    "l'AP doit être positive": "the AP must be positive",
    "SIREN : 9 chiffres attendus": "SIREN: 9 digits expected",
    "SIRET : 14 chiffres attendus": "SIRET: 14 digits expected",
    "SIREN invalide (clé de contrôle de Luhn)": "invalid SIREN (Luhn check digit)",
    "SIREN déjà celui de la collectivité principale": (
        "SIREN already that of the main municipality"
    ),
    "SIRET invalide (clé de contrôle de Luhn)": "invalid SIRET (Luhn check digit)",
    "code commune INSEE : 5 caractères (département, dont 2A/2B, et numéro)": (
        "INSEE municipality code: 5 characters (department, 2A/2B included, and number)"
    ),
    "un expert invité ne vote pas": "an invited expert does not vote",
    "un membre votant a le rôle membre du COPIL ou président": (
        "a voting member holds the COPIL member or chair role"
    ),
    "ne siège pas au COPIL avec voix délibérative": (
        "does not sit on the steering committee (COPIL) with a vote"
    ),
    "ne siège pas au COPIL": "does not sit on the steering committee (COPIL)",
    # messages of the API schemas the forms share
    (
        'Montant en chaîne décimale attendu (ex. "125000.00"), '
        "jamais un nombre flottant."
    ): 'Amount expected as a decimal string (e.g. "125000.00"), never a float.',
    'Montant en chaîne décimale attendu (ex. "125000.00").': (
        'Amount expected as a decimal string (e.g. "125000.00").'
    ),
    "Code de 1 à 40 caractères : lettres, chiffres, _ . -": (
        "Code of 1 to 40 characters: letters, digits, _ . -"
    ),
    "Nombre décimal positif attendu (ex. 1,1).": (
        "Positive decimal number expected (e.g. 1.1)."
    ),
    "CODE=MOTIF attendu.": "CODE=REASON expected.",
    "Année entre 2000 et 2100.": "A year between 2000 and 2100.",
    # attachments
    "Pièce jointe": "Attachment",
    "Décision": "Decision",
    "le fichier est vide": "the file is empty",
    "nom de fichier obligatoire": "file name required",
    "le nom de fichier ne doit pas contenir de chemin": (
        "the file name must not contain a path"
    ),
    "ne correspond pas au contenu": "does not match the content",
    "ce fichier est déjà joint ici": "this file is already attached here",
    "c'est déjà le fichier en vigueur": "it is already the current file",
    "fiche, décision ou séance attendue": "proposal, decision or session expected",
    "type de fichier non accepté (acceptés : PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX, "
    "CSV, TXT)": (
        "file type not accepted (accepted: PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX, "
        "CSV, TXT)"
    ),
    'Nombre décimal attendu (ex. "12.5"), jamais un nombre flottant.': (
        'Decimal number expected (e.g. "12.5"), never a float.'
    ),
}

# French texts with a variable part: the groups are kept (codes put into English).
PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), english)
    for pattern, english in (
        (
            r"le rôle (?P<role>.+) ne prend pas de périmètre",
            "the {role} role takes no scope",
        ),
        (r"entier entre 1 et (?P<n>.+)", "integer between 1 and {n}"),
        (r"le jour de la séance, (?P<on>.+)", "the day of the session, {on}"),
        (r"valeurs possibles : (?P<values>.+)", "possible values: {values}"),
        (r"au plus (?P<n>\d+) caractères", "at most {n} characters"),
        (r"au moins (?P<n>\d+) caractères", "at least {n} characters"),
        (r"1 à (?P<n>\d+) caractères imprimables", "1 to {n} printable characters"),
        (
            r"champ inconnu \(champs : (?P<known>.*)\)",
            "unknown field (fields: {known})",
        ),
        (r"antérieure au démarrage \((?P<day>.+)\)", "before the start ({day})"),
        (r"la révision courante est (?P<n>.+)", "the current revision is {n}"),
        (r"noter à la place de (?P<who>.+)", "score on behalf of {who}"),
        (r"note du critère (?P<code>.+)", "the score of criterion {code}"),
        (
            r"une décision « (?P<outcome>.+) » n'accorde ni AP ni CP",
            "a “{outcome}” decision grants neither AP nor CP",
        ),
        (
            r"le total des CP \((?P<total>.+) €\) diffère de l'AP \((?P<ap>.+) €\)",
            "the CP total (€{total}) differs from the AP (€{ap})",
        ),
        (
            r"scénario sans plan \(statut (?P<status>.+)\)",
            "scenario without a plan (status {status})",
        ),
        (
            r"l'indicateur appartient à l'axe (?P<axis>.+)",
            "the indicator belongs to axis {axis}",
        ),
        (r"la version (?P<n>.+) n'existe pas", "version {n} does not exist"),
        (
            r"le plan suivant commence entre (?P<a>\d+) et (?P<b>\d+)",
            "the next plan starts between {a} and {b}",
        ),
        (
            r"le plan suivant ne finit pas avant le plan en cours \((?P<y>\d+)\)",
            "the next plan does not end before the current one ({y})",
        ),
        (
            r"appartient à l'axe (?P<axis>.+), pas (?P<other>.+)",
            "belongs to axis {axis}, not {other}",
        ),
        (
            r"le SIRET n'appartient pas au SIREN (?P<siren>.+)",
            "the SIRET does not belong to SIREN {siren}",
        ),
        (
            r"position au-delà de la dernière \((?P<head>.+)\)",
            "position beyond the last one ({head})",
        ),
        (
            r"le fichier dépasse la taille maximale de (?P<n>\d+) (?P<unit>Mo|Ko)",
            "the file exceeds the maximum size of {n} {unit}",
        ),
        (
            r"le fichier dépasse la taille maximale de (?P<n>\d+) octets",
            "the file exceeds the maximum size of {n} bytes",
        ),
        (
            r"le contenu est un fichier (?P<kind>.+), l'extension doit être "
            r"(?P<ext>.+)",
            "the content is a {kind} file, the extension must be {ext}",
        ),
        (
            r"code déjà pris, à la casse près, par l'entité (?P<code>.+)",
            "code already taken, ignoring case, by entity {code}",
        ),
        (
            r"SIREN déjà celui de l'entité (?P<code>.+)",
            "SIREN already that of entity {code}",
        ),
        (
            r"pièce jointe retirée : impossible de (?P<action>.+)",
            "attachment removed: cannot {action}",
        ),
    )
)


def is_french() -> bool:
    """Whether the page is in French (the default, and outside any request)."""
    locale = get_locale()
    return locale is None or locale.language == "fr"


def english_phrase(text: str) -> str:
    """A French text of the domain in English (else the catalog's, else as is)."""
    if text in PHRASES:
        return PHRASES[text]
    if text in LABELS:
        return LABELS[text]
    for pattern, english in PATTERNS:
        match = pattern.fullmatch(text)
        if match:
            groups = {k: LABELS.get(v, v) for k, v in match.groupdict().items()}
            return english.format(**groups)
    return gettext(text)


def phrase(text: str) -> str:
    """A French text of the domain in the language of the page."""
    return text if is_french() else english_phrase(text)


# The page's French for an invalid value: the field's label and the value as typed
# (the domain's own message, for the command line, quotes its Python repr).
FRENCH_INVALID_VALUE = (
    "Valeur invalide pour « {field_label} » : « {value} » ({reason})."
)
# An amount a domain text wrote itself ("90000.00 €", "€90000.00" once in English).
_AMOUNT_FR = re.compile(r"(?<![\d.,])(-?\d+\.\d{2}) €")
_AMOUNT_EN = re.compile(r"€(-?\d+\.\d{2})(?![\d.])")


def _number(value: Any) -> Any:
    """A Decimal param as the page writes numbers (``90 000,00``, ``30,00``)."""
    return num(value, 2) if isinstance(value, Decimal) else value


def _amounts(text: str) -> str:
    """Amounts written inside a domain's text, in the page's form."""
    text = _AMOUNT_FR.sub(lambda m: num(Decimal(m[1]), 2) + "\u00a0€", text)
    return _AMOUNT_EN.sub(lambda m: "€" + num(Decimal(m[1]), 2), text)


# A criteria family is a code of the grid ("value"): said as the grid page says it.
FAMILIES = {"value": ("valeur", "value"), "risk": ("risque", "risk")}


def _params(exc: DomainError, translate: bool) -> dict[str, Any]:
    shown: dict[str, Any] = {}
    for key, value in exc.params.items():
        if key == "family" and value in FAMILIES:
            value = FAMILIES[value][1 if translate else 0]
        elif translate and key in TRANSLATED and isinstance(value, str):
            value = english_phrase(value)
        elif not translate and key in LABELLED and isinstance(value, str):
            value = FRENCH_LABELS.get(value, value)
        shown[key] = _number(value)
    if exc.code == "invalid_value":
        shown["field_label"] = field_label(str(exc.params.get("field_label", "")))
        value = exc.params.get("value")
        shown["value"] = _number(value) if isinstance(value, Decimal) else value
    return shown


def english(exc: DomainError) -> str:
    """The error's English message: its code's English template, same params."""
    template = ENGLISH.get(exc.code)
    if template is None:
        return exc.message
    try:
        return _amounts(template.format(**_params(exc, translate=True)))
    except (KeyError, IndexError, ValueError):  # never hide the error itself
        return exc.message


def french(exc: DomainError) -> str:
    """The error's French message for a page or the API: the domain's template with
    its amounts and numbers written the French way and fields named by their labels."""
    template = FRENCH_INVALID_VALUE if exc.code == "invalid_value" else exc.template
    try:
        return _amounts(template.format(**_params(exc, translate=False)))
    except (KeyError, IndexError, ValueError):
        return exc.message


def localised(exc: DomainError) -> str:
    """The error's message in the language of the page."""
    return french(exc) if is_french() else english(exc)
