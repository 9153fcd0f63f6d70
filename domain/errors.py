"""Named domain errors. Each names the offending id and value, in French.

Every error carries a stable ``code`` (for the API), an HTTP-like ``status`` (422 for
an invalid field, 404 for an unknown record, 403 for a role that may not act, 409 for a
rule of the domain), a French ``template`` and the ``params`` that fill it, so the web
layer can show it next to the field concerned (``field``) or translate the template.
Raising one means nothing was written.
"""

from __future__ import annotations

from typing import Any, ClassVar

# French labels of the codes a message may name (statuses, actions, outcomes).
LABELS = {
    "draft": "brouillon",
    "submitted": "soumise",
    "qualified": "qualifiée",
    "on_agenda": "à l'ordre du jour",
    "approved": "approuvée",
    "approved_with_conditions": "approuvée sous conditions",
    "deferred": "ajournée",
    "rejected": "rejetée",
    "planned": "prévue",
    "in_progress": "en cours",
    "done": "réalisée",
    "withdrawn": "retirée",
    "cancelled": "annulée",
    "convened": "convoquée",
    "open": "ouverte",
    "closed": "close",
    "submit": "soumettre",
    "amend": "amender",
    "qualify": "qualifier",
    "put_on_agenda": "inscrire à l'ordre du jour",
    "take_off_agenda": "retirer de l'ordre du jour",
    "decide": "arbitrer",
    "plan": "planifier",
    "start": "démarrer",
    "complete": "clore",
    "withdraw": "retirer",
    "cancel": "annuler",
    "score": "noter",
    "track": "suivre l'exécution",
}
LABELLED = {"status", "action", "outcome", "target"}


class DomainError(Exception):
    """Base class: a command was refused by a rule; nothing was written."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "rule_violated"
    template: ClassVar[str] = "Règle non respectée."

    def __init__(self, *, field: str | None = None, **params: Any) -> None:
        self.field = field
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        shown = {
            k: LABELS.get(v, v) if k in LABELLED and isinstance(v, str) else v
            for k, v in self.params.items()
        }
        try:
            return self.template.format(**shown)
        except (
            KeyError,
            IndexError,
        ):  # a template/params mismatch must not hide the error
            return f"{self.template} {self.params}"

    @property
    def details(self) -> dict[str, Any]:
        out = {k: _plain(v) for k, v in self.params.items()}
        if self.field:
            out["field"] = self.field
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


# --- generic ---------------------------------------------------------------------


class InvalidValue(DomainError):
    """A field has a value outside its type or range."""

    status = 422
    code = "invalid_value"
    template = "Valeur invalide pour « {field_label} » : {value!r} ({reason})."

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(field=field, field_label=field, value=value, reason=reason)


class NotFound(DomainError):
    """The record named by a command does not exist."""

    status = 404
    code = "not_found"
    template = "{kind} introuvable : {id}."


class AlreadyExists(DomainError):
    """A record with the same natural key already exists."""

    code = "already_exists"
    template = "{kind} existe déjà : {id}."


class NotAllowed(DomainError):
    """The actor's roles do not allow this action."""

    status = 403
    code = "forbidden"
    template = "{actor} n'a pas le droit de {action} (rôles : {roles})."


class UnknownActor(DomainError):
    """The actor of a command has no active account."""

    status = 403
    code = "unknown_actor"
    template = "Compte inconnu ou désactivé : {actor}."


class ReasonRequired(DomainError):
    """A judgement was recorded without its reason."""

    status = 422
    code = "reason_required"
    template = "Un motif est obligatoire pour {action}."

    def __init__(self, action: str, field: str = "reason") -> None:
        super().__init__(field=field, action=action)


# --- accounts --------------------------------------------------------------------


class RoleAlreadyGranted(DomainError):
    """The account already holds this role."""

    code = "role_already_granted"
    template = "{username} a déjà le rôle {role}."


class RoleNotHeld(DomainError):
    """A revocation names a role the account does not hold."""

    code = "role_not_held"
    template = "{username} n'a pas le rôle {role}."


class LastAdministrator(DomainError):
    """Revoking or disabling would leave no administrator."""

    code = "last_administrator"
    template = "{username} est le dernier administrateur : le rôle admin ne peut pas lui être retiré."


class AccountDisabled(DomainError):
    """The account is disabled."""

    code = "account_disabled"
    template = "Le compte {username} est désactivé."


class AccountErased(DomainError):
    """The account's personal data were erased (GDPR art. 17): it is closed for good."""

    code = "account_erased"
    template = (
        "Le compte {username} a été effacé (personne effacée) : il ne peut plus"
        " être modifié ni effacé à nouveau."
    )


class OfficialRecordKept(DomainError):
    """The account voted in office: its votes and name stay in the public record."""

    code = "official_record_kept"
    template = (
        "{username} a voté en séance ({votes} vote(s)) : le nom d'un élu dans les"
        " délibérations est conservé (RGPD art. 17.3 b et e, voir docs/privacy.md)."
        " Effacement refusé."
    )


class WrongPassword(DomainError):
    """A password change gave a current password that is not the account's."""

    status = 422
    code = "current_password_wrong"
    template = "Le mot de passe actuel de {username} est incorrect."

    def __init__(self, username: str) -> None:
        super().__init__(field="current_password", username=username)


class CurrentPasswordRequired(DomainError):
    """One's own password is changed with the current one, never reset (but by the
    operator's command line, with access to the database anyway)."""

    status = 403
    code = "current_password_required"
    template = (
        "{username} change son propre mot de passe en donnant le mot de passe actuel :"
        " une réinitialisation est réservée aux autres comptes."
    )


class PasswordUnchanged(DomainError):
    """The new password is the current one (a reset must lead to a new password)."""

    status = 422
    code = "password_unchanged"
    template = "Le nouveau mot de passe de {username} est identique à l'actuel."

    def __init__(self, username: str) -> None:
        super().__init__(field="password", username=username)


# --- plan and organisation --------------------------------------------------------


class PhaseTransitionRefused(DomainError):
    """A plan phase can only go planned → in progress → done."""

    code = "phase_transition_refused"
    template = "La phase « {phase} » est « {status} » : impossible de la passer à « {target} »."


class DeliverablesMissing(DomainError):
    """A phase completes only when its expected deliverables are validated, or with
    a recorded reason (``override``)."""

    code = "deliverables_missing"
    template = (
        "La phase « {phase} » ne peut pas être terminée : livrables non validés : "
        "{missing}. Faites-les valider, ou terminez la phase avec un motif."
    )


class DeliverableRefused(DomainError):
    """A deliverable cannot be submitted, reviewed or dropped as asked."""

    code = "deliverable_refused"
    template = "Livrable « {label} » : {why}."


class PhaseClosed(DomainError):
    """The deliverables of a phase done no longer change."""

    code = "phase_closed"
    template = "La phase « {phase} » est terminée : ses livrables ne changent plus."


class YearOutsideHorizon(DomainError):
    """A year lies outside the plan's horizon."""

    status = 422
    code = "year_outside_horizon"
    template = "L'année {year} est hors de l'horizon du plan ({first}–{last})."


class HorizonBelowCosted(DomainError):
    """The plan would end before a year something is already costed in."""

    code = "horizon_below_costed"
    template = (
        "Le plan ne peut pas finir en {year} : des coûts, CP ou enveloppes sont "
        "déjà prévus jusqu'en {costed}."
    )


class RecordClosed(DomainError):
    """A closed record (pôle, direction, team, axis, indicator) keeps its history but
    receives nothing new."""

    code = "record_closed"
    template = (
        "{kind} {id} n'est plus en service depuis le {closed_on} : impossible de "
        "{action}."
    )


class PoleHasOpenDirections(DomainError):
    """A pôle is closed only once its directions are closed or attached elsewhere."""

    code = "pole_has_open_directions"
    template = (
        "Le pôle {pole} a encore des directions ouvertes ({directions}) : "
        "rattachez-les à un autre pôle ou fermez-les d'abord."
    )


class AxisHasOpenIndicators(DomainError):
    """An axis is closed only once its indicators are closed."""

    code = "axis_has_open_indicators"
    template = (
        "L'axe {axis} a encore des indicateurs ouverts ({indicators}) : "
        "fermez-les d'abord."
    )


# --- evaluation grid --------------------------------------------------------------


class GridFrozen(DomainError):
    """An adopted grid version never changes."""

    code = "grid_frozen"
    template = "La grille v{version} est adoptée : elle ne peut plus être modifiée."


class WeightsDoNotSum(DomainError):
    """The weights of a criteria family must total 100 %."""

    code = "weights_do_not_sum"
    template = "Les poids de la famille « {family} » de la grille v{version} totalisent {total} %, pas 100 %."


class EmptyGrid(DomainError):
    """A grid needs at least one value criterion to be adopted."""

    code = "empty_grid"
    template = "La grille v{version} n'a aucun critère de valeur : elle ne peut pas être adoptée."


class GridNotAdopted(DomainError):
    """Scores reference an adopted grid version only."""

    code = "grid_not_adopted"
    template = "La grille v{version} n'est pas adoptée : on ne peut pas noter avec."


class UnknownCriterion(DomainError):
    """The criterion is not in the grid version."""

    status = 422
    code = "unknown_criterion"
    template = "Le critère {criterion} n'existe pas dans la grille v{version}."


class LevelOutOfScale(DomainError):
    """A score level must lie inside the criterion's scale."""

    status = 422
    code = "level_out_of_scale"
    template = "Le niveau {level} est hors de l'échelle du critère {criterion} ({low} à {high})."


# --- proposals and scores ---------------------------------------------------------


class InvalidTransition(DomainError):
    """A proposal moves only along its lifecycle."""

    code = "invalid_transition"
    template = "La fiche {proposal} est « {status} » : l'action « {action} » n'est pas possible."


class NotReferentOfDirection(DomainError):
    """Only the referent of a direction (or the DSI) acts for that direction."""

    status = 403
    code = "not_referent_of_direction"
    template = (
        "{actor} n'est pas référent de la direction {direction} (fiche {proposal})."
    )


class MandatoryWithoutLegalBasis(DomainError):
    """A mandatory proposal states its legal basis."""

    status = 422
    code = "mandatory_without_legal_basis"
    template = "La fiche {proposal} est déclarée obligatoire sans base légale."


class InvalidDependency(DomainError):
    """A dependency must name another, existing proposal, once."""

    status = 422
    code = "invalid_dependency"
    template = "Dépendance invalide de {proposal} vers {target} : {reason}."


class ScoreOnStaleRevision(DomainError):
    """Only the current revision of a proposal can be scored."""

    code = "score_on_stale_revision"
    template = "La fiche {proposal} est en révision {current} : la révision {revision} ne peut plus être notée."


class JustificationRequired(DomainError):
    """A judgement needs its justification."""

    status = 422
    code = "justification_required"
    template = "Une justification est obligatoire : {what}."


# --- committee sessions -----------------------------------------------------------


class SessionClosed(DomainError):
    """Nothing can be added to a closed session."""

    code = "session_closed"
    template = "La séance {session} est close : rien ne peut y être ajouté."


class SessionNotOpen(DomainError):
    """Votes and decisions happen in an open session."""

    code = "session_not_open"
    template = "La séance {session} n'est pas ouverte (statut « {status} »)."


class NoConvocationRecipient(DomainError):
    """No member of the session has an e-mail address: nothing could be sent."""

    status = 422
    code = "no_convocation_recipient"
    template = (
        "Aucun membre convoqué à la séance {session} n'a d'adresse électronique : "
        "la convocation ne peut être envoyée à personne."
    )


class SessionAlreadyOpen(DomainError):
    """The agenda and membership are fixed once the session is open."""

    code = "session_already_open"
    template = "La séance {session} est déjà ouverte : {what} n'est plus possible."


class NotAMember(DomainError):
    """Attendance and votes concern the session's members only."""

    code = "not_a_member"
    template = "{member} n'est pas membre de la séance {session}."


class NotAVotingMember(DomainError):
    """Only voting members vote."""

    status = 403
    code = "not_a_voting_member"
    template = "{member} n'a pas voix délibérative dans la séance {session}."


class MemberAbsent(DomainError):
    """Only present members vote."""

    code = "member_absent"
    template = (
        "{member} n'est pas présent(e) à la séance {session} : pas de vote possible."
    )


class NotOnAgenda(DomainError):
    """Votes and decisions concern agenda items only."""

    code = "not_on_agenda"
    template = "La fiche {proposal} n'est pas à l'ordre du jour de la séance {session}."


class AlreadyOnAgenda(DomainError):
    """An item appears once on an agenda."""

    code = "already_on_agenda"
    template = "La fiche {proposal} est déjà à l'ordre du jour de la séance {session}."


class AlreadyDecided(DomainError):
    """One decision per item per session; corrections are new events elsewhere."""

    code = "already_decided"
    template = "La fiche {proposal} a déjà fait l'objet d'une décision dans la séance {session}."


class QuorumNotMet(DomainError):
    """Decisions need the quorum of voting members present."""

    code = "quorum_not_met"
    template = "Quorum non atteint pour la séance {session} : {present} membre(s) votant(s) présent(s), {required} requis."


class NotTheChair(DomainError):
    """Only the chair of the session records decisions."""

    status = 403
    code = "not_the_chair"
    template = "{actor} ne préside pas la séance {session}."


class DepartsFromMajority(DomainError):
    """A decision against the vote majority needs a justification."""

    status = 422
    code = "departs_from_majority"
    template = (
        "La décision « {outcome} » sur {proposal} s'écarte de la majorité du vote "
        "({votes_for} pour, {votes_against} contre) : une justification est obligatoire."
    )


class DepartsFromScenario(DomainError):
    """A decision against the cited scenario's recommendation needs a justification."""

    status = 422
    code = "departs_from_scenario"
    template = (
        "La décision « {outcome} » sur {proposal} s'écarte de la recommandation du scénario "
        "{scenario} ({recommendation}) : une justification est obligatoire."
    )


class DecisionAmountsInvalid(DomainError):
    """AP and CP are granted by approvals only, and the CP schedule totals the AP."""

    status = 422
    code = "decision_amounts_invalid"
    template = "Montants de la décision sur {proposal} incohérents : {reason}."


class UndecidedItems(DomainError):
    """A session closes once every agenda item has a decision."""

    code = "undecided_items"
    template = (
        "La séance {session} ne peut pas être close : sans décision pour {items}."
    )


# --- budget -----------------------------------------------------------------------


class BudgetAlreadyVoted(DomainError):
    """The primitive budget (BP) of a year and section is voted once."""

    code = "budget_already_voted"
    template = "Le budget primitif {year} ({section}) est déjà voté ; les ajustements passent par une DM."


class BudgetNotVoted(DomainError):
    """Adjustments and allocations need a voted budget."""

    code = "budget_not_voted"
    template = "Le budget primitif {year} ({section}) n'est pas voté."


class EnvelopeExceeded(DomainError):
    """Allocations never exceed the year's envelope (unless overridden by the chair)."""

    code = "envelope_exceeded"
    template = (
        "Enveloppe {year} ({section}) dépassée pour {proposal} : {requested} € demandés, "
        "{available} € disponibles. Un dépassement exige un forçage motivé du président."
    )


class EnvelopeBelowAllocated(DomainError):
    """A DM cannot bring an envelope below what is already allocated."""

    code = "envelope_below_allocated"
    template = "L'enveloppe {year} ({section}) ne peut pas descendre à {total} € : {allocated} € sont déjà alloués."


class CPExceeded(DomainError):
    """Commitments never exceed the year's CP of the project (unless overridden by finance)."""

    code = "cp_exceeded"
    template = (
        "CP {year} ({section}) de {proposal} dépassés : engagement de {requested} €, "
        "{available} € disponibles. Un dépassement exige un forçage motivé des finances."
    )


class CommitmentExceeded(DomainError):
    """Payments never exceed their commitment (unless overridden by finance)."""

    code = "commitment_exceeded"
    template = (
        "Engagement {commitment} dépassé : mandat de {requested} €, reste {available} €. "
        "Un dépassement exige un forçage motivé des finances."
    )


class CPBelowCommitted(DomainError):
    """A revised CP schedule cannot go below what is already committed."""

    code = "cp_below_committed"
    template = "Les CP {year} ({section}) de {proposal} ne peuvent pas descendre à {cp} € : {committed} € sont engagés."


class OverrideNotAllowed(DomainError):
    """Only the chair overrides an allocation, only finance a commitment or payment."""

    status = 403
    code = "override_not_allowed"
    template = "{actor} ne peut pas forcer {what} : réservé au rôle {role}."


class DateOutsideYear(DomainError):
    """A commitment's date lies in the budget year it is charged to."""

    status = 422
    code = "date_outside_year"
    template = "La date {date} n'appartient pas à l'exercice {year}."


# --- approvals: dependencies and team capacity -------------------------------------------


class RequiredProposalNotApproved(DomainError):
    """A proposal that requires another is approved only once the other is (unless
    the chair overrides)."""

    code = "required_proposal_not_approved"
    template = (
        "{proposal} requiert la fiche {required}, qui est {status} : l'approuver "
        "exige un forçage motivé du président."
    )


class ExcludedProposalApproved(DomainError):
    """Two proposals that exclude each other are never both approved (unless the chair
    overrides)."""

    code = "excluded_proposal_approved"
    template = (
        "{proposal} et {other} s'excluent, et la fiche {other} est {status} : "
        "approuver {proposal} exige un forçage motivé du président."
    )


class CapacityExceeded(DomainError):
    """Approvals never take a team beyond its capacity of the year (unless the chair
    overrides)."""

    code = "capacity_exceeded"
    template = (
        "Capacité de l'équipe {team} dépassée en {year} par {proposal} : {reserved} "
        "jours-personne déjà réservés + {requested} demandés pour une capacité de "
        "{capacity}. Un dépassement exige un forçage motivé du président."
    )


class DateInFuture(DomainError):
    """What is recorded as done (a milestone reached) is not dated after the command."""

    status = 422
    code = "date_in_future"
    template = (
        "La date {date} est postérieure au jour de l'enregistrement ({today}) : "
        "{what} ne peut pas être daté dans le futur."
    )


class DateOutsideHorizon(DomainError):
    """A planned date (a project's, a milestone's, a phase's, a session's) lies in
    the plan's horizon."""

    status = 422
    code = "date_outside_horizon"
    template = "La date {date} est hors de l'horizon du plan ({first}–{last})."


class DatesOutOfOrder(DomainError):
    """An end (or a later step) is not dated before its start (or the earlier step)."""

    status = 422
    code = "dates_out_of_order"
    template = "La date {date} précède {before_what} ({before}) : {what} impossible."


class NoPlan(DomainError):
    """Budget commands need the plan and its horizon, which is not defined yet."""

    code = "no_plan"
    template = (
        "Aucun plan n'est défini : impossible de {action} avant de définir le plan "
        "et son horizon (Référentiel)."
    )


class ChairAbsent(DomainError):
    """A session opens with its chair present (so never with nobody)."""

    code = "chair_absent"
    template = (
        "La séance {session} ne peut pas s'ouvrir sans son président {chair} présent "
        "(présents : {present})."
    )


class OpenedBeforeSessionDate(DomainError):
    """A session is not opened before its day (in the municipality's time zone)
    unless the chair records why."""

    status = 422
    code = "opened_before_session_date"
    template = (
        "La séance {session} est datée du {on} : l'ouvrir dès le {today} demande "
        "un motif d'ouverture anticipée, enregistré avec l'ouverture."
    )


class EvidenceChanged(DomainError):
    """The evidence of a decision changed since the chair was shown it."""

    code = "evidence_changed"
    template = (
        "Les éléments de décision ont changé depuis l'affichage : relisez-les "
        "(fiche {proposal}, séance {session})."
    )


# --- discussion -------------------------------------------------------------------


class DiscussionClosed(DomainError):
    """A grid's discussion closes when the version is adopted."""

    code = "discussion_closed"
    template = (
        "La discussion de la grille v{version} est close : la version est adoptée."
    )


class CommentHidden(DomainError):
    """A comment hidden by the chair is neither edited, answered nor replied to."""

    code = "comment_hidden"
    template = "Le commentaire {comment} est masqué par la présidence."


class NotAQuestion(DomainError):
    """Only a question is marked answered."""

    code = "not_a_question"
    template = "Le commentaire {comment} n'est pas une question : il n'a pas de réponse à marquer."


# --- diagnosis of the information system -----------------------------------------


class NotReferentForAssessment(DomainError):
    """A direction's assessment of an application is its referent's only."""

    status = 403
    code = "not_referent_for_assessment"
    template = (
        "{actor} n'est pas référent de la direction {direction} : il ne peut pas "
        "évaluer l'application {application} pour elle."
    )


class UnknownEvidence(DomainError):
    """A finding rests on an application or assessment that does not exist."""

    status = 422
    code = "unknown_evidence"
    template = "Constat : {what} introuvable ({id})."


class FindingWithdrawn(DomainError):
    """A withdrawn finding can no longer be cited nor withdrawn again."""

    code = "finding_withdrawn"
    template = "Le constat {finding} est retiré."


class NotAProposition(DomainError):
    """Only a proposition (a criterion proposed for a grid draft) is consolidated."""

    code = "not_a_proposition"
    template = (
        "Le commentaire {comment} n'est pas une proposition de critère : "
        "il n'y a rien à retenir ni à écarter."
    )


class PropositionSettled(DomainError):
    """A proposition is accepted or declined once."""

    code = "proposition_settled"
    template = "La proposition {comment} est déjà {settled} par {by}."


class GridNotOnAgenda(DomainError):
    """Votes and decisions on a grid need it on the session's agenda."""

    code = "grid_not_on_agenda"
    template = (
        "La grille v{version} n'est pas à l'ordre du jour de la séance {session}."
    )


class GridAlreadyOnAgenda(DomainError):
    """A grid version is put once on a session's agenda."""

    code = "grid_already_on_agenda"
    template = "La grille v{version} est déjà à l'ordre du jour de la séance {session}."


class GridAlreadyDecided(DomainError):
    """The COPIL decides once on a grid version in a session."""

    code = "grid_already_decided"
    template = "La séance {session} a déjà décidé de la grille v{version}."


class DocumentWithdrawn(DomainError):
    """A document withdrawn from the review register can no longer be cited, changed
    nor withdrawn again."""

    code = "document_withdrawn"
    template = "Le document {document} est retiré du registre de la revue documentaire."
