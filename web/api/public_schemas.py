"""Marshmallow schemas of the citizens' JSON twin (``/api/v1/public/…``): what the
public pages show, and nothing else (``projections.public``)."""

from __future__ import annotations

from marshmallow import fields, validate

from web.api.responses import DATE, TIME, Dec, Int, Opt, OptInt, Out, Str
from web.api.schemas import Query


class PublicQuery(Query):
    date = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=40),
        metadata={
            "format": "date",
            "description": "Jour à afficher (AAAA-MM-JJ), au plus tard aujourd'hui : "
            "l'état publié à la fin de ce jour, dans le fuseau de la collectivité",
        },
    )


class PublicVotes(Out):
    # ``for`` is a Python keyword: the key is declared by data_key
    for_ = Int(data_key="for", attribute="for")
    against = Int()
    abstain = Int()
    present = Int(metadata={"description": "Membres votants présents"})


class PublicDecision(Out):
    date = Opt(metadata=DATE)
    session = Str()
    proposal = Str()
    title = Str()
    outcome = Str(
        metadata={
            "description": "approved, approved_with_conditions, deferred, rejected"
        }
    )
    ap = Dec(allow_none=True)
    votes = fields.Nested(PublicVotes, metadata={"description": "Si publié"})
    rationale = Str(metadata={"description": "Si publié"})
    conditions = Str(metadata={"description": "Si publié"})


class PublicProject(Out):
    code = Str()
    title = Str()
    axis = Opt()
    axis_label = Opt()
    status = Str(
        validate=validate.OneOf(["planned", "in_progress", "done", "cancelled"]),
        metadata={"description": "prévue, en cours, réalisée (ou annulée)"},
    )
    first_year = OptInt()
    last_year = OptInt()
    ap_voted = Dec(allow_none=True)
    direction = Str(metadata={"description": "Si publié"})
    progress = Dec(allow_none=True)  # in %, if published


class PublicYear(Out):
    year = Int()
    voted = Dec()
    committed = Dec()
    spent = Dec()


class PublicAxisBudget(Out):
    axis = Str()
    label = Opt()
    years = fields.List(fields.Nested(PublicYear))
    voted = Dec()
    committed = Dec()
    spent = Dec()


class PublicAxis(Out):
    code = Str()
    label = Str()
    projects = fields.List(fields.Nested(PublicProject))


class PublicPlanHead(Out):
    name = Opt()
    municipality = Opt()
    first_year = OptInt()
    last_year = OptInt()


class PublicPlan(Out):
    plan = fields.Nested(PublicPlanHead)
    axes = fields.List(fields.Nested(PublicAxis))
    unaxed = fields.List(fields.Nested(PublicProject))
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    budget = fields.List(
        fields.Nested(PublicAxisBudget), metadata={"description": "Si publié"}
    )


class PublicMilestone(Out):
    code = Str()
    label = Str()
    planned = Str(metadata=DATE)
    actual = Opt(metadata=DATE)


class PublicProjectBudget(Out):
    ap_voted = Dec(allow_none=True)
    ap = Dec(allow_none=True)
    years = fields.List(fields.Nested(PublicYear))
    voted = Dec()
    committed = Dec()
    spent = Dec()


class PublicProjectDetail(PublicProject):
    planned_start = Opt(metadata=DATE)
    planned_end = Opt(metadata=DATE)
    started_on = Opt(metadata=DATE)
    done_on = Opt(metadata=DATE)
    description = Str(metadata={"description": "Si publié"})
    milestones = fields.List(fields.Nested(PublicMilestone))
    budget = fields.Nested(PublicProjectBudget)
    decisions = fields.List(fields.Nested(PublicDecision))


class PublicGridDecision(Out):
    date = Opt(metadata=DATE)
    session = Str()
    grid_version = Int(metadata={"description": "Version de la grille de valeur"})
    adopted = fields.Boolean(metadata={"description": "Grille adoptée ou non"})
    votes = fields.Nested(PublicVotes, metadata={"description": "Si publié"})
    rationale = Str(metadata={"description": "Si publié"})


class PublicDecisions(Out):
    decisions = fields.List(fields.Nested(PublicDecision))
    grid_decisions = fields.List(
        fields.Nested(PublicGridDecision),
        metadata={"description": "Décisions sur l'adoption d'une grille de valeur"},
    )


class PublicCheckpoint(Out):
    seq = Int()
    tree_size = Int()
    root = Str(metadata={"description": "Racine (base64)"})
    root_hex = Str()
    issued_at = Str(metadata=TIME)
    note = Str(metadata={"description": "La note signée (C2SP signed note)"})
    key_fingerprint = Str()
    key_origin = Str()
    key_vkey = Str()


class PublicIntegrity(Out):
    checkpoint = fields.Nested(PublicCheckpoint, allow_none=True)
    public_key_pem = Str()
    how_to_verify = Str()
