"""What the audit page and its API twins share: seals of events, the last verification,
and the differences between the views at two moments.

Everything here reads: the views (through ``projections.queries``), the seal table and
the signed checkpoints (through ``ledger``). Nothing writes events.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from ledger.integrity import ProofError, inclusion_proof, latest_checkpoint
from ledger.sealstore import SealStore
from projections import queries as q
from web.state import WebState

VERIFICATION = "verification"
VERIFY_LOCK = "verification_lock"
PROPOSAL_FIELDS = ("status", "value", "risk", "ap")
ENVELOPE_FIELDS = ("bp", "dm", "total", "allocated", "available")


# --- seals and proofs -----------------------------------------------------------------


def seals(ledger: Any, positions: list[int]) -> dict[int, str]:
    """The leaf hash (hex) sealing each of ``positions`` that is sealed already."""
    if not positions:
        return {}
    store = SealStore(ledger.storage)
    low, high = min(positions), max(positions)
    wanted = set(positions)
    if high - low < 4 * len(wanted) + 50:  # one range read for a page of neighbours
        rows = store.seals(low - 1, high - low + 1, upto=high)
    else:
        rows = [r for p in sorted(wanted) for r in store.seals(p - 1, 1, upto=p)]
    return {r.position: r.leaf.hex() for r in rows if r.position in wanted}


def event_at(store: Any, position: int) -> dict[str, Any] | None:
    """The audit row of one position (positions are gap-free: 1 … total)."""
    total = q.audit_trail(store, limit=1)["total"]
    if not 1 <= position <= total:
        return None
    rows = q.audit_trail(store, limit=1, offset=total - position)["events"]
    return rows[0] if rows and rows[0]["position"] == position else None


def proof_of(ledger: Any, position: int) -> tuple[dict[str, Any] | None, str | None]:
    """The inclusion proof of ``position`` against the latest checkpoint, or why not."""
    try:
        return inclusion_proof(ledger, position), None
    except ProofError as exc:
        return None, str(exc)


def covered(ledger: Any, position: int) -> bool:
    """Whether the latest signed checkpoint covers ``position``."""
    checkpoint = latest_checkpoint(ledger)
    return checkpoint is not None and position <= checkpoint["tree_size"]


# --- verification ---------------------------------------------------------------------


def last_verification(web: WebState) -> dict[str, Any] | None:
    """The last verification run in this process (``None`` before the first)."""
    return web.extra.get(VERIFICATION)  # type: ignore[no-any-return]


def run_verification(web: WebState, username: str) -> dict[str, Any]:
    """Verify the whole ledger now (one at a time per process) and keep the result."""
    from ledger.verify import verify_ledger

    lock = web.extra.setdefault(VERIFY_LOCK, threading.Lock())
    with lock:
        started = time.perf_counter()
        report = verify_ledger(web.ledger)
        result = report.to_json()
        result["seconds"] = round(time.perf_counter() - started, 3)
        result["verified_at"] = datetime.now(UTC).isoformat(timespec="seconds")
        result["verified_by"] = username
        result["summary"] = report.lines()
        web.extra[VERIFICATION] = result
    return result


# --- the views at two moments ---------------------------------------------------------


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
