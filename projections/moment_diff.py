"""What changed in the views between two moments, for the audit page and its API
twin: proposals whose status, value, risk or AP changed (or that appeared),
envelopes whose amounts changed, and the decisions recorded in between."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from projections import queries as q

PROPOSAL_FIELDS = ("status", "value", "risk", "ap")
ENVELOPE_FIELDS = ("bp", "dm", "total", "allocated", "available")


def _changes(
    old: dict[str, Any] | None, new: dict[str, Any], names: tuple[str, ...]
) -> dict[str, Any]:
    before = old or {}
    return {
        name: {"old": before.get(name), "new": new.get(name)}
        for name in names
        if before.get(name) != new.get(name)
    }


def _decision(d: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "position",
        "session",
        "proposal",
        "session_date",
        "decided_at",
        "outcome",
        "ap",
        "rationale",
    )
    return {k: d[k] for k in keep}


def _plain(value: Any) -> Any:
    return format(value, "f") if isinstance(value, Decimal) else value


def views_diff(read_model: Any, a: str, b: str) -> dict[str, Any]:
    """What changed between moments ``a`` and ``b`` (either order; shown oldest first).

    Proposals whose status, value, risk or AP changed (or that appeared), envelopes
    whose amounts changed, and the decisions recorded in between. ``a`` and ``b`` are
    ``as_of`` values (ISO date-time or ``position:N``); InvalidValue otherwise.
    """
    pa, pb = read_model.position_of(a), read_model.position_of(b)
    if pa > pb:
        (a, pa), (b, pb) = (b, pb), (a, pa)
    old, new = read_model.at(a), read_model.at(b)
    before = {p["code"]: p for p in q.portfolio(old)}
    proposals = []
    for p in sorted(q.portfolio(new), key=lambda p: p["code"]):
        was = before.get(p["code"])
        changes = _changes(was, p, PROPOSAL_FIELDS)
        if changes:
            proposals.append(
                {
                    "code": p["code"],
                    "title": p["title"],
                    "direction": p["direction"],
                    "added": was is None,
                    "changes": {
                        k: {side: _plain(v) for side, v in c.items()}
                        for k, c in changes.items()
                    },
                }
            )
    envelopes_before = {(e["year"], e["section"]): e for e in q.envelopes(old)}
    envelopes = []
    for e in q.envelopes(new):
        was = envelopes_before.get((e["year"], e["section"]))
        changes = _changes(was, e, ENVELOPE_FIELDS)
        if changes:
            envelopes.append(
                {
                    "year": e["year"],
                    "section": e["section"],
                    "added": was is None,
                    "changes": {
                        k: {side: _plain(v) for side, v in c.items()}
                        for k, c in changes.items()
                    },
                }
            )
    known = {d["position"] for d in q.decision_history(old)}
    decisions = [
        _decision(d) for d in q.decision_history(new) if d["position"] not in known
    ]
    return {
        "a": {"as_of": a, "position": pa},
        "b": {"as_of": b, "position": pb},
        "proposals": proposals,
        "envelopes": envelopes,
        "decisions": decisions,
    }
