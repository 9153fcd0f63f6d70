"""Audit trail: every event with its position, time, actor, roles, origin, command, reason,
and what changed (old → new). Runs before every other handler, so "old" is the state
the event found."""

from __future__ import annotations

from typing import Any

from domain.budget import envelope_key
from domain.entities import MAIN
from domain.personal import Personal
from domain.proposals import STATUS_AFTER, Proposal, status_after
from domain.search import fold
from projections.registry import Batch, Meta, document, on_every_event
from projections.views.audit.rendering import (  # noqa: F401 - other views use them from here
    _SCALARS,
    BASE_FIELDS,
    PERSONAL,
    _short,
    audit_payload,
    dumps,
    field_names,
    flatten,
    payload_changes,
    plain,
)
from projections.views.audit.tables import AGGREGATES, EVENTS
from projections.views.budget.tables import envelope_label_key

# Where each aggregate's current state lives in the views: (table, key from its label).
STATE: dict[str, tuple[str, Any]] = {
    "Proposal": ("proposals", lambda k: (k,)),
    "Session": ("sessions", lambda k: (k,)),
    "Account": ("accounts", lambda k: (k,)),
    "GridVersion": ("grids", lambda k: (int(k[1:]),)),
    "Envelope": ("envelopes", envelope_label_key),
    "ProjectBudget": ("project_budgets", lambda k: (k,)),
    "Team": ("teams", lambda k: (k,)),
    "Direction": ("directions", lambda k: (k,)),
    "Pole": ("poles", lambda k: (k,)),
    "Plan": ("plan", lambda k: ("plan",)),
    "Axis": ("axes", lambda k: (k,)),
    "Indicator": ("indicators", lambda k: (k,)),
    "Municipality": ("municipality", lambda k: ("municipality",)),
    "Application": ("inventory_apps", lambda k: (k,)),
    "Finding": ("diagnosis_findings", lambda k: (k,)),
    "ReviewedDocument": ("reviewed_documents", lambda k: (k,)),
}

# Aggregates there is one of: their key is their kind.
SINGLE = {"Plan": "plan", "Municipality": "municipality", "Committee": "copil"}

# Events whose effect on a state field is implied rather than carried.
IMPLIED: dict[str, list[tuple[str, Any]]] = {
    # a proposal's status after each event (the domain's STATUS_AFTER), but for its
    # creation and its amendments, which carry it
    **{
        cls.__qualname__: [("status", lambda e: str(status_after(e)))]
        for cls, after in STATUS_AFTER.items()
        if after is not None and cls not in (Proposal.Drafted, Proposal.Amended)
    },
    "Session.Opened": [("status", "open")],
    "Session.Closed": [("status", "closed")],
    "Account.Disabled": [("active", False)],
    "Account.Enabled": [("active", True)],
    "GridVersion.Adopted": [("status", "adopted")],
    "GridVersion.AdoptedByCommittee": [("status", "adopted")],
    "Pole.Closed": [("status", "closed")],
    "Direction.Closed": [("status", "closed")],
    "Team.Closed": [("status", "closed")],
    "Axis.Closed": [("status", "closed")],
    "Indicator.Closed": [("status", "closed")],
    "Application.Retired": [("retired", True)],
    "Finding.Withdrawn": [("status", "withdrawn")],
    "ReviewedDocument.Withdrawn": [("status", "withdrawn")],
}


def natural_key(event: Any) -> str:
    """The label an aggregate is searched by (proposal code, login, 2024/investissement…)."""
    for attr in ("code", "username", "sha256"):
        if hasattr(event, attr):
            return str(getattr(event, attr))
    if hasattr(event, "number"):
        return f"v{event.number}"
    if hasattr(event, "evaluator"):
        return f"{event.proposal}/{event.evaluator}"
    if hasattr(event, "year") and hasattr(event, "section"):
        return envelope_key(event.year, event.section, getattr(event, "entity", MAIN))
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
        for name in _own_fields(type(event)):
            old = state.get(name, _MISSING)
            if old is not _MISSING and isinstance(old, _SCALARS):
                new = getattr(event, name)
                if isinstance(new, Personal):  # neither text kept (privacy.md)
                    old = PERSONAL
                out.append(
                    {
                        "field": name,
                        "old": old,
                        "new": _short(plain(new)),
                    }
                )
    return out


_MISSING = object()
_OWN_FIELDS: dict[type, tuple[str, ...]] = {}
_TYPES: dict[str, tuple[str, str]] = {}


def _own_fields(cls: type) -> tuple[str, ...]:
    """An event class's fields but the base ones (cached per class)."""
    names = _OWN_FIELDS.get(cls)
    if names is None:
        names = _OWN_FIELDS[cls] = tuple(
            n for n in field_names(cls) if n not in BASE_FIELDS
        )
    return names


def _types(topic: str) -> tuple[str, str]:
    """The event's qualified name and its aggregate's type, from its topic (cached)."""
    types = _TYPES.get(topic)
    if types is None:
        qualname = topic.split(":", 1)[1]
        types = _TYPES[topic] = (qualname, qualname.split(".")[0])
    return types


@on_every_event
def record(batch: Batch, event: Any, meta: Meta) -> None:
    qualname, agg_type = _types(meta.topic)
    oid = str(event.originator_id)
    agg = aggregate_of(batch, event, agg_type, oid)
    meta.key = agg["key"]
    ctx = meta.context
    found = changes(batch, event, agg_type, meta.key, qualname)
    batch.append(
        "events",
        EVENTS.row(
            position=meta.position,
            notification_id=meta.notification_id,
            at=meta.at,
            actor=ctx.actor,
            roles=",".join(ctx.roles),
            origin=ctx.origin,
            command=ctx.command,
            idem_key=ctx.key,
            reason=ctx.reason,
            aggregate_type=agg_type,
            aggregate_id=oid,
            aggregate_key=meta.key,
            version=event.originator_version,
            event_type=qualname,
            changes=dumps(found) if found else "[]",  # most events change none
            payload=audit_payload(event, meta.state),
            search=fold(
                ctx.actor, meta.key, qualname, ctx.command, ctx.reason, ctx.origin
            ),
        ),
    )


document(
    "aggregates", lambda d: AGGREGATES.row(id=d["id"], type=d["type"], key=d["key"])
)
