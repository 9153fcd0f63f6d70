"""The register of the entities' codes and SIRENs, so that both stay unique.

A code is unique ignoring case (``CCAS`` beside ``ccas`` is refused, the main
entity's ``principale`` included) and stays taken after its entity is closed; its
spelling stays as declared. A SIREN is unique across the municipality and the open
entities: closing an entity frees its SIREN (the same legal person may be declared
again, e.g. after a close by mistake — an entity is never reopened).

The register is one aggregate that every declaration, SIREN change and close
writes: two processes declaring the same code or SIREN at once both write it, so
the second save conflicts and its command runs again on the first one's result,
refused. A ledger written before the register opens it with the entities it
already has (``EntityRegister.open``).
"""

from __future__ import annotations

from typing import Any

from domain.base import LedgerAggregate, natural_id
from domain.errors import InvalidValue


def code_key(value: str) -> str:
    """The normalised form of an entity code: two codes equal ignoring case clash."""
    return value.casefold()


class EntityRegister(LedgerAggregate):
    """Every entity code taken (normalised → as declared) and the SIREN of each
    open entity (SIREN → code)."""

    ID = natural_id("entity-register")

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.sirens: dict[str, str] = {}

    class Opened(LedgerAggregate.Created):
        codes: dict[str, str]
        sirens: dict[str, str]

        def apply(self, agg: EntityRegister) -> None:
            agg.codes, agg.sirens = dict(self.codes), dict(self.sirens)

    class Claimed(LedgerAggregate.Event):
        code: str
        siren: str

        def apply(self, agg: EntityRegister) -> None:
            agg.codes[code_key(self.code)] = self.code
            agg.sirens[self.siren] = self.code

    class SirenChanged(LedgerAggregate.Event):
        code: str
        siren: str

        def apply(self, agg: EntityRegister) -> None:
            agg.sirens = {s: c for s, c in agg.sirens.items() if c != self.code}
            agg.sirens[self.siren] = self.code

    class Released(LedgerAggregate.Event):
        code: str

        def apply(self, agg: EntityRegister) -> None:
            agg.sirens = {s: c for s, c in agg.sirens.items() if c != self.code}

    @classmethod
    def open(cls, entities: list[tuple[str, str, bool]]) -> EntityRegister:
        """The register of ``entities`` (code, SIREN, closed) already declared."""
        codes = {code_key(c): c for c, _s, _closed in entities}
        sirens = {s: c for c, s, closed in entities if not closed}
        return cls._create(cls.Opened, id=cls.ID, codes=codes, sirens=sirens)

    def check_code(self, code: str) -> None:
        """``code`` is not taken by another entity, ignoring case (an entity of
        the same spelling: ``AlreadyExists``, as before the register)."""
        taken = self.codes.get(code_key(code))
        if taken is not None and taken != code:
            raise InvalidValue(
                "code", code, f"code déjà pris, à la casse près, par l'entité {taken}"
            )

    def check_siren(self, siren: str, code: str, municipality: str) -> None:
        """``siren`` is neither the municipality's nor another open entity's (the
        municipality's own new SIREN: ``code`` and ``municipality`` empty)."""
        if siren == municipality:
            raise InvalidValue(
                "siren", siren, "SIREN déjà celui de la collectivité principale"
            )
        owner = self.sirens.get(siren)
        if owner is not None and owner != code:
            raise InvalidValue("siren", siren, f"SIREN déjà celui de l'entité {owner}")

    def claim(self, code: str, siren: str) -> None:
        self.trigger_event(self.Claimed, code=code, siren=siren)

    def change_siren(self, code: str, siren: str) -> None:
        if self.sirens.get(siren) != code:
            self.trigger_event(self.SirenChanged, code=code, siren=siren)

    def release(self, code: str) -> None:
        self.trigger_event(self.Released, code=code)


def register_args(entities: list[Any]) -> list[tuple[str, str, bool]]:
    """(code, SIREN, closed) of ``entities`` (``domain.entities.Entity``)."""
    return [(e.code, e.siren, e.closed_at is not None) for e in entities]
