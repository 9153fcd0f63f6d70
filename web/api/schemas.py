"""Marshmallow schemas of the JSON API (unknown fields refused), shared with UI forms."""

from __future__ import annotations

import copy
import re
from decimal import Decimal
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from domain.errors import InvalidValue
from domain.proposals import DECIDED, Status
from domain.values import (
    AMOUNT_PATTERN,
    DECIMAL_TEXT,
    ISO_DATE_TEXT,
    PERCENT_EXPECTED,
    PERCENT_TEXT,
    UNSIGNED_AMOUNT_PATTERN,
    Role,
    decimal_value,
    money,
    percent_text,
)
from projections.views.budget.queries import LINE_SORTS as BUDGET_LINE_SORTS
from projections.views.portfolio.queries import SORTS as PORTFOLIO_SORTS
from web.validation import ITEM_LENGTHS


class Money(fields.Field):
    """Exact euros: a decimal string (``"125000.00"``: ASCII digits, a point, at most
    two decimals; a minus sign only where ``signed``) or an integer; floats refused.
    The grammar is the domain's (:func:`domain.values.money`); forms convert French
    writing to it first (:mod:`web.ui.amounts`)."""

    def __init__(self, *, signed: bool = False, **kwargs: Any) -> None:
        pattern = AMOUNT_PATTERN if signed else UNSIGNED_AMOUNT_PATTERN
        metadata = {
            "type": "string",
            "pattern": pattern,
            "example": "-2500.00" if signed else "125000.00",
            "description": (
                "Montant en euros : chaîne décimale ("
                + ("signe moins pour une réduction, " if signed else "")
                + 'point décimal, au plus 2 décimales, ex. "125000.00") ou entier ; '
                "jamais un nombre flottant"
            ),
            "x-sdsi-money": True,
            "signed": signed,
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(
                FLOAT_REFUSED if isinstance(value, float) else NOT_AN_AMOUNT
            )
        try:
            return money(
                value, attr or "amount", allow_negative=self.metadata["signed"]
            )
        except InvalidValue as exc:
            raise ValidationError(
                exc.params.get("reason", "montant invalide")
            ) from None

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else format(Decimal(value), "f")


FLOAT_REFUSED = (
    'Montant en chaîne décimale attendu (ex. "125000.00"), jamais un nombre flottant.'
)
NOT_AN_AMOUNT = 'Montant en chaîne décimale attendu (ex. "125000.00").'


class DecimalValue(fields.Field):
    """An exact decimal (indicator baselines, targets): a decimal string (``"12.5"``,
    ``"-3,75"``) or an integer; floats, exponents and spaces refused. The grammar is
    the domain's (:func:`domain.values.decimal_value`)."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {
            "type": "string",
            "pattern": "^" + DECIMAL_TEXT.pattern + "$",
            "example": "12.5",
            "description": 'Nombre décimal exact : chaîne (ex. "12.5") ou entier ; jamais un nombre flottant',
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(DECIMAL_EXPECTED)
        try:
            return decimal_value(value, attr or "value")
        except InvalidValue as exc:
            raise ValidationError(exc.params.get("reason", DECIMAL_EXPECTED)) from None

    def _serialize(
        self, value: Any, attr: str | None, obj: Any, **kwargs: Any
    ) -> str | None:
        return None if value is None else format(Decimal(value), "f")


class IsoDate(fields.Date):
    """A date written AAAA-MM-JJ only (``fields.Date`` also reads "20260101" and
    "2026-W01-1"); the domain then checks its range where it has one."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> Any:
        if isinstance(value, str) and not ISO_DATE_TEXT.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)


class PercentValue(fields.Field):
    """A percentage as the domain reads it (:data:`domain.values.PERCENT_TEXT`): a
    string (``"33.33"``, ``"33,33"``) or an integer (``40``), handed to the domain
    unchanged, which checks it and names the field; floats and booleans refused.
    ``checked``: the text is checked here and read as a ``Decimal`` (for a range
    validator), so "-0", "100.000" or "40.5000" never reach the domain as numbers
    that skipped its grammar."""

    def __init__(self, *, checked: bool = False, **kwargs: Any) -> None:
        self.checked = checked
        metadata = {
            "type": "string",
            "pattern": "^" + PERCENT_TEXT.pattern + "$",
            "example": "33.33",
            **kwargs.pop("metadata", {}),
        }
        super().__init__(metadata=metadata, **kwargs)

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> str | int:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValidationError(PERCENT_EXPECTED)
        if isinstance(value, str) and len(value) > 12:
            raise ValidationError(PERCENT_EXPECTED)
        if not self.checked:
            return value
        if isinstance(value, int):
            return Decimal(value)
        if value != value.strip():  # JSON is not a form: no spaces around
            raise ValidationError(PERCENT_EXPECTED)
        try:
            return percent_text(value, attr or "percent")
        except InvalidValue as exc:
            raise ValidationError(exc.params.get("reason", PERCENT_EXPECTED)) from None


DECIMAL_EXPECTED = 'Nombre décimal attendu (ex. "12.5"), jamais un nombre flottant.'


class QueryInt(fields.Integer):
    """An integer in a query string: ASCII digits only (``int()`` also takes " 1",
    "1_0" and other scripts' digits, and more digits than anyone means)."""

    def _deserialize(
        self, value: Any, attr: str | None, data: Any, **kwargs: Any
    ) -> int:
        if isinstance(value, str) and not _QUERY_INT.fullmatch(value):
            raise self.make_error("invalid")
        return super()._deserialize(value, attr, data, **kwargs)  # type: ignore[no-any-return]


_QUERY_INT = re.compile(r"-?[0-9]{1,12}", re.ASCII)


class Base(Schema):
    """Every request schema: unknown fields refused; numbers as the API promises them —
    a JSON integer where an integer is asked (never ``"10"``, ``10.0`` or ``10.9``,
    which non-strict fields took, the last as 10) and, in a query string, ASCII digits;
    exact decimals through :class:`Money` or :class:`DecimalValue`, never floats."""

    class Meta:
        unknown = RAISE
        ordered = True

    def on_bind_field(self, field_name: str, field_obj: fields.Field) -> None:
        if isinstance(field_obj, fields.List | fields.Dict):
            # a list's length is a count of items, not of characters (web.validation)
            field_obj.validators = [
                _item_lengths(v) if isinstance(v, validate.Length) else v
                for v in field_obj.validators
            ]
        for field in _leaves(field_obj):
            if type(field) is fields.Integer:
                if isinstance(self, Query):
                    field.__class__ = QueryInt
                else:
                    field.strict = True
            elif isinstance(field, fields.Float | fields.Decimal):
                raise TypeError(
                    f"{type(self).__name__}.{field_name}: a request takes exact decimals "
                    "(Money, DecimalValue), never fields.Float or fields.Decimal"
                )


def _item_lengths(length: validate.Length) -> validate.Length:
    """The same bounds, said of items (``Fewer than 1 item.``)."""
    counted = copy.copy(length)
    for attribute, message in ITEM_LENGTHS.items():
        setattr(counted, attribute, message)
    if length.min == 1 and length.max is None and length.equal is None:
        counted.message_min = "Fewer than 1 item."
    return counted


def _leaves(field: fields.Field) -> list[fields.Field]:
    """A field and the fields it holds (list items, dict values)."""
    out = [field]
    for inner in (getattr(field, "inner", None), getattr(field, "value_field", None)):
        if isinstance(inner, fields.Field):
            out += _leaves(inner)
    return out


class ReasonMixin(Base):
    reason = fields.String(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "Motif (enregistré avec l'événement)"},
    )


# --- auth ----------------------------------------------------------------------------------


class TokenRequest(Base):
    username = fields.String(required=True, validate=validate.Length(min=1, max=40))
    password = fields.String(required=True, validate=validate.Length(min=1, max=200))


class LogoutResponse(Base):
    ended = fields.Boolean(
        metadata={"description": "Le jeton (ou la session) est désormais refusé"}
    )


class TokenResponse(Base):
    token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    username = fields.String()
    roles = fields.List(fields.String())


# --- common command response -----------------------------------------------------------------


class CommandResponse(Base):
    command = fields.String()
    key = fields.String(
        metadata={"description": "Clé d'idempotence (celle envoyée, ou générée)"}
    )
    replayed = fields.Boolean(
        metadata={
            "description": "Vrai si cette clé avait déjà servi : rien n'a été écrit"
        }
    )
    notification_id = fields.Integer(allow_none=True)
    views_updated = fields.Boolean(
        metadata={"description": "Les vues incluent déjà ce changement"}
    )
    result = fields.Dict()


class ErrorDetail(Base):
    code = fields.String(
        required=True,
        metadata={"description": "Code stable (ex. not_found, invalid_fields)"},
    )
    message = fields.String(
        required=True,
        metadata={
            "description": "Message lisible, les champs nommés par leur libellé ; en "
            "français, en anglais si Accept-Language le demande"
        },
    )
    details = fields.Dict(
        required=True, metadata={"description": "Détails (par champ pour 422)"}
    )


class ErrorResponse(Base):
    """The one error shape of the API."""

    error = fields.Nested(ErrorDetail, required=True)


# --- reads ---------------------------------------------------------------------------------------


class Query(Base):
    """A query string's parameters (every schema given with ``location="query"``)."""


class AsOf(Query):
    as_of = fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=100),
        metadata={"description": "Date-heure ISO 8601 (UTC) ou position:N"},
    )


STATUSES = [s.value for s in Status]
OUTCOMES = list(Status.names(DECIDED))


class PlanAsOf(AsOf):
    plan = fields.Integer(
        load_default=None,
        validate=validate.Range(1, 1000),
        metadata={
            "description": "Numéro du plan montré (défaut : le plan en vigueur) ; un plan achevé est lu tel qu'il s'est terminé"
        },
    )


def sorts(keys: Any) -> list[str]:
    """The values of ``sort``: each key, ascending or (``-key``) descending."""
    return [v for k in keys for v in (k, f"-{k}")]


PAGE = {"description": "Numéro de la page (à partir de 1) ; voir l'en-tête Link"}
PER_PAGE = {"description": "Lignes par page (50 par défaut, 500 au plus)"}
SORT = {"description": "Colonne de tri ; -colonne : décroissant"}


class Paged(Query):
    """``page``, ``per_page`` (web.paging); each list adds its own ``sort``."""

    page = fields.Integer(
        load_default=1, validate=validate.Range(1, 10**9), metadata=PAGE
    )
    per_page = fields.Integer(
        load_default=50, validate=validate.Range(1, 500), metadata=PER_PAGE
    )


class Searched(Query):
    """``q``: words every listed item must contain (case and accents ignored), as
    the search box of the list's page."""

    search = fields.String(
        data_key="q",
        load_default=None,
        validate=validate.Length(max=200),
        metadata={
            "description": "mots que chaque élément listé doit contenir (casse et "
            "accents ignorés), comme la recherche de la page"
        },
    )


class PortfolioQuery(PlanAsOf, Paged, Searched):
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(sorts(PORTFOLIO_SORTS)),
        metadata=SORT,
    )
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    pole = fields.String(load_default=None)
    direction = fields.String(load_default=None)
    axis = fields.String(load_default=None)
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    grid_version = fields.Integer(load_default=None, validate=validate.Range(1, 10_000))


class BudgetQuery(PlanAsOf):
    """The budget page reads it too (its filters); the API's paging is :class:`BudgetPaged`."""

    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))
    section = fields.String(
        load_default=None, validate=validate.OneOf(["investissement", "fonctionnement"])
    )
    pole = fields.String(load_default=None)
    axis = fields.String(load_default=None)
    direction = fields.String(load_default=None)
    entity = fields.String(
        load_default=None,
        validate=validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$"),
        metadata={"description": "Une entité (code) ; absente : le consolidé"},
    )


class BudgetPaged(BudgetQuery, Paged, Searched):
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(sorts(BUDGET_LINE_SORTS)),
        metadata=SORT,
    )


class DecisionQuery(AsOf):
    session = fields.String(load_default=None)
    proposal = fields.String(load_default=None)
    outcome = fields.String(load_default=None, validate=validate.OneOf(OUTCOMES))
    since = fields.Date(load_default=None)
    until = fields.Date(load_default=None)


class CapacityQuery(AsOf):
    team = fields.String(load_default=None)
    year = fields.Integer(load_default=None, validate=validate.Range(2000, 2100))


class AuditQuery(AsOf, Paged, Searched):
    sort = fields.String(
        load_default=None,
        validate=validate.OneOf(["position", "-position"]),
        metadata={
            "description": "position : du plus ancien au plus récent ; -position (défaut) : l'inverse"
        },
    )
    actor = fields.String(load_default=None)
    aggregate = fields.String(load_default=None)
    event_type = fields.String(load_default=None)
    since = fields.DateTime(load_default=None)
    until = fields.DateTime(load_default=None)


class GridDiffQuery(AsOf):
    a = fields.Integer(required=True, validate=validate.Range(1, 10_000))
    b = fields.Integer(required=True, validate=validate.Range(1, 10_000))


class ConsistencyQuery(Query):
    old = fields.Integer(
        required=True, data_key="from", validate=validate.Range(0, 10**12)
    )
    new = fields.Integer(
        required=True, data_key="to", validate=validate.Range(0, 10**12)
    )


# --- commands: proposals --------------------------------------------------------------------------

CODE = validate.Regexp(
    r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$",
    error="Code de 1 à 40 caractères : lettres, chiffres, _ . -",
)
YEAR = validate.Range(2000, 2100)
SECTION = validate.OneOf(["investissement", "fonctionnement"])


class CostLine(Base):
    year = fields.Integer(required=True, validate=YEAR)
    section = fields.String(required=True, validate=SECTION)
    amount = Money(required=True)


class WorkloadLine(Base):
    team = fields.String(required=True, validate=CODE)
    year = fields.Integer(required=True, validate=YEAR)
    days = fields.Integer(required=True, validate=validate.Range(0, 100_000))


class Component(Base):
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["organisation", "si", "rh", "communication"]),
    )
    description = fields.String(load_default="", validate=validate.Length(max=2000))
    owner = fields.String(load_default="", validate=validate.Length(max=120))


class AxisLink(Base):
    axis = fields.String(required=True, validate=CODE)
    indicator = fields.String(load_default=None, allow_none=True)
    expected_effect = fields.String(load_default="", validate=validate.Length(max=1000))


class Dependency(Base):
    kind = fields.String(
        required=True, validate=validate.OneOf(["requires", "excludes"])
    )
    proposal = fields.String(required=True, validate=CODE)


class Risk(Base):
    label = fields.String(required=True, validate=validate.Length(min=1, max=300))
    level = fields.Integer(required=True, validate=validate.Range(1, 4))


class ProposalContent(Base):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(
        required=True, validate=validate.Length(min=1, max=10_000)
    )
    components = fields.List(fields.Nested(Component), load_default=list)
    axes = fields.List(fields.Nested(AxisLink), load_default=list)
    costs = fields.List(fields.Nested(CostLine), load_default=list)
    workloads = fields.List(fields.Nested(WorkloadLine), load_default=list)
    dependencies = fields.List(fields.Nested(Dependency), load_default=list)
    mandatory = fields.Boolean(load_default=False)
    legal_basis = fields.String(load_default="", validate=validate.Length(max=500))
    risks = fields.List(fields.Nested(Risk), load_default=list)


class DraftProposal(ProposalContent):
    code = fields.String(required=True, validate=CODE)
    direction = fields.String(required=True, validate=CODE)


class AmendProposal(ProposalContent):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class Qualification(Base):
    costs = fields.List(fields.Nested(CostLine), load_default=list)
    workloads = fields.List(fields.Nested(WorkloadLine), load_default=list)
    risks = fields.List(fields.Nested(Risk), load_default=list)
    dependencies = fields.List(fields.Nested(Dependency), load_default=list)
    note = fields.String(load_default="", validate=validate.Length(max=4000))


class Reason(Base):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class NoBody(Base):
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class PlanProject(Base):
    start = fields.Date(required=True)
    end = fields.Date(required=True)


class OnDate(Base):
    on = fields.Date(required=True)


class MilestoneIn(Base):
    code = fields.String(required=True, validate=CODE)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    planned = fields.Date(required=True)
    actual = fields.Date(load_default=None, allow_none=True)


class ReachMilestone(Base):
    on = fields.Date(required=True)


class Progress(Base):
    percent = PercentValue(
        checked=True,
        required=True,
        validate=validate.Range(0, 100),
        metadata={
            "description": "Avancement en %, de 0 à 100, au plus 2 décimales "
            '(chaîne décimale, ex. "42.5", ou entier)'
        },
    )


class ScoreEntry(Base):
    level = fields.Integer(required=True, strict=True)
    justification = fields.String(
        required=True, validate=validate.Length(min=1, max=4000)
    )


class Scores(Base):
    revision = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 10_000)
    )
    grid_version = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 10_000)
    )
    scores = fields.Dict(
        keys=fields.String(validate=CODE),
        values=fields.Nested(ScoreEntry),
        required=True,
        validate=validate.Length(min=1),
    )


# --- commands: sessions ------------------------------------------------------------------------------


class Quorum(Base):
    kind = fields.String(
        required=True, validate=validate.OneOf(["majority", "count", "fraction"])
    )
    value = DecimalValue(
        load_default=Decimal(0),
        metadata={
            "description": 'count : un entier (ex. "3") ; fraction : entre 0 et 1, '
            'au plus 4 décimales (ex. "0.5")'
        },
    )


class Convene(Base):
    code = fields.String(required=True, validate=CODE)
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    on = fields.Date(required=True)
    voting = fields.List(
        fields.String(), required=True, validate=validate.Length(min=1)
    )
    non_voting = fields.List(fields.String(), load_default=list)
    quorum = fields.Nested(Quorum, load_default=None, allow_none=True)


class AgendaItem(Base):
    proposal = fields.String(required=True, validate=CODE)


class ConvocationIn(Base):
    starts = fields.String(
        required=True,
        validate=validate.Length(min=4, max=5),
        metadata={"description": "Heure de début, locale (SDSI_TIMEZONE) : 14:30"},
    )
    ends = fields.String(
        required=True,
        validate=validate.Length(min=4, max=5),
        metadata={"description": "Heure de fin, locale : 16:30"},
    )
    place = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Lieu de la séance"},
    )


class OpenSession(Base):
    present = fields.List(fields.String(), required=True)
    early_reason = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=4000),
        metadata={
            "description": "Motif d'une ouverture avant la date de la séance (dans "
            "le fuseau de la collectivité) : obligatoire alors, enregistré avec "
            "l'ouverture"
        },
    )


class Attendance(Base):
    member = fields.String(required=True)
    present = fields.Boolean(required=True)


class Vote(Base):
    proposal = fields.String(required=True, validate=CODE)
    choice = fields.String(
        required=True, validate=validate.OneOf(["for", "against", "abstain"])
    )


class CPLine(Base):
    year = fields.Integer(required=True, validate=YEAR)
    section = fields.String(required=True, validate=SECTION)
    amount = Money(required=True)


class DecisionIn(Base):
    proposal = fields.String(required=True, validate=CODE)
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    rationale = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    ap_amount = Money(load_default=None, allow_none=True)
    cp = fields.List(fields.Nested(CPLine), load_default=list)
    conditions = fields.String(load_default="", validate=validate.Length(max=4000))
    justification = fields.String(load_default="", validate=validate.Length(max=4000))
    scenario = fields.String(load_default=None, allow_none=True)
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )
    evidence = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Regexp(r"^[0-9a-f]{64}$"),
        metadata={
            "description": "Empreinte des éléments de décision affichés (`fingerprints` de la séance) : "
            "la décision est refusée (409 evidence_changed) s'ils ont changé depuis"
        },
    )


# --- commands: budget ---------------------------------------------------------------------------------


class VoteBudget(Base):
    year = fields.Integer(required=True, validate=YEAR)
    section = fields.String(required=True, validate=SECTION)
    amount = Money(required=True)
    deliberation = fields.String(
        required=True, validate=validate.Length(min=1, max=120)
    )
    on = fields.Date(required=True)
    entity = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={
            "description": "Entité (code) ; absente : la collectivité principale"
        },
    )


class AdjustBudget(Base):
    year = fields.Integer(required=True, validate=YEAR)
    section = fields.String(required=True, validate=SECTION)
    delta = Money(required=True, signed=True)
    deliberation = fields.String(
        required=True, validate=validate.Length(min=1, max=120)
    )
    on = fields.Date(required=True)
    entity = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={
            "description": "Entité (code) ; absente : la collectivité principale"
        },
    )


class ReviseAP(Base):
    ap_amount = Money(required=True)
    cp = fields.List(fields.Nested(CPLine), required=True)
    deliberation = fields.String(
        required=True, validate=validate.Length(min=1, max=120)
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )


class Commitment(Base):
    reference = fields.String(required=True, validate=CODE)
    year = fields.Integer(required=True, validate=YEAR)
    section = fields.String(required=True, validate=SECTION)
    amount = Money(required=True)
    on = fields.Date(required=True)
    supplier = fields.String(required=True, validate=validate.Length(min=1, max=200))
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )


class Payment(Base):
    reference = fields.String(required=True, validate=CODE)
    commitment = fields.String(required=True, validate=CODE)
    amount = Money(required=True)
    on = fields.Date(required=True)
    override_reason = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=2000)
    )


class Imputation(Base):
    """The M57 imputation of a project's AP/CP of a section, or of a commitment
    (exactly one of ``section`` and ``commitment``); the codes are checked by the
    ledger against the shipped nomenclature (unknown codes come back as warnings)."""

    section = fields.String(load_default=None, allow_none=True, validate=SECTION)
    commitment = fields.String(load_default=None, allow_none=True, validate=CODE)
    chapter = fields.String(required=True, validate=validate.Length(min=1, max=40))
    nature = fields.String(required=True, validate=validate.Length(min=1, max=40))
    fonction = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )
    operation = fields.String(
        load_default=None, allow_none=True, validate=validate.Length(max=40)
    )


# --- commands: grid, organisation, accounts ------------------------------------------------------------


class ScaleLevel(Base):
    level = fields.Integer(required=True, strict=True, validate=validate.Range(0, 100))
    descriptor = fields.String(required=True, validate=validate.Length(min=1, max=300))


class CriterionIn(Base):
    code = fields.String(required=True, validate=CODE)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    family = fields.String(required=True, validate=validate.OneOf(["value", "risk"]))
    weight = fields.String(
        required=True, metadata={"description": 'Poids en % (décimal, ex. "20")'}
    )
    scale = fields.List(
        fields.Nested(ScaleLevel),
        required=True,
        validate=validate.Length(min=2, max=20),
    )
    axis = fields.String(load_default=None, allow_none=True)
    indicator = fields.String(load_default=None, allow_none=True)


class DraftGrid(Base):
    number = fields.Integer(
        required=True, strict=True, validate=validate.Range(1, 10_000)
    )
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    based_on = fields.Integer(load_default=None, allow_none=True, strict=True)
    criteria = fields.List(fields.Nested(CriterionIn), load_default=list)


class RemoveCriterion(Base):
    criterion = fields.String(required=True, validate=CODE)


class AdoptGrid(Base):
    on = fields.Date(required=True)
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class AccountIn(Base):
    username = fields.String(required=True, validate=validate.Length(min=2, max=40))
    display_name = fields.String(
        required=True, validate=validate.Length(min=1, max=120)
    )
    email = fields.String(load_default="", validate=validate.Length(max=254))
    password = fields.String(
        required=True, validate=validate.Length(min=10, max=200), load_only=True
    )
    roles = fields.List(fields.String(), load_default=list)
    reason = fields.String(
        load_default="création du compte", validate=validate.Length(max=2000)
    )


class EmailIn(Base):
    email = fields.String(
        required=True,
        validate=validate.Length(max=254),
        metadata={
            "description": "La nouvelle adresse (nom@exemple.fr) ; une chaîne vide "
            "l'efface"
        },
    )
    reason = fields.String(load_default=None, validate=validate.Length(max=2000))


class GrantIn(Base):
    role = fields.String(
        required=True, validate=validate.OneOf([r.value for r in Role])
    )
    scope = fields.String(load_default=None, allow_none=True)
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class PasswordChangeIn(Base):
    current_password = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        load_only=True,
        metadata={
            "description": "Le mot de passe actuel (compté comme une connexion : une erreur est un échec)"
        },
    )
    password = fields.String(
        required=True,
        validate=validate.Length(min=10, max=200),
        load_only=True,
        metadata={"description": "Le nouveau mot de passe"},
    )


class PasswordResetIn(Base):
    password = fields.String(
        required=True,
        validate=validate.Length(min=10, max=200),
        load_only=True,
        metadata={
            "description": "Mot de passe provisoire, à communiquer à la personne"
        },
    )
    force_change = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Obliger à choisir un nouveau mot de passe à la prochaine connexion"
        },
    )
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class MeasureIn(Base):
    on = fields.Date(required=True)
    value = fields.String(required=True, metadata={"description": "Valeur décimale"})
    kind = fields.String(
        load_default="realised", validate=validate.OneOf(["planned", "realised"])
    )
    comment = fields.String(load_default="", validate=validate.Length(max=500))


# --- commands: reference data (municipality, plan, organisation, strategy, COPIL) -----------


REASON_REQUIRED = validate.Length(min=1, max=2000)


class OptionalReason(Base):
    reason = fields.String(
        load_default=None,
        validate=validate.Length(max=2000),
        metadata={"description": "Motif (facultatif, enregistré avec l'événement)"},
    )


class RequiredReason(Base):
    reason = fields.String(
        required=True,
        validate=REASON_REQUIRED,
        metadata={"description": "Motif (obligatoire, enregistré avec l'événement)"},
    )


class MunicipalityIn(OptionalReason):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Nom de la collectivité"},
    )
    siren = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "SIREN : 9 chiffres, clé de Luhn",
            "example": "217500016",
        },
    )
    siret = fields.String(
        load_default="",
        validate=validate.Length(max=40),
        metadata={
            "description": "SIRET du siège : 14 chiffres commençant par le SIREN (facultatif)"
        },
    )
    insee = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={
            "description": "Code commune INSEE (COG) : 5 caractères, ex. 75056, 2A004",
            "example": "75056",
        },
    )


class MunicipalityChange(MunicipalityIn):
    reason = fields.String(required=True, validate=REASON_REQUIRED)


class PlanIn(OptionalReason):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Intitulé du plan"},
    )
    municipality = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": "Collectivité (par défaut : celle définie)"},
    )
    first_year = fields.Integer(required=True, strict=True, validate=YEAR)
    last_year = fields.Integer(required=True, strict=True, validate=YEAR)


class PlanExtend(RequiredReason):
    last_year = fields.Integer(
        required=True,
        strict=True,
        validate=YEAR,
        metadata={
            "description": "Nouvelle dernière année (jamais avant une année déjà chiffrée)"
        },
    )


class NextPlanIn(RequiredReason):
    name = fields.String(
        required=True,
        validate=validate.Length(min=1, max=200),
        metadata={"description": "Intitulé du plan suivant"},
    )
    first_year = fields.Integer(
        required=True,
        strict=True,
        validate=YEAR,
        metadata={
            "description": "Au plus tard l'année qui suit la fin du plan en vigueur"
        },
    )
    last_year = fields.Integer(required=True, strict=True, validate=YEAR)


class Rename(RequiredReason):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class PhaseSchedule(OptionalReason):
    planned_start = fields.Date(required=True)
    planned_end = fields.Date(required=True)


class PhaseDate(OptionalReason):
    on = fields.Date(
        required=True, metadata={"description": "Date réelle (pas dans le futur)"}
    )


class PoleIn(OptionalReason):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))


class DirectionIn(PoleIn):
    pole = fields.String(required=True, validate=CODE)
    entity = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={
            "description": "Entité (code) ; absente : la collectivité principale"
        },
    )


ENTITY_KINDS = ["commune", "ccas", "epci", "syndicat", "autre"]


class EntityIn(OptionalReason):
    code = fields.String(required=True, validate=CODE)
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(ENTITY_KINDS))
    siren = fields.String(
        required=True,
        validate=validate.Length(min=1, max=40),
        metadata={"description": "SIREN : 9 chiffres, clé de Luhn"},
    )


class EntityChange(RequiredReason):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(ENTITY_KINDS))
    siren = fields.String(required=True, validate=validate.Length(min=1, max=40))


class DirectionEntity(RequiredReason):
    entity = fields.String(required=True, validate=CODE)


class Share(Base):
    entity = fields.String(required=True, validate=CODE)
    percent = PercentValue(
        required=True,
        metadata={
            "description": "Pourcentage, deux décimales au plus : chaîne (ex. "
            '"33.33") ou entier (ex. 40)',
        },
    )


class CostSplitIn(OptionalReason):
    shares = fields.List(
        fields.Nested(Share),
        required=True,
        metadata={
            "description": "Parts par entité totalisant 100 % ; liste vide : la fiche "
            "revient entièrement à l'entité de sa direction"
        },
    )


class MoveDirection(RequiredReason):
    pole = fields.String(required=True, validate=CODE)


class TeamIn(PoleIn):
    kind = fields.String(required=True, validate=validate.OneOf(["dsi", "business"]))
    direction = fields.String(
        load_default=None,
        allow_none=True,
        validate=CODE,
        metadata={"description": "Direction (obligatoire pour une équipe métier)"},
    )
    capacity = fields.Dict(
        keys=fields.String(
            validate=validate.Regexp(
                r"^(20[0-9]{2}|2100)$", error="Année entre 2000 et 2100."
            )
        ),
        values=fields.Integer(strict=True, validate=validate.Range(0, 100_000)),
        load_default=dict,
        metadata={"description": 'Capacité par année : {"2027": 220} (jours-personne)'},
    )


class CapacityIn(OptionalReason):
    days = fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(0, 100_000),
        metadata={
            "description": "Jours-personne de l'année (motif obligatoire pour modifier une capacité déjà fixée)"
        },
    )


class AxisIn(OptionalReason):
    code = fields.String(required=True, validate=CODE)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(load_default="", validate=validate.Length(max=2000))


class RenameAxis(RequiredReason):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    description = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=2000),
        metadata={"description": "Nouvelle description (inchangée si absente)"},
    )


class IndicatorIn(OptionalReason):
    code = fields.String(required=True, validate=CODE)
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    unit = fields.String(required=True, validate=validate.Length(min=1, max=40))
    baseline = DecimalValue(required=True)
    target = DecimalValue(required=True)
    target_year = fields.Integer(required=True, strict=True, validate=YEAR)


class RenameIndicator(RequiredReason):
    label = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TargetIn(OptionalReason):
    value = DecimalValue(
        required=True,
        metadata={
            "description": "Cible de l'année (motif obligatoire pour modifier une cible déjà fixée)"
        },
    )


class CommitteeMemberIn(OptionalReason):
    username = fields.String(required=True, validate=validate.Length(min=2, max=40))
    kind = fields.String(
        required=True,
        validate=validate.OneOf(["elu", "dgs", "dga", "dsi", "expert"]),
        metadata={"description": "élu, DGS, DGA, DSI ou expert invité"},
    )
    voting = fields.Boolean(
        required=True,
        metadata={"description": "Voix délibérative (jamais pour un expert invité)"},
    )


class CommitteeMemberChange(RequiredReason):
    kind = fields.String(
        required=True, validate=validate.OneOf(["elu", "dgs", "dga", "dsi", "expert"])
    )
    voting = fields.Boolean(required=True)
