"""Audit trail: every event with its position, time, actor, roles, origin, command, reason,
and what changed (old → new). Runs before every other handler, so "old" is the state
the event found."""

from __future__ import annotations

from dataclasses import fields, is_dataclass
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import orjson

from projections.registry import Batch, Meta, document, on_every_event

BASE_FIELDS = {
    "originator_id",
    "originator_version",
    "timestamp",
    "context",
    "originator_topic",
}
MAX_VALUE = 400

# Where each aggregate's current state lives in the views: (table, key from its label).
STATE: dict[str, tuple[str, Any]] = {
    "Proposal": ("proposals", lambda k: (k,)),
    "Session": ("sessions", lambda k: (k,)),
    "Account": ("accounts", lambda k: (k,)),
    "GridVersion": ("grids", lambda k: (int(k[1:]),)),
    "Envelope": ("envelopes", lambda k: (int(k.split("/")[0]), k.split("/")[1])),
    "ProjectBudget": ("project_budgets", lambda k: (k,)),
    "Team": ("teams", lambda k: (k,)),
    "Direction": ("directions", lambda k: (k,)),
    "Pole": ("poles", lambda k: (k,)),
    "Plan": ("plan", lambda k: ("plan",)),
    "Axis": ("axes", lambda k: (k,)),
    "Indicator": ("indicators", lambda k: (k,)),
    "Municipality": ("municipality", lambda k: ("municipality",)),
}

# Aggregates there is one of: their key is their kind.
SINGLE = {"Plan": "plan", "Municipality": "municipality", "Committee": "copil"}

# Events whose effect on a state field is implied rather than carried.
IMPLIED: dict[str, list[tuple[str, Any]]] = {
    "Proposal.Submitted": [("status", "submitted")],
    "Proposal.Qualified": [("status", "qualified")],
    "Proposal.PutOnAgenda": [("status", "on_agenda")],
    "Proposal.Decided": [("status", lambda e: e.outcome.value)],
    "Proposal.Planned": [("status", "planned")],
    "Proposal.Started": [("status", "in_progress")],
    "Proposal.Completed": [("status", "done")],
    "Proposal.Withdrawn": [("status", "withdrawn")],
    "Proposal.Cancelled": [("status", "cancelled")],
    "Proposal.TakenOffAgenda": [("status", lambda e: e.status.value)],
    "Session.Opened": [("status", "open")],
    "Session.Closed": [("status", "closed")],
    "Account.Disabled": [("active", False)],
    "Account.Enabled": [("active", True)],
    "GridVersion.Adopted": [("status", "adopted")],
    "Pole.Closed": [("status", "closed")],
    "Direction.Closed": [("status", "closed")],
    "Team.Closed": [("status", "closed")],
    "Axis.Closed": [("status", "closed")],
    "Indicator.Closed": [("status", "closed")],
}


_SCALARS = (str, int, bool, type(None))
_FIELDS: dict[type, tuple[str, ...]] = {}


def field_names(cls: type) -> tuple[str, ...]:
    """Dataclass field names of ``cls`` (cached: ``dataclasses.fields`` is slow)."""
    names = _FIELDS.get(cls)
    if names is None:
        names = _FIELDS[cls] = tuple(f.name for f in fields(cls))
    return names


def plain(value: Any) -> Any:
    """A short, JSON-able rendering of an event value."""
    if isinstance(value, _SCALARS):
        return value
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


def natural_key(event: Any) -> str:
    """The label an aggregate is searched by (proposal code, login, 2024/investissement…)."""
    for attr in ("code", "username"):
        if hasattr(event, attr):
            return str(getattr(event, attr))
    if hasattr(event, "number"):
        return f"v{event.number}"
    if hasattr(event, "evaluator"):
        return f"{event.proposal}/{event.evaluator}"
    if hasattr(event, "year") and hasattr(event, "section"):
        return f"{event.year}/{event.section.value}"
    if hasattr(event, "proposal"):
        return str(event.proposal)
    if hasattr(event, "municipality"):
        return "plan"
    return str(event.originator_id)


def aggregate_of(batch: Batch, event: Any, agg_type: str, oid: str) -> dict[str, Any]:
    if event.originator_version == 1:
        key = SINGLE.get(agg_type) or natural_key(event)
        doc = {"id": oid, "type": agg_type, "key": key}
        return batch.put("aggregates", (oid,), doc)
    doc = batch.doc("aggregates", (oid,))
    if doc is None:
        raise KeyError(f"aggregate {oid} has no creation event in the views")
    return doc


def changes(
    batch: Batch, event: Any, agg_type: str, key: str, event_type: str
) -> list[dict[str, Any]]:
    """Old → new for the fields whose current value the views hold (status, revision…);
    the event's other fields are its payload (see :func:`payload_changes`)."""
    state = None
    if agg_type in STATE and event.originator_version > 1:
        table, key_of = STATE[agg_type]
        state = batch.doc(table, key_of(key))
    out = []
    for name, value in IMPLIED.get(event_type, ()):
        new = value(event) if callable(value) else value
        out.append(
            {"field": name, "old": state.get(name) if state else None, "new": new}
        )
    if state:
        for name in field_names(type(event)):
            old = state.get(name, _MISSING)
            if (
                old is not _MISSING
                and name not in BASE_FIELDS
                and isinstance(old, _SCALARS)
            ):
                out.append(
                    {
                        "field": name,
                        "old": old,
                        "new": _short(plain(getattr(event, name))),
                    }
                )
    return out


_MISSING = object()


def flatten(value: Any) -> Any:
    """A stored event value without its transcoding wrappers (``_type_``/``_data_``)."""
    if isinstance(value, dict):
        if set(value) == {"_type_", "_data_"}:
            return flatten(value["_data_"])
        return {k: flatten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [flatten(v) for v in value]
    return value


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


@on_every_event
def record(batch: Batch, event: Any, meta: Meta) -> None:
    qualname = meta.topic.split(":", 1)[1]
    agg_type = qualname.split(".")[0]
    oid = str(event.originator_id)
    agg = aggregate_of(batch, event, agg_type, oid)
    meta.key = agg["key"]
    ctx = meta.context
    batch.append(
        "events",
        (
            meta.position,
            meta.notification_id,
            meta.at,
            ctx.actor,
            ",".join(ctx.roles),
            ctx.origin,
            ctx.command,
            ctx.key,
            ctx.reason,
            agg_type,
            oid,
            meta.key,
            event.originator_version,
            qualname,
            dumps(changes(batch, event, agg_type, meta.key, qualname)),
            meta.state.decode(),
        ),
    )


document("aggregates", lambda d: (d["id"], d["type"], d["key"]))
