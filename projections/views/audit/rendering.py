"""How the audit trail renders event values: short, JSON-able, key-sorted (used by the
handlers of every view and by the audit records)."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

from domain.personal import Personal

BASE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "context",
    "originator_topic",
}
MAX_VALUE = 400

_SCALARS = (str, int, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """Dataclass field names of ``cls`` (cached: ``dataclasses.fields`` is slow)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return names


# What the audit trail shows of a personal value (a name, an e-mail): never its text,
# which would stay in the views after its person's erasure (docs/privacy.md).
PERSONAL = "[donnée personnelle]"


def plain(value: Any) -> Any:
    """A short, JSON-able rendering of an event value."""
    if isinstance(value, _SCALARS):
        return value
    if isinstance(value, Personal):
        return PERSONAL
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if is_dataclass(value) and not isinstance(value, type):
        return {name: plain(getattr(value, name)) for name in field_names(type(value))}
    return str(value)


def dumps(value: Any) -> str:
    """Compact, key-sorted JSON (orjson)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _short(value: Any) -> Any:
    if isinstance(value, dict | list):
        text = dumps(value)
        return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"
    return value


def flatten(value: Any) -> Any:
    """A stored event value without its transcoding wrappers (``_type_``/``_data_``)."""
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"} and value["_type_"] == "pii":
            return PERSONAL
        if set(value) == {"_type_", "_data_"}:
            return flatten(value["_data_"])
        return {k: flatten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [flatten(v) for v in value]
    return value


def audit_payload(event: Any, state: bytes) -> str:
    """The stored state the audit row keeps, its personal values replaced by
    :data:`PERSONAL` (legacy events hold them in clear; new ones as ciphertext)."""
    names = [n for n, v in event.__dict__.items() if isinstance(v, Personal)]
    if not names:
        return state.decode()
    data = orjson.loads(state)
    for name in names:
        data[name] = PERSONAL
    return dumps(data)


def payload_changes(
    tracked: list[dict[str, Any]], payload: str
) -> list[dict[str, Any]]:
    """The full change list of an audit row: tracked old → new, then the other fields."""
    seen = {c["field"] for c in tracked}
    state = orjson.loads(payload)
    extra = [
        {"field": name, "old": None, "new": _short(flatten(value))}
        for name, value in state.items()
        if name not in BASE_FIELDS and name not in seen and name != "class_version"
    ]
    return tracked + extra
