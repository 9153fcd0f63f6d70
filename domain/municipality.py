"""The municipality: its name and official identifiers (SIREN, SIRET, INSEE code).

The identifiers are checked as INSEE issues them:

- SIREN: 9 digits whose Luhn check holds;
- SIRET: 14 digits (the SIREN, then 5 digits of the establishment) whose Luhn check
  holds — except La Poste's (SIREN 356 000 000), whose establishments ran out of
  Luhn-valid numbers: theirs have a digit sum divisible by 5 instead; a SIRET given
  with a SIREN belongs to it;
- INSEE code of a commune (COG): 5 characters, the department (01 to 95 but 20,
  2A or 2B for Corsica) and a 3-digit commune number, or an overseas code (971 to
  978, 984 to 989) and a 2-digit number; never the number 0.

Spaces between digit groups (``217 500 016``, as they are often written) are dropped;
Corsica's letters may be typed in lower case.
"""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from domain.accounts import require
from domain.base import LedgerAggregate, natural_id
from domain.errors import InvalidValue
from domain.records import reason_for
from domain.values import Role, text

LA_POSTE = "356000000"
_SPACES = re.compile(r"[ \u00a0\u202f]")
_DIGITS = {9: re.compile(r"[0-9]{9}", re.ASCII), 14: re.compile(r"[0-9]{14}", re.ASCII)}
_INSEE = re.compile(
    r"(?:0[1-9]|1[0-9]|[3-8][0-9]|9[0-5]|2[1-9]|2A|2B)(?!000)[0-9]{3}"
    r"|(?:97[1-8]|98[4-9])(?!00)[0-9]{2}",
    re.ASCII,
)


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _digits(value: Any, field: str, size: int, name: str) -> str:
    if not isinstance(value, str):
        raise InvalidValue(field, value, f"{name} : {size} chiffres attendus")
    compact = _SPACES.sub("", value.strip())
    if not _DIGITS[size].fullmatch(compact):
        shown = value[:40] + "…" if len(value) > 40 else value
        raise InvalidValue(field, shown, f"{name} : {size} chiffres attendus")
    return compact


def siren(value: Any, field: str = "siren") -> str:
    """A SIREN: 9 digits, Luhn-valid."""
    number = _digits(value, field, 9, "SIREN")
    if not luhn_valid(number):
        raise InvalidValue(field, number, "SIREN invalide (clé de contrôle de Luhn)")
    return number


def siret(value: Any, field: str = "siret", of: str | None = None) -> str:
    """A SIRET: 14 digits, Luhn-valid (La Poste's: digit sum divisible by 5); with
    ``of``, the SIREN it must begin with."""
    number = _digits(value, field, 14, "SIRET")
    la_poste = number.startswith(LA_POSTE) and sum(map(int, number)) % 5 == 0
    if not (luhn_valid(number) or la_poste):
        raise InvalidValue(field, number, "SIRET invalide (clé de contrôle de Luhn)")
    if of is not None and number[:9] != of:
        raise InvalidValue(field, number, f"le SIRET n'appartient pas au SIREN {of}")
    return number


def insee_code(value: Any, field: str = "insee") -> str:
    """The INSEE (COG) code of a commune, e.g. ``75056``, ``2A004``, ``97411``."""
    reason = "code commune INSEE : 5 caractères (département, dont 2A/2B, et numéro)"
    if not isinstance(value, str):
        raise InvalidValue(field, value, reason)
    compact = value.strip().upper()
    if not _INSEE.fullmatch(compact):
        shown = value[:40] + "…" if len(value) > 40 else value
        raise InvalidValue(field, shown, reason)
    return compact


def identity(name: Any, siren_: Any, siret_: Any, insee: Any) -> dict[str, str]:
    """The municipality's checked fields (an empty SIRET: none given)."""
    number = siren(siren_)
    return {
        "name": text(name, "name"),
        "siren": number,
        "siret": siret(siret_, of=number) if siret_ not in (None, "") else "",
        "insee": insee_code(insee),
    }


class Municipality(LedgerAggregate):
    """The municipality the ledger serves (one per ledger)."""

    def __init__(self) -> None:
        self.name = ""
        self.siren = ""
        self.siret = ""
        self.insee = ""

    @staticmethod
    def id_for() -> UUID:
        return natural_id("municipality")

    class Defined(LedgerAggregate.Created):
        name: str
        siren: str
        siret: str
        insee: str

        def apply(self, agg: Municipality) -> None:
            agg.name, agg.siren = self.name, self.siren
            agg.siret, agg.insee = self.siret, self.insee

    class Changed(LedgerAggregate.Event):
        name: str
        siren: str
        siret: str
        insee: str

        def apply(self, agg: Municipality) -> None:
            agg.name, agg.siren = self.name, self.siren
            agg.siret, agg.insee = self.siret, self.insee

    @classmethod
    def define(cls, name: Any, siren_: Any, siret_: Any, insee: Any) -> Municipality:
        require("définir la collectivité", Role.ADMIN)
        return cls._create(
            cls.Defined, id=cls.id_for(), **identity(name, siren_, siret_, insee)
        )

    def change(self, name: Any, siren_: Any, siret_: Any, insee: Any) -> None:
        """New name or identifiers (reason required); the same ones write nothing."""
        require("modifier la collectivité", Role.ADMIN)
        fields = identity(name, siren_, siret_, insee)
        reason_for("modifier la collectivité")
        current = {"name": self.name, "siren": self.siren}
        current.update(siret=self.siret, insee=self.insee)
        if fields != current:
            self.trigger_event(self.Changed, **fields)
