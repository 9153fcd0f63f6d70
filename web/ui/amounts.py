"""Amounts typed in the French forms, read one way on every form.

A person writes ``12 500,50`` (thousands grouped by a space, a no-break space or a
narrow no-break space; a decimal comma), ``12500.50`` (the form's own pre-filled
values, or a spreadsheet's), optionally followed by ``€``; a minus sign only where the
field takes a reduction (a DM). Anything else is refused with a message naming the
field, before any command runs: no exponent, no underscore, no plus sign, no digits
other than 0–9, no three decimals (``12.500`` might mean twelve and a half or twelve
thousand five hundred: it is refused, never guessed).

What a form sends is converted to the API's grammar (``domain.values.AMOUNT_TEXT``)
and then read by the same schema as the API: :func:`form_amounts` finds every
:class:`~web.api.schemas.Money` field of the schema, nested rows included, so a new
amount field of any form is read this way without anything to remember.
"""

from __future__ import annotations

import re
from typing import Any

from flask_babel import gettext as _
from marshmallow import Schema, fields

from web.api.schemas import Money
from web.i18n import N_
from web.ui.forms import INTEGER

_GAP = "[ \u00a0\u202f]"  # space, no-break space, narrow no-break space
FORM_AMOUNT = re.compile(
    r"(?P<sign>-)?"
    rf"(?P<units>[0-9]{{1,3}}(?:{_GAP}[0-9]{{3}})+|[0-9]+)"
    r"(?:[,.](?P<cents>[0-9]{1,2}))?"
    rf"(?:{_GAP}?€)?"
)
_MORE_DECIMALS = re.compile(rf"-?[0-9 \u00a0\u202f]*[0-9][,.][0-9]{{3,}}(?:{_GAP}?€)?")
_TRIM = " \t\u00a0\u202f"

EXPECTED = N_(
    "Montant en euros attendu : chiffres (milliers séparés par une espace), virgule "
    "ou point, au plus deux décimales (ex. 12 500,50 ou 12500.50)."
)
EXPECTED_SIGNED = N_(
    "Montant en euros attendu, précédé d'un signe moins pour une réduction : "
    "chiffres (milliers séparés par une espace), virgule ou point, au plus deux "
    "décimales (ex. -12 500,50 ou 12500.50)."
)
DECIMALS = N_(
    "Au plus deux décimales ; les milliers se séparent par une espace (ex. 12 500,50)."
)
NEGATIVE = N_("Montant négatif impossible ici.")


class AmountError(ValueError):
    """A form amount that cannot be read (``message``: the French text, untranslated)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_form_amount(text: str, *, signed: bool = False) -> str:
    """The amount typed in a form, as the API's decimal string (``"12500.50"``)."""
    value = text.strip(_TRIM)
    found = FORM_AMOUNT.fullmatch(value)
    if found is None:
        if _MORE_DECIMALS.fullmatch(value):
            raise AmountError(DECIMALS)
        raise AmountError(EXPECTED_SIGNED if signed else EXPECTED)
    if found["sign"] and not signed:
        raise AmountError(NEGATIVE)
    units = re.sub(_GAP, "", found["units"])
    cents = f".{found['cents']}" if found["cents"] else ""
    return f"{found['sign'] or ''}{units}{cents}"


def form_amounts(schema: Schema, data: Any) -> tuple[Any, dict[str, str]]:
    """``data`` with every amount of ``schema`` converted by :func:`parse_form_amount`
    and every integer typed as ASCII digits made an int (request schemas take JSON
    integers only),
    and the errors of those that cannot be read (keyed as the schema's errors are:
    ``amount``, ``cp.0.amount``…), translated."""
    errors: dict[str, str] = {}
    return _convert(schema, data, "", errors), errors


def _integer(value: str) -> int | str:
    """A typed integer (ASCII digits, at most 12) as an int; anything else stays text,
    for the schema's strict integer to refuse naming the field."""
    return int(value.strip()) if INTEGER.fullmatch(value.strip()) else value


def _convert(schema: Schema, data: Any, prefix: str, errors: dict[str, str]) -> Any:
    if not isinstance(data, dict):
        return data
    out = dict(data)
    for name, field in schema.fields.items():
        key = field.data_key or name
        value = out.get(key)
        if isinstance(field, Money) and isinstance(value, str):
            try:
                out[key] = parse_form_amount(value, signed=field.metadata["signed"])
            except AmountError as exc:
                errors[prefix + key] = _(exc.message)
        elif isinstance(field, fields.Integer) and isinstance(value, str):
            out[key] = _integer(value)
        elif isinstance(field, fields.Nested) and isinstance(value, dict):
            out[key] = _convert(field.schema, value, f"{prefix}{key}.", errors)
        elif (
            isinstance(field, fields.List)
            and isinstance(field.inner, fields.Nested)
            and isinstance(value, list)
        ):
            out[key] = [
                _convert(field.inner.schema, row, f"{prefix}{key}.{i}.", errors)
                for i, row in enumerate(value)
            ]
    return out
