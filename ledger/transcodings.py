"""How dates, enums and the domain's value objects are stored in events.

The transcoding ``name`` is persisted in every stored event: never rename one. If a
value type changes shape, register a new transcoding under a new name and keep the old
one for decoding.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import date
from enum import Enum
from typing import Any

from eventsourcing.persistence import JSONTranscoder, Transcoding

from domain import values
from domain.values import ValueObject


class DateAsISO(Transcoding):
    """``datetime.date`` as ``YYYY-MM-DD``."""

    type = date
    name = "date_iso"

    def encode(self, obj: date) -> str:
        return obj.isoformat()

    def decode(self, data: str) -> date:
        return date.fromisoformat(data)


class EnumAsValue(Transcoding):
    """An enum member as its value."""

    def __init__(self, enum_cls: type[Enum]) -> None:
        self.type = enum_cls
        self.name = "enum:" + enum_cls.__name__

    def encode(self, obj: Enum) -> Any:
        return obj.value

    def decode(self, data: Any) -> Enum:
        return self.type(data)


class ValueObjectAsDict(Transcoding):
    """A frozen value-object dataclass as a dict of its fields."""

    def __init__(self, cls: type[ValueObject]) -> None:
        self.type = cls
        self.name = "vo:" + cls.__name__
        self._fields = [f.name for f in fields(cls)]

    def encode(self, obj: ValueObject) -> dict[str, Any]:
        return {name: getattr(obj, name) for name in self._fields}

    def decode(self, data: dict[str, Any]) -> ValueObject:
        return self.type(**data)


def _subclasses(cls: type) -> list[type]:
    out = []
    for sub in cls.__subclasses__():
        out.append(sub)
        out.extend(_subclasses(sub))
    return out


def register_all(transcoder: JSONTranscoder) -> None:
    """Register the date transcoding, every domain enum and every value object."""
    import domain.registry  # noqa: F401  (imports every domain module, defining all types)

    transcoder.register(DateAsISO())
    for enum_cls in sorted(_subclasses(values.DomainEnum), key=lambda c: c.__name__):
        transcoder.register(EnumAsValue(enum_cls))
    for vo in sorted(_subclasses(ValueObject), key=lambda c: c.__name__):
        transcoder.register(ValueObjectAsDict(vo))
