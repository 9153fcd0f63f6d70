"""French formatting for documents: money, numbers, dates and typographic spaces.

Money in documents reads ``1 234 567,89 €``: narrow no-break spaces (U+202F) group the
thousands, a comma marks the decimals and a no-break space (U+00A0) precedes the euro
sign. Punctuation follows the French rules: a no-break space before ``:`` and inside
« », a narrow no-break space before ``;``, ``!`` and ``?``.
"""

from __future__ import annotations

import re
from datetime import date, datetime, tzinfo
from decimal import ROUND_HALF_EVEN, Decimal

from domain.localtime import local, offset

NBSP = "\u00a0"
NNBSP = "\u202f"
CENT = Decimal("0.01")

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)

OUTCOMES = {
    "approved": "approuvé",
    "approved_with_conditions": "approuvé sous conditions",
    "deferred": "ajourné",
    "rejected": "rejeté",
}

CHOICES = {"for": "pour", "against": "contre", "abstain": "abstention"}

STATUSES = {
    "draft": "brouillon",
    "submitted": "soumis",
    "qualified": "qualifié",
    "on_agenda": "inscrit à l'ordre du jour",
    "approved": "approuvé",
    "approved_with_conditions": "approuvé sous conditions",
    "deferred": "ajourné",
    "rejected": "rejeté",
    "planned": "prévu",
    "in_progress": "en cours",
    "done": "réalisé",
    "withdrawn": "retiré",
    "cancelled": "annulé",
}

SECTIONS = {"investissement": "investissement", "fonctionnement": "fonctionnement"}

PHASES = {
    "cadrage": "Cadrage",
    "revue_documentaire": "Revue documentaire",
    "alignement_strategique": "Alignement stratégique",
    "diagnostic_si": "Diagnostic du SI",
    "evolutions_demandees": "Évolutions demandées",
    "plan_strategique_numerique": "Définition du plan stratégique numérique",
}

PHASE_STATUSES = {"planned": "prévue", "in_progress": "en cours", "done": "réalisée"}


def group_thousands(digits: str, sep: str = NNBSP) -> str:
    """``"1234567"`` → ``"1 234 567"`` (narrow no-break spaces)."""
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return sep.join(parts)


def number(value: Decimal | int | str | None, places: int = 2) -> str:
    """A decimal number the French way: ``1 234,5`` for ``places=1``; empty if None."""
    if value is None or value == "":
        return ""
    d = Decimal(str(value))
    if places >= 0:
        d = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN)
    sign = "-" if d < 0 else ""
    text = format(abs(d), "f")
    whole, _, frac = text.partition(".")
    out = sign + group_thousands(whole)
    return f"{out},{frac}" if frac else out


def plain_number(value: Decimal | int | str | None) -> str:
    """A measurement as written, decimal comma and grouped thousands (no rounding)."""
    if value is None or value == "":
        return ""
    d = Decimal(str(value))
    return number(d, max(0, -d.as_tuple().exponent))  # type: ignore[operator]


def money(value: Decimal | int | str | None) -> str:
    """Euros: ``1 234 567,89 €``; empty if None."""
    if value is None or value == "":
        return ""
    return f"{number(value, 2)}{NBSP}€"


def percent(value: Decimal | int | str | None, places: int = 0) -> str:
    """``66 %`` (no-break space before the sign)."""
    if value is None or value == "":
        return ""
    return f"{number(value, places)}{NBSP}%"


def _as_date(value: date | datetime | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def long_date(value: date | datetime | str | None) -> str:
    """``17 mars 2026`` (``1er mars 2026`` on the first); empty if None."""
    if value is None or value == "":
        return ""
    d = _as_date(value)
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day}{NBSP}{MONTHS[d.month - 1]} {d.year}"


def short_date(value: date | datetime | str | None) -> str:
    """``17/03/2026``; empty if None."""
    if value is None or value == "":
        return ""
    return _as_date(value).strftime("%d/%m/%Y")


def long_datetime(
    value: str | datetime | None,
    zone: tzinfo | None = None,
    *,
    with_offset: bool = False,
) -> str:
    """An ISO UTC time in words; empty if None.

    Without ``zone``: ``17 mars 2026 à 09 h 00 UTC``. In the municipality's time
    ``zone``: ``17 mars 2026 à 10 h 00``, and with ``with_offset`` ``17 mars 2026 à
    10 h 00 (UTC+01:00)``."""
    if value is None or value == "":
        return ""
    if zone is None:
        moment = local(value, "UTC")
        return f"{long_date(moment)} à {time_of_day(moment)}{NBSP}UTC"
    moment = local(value, zone)
    out = f"{long_date(moment)} à {time_of_day(moment)}"
    return f"{out} ({offset(moment)})" if with_offset else out


def time_of_day(moment: datetime) -> str:
    """``09 h 05`` (no-break spaces): the hour and minute of ``moment`` as given."""
    return f"{moment:%H}{NBSP}h{NBSP}{moment:%M}"


_BEFORE_NARROW = re.compile(r"[ \u00a0\u202f]*([;!?])(?=\s|$)")
_BEFORE_COLON = re.compile(r"(?<=\S)[ \u00a0\u202f]+:(?=\s|$)")
_OPEN_QUOTE = re.compile(r"«[ \u00a0\u202f]*")
_CLOSE_QUOTE = re.compile(r"[ \u00a0\u202f]*»")


def typo(text: str | None) -> str:
    """French punctuation spacing for prose (codes, URLs and times are left alone).

    A space already typed before ``: ; ! ?`` becomes the right no-break space; ``;``,
    ``!`` and ``?`` glued to a word get a narrow one; « » get no-break spaces inside.
    """
    if not text:
        return ""
    out = _BEFORE_COLON.sub(f"{NBSP}:", text)
    out = _BEFORE_NARROW.sub(lambda m: f"{NNBSP}{m.group(1)}", out)
    out = _OPEN_QUOTE.sub(f"«{NBSP}", out)
    return _CLOSE_QUOTE.sub(f"{NBSP}»", out)


def label(mapping: dict[str, str], key: str | None) -> str:
    """A French label for a code (the code itself if unknown)."""
    if key is None:
        return ""
    return mapping.get(key, key)
