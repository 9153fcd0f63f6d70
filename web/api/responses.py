"""Marshmallow schemas of what the API answers, so the OpenAPI document describes real
responses (schemathesis checks every answer against them).

Dumping through a response schema never loses data: keys a schema does not declare
pass through unchanged (``Out.keep_undeclared``), and the document says so
(``additionalProperties``). Money and scores are exact decimal strings; times are UTC
ISO 8601 text, dates ``YYYY-MM-DD``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_smorest import Blueprint
from marshmallow import INCLUDE, Schema, fields, post_dump

from web.api.fastdump import compile_dumper
from web.api.schemas import ErrorResponse

DECIMAL = {
    "description": 'Décimal exact en chaîne (ex. "125000.00")',
    "example": "125000.00",
}
TIME = {"description": "Date-heure UTC ISO 8601"}
DATE = {"description": "Date AAAA-MM-JJ"}


ERRORS = {
    400: "Requête mal formée",
    401: "Authentification requise (jeton absent, invalide ou expiré)",
    403: "Rôle insuffisant pour cette lecture",
    404: "Inconnu",
    409: "Conflit ou règle non respectée",
    422: "Paramètres invalides (détails par champ)",
    429: "Trop de tentatives",
    503: "Base de données ou vues momentanément indisponibles",
}
READ_ERRORS = (401, 403, 422, 503)


def errors(blp: Blueprint, *statuses: int) -> Any:
    """Document error answers (the one error shape) of an endpoint."""

    def decorate(func: Any) -> Any:
        for status in statuses:
            func = blp.alt_response(
                status, schema=ErrorResponse, description=ERRORS[status]
            )(func)
        return func

    return decorate


def Dec(**kw: Any) -> fields.String:
    """An exact decimal as a string (money in euros, scores on 0–100)."""
    return fields.String(metadata=DECIMAL, **kw)


def Str(**kw: Any) -> fields.String:
    return fields.String(**kw)


def Opt(**kw: Any) -> fields.String:
    """A string that may be null."""
    return fields.String(allow_none=True, **kw)


def Int(**kw: Any) -> fields.Integer:
    return fields.Integer(**kw)


def OptInt(**kw: Any) -> fields.Integer:
    return fields.Integer(allow_none=True, **kw)


def Strs(**kw: Any) -> fields.List:
    return fields.List(fields.String(), **kw)


def Ints(**kw: Any) -> fields.List:
    return fields.List(fields.Integer(), **kw)


def AnyDict(**kw: Any) -> fields.Dict:
    return fields.Dict(keys=fields.String(), **kw)


def MapOf(schema: type[Schema] | Schema, **kw: Any) -> fields.Dict:
    """An object keyed by codes, each value a ``schema``."""
    return fields.Dict(keys=fields.String(), values=fields.Nested(schema), **kw)


class Out(Schema):
    """Base of the response schemas: declared keys typed, undeclared ones kept.

    ``dump`` writes plain dicts through the schema's compiled dumper
    (``web.api.fastdump``: the same result, without marshmallow's per-field calls);
    anything else goes through marshmallow."""

    class Meta:
        unknown = INCLUDE  # → additionalProperties: true

    def dump(self, obj: Any, *, many: bool | None = None) -> Any:
        fast = self.__dict__.get("_fast")
        if fast is None:  # once per schema instance
            fast = self.__dict__["_fast"] = compile_dumper(self) or False
        if fast:
            if self.many if many is None else many:
                if type(obj) is list and all(type(item) is dict for item in obj):
                    return [fast(item) for item in obj]
            elif type(obj) is dict:
                return fast(obj)
        return super().dump(obj, many=many)

    @post_dump(pass_original=True)
    def keep_undeclared(
        self, data: dict[str, Any], original: Any, **_: Any
    ) -> dict[str, Any]:
        if isinstance(original, Mapping):
            declared = self.__dict__.get("_declared")
            if declared is None:  # once per schema instance, not once per item
                declared = {f.data_key or n for n, f in self.dump_fields.items()}
                declared |= {f.attribute or n for n, f in self.dump_fields.items()}
                self.__dict__["_declared"] = declared
            for key, value in original.items():
                if key not in declared and key not in data:
                    data[key] = value
        return data


# --- common ---------------------------------------------------------------------------


class Health(Out):
    status = Str()
    views_position = Int()


class Me(Out):
    username = Str()
    display_name = Str()
    roles = Strs(metadata={"description": "Rôles (ROLE ou referent:DIRECTION)"})


# --- portfolio and proposals ----------------------------------------------------------


class PortfolioRow(Out):
    code = Str()
    title = Str()
    direction = Str()
    pole = Opt()
    axis = Opt()
    status = Str()
    revision = OptInt()
    mandatory = fields.Boolean()
    value = Dec(allow_none=True)
    risk = Dec(allow_none=True)
    grid_version = OptInt()
    evaluators = OptInt()
    stale_scores = OptInt()
    outcome = Opt()
    ap = Dec(allow_none=True)
    progress = Dec(allow_none=True)
    cost_investment = Dec(allow_none=True)
    cost_operating = Dec(allow_none=True)
    workload_days = OptInt()
    first_year = OptInt()
    last_year = OptInt()
    session = Opt()
    position = OptInt()
    rank = OptInt()


class PlanShown(Out):
    """The plan a view shows: the one in force, or one that ended (read as of the
    position just before the next plan was adopted)."""

    number = Int()
    name = Str()
    first_year = Int()
    last_year = Int()
    current = fields.Boolean()
    ended_position = OptInt(metadata={"description": "Position où ses vues s'arrêtent"})
    ended_at = Opt(metadata=TIME)


PLAN_SHOWN = {"description": "Le plan montré (paramètre plan : son numéro)"}


class Paged(Out):
    """The paging fields of a list's body (web.paging; the ``Link`` header has the
    URLs of the first, previous, next and last pages)."""

    count = Int(
        metadata={"description": "Lignes qui répondent aux filtres, toutes pages"}
    )
    page = Int(metadata={"description": "Numéro de cette page (à partir de 1)"})
    per_page = Int(metadata={"description": "Lignes par page"})


class Portfolio(Paged):
    plan = fields.Nested(PlanShown, allow_none=True, metadata=PLAN_SHOWN)
    proposals = fields.List(fields.Nested(PortfolioRow))


class Change(Out):
    field = Str()
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class AuditEvent(Out):
    position = Int()
    notification_id = OptInt()
    at = Str(metadata=TIME)
    actor = Str()
    roles = Strs()
    origin = Opt()
    command = Opt()
    idempotency_key = Opt()
    reason = Opt()
    aggregate_type = Str()
    aggregate_id = Str()
    aggregate = Opt()
    version = Int()
    event_type = Str()
    changes = fields.List(fields.Nested(Change))


class AuditTrail(Paged):
    total = Int(metadata={"description": "Comme count (nom antérieur)"})
    events = fields.List(fields.Nested(AuditEvent))


class VoteRecord(Out):
    position = Int()
    session = Str()
    proposal = Str()
    member = Str()
    choice = Str()
    at = Opt(metadata=TIME)
    current = fields.Boolean()


class CPLineOut(Out):
    year = Int()
    section = Str()
    amount = Dec()


class Decision(Out):
    position = Int()
    session = Str()
    proposal = Str()
    session_date = Opt(metadata=DATE)
    decided_at = Opt(metadata=TIME)
    outcome = Str()
    ap = Dec(allow_none=True)
    grid_version = OptInt()
    revision = OptInt()
    scenario = Opt()
    votes_for = OptInt()
    votes_against = OptInt()
    abstentions = OptInt()
    present_voting = OptInt()
    quorum_required = OptInt()
    departs_from_majority = fields.Boolean()
    override = fields.Boolean()
    chair = Opt()
    rationale = Opt()
    justification = Opt()
    conditions = Opt()
    override_reason = Opt()
    cp = fields.List(fields.Nested(CPLineOut), allow_none=True)
    scores = AnyDict(
        allow_none=True,
        metadata={"description": "Notes consolidées sur lesquelles la décision repose"},
    )
    budget_state = fields.List(
        AnyDict(),
        allow_none=True,
        metadata={
            "description": "Par ligne de CP et par entité de la répartition : "
            "l'enveloppe de l'entité (total_c, allocated_c, available_c) au moment "
            "de la décision et la part demandée (requested_c)"
        },
    )
    split = AnyDict(
        allow_none=True,
        metadata={
            "description": "Répartition du coût enregistrée à l'approbation : par "
            "entité (entity, name, percent), sa part de l'AP (ap_c) et de chaque "
            "ligne de CP (cp), et le total consolidé (total), leur somme au centime"
        },
    )
    votes = fields.List(fields.Nested(VoteRecord))
    positions = AnyDict(
        allow_none=True,
        metadata={"description": "Positions au registre des éléments de preuve"},
    )
    present = Strs(metadata={"description": "Membres présents lors de la décision"})
    value = Dec(allow_none=True)
    risk = Dec(allow_none=True)
    conflicts = fields.List(
        AnyDict(),
        metadata={
            "description": "Règles enfreintes sous forçage motivé du président "
            "(dépendance, capacité d'équipe, enveloppe)"
        },
    )
    evidence_recorded = fields.Boolean(
        metadata={
            "description": "Faux pour une décision antérieure à l'enregistrement des "
            "preuves : les notes affichées sont recalculées"
        }
    )


class Decisions(Out):
    decisions = fields.List(fields.Nested(Decision))


class BudgetLine(Out):
    proposal = Str()
    title = Opt()
    direction = Opt()
    pole = Opt()
    axis = Opt()
    status = Opt()
    year = Int()
    section = Str()
    ap_voted = Dec(allow_none=True)
    ap_revisions = Dec(allow_none=True)
    ap_current = Dec(allow_none=True)
    cp_initial = Dec(allow_none=True)
    cp = Dec(allow_none=True)
    allocated = Dec(allow_none=True)
    committed = Dec(allow_none=True)
    paid = Dec(allow_none=True)
    available = Dec(allow_none=True)
    override_allocation = fields.Boolean()
    override_commitment = fields.Boolean()
    override_payment = fields.Boolean()


class CommitmentOut(Out):
    position = Int()
    reference = Str()
    year = Int()
    section = Str()
    amount = Dec()
    paid = Dec(allow_none=True)
    on = Opt(metadata=DATE)
    supplier = Opt()
    override_reason = Opt()


class PaymentOut(Out):
    position = Int()
    reference = Str()
    commitment = Str()
    amount = Dec()
    on = Opt(metadata=DATE)
    override_reason = Opt()


class ProjectBudget(Out):
    session = Opt()
    ap = Dec(allow_none=True)
    ap_voted = Dec(allow_none=True)
    lines = fields.List(fields.Nested(BudgetLine))
    commitments = fields.List(fields.Nested(CommitmentOut))
    payments = fields.List(fields.Nested(PaymentOut))
    revisions = fields.List(AnyDict())


class Revision(Out):
    position = Int()
    revision = Int()
    at = Str(metadata=TIME)
    actor = Str()
    reason = Opt()
    content = AnyDict()


class ScoreHistory(Out):
    position = Int()
    revision = Int()
    grid_version = Int()
    evaluator = Str()
    criterion = Str()
    level = Int()
    justification = Opt()
    at = Opt(metadata=TIME)
    current = fields.Boolean()
    stale = fields.Boolean()


class Proposal(Out):
    code = Str()
    direction = Str()
    pole = Opt()
    referent = Opt()
    status = Str()
    revision = Int()
    created_at = Opt(metadata=TIME)
    created_position = OptInt()
    updated_position = OptInt()
    content = AnyDict(
        metadata={
            "description": "La révision courante (titre, description, composantes…)"
        }
    )
    costs = fields.List(AnyDict())
    workloads = fields.List(AnyDict())
    risks = fields.List(AnyDict())
    dependencies = fields.List(AnyDict())
    qualification = AnyDict(allow_none=True)
    scores = AnyDict(
        metadata={"description": "révision/grille/critère/évaluateur → note courante"}
    )
    consolidated = AnyDict(
        metadata={
            "description": "Par version de grille : moyenne, écart, notes périmées"
        }
    )
    evaluators = OptInt()
    grid_version = OptInt()
    value_x100 = OptInt()
    risk_x100 = OptInt()
    stale = OptInt()
    decisions = fields.List(AnyDict())
    session = Opt()
    ap_c = OptInt(metadata={"description": "AP votée, en centimes"})
    milestones = AnyDict()
    progress_x100 = OptInt()
    planned_start = Opt(metadata=DATE)
    planned_end = Opt(metadata=DATE)
    started_on = Opt(metadata=DATE)
    done_on = Opt(metadata=DATE)
    closing_reason = Opt()
    history = fields.List(AnyDict())
    revisions = fields.List(fields.Nested(Revision))
    score_history = fields.List(fields.Nested(ScoreHistory))
    decision_records = fields.List(fields.Nested(Decision))
    budget = fields.Nested(ProjectBudget, allow_none=True)
    timeline = fields.List(fields.Nested(AuditEvent))


# --- budget ---------------------------------------------------------------------------


class Envelope(Out):
    year = Int()
    section = Str()
    bp = Dec(allow_none=True)
    dm = Dec(allow_none=True)
    total = Dec(allow_none=True)
    allocated = Dec(allow_none=True)
    available = Dec(allow_none=True)
    overrides = OptInt()


class Totals(Out):
    cp = Dec(allow_none=True)
    allocated = Dec(allow_none=True)
    committed = Dec(allow_none=True)
    paid = Dec(allow_none=True)
    available = Dec(allow_none=True)


class Budget(Paged):
    plan = fields.Nested(PlanShown, allow_none=True, metadata=PLAN_SHOWN)
    envelopes = fields.List(fields.Nested(Envelope))
    lines = fields.List(fields.Nested(BudgetLine))
    total = fields.Nested(Totals)
    totals = fields.Dict(
        keys=fields.String(),
        values=MapOf(Totals),
        metadata={"description": "Par année/section, pôle, direction et axe"},
    )


class Move(Out):
    position = Int()
    kind = Str()
    entity = Str(metadata={"description": "Entité de l'enveloppe"})
    year = Int()
    section = Str()
    amount = Dec()
    deliberation = Opt()
    on = Opt(metadata=DATE)
    actor = Opt()


class Moves(Out):
    moves = fields.List(fields.Nested(Move))


class EntityOut(Out):
    code = Str(metadata={"description": "Code ; « principale » : la collectivité"})
    name = Str()
    kind = Str(metadata={"description": "commune, ccas, epci, syndicat ou autre"})
    siren = Str()
    status = Str(metadata={"description": "open ou closed"})
    main = fields.Boolean(required=True)


class Entities(Out):
    entities = fields.List(fields.Nested(EntityOut))


# --- sessions, capacity ---------------------------------------------------------------


class AttendanceEntry(Out):
    """One entry of a session's attendance: the opening, an arrival or a departure."""

    position = Int()
    at = Str(metadata=TIME)
    kind = Str(
        metadata={
            "enum": ["opened", "arrived", "left"],
            "description": "opened, arrived ou left",
        }
    )
    member = Opt(
        metadata={"description": "Le membre arrivé ou parti (null à l'ouverture)"}
    )
    present = Strs(metadata={"description": "Les membres présents juste après"})


class RemovedItem(Out):
    """A proposal taken off the agenda before the opening."""

    proposal = Str()
    position = Int()
    at = Str(metadata=TIME)


class Session(Out):
    code = Str()
    title = Str()
    on = Str(metadata=DATE)
    chair = Str()
    status = Str()
    voting = Strs()
    non_voting = Strs()
    quorum = AnyDict(allow_none=True)
    agenda = Strs()
    present = Strs()
    attendance = fields.List(fields.Nested(AttendanceEntry))
    removed = fields.List(fields.Nested(RemovedItem))
    present_voting = OptInt()
    quorum_required = OptInt()
    quorum_met = fields.Boolean()
    votes = AnyDict(metadata={"description": "fiche → membre → vote courant"})
    vote_positions = AnyDict()
    decisions = AnyDict()
    positions = AnyDict()
    grid_version = OptInt(
        metadata={"description": "Version de grille en vigueur à la convocation"}
    )
    times = AnyDict(
        metadata={
            "description": "Date-heure UTC ISO 8601 de l'ouverture (opened) et de "
            "la clôture (closed)"
        }
    )
    early_reason = Opt(
        metadata={
            "description": "Motif de l'ouverture avant la date de la séance (null : "
            "ouverte à sa date ou après)"
        }
    )


class Sessions(Out):
    sessions = fields.List(fields.Nested(Session))


class SessionDetail(Session):
    vote_records = fields.List(fields.Nested(VoteRecord))
    decision_records = fields.List(fields.Nested(Decision))
    evidence = AnyDict(
        metadata={
            "description": "fiche → notes consolidées, valeur et risque sur la grille "
            "de la séance : ce qu'une décision enregistre"
        }
    )
    fingerprints = AnyDict(
        metadata={
            "description": "fiche non encore arbitrée → empreinte des éléments de "
            "décision (à renvoyer dans `evidence` de la décision)"
        }
    )


class CommitteeMember(Out):
    username = Str()
    display_name = Str()
    roles = Strs()
    kind = Opt(
        metadata={
            "description": "Qualité au COPIL, une fois sa composition enregistrée"
        }
    )
    voting = fields.Boolean(
        metadata={"description": "Voix délibérative dans la composition"}
    )
    can_vote = fields.Boolean()


class Committee(Out):
    members = fields.List(fields.Nested(CommitteeMember))


class CapacityRow(Out):
    team = Str()
    name = Str()
    kind = Str()
    year = Int()
    capacity = Int()
    workload = Int()
    load = Dec(allow_none=True)
    overload = fields.Boolean()
    overrides = Strs(
        metadata={
            "description": "Projets approuvés au-delà de la capacité (forçage motivé)"
        }
    )


class Capacity(Out):
    capacity = fields.List(fields.Nested(CapacityRow))


class ViewStatus(Out):
    view = Str()
    position = Int()
    notification_id = OptInt()
    updated_at = Opt(metadata=TIME)
    head = Int()
    lag = Int()


class ViewsStatus(Out):
    views = fields.List(fields.Nested(ViewStatus))


# --- reference ------------------------------------------------------------------------


class PlanOut(Out):
    number = OptInt(metadata={"description": "1 pour le premier plan"})
    name = Str()
    municipality = Opt()
    first_year = Int()
    last_year = Int()
    phases = AnyDict()
    position = OptInt()


class PlanResponse(Out):
    plan = fields.Nested(PlanOut, allow_none=True)
    plans = fields.List(
        fields.Nested(PlanShown),
        metadata={"description": "Chaque plan, du premier au plan en vigueur"},
    )
    history = fields.List(
        fields.Nested(AuditEvent),
        metadata={"description": "Événements du plan, du plus récent au plus ancien"},
    )


STATUS = {"description": "open (en service) ou closed (fermé, historique conservé)"}
HISTORY = {
    "description": "Qui, quand, pourquoi : chaque événement, le plus récent en tête"
}


class MunicipalityOut(Out):
    name = Str()
    siren = Str()
    siret = Str(metadata={"description": "Vide si non renseigné"})
    insee = Str()
    position = OptInt()
    updated_position = OptInt()


class MunicipalityRecord(Out):
    municipality = fields.Nested(MunicipalityOut, allow_none=True)
    history = fields.List(fields.Nested(AuditEvent), metadata=HISTORY)


class Referent(Out):
    username = Str()
    display_name = Str()


class PoleOut(Out):
    code = Str()
    name = Str()
    status = Str(metadata=STATUS)
    closed_at = Opt(metadata=TIME)


class DirectionOut(Out):
    code = Str()
    name = Str()
    pole = Opt()
    status = Str(metadata=STATUS)
    closed_at = Opt(metadata=TIME)
    proposals = Strs()
    referents = fields.List(fields.Nested(Referent))


class TeamOut(Out):
    code = Str()
    name = Str()
    kind = Str()
    direction = Opt()
    status = Str(metadata=STATUS)
    closed_at = Opt(metadata=TIME)
    capacity = AnyDict(metadata={"description": "année → jours-personne"})


class Organisation(Out):
    poles = fields.List(fields.Nested(PoleOut))
    directions = fields.List(fields.Nested(DirectionOut))
    teams = fields.List(fields.Nested(TeamOut))


class PoleRecord(PoleOut):
    directions = fields.List(fields.Nested(DirectionOut))
    history = fields.List(fields.Nested(AuditEvent), metadata=HISTORY)


class GrantOut(Out):
    position = Int()
    username = Str()
    action = Str()
    role = Str()
    scope = Opt()
    actor = Opt()
    reason = Opt()
    at = Opt(metadata=TIME)


class DirectionRecord(DirectionOut):
    teams = fields.List(fields.Nested(TeamOut))
    referent_grants = fields.List(
        fields.Nested(GrantOut),
        metadata={
            "description": "Attributions et retraits du rôle de référent "
            "(administrateurs et auditeurs ; vide sinon)"
        },
    )
    history = fields.List(fields.Nested(AuditEvent), metadata=HISTORY)


class TeamRecord(TeamOut):
    history = fields.List(fields.Nested(AuditEvent), metadata=HISTORY)


class IndicatorOut(Out):
    code = Str()
    axis = Str()
    label = Str()
    unit = Opt()
    baseline = Opt()
    target = Opt(metadata={"description": "Cible de la dernière année ciblée"})
    target_year = OptInt()
    targets = AnyDict(metadata={"description": "année → cible (décimal en chaîne)"})
    status = Str(metadata=STATUS)
    closed_at = Opt(metadata=TIME)
    last = AnyDict(allow_none=True)


class AxisOut(Out):
    code = Str()
    label = Str()
    description = Opt()
    status = Str(metadata=STATUS)
    closed_at = Opt(metadata=TIME)
    indicators = fields.List(fields.Nested(IndicatorOut))


class Axes(Out):
    axes = fields.List(fields.Nested(AxisOut))


class AxisRecord(AxisOut):
    history = fields.List(fields.Nested(AuditEvent), metadata=HISTORY)


class Measurement(Out):
    position = Int()
    indicator = Str()
    on = Str(metadata=DATE)
    value = Dec()
    kind = Str()
    comment = Opt()


class IndicatorRecord(IndicatorOut):
    measurements = fields.List(fields.Nested(Measurement))
    history = fields.List(fields.Nested(AuditEvent), metadata=HISTORY)


class CommitteeSeat(Out):
    username = Str()
    display_name = Str()
    kind = Str(metadata={"description": "elu, dgs, dga, dsi ou expert"})
    voting = fields.Boolean()
    sitting = fields.Boolean(metadata={"description": "Faux pour un membre parti"})
    since = Opt(metadata=TIME)
    left_at = Opt(metadata=TIME)


class CommitteeRecord(Out):
    members = fields.List(fields.Nested(CommitteeSeat))
    history = fields.List(fields.Nested(AuditEvent), metadata=HISTORY)


class ScaleLevelOut(Out):
    level = Int()
    descriptor = Str()


class CriterionOut(Out):
    code = Str()
    label = Str()
    family = Str()
    weight = Str(metadata={"description": "Poids en % (décimal)"})
    scale = fields.List(fields.Nested(ScaleLevelOut))
    axis = Opt()
    indicator = Opt()
    proposition = Opt(
        metadata={"description": "Proposition de la discussion dont il est issu"}
    )


class AcceptedOut(Out):
    criterion = Str()
    proposition = Str()
    position = Int()


class Grid(Out):
    number = Int()
    label = Str()
    status = Str()
    based_on = OptInt()
    criteria = MapOf(CriterionOut)
    adopted_on = Opt(metadata=DATE)
    adopted_position = OptInt()
    drafted_position = OptInt()
    positions = Ints()
    adopted_by_session = Opt(
        metadata={"description": "Séance du COPIL dont la décision l'a adoptée"}
    )
    accepted = fields.List(
        fields.Nested(AcceptedOut),
        metadata={"description": "Propositions de la discussion retenues"},
    )


class Grids(Out):
    grids = fields.List(fields.Nested(Grid))


class GridDiff(Out):
    from_ = Int(data_key="from", attribute="from")
    to = Int()
    added = fields.List(fields.Nested(CriterionOut))
    removed = fields.List(fields.Nested(CriterionOut))
    changed = AnyDict(metadata={"description": "critère → champ → {old, new}"})


class AccountOut(Out):
    username = Str()
    display_name = Str()
    email = Opt()
    active = fields.Boolean()
    roles = Strs()
    created_at = Opt(metadata=TIME)
    created_by = Opt()


class Accounts(Out):
    accounts = fields.List(fields.Nested(AccountOut))
    grants = fields.List(fields.Nested(GrantOut))


# --- integrity ------------------------------------------------------------------------


class Checkpoint(Out):
    seq = Int()
    tree_size = Int()
    root = Str(metadata={"description": "Racine (base64)"})
    root_hex = Str()
    issued_at = Opt(metadata=TIME)
    reason = Opt()
    note = Str(metadata={"description": "La note signée (C2SP), texte exact"})
    cosignatures = Strs(
        metadata={"description": "Cosignatures des témoins (lignes C2SP)"}
    )


class WitnessCosigned(Out):
    seq = Int()
    tree_size = Int()
    timestamp = Int(metadata={"description": "Heure de la cosignature (POSIX)"})
    cosigned_at = Opt(metadata=TIME)
    received_at = Opt(metadata=TIME)


class WitnessState(Out):
    label = Str()
    name = Str()
    url = Str()
    vkey = Str()
    cosigned = fields.Nested(WitnessCosigned, allow_none=True)
    status = Str(metadata={"description": "ok, pending ou failing"})
    attempts = Int()
    last_error = Str()
    next_attempt_at = Opt(metadata=TIME)
    last_attempt_at = Opt(metadata=TIME)


class CheckpointRef(Out):
    seq = Int()
    tree_size = Int()


class WitnessesResponse(Out):
    latest_checkpoint = fields.Nested(CheckpointRef, allow_none=True)
    witnesses = fields.List(fields.Nested(WitnessState))


class PublicKey(Out):
    origin = Str()
    vkey = Str()
    fingerprint = Str()
    pem = Str()


class CheckpointResponse(Out):
    checkpoint = fields.Nested(Checkpoint, allow_none=True)
    public_key = fields.Nested(PublicKey)


class ProofEvent(Out):
    position = Int()
    originator_id = Str()
    originator_version = Int()
    topic = Str()
    state = Str(metadata={"description": "L'événement stocké (base64)"})


class InclusionProof(Out):
    type = Str()
    log = Str()
    position = Int()
    leaf_index = Int()
    tree_size = Int()
    leaf_hash = Str()
    proof = Strs(metadata={"description": "Hachages frères, du bas vers le haut (hex)"})
    event = fields.Nested(ProofEvent)
    record = AnyDict(metadata={"description": "L'enregistrement scellé (feuille)"})
    checkpoint = fields.Nested(Checkpoint)


class ConsistencyProof(Out):
    type = Str()
    log = Str()
    first = fields.Nested(Checkpoint)
    second = fields.Nested(Checkpoint)
    proof = Strs()


# --- audit ----------------------------------------------------------------------------


class SealedEvent(AuditEvent):
    leaf_hash = Opt(
        metadata={
            "description": "Sceau : hachage de la feuille (hex) ; null avant scellement"
        }
    )
    covered = fields.Boolean(
        metadata={"description": "Couvert par le dernier point de contrôle signé"}
    )


class Moment(Out):
    as_of = Str()
    position = Int()


class FieldChange(Out):
    old = fields.Raw(allow_none=True)
    new = fields.Raw(allow_none=True)


class ProposalChange(Out):
    code = Str()
    title = Str()
    direction = Str()
    added = fields.Boolean()
    changes = MapOf(
        FieldChange, metadata={"description": "status, value, risk, ap → {old, new}"}
    )


class EnvelopeChange(Out):
    year = Int()
    section = Str()
    added = fields.Boolean()
    changes = MapOf(
        FieldChange,
        metadata={"description": "bp, dm, total, allocated, available → {old, new}"},
    )


class DecisionAdded(Out):
    position = Int()
    session = Str()
    proposal = Str()
    session_date = Opt(metadata=DATE)
    decided_at = Opt(metadata=TIME)
    outcome = Str()
    ap = Dec(allow_none=True)
    rationale = Opt()


class AuditDiff(Out):
    a = fields.Nested(Moment)
    b = fields.Nested(Moment)
    proposals = fields.List(fields.Nested(ProposalChange))
    envelopes = fields.List(fields.Nested(EnvelopeChange))
    decisions = fields.List(fields.Nested(DecisionAdded))


class Problem(Out):
    kind = Str()
    position = Int(metadata={"description": "0 pour une ligne hors du journal"})
    last = OptInt()
    checkpoint = OptInt()
    notification_id = OptInt(
        metadata={"description": "Identifiant d'une ligne hors du journal (≤ 0)"}
    )
    detail = Str()


class LatestTrusted(Out):
    seq = OptInt()
    tree_size = Int()
    root = Str()
    issued_at = Opt()


class Verification(Out):
    ok = fields.Boolean()
    tree_size = Int()
    root = Str()
    from_position = Int()
    checked = Int()
    unsealed = Int()
    checkpoints = Int()
    latest_checkpoint = fields.Nested(LatestTrusted, allow_none=True)
    seconds = fields.Float(metadata={"description": "Durée de la vérification"})
    first_problem = fields.Nested(Problem, allow_none=True)
    problems = fields.List(fields.Nested(Problem))
    verified_at = Str(metadata=TIME)
    verified_by = Str()
    summary = Strs()


class VerificationStatus(Out):
    verification = fields.Nested(
        Verification,
        allow_none=True,
        metadata={
            "description": "La dernière vérification complète de ce processus "
            "(null avant la première)"
        },
    )


# --- scenarios ------------------------------------------------------------------------


class Source(Out):
    grid_version = OptInt()
    statuses = Strs()
    views_position = OptInt()
    ledger_head = OptInt()


class ScenarioSummary(Out):
    code = Str()
    label = Opt()
    position = Int()
    at = Opt(metadata=TIME)
    actor = Opt()
    status = Opt()
    objective = Dec(allow_none=True)
    greedy_objective = Dec(allow_none=True)
    value = Dec(allow_none=True)
    gap = Dec(allow_none=True)
    candidates = OptInt()
    selected = OptInt()
    grid_version = OptInt()
    input_hash = Opt()
    parameters = AnyDict(allow_none=True)


class Scenarios(Out):
    scenarios = fields.List(fields.Nested(ScenarioSummary))


class Scenario(Out):
    code = Str()
    label = Opt()
    position = Int()
    at = Opt(metadata=TIME)
    actor = Opt()
    reason = Opt()
    status = Opt()
    objective = Dec(allow_none=True)
    gap = Dec(allow_none=True)
    input_hash = Opt()
    solver = Opt()
    solver_version = Opt()
    parameters = AnyDict(allow_none=True)
    source = fields.Nested(Source, allow_none=True)
    inputs = AnyDict(
        allow_none=True, metadata={"description": "Entrées exactes du calcul"}
    )
    candidates = fields.List(AnyDict())
    kept = fields.List(AnyDict())
    optimum = AnyDict(allow_none=True)
    greedy = AnyDict(allow_none=True)
    contrast = AnyDict(allow_none=True)
    empty_reason = Opt(
        metadata={
            "description": "Pourquoi l'optimum ne retient aucun projet (enveloppes "
            "épuisées, capacité, dépendances…) ; null s'il en retient"
        }
    )


class Comparison(Out):
    columns = Strs()
    missing = Strs()
    projects = fields.List(AnyDict())
    totals = fields.List(AnyDict())
    budget = fields.List(AnyDict())
    capacity = fields.List(AnyDict())


class FrontierPoint(Out):
    scale = Dec()
    envelope = Dec(allow_none=True)
    envelope_c = OptInt()
    status = Opt()
    objective = Dec(allow_none=True)
    value = Dec(allow_none=True)
    cost = Dec(allow_none=True)
    cost_c = OptInt()
    available = Dec(allow_none=True)
    available_c = OptInt()
    greedy_objective = Dec(allow_none=True)
    greedy_status = Opt()
    selection = Strs()
    diagnosis = Opt()


class Frontier(Out):
    points = fields.List(fields.Nested(FrontierPoint))
    source = fields.Nested(Source, allow_none=True)


class Robustness(Out):
    grid_version = OptInt()
    baseline = AnyDict(allow_none=True)
    intervals = AnyDict(
        allow_none=True, metadata={"description": "Intervalles de poids"}
    )
    monte_carlo = AnyDict(allow_none=True, metadata={"description": "Tirages de poids"})
    disagreement = AnyDict(
        allow_none=True, metadata={"description": "Écarts entre évaluateurs"}
    )
    source = fields.Nested(Source, allow_none=True)


class Issuance(Out):
    position = Int(metadata={"description": "Position de l'événement au registre"})
    at = Str(metadata={"description": "Date-heure UTC de la délivrance"})
    actor = Str(metadata={"description": "Compte qui a téléchargé le document"})
    origin = Opt(metadata={"description": "web ou api"})
    filename = Str(metadata={"description": "Nom du fichier délivré"})


class IssuedDocument(Out):
    sha256 = Str(metadata={"description": "Empreinte SHA-256 (hexadécimal)"})
    kind = Str(metadata={"description": "Export : plan, minutes, certificate…"})
    subject = Str(metadata={"description": "Objet : séance, plan, moment"})
    size = Int(metadata={"description": "Taille en octets"})
    issuances = fields.List(
        fields.Nested(Issuance),
        metadata={"description": "Chaque délivrance, la plus ancienne d'abord"},
    )
