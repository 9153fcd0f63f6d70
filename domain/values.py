"""Value types shared by the aggregates: enums, money, dates and small value objects."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import ROUND_DOWN, Decimal
from enum import Enum
from typing import Any

from domain.errors import InvalidValue

CENT = Decimal("0.01")
MAX_AMOUNT = Decimal("1000000000000")  # 10^12 €: far above any municipal budget
# C0 control characters other than tab, new line and carriage return (NUL included:
# PostgreSQL text cannot hold it, and nothing a person types contains them).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,39}$")


class DomainEnum(Enum):
    """Base of every domain enum (stored as its value by a transcoding; not a str
    subclass, which JSON would encode as a bare string and decode as one)."""

    def __str__(self) -> str:
        return str(self.value)


class Origin(DomainEnum):
    """Where a command came from."""

    WEB = "web"
    API = "api"
    CLI = "cli"
    IMPORT = "import"


class Role(DomainEnum):
    """Roles an account may hold; ``referent`` is scoped to a direction."""

    REFERENT = "referent"
    DSI = "dsi"
    EVALUATOR = "evaluator"
    MEMBER = "member"
    CHAIR = "chair"
    FINANCE = "finance"
    AUDITOR = "auditor"
    ADMIN = "admin"
    # assistance à maîtrise d'ouvrage: an outside consultant who reads the whole plan
    # and drafts (discussion, grid propositions, deliverables and findings), never
    # votes, and scores only if also granted evaluator
    CONSULTANT = "consultant"

    @classmethod
    def names(cls, roles: Collection[Role] | None = None) -> frozenset[str]:
        """The plain names of ``roles`` (every role when None), as grants and the web
        layer write them."""
        return frozenset(r.value for r in (cls if roles is None else roles))


# The role sets the rules name, in one place (the web's access matrix, the exports'
# permissions and the read side take their names from here).
VOTING_ROLES = frozenset({Role.MEMBER, Role.CHAIR})  # who may vote in the COPIL
# who may be convened before the COPIL's composition is recorded: voters, and the
# DSI and finance, who attend without voting
COMMITTEE_ROLES = VOTING_ROLES | {Role.DSI, Role.FINANCE}
# who reads the whole portfolio and its decisions (a referent sees their direction)
READER_ROLES = frozenset(Role) - {Role.REFERENT}
# who reads the budget and its export
BUDGET_READERS = frozenset(
    {Role.FINANCE, Role.DSI, Role.CHAIR, Role.MEMBER, Role.AUDITOR, Role.CONSULTANT}
)
# who downloads the COPIL minutes
MINUTES_READERS = frozenset(
    {
        Role.CHAIR,
        Role.MEMBER,
        Role.DSI,
        Role.FINANCE,
        Role.AUDITOR,
        Role.EVALUATOR,
        Role.CONSULTANT,
    }
)
# who downloads the audit certificate
CERTIFICATE_READERS = frozenset(
    {Role.AUDITOR, Role.CHAIR, Role.DSI, Role.ADMIN, Role.FINANCE, Role.CONSULTANT}
)
# Roles that never vote, whatever else their holder is granted (the consultant
# advises the COPIL, it does not decide with it).
NEVER_VOTING_ROLES = frozenset({Role.CONSULTANT})
# Who drafts the plan's deliverables and the diagnosis' findings (issue 20, parts 1
# and 3): the DSI and the consultant; the chair or the COPIL validates them.
DRAFTING_ROLES = frozenset({Role.DSI, Role.CONSULTANT})


class Section(DomainEnum):
    """Budget section."""

    INVESTMENT = "investissement"
    OPERATING = "fonctionnement"


def enum_value(enum_cls: type[Enum], value: Any, field: str) -> Any:
    """Coerce ``value`` to a member of ``enum_cls`` or raise :class:`InvalidValue`."""
    if isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(str(m.value) for m in enum_cls)
        raise InvalidValue(field, value, f"valeurs possibles : {allowed}") from None


# The one grammar of amounts written as text (the API, the CLI, imports): ASCII digits,
# an optional point and at most two decimals, a minus only where a negative amount is
# allowed. Nothing else: no exponent, underscore, plus sign, space or other digits
# (``Decimal()`` would take them all). Forms accept French writing and convert it to
# this (``web.ui.amounts``).
AMOUNT_TEXT = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?")
AMOUNT_PATTERN = "^" + AMOUNT_TEXT.pattern + "$"
UNSIGNED_AMOUNT_PATTERN = "^" + AMOUNT_TEXT.pattern.removeprefix("-?") + "$"
AMOUNT_EXPECTED = "chaîne décimale attendue : chiffres, point, au plus 2 décimales"
_MORE_DECIMALS = re.compile(r"-?[0-9]+\.[0-9]{3,}")


def money(value: Any, field: str, *, allow_negative: bool = False) -> Decimal:
    """Exact euros: a ``Decimal``, an ``int``, or text matching :data:`AMOUNT_TEXT`
    (``"125000.00"``, ``"-2500"`` where negative amounts are allowed)."""
    shown = value[:40] + "…" if isinstance(value, str) and len(value) > 40 else value
    if isinstance(value, bool | float):
        raise InvalidValue(field, shown, "montant en décimal exact, jamais en flottant")
    if isinstance(value, str):
        if value.startswith("-") and not allow_negative:
            raise InvalidValue(field, shown, "montant négatif")
        if not AMOUNT_TEXT.fullmatch(value):
            reason = (
                "au plus 2 décimales"
                if _MORE_DECIMALS.fullmatch(value)
                else AMOUNT_EXPECTED
            )
            raise InvalidValue(field, shown, reason)
        value = Decimal(value)
    elif isinstance(value, int):
        value = Decimal(value)
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidValue(field, shown, "montant décimal attendu")
    if abs(value) > MAX_AMOUNT:
        raise InvalidValue(field, shown, "montant démesuré")
    if value != value.quantize(CENT, rounding=ROUND_DOWN):
        raise InvalidValue(field, shown, "au plus 2 décimales")
    if value < 0 and not allow_negative:
        raise InvalidValue(field, shown, "montant négatif")
    return value.quantize(CENT) if value else Decimal("0.00")  # never "-0.00"


# ``date.fromisoformat`` also reads "20260101" and "2026-W01-1": only AAAA-MM-JJ.
ISO_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
FIRST_YEAR, LAST_YEAR = 1900, 2100  # the years a date of the SI's records may have


def iso_date(value: Any, field: str) -> date:
    """An ISO date (``YYYY-MM-DD``)."""
    if isinstance(value, datetime):
        raise InvalidValue(field, value, "date attendue, pas un horodatage")
    if isinstance(value, date):
        return value
    if isinstance(value, str) and ISO_DATE_TEXT.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise InvalidValue(field, value, "date au format AAAA-MM-JJ attendue")


def record_date(value: Any, field: str, kept: date | None = None) -> date:
    """An ISO date (:func:`iso_date`) whose year is 1900 to 2100 (a document's date,
    an end of support: "0001-01-01" or "9999-12-31" is a typing slip). ``kept``: the
    date the record holds now, accepted as it is even outside those years (recorded
    before they were checked: a record is never stuck on its own past value)."""
    when = iso_date(value, field)
    if when != kept and not FIRST_YEAR <= when.year <= LAST_YEAR:
        raise InvalidValue(field, when.isoformat(), "année de 1900 à 2100 attendue")
    return when


def code(value: Any, field: str) -> str:
    """A short identifier: letters, digits, ``_ . -``, at most 40 characters."""
    if not isinstance(value, str) or not _CODE.match(value):
        raise InvalidValue(
            field, value, "code de 1 à 40 caractères : lettres, chiffres, _ . -"
        )
    return value


def text(value: Any, field: str, *, max_len: int = 200, required: bool = True) -> str:
    """A trimmed single text value."""
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidValue(field, value, "texte attendu")
    value = value.strip()
    if required and not value:
        raise InvalidValue(field, value, "obligatoire")
    if len(value) > max_len:
        raise InvalidValue(field, value[:40] + "…", f"au plus {max_len} caractères")
    if _CONTROL.search(value):
        raise InvalidValue(field, value[:40], "caractère de contrôle interdit")
    return value


EMAIL_MAX = 254  # RFC 5321's limit on a forward path
_EMAIL_REFUSED = frozenset(' ,;<>()[]\\"')


def email_address(value: Any, field: str = "email", *, required: bool = False) -> str:
    """One plain e-mail address, ``local@domain.tld``: a local part, one "@" (the
    last one), a domain with a dot and no leading or trailing dot; no spaces, control
    characters or list/header separators; at most 254 characters. "" when not
    ``required`` (no address). The one rule for accounts and the outbox."""
    if not isinstance(value, str):
        raise InvalidValue(field, value, "adresse électronique attendue")
    if value == "" and not required:
        return ""
    local, at, domain = value.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or len(value) > EMAIL_MAX
        or any(ch in _EMAIL_REFUSED or ch.isspace() or ord(ch) < 32 for ch in value)
        or any(ord(ch) == 127 for ch in value)
    ):
        raise InvalidValue(
            field,
            value,
            "une adresse électronique comme nom@exemple.fr (254 caractères au plus)",
        )
    return value


def year(value: Any, field: str) -> int:
    """A calendar year in a plausible range."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or not 2000 <= value <= 2100
    ):
        raise InvalidValue(field, value, "année entre 2000 et 2100 attendue")
    return value


def positive_int(value: Any, field: str, *, allow_zero: bool = True) -> int:
    """A non-negative (or positive) integer."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int)
        or value < (0 if allow_zero else 1)
    ):
        raise InvalidValue(field, value, "entier positif attendu")
    return value


_FIELDS: dict[type, tuple[str, ...]] = {}


def _field_names(cls: type) -> tuple[str, ...]:
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return names


@dataclass(frozen=True)
class ValueObject:
    """Frozen dataclass whose sequence fields are always tuples (stable equality)."""

    def __post_init__(self) -> None:
        for name in _field_names(type(self)):
            v = getattr(self, name)
            if isinstance(v, list):
                object.__setattr__(self, name, tuple(v))

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _field_names(type(self))}


@dataclass(frozen=True)
class CommandContext(ValueObject):
    """Who did what, when, from where and why: carried by every event."""

    actor: str
    roles: tuple[str, ...]
    at: datetime
    origin: str
    command: str
    key: str
    reason: str | None = None


class Family(DomainEnum):
    """Family of an evaluation criterion."""

    VALUE = "value"
    RISK = "risk"


DECIMAL_TEXT = re.compile(r"-?[0-9]{1,15}(?:[.,][0-9]{1,10})?", re.ASCII)


def decimal_value(value: Any, field: str) -> Decimal:
    """An exact decimal (indicator values, weights): a ``Decimal``, an ``int``, or text
    of ASCII digits with an optional sign and decimal point or comma (``"12.5"``,
    ``"-3,75"``) — never a float, an exponent, underscores, spaces or other digits,
    which ``Decimal()`` would all accept."""
    if isinstance(value, bool | float):
        raise InvalidValue(
            field, value, "nombre décimal exact attendu, jamais un flottant"
        )
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, str):
        if not DECIMAL_TEXT.fullmatch(value):
            shown = value[:40] + "…" if len(value) > 40 else value
            raise InvalidValue(field, shown, "nombre décimal attendu (ex. 12.5)")
        value = Decimal(value.replace(",", "."))
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidValue(field, value, "nombre décimal attendu")
    return value


# A percentage as text: plain digits, an optional point or comma and at most two
# decimals — no sign, exponent, underscore or space inside (``Decimal()`` would take
# them, and read "1e2" or "100.000" as 100). Spaces around are ignored.
PERCENT_TEXT = re.compile(r"[0-9]{1,3}(?:[.,][0-9]{1,2})?", re.ASCII)
PERCENT_EXPECTED = (
    "pourcentage attendu : chiffres sans signe, point ou virgule, au plus deux "
    "décimales (ex. 33,33)"
)


def percent_text(value: str, field: str) -> Decimal:
    """A percentage written as :data:`PERCENT_TEXT` (not checked against 100)."""
    plain = value.strip()
    if not PERCENT_TEXT.fullmatch(plain):
        shown = value[:40] + "…" if len(value) > 40 else value
        raise InvalidValue(field, shown, PERCENT_EXPECTED)
    return Decimal(plain.replace(",", "."))


def percent(value: Any, field: str) -> Decimal:
    """A percentage between 0 and 100 with at most 2 decimals (text: as
    :data:`PERCENT_TEXT`)."""
    if isinstance(value, str):
        value = percent_text(value, field)
    value = decimal_value(value, field)
    if not Decimal(0) <= value <= Decimal(100) or value != value.quantize(
        CENT, rounding=ROUND_DOWN
    ):
        raise InvalidValue(
            field, value, "pourcentage entre 0 et 100, au plus 2 décimales"
        )
    return value.quantize(CENT) if value else Decimal("0.00")  # never "-0.00"


def as_list(value: Any, field: str) -> list[Any]:
    """A list (or tuple) of items."""
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidValue(field, value, "liste attendue")
    return list(value)


def as_dict(
    value: Any, field: str, keys: Collection[str] | None = None
) -> dict[str, Any]:
    """A mapping (for nested records sent by forms or the API).

    With ``keys``, any other key is refused, naming it: a misspelt field must not be
    silently dropped from what the ledger records.
    """
    if isinstance(value, ValueObject):
        return value.as_dict()
    if not isinstance(value, dict):
        raise InvalidValue(field, value, "objet attendu")
    if keys is not None:
        for key in value:
            if key not in keys:
                known = ", ".join(sorted(keys))
                raise InvalidValue(
                    f"{field}.{key}", value[key], f"champ inconnu (champs : {known})"
                )
    return value


def field_names(cls: type[ValueObject]) -> frozenset[str]:
    """The fields of a value object: the keys its plain-data form may have."""
    return frozenset(f.name for f in fields(cls))
