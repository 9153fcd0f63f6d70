"""What the audit page and its API twins share: seals of events and the last
verification; the differences between the views at two moments are computed on the
read side (``projections.moment_diff.views_diff``, re-exported here).

Everything here reads: the views (through ``projections.queries``), the seal table and
the signed checkpoints (through ``ledger``). Nothing writes events.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime
from typing import Any

from ledger.integrity import ProofError, inclusion_proof, latest_checkpoint
from ledger.sealstore import SealStore
from projections import queries as q
from projections.moment_diff import views_diff
from web.state import WebState

__all__ = [
    "covered",
    "decision_evidence",
    "event_at",
    "last_verification",
    "proof_of",
    "run_verification",
    "seals",
    "views_diff",
]

VERIFICATION = "verification"
VERIFY_LOCK = "verification_lock"


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


def decision_evidence(
    web: WebState, position: int
) -> tuple[bytes | None, int, str | None]:
    """The evidence file of the decision at ``position`` (``ledger.evidence_file``),
    or why not: (file, 200, None), else (None, 404 or 409, message). Only a position
    the decisions view holds is looked up (and sealed first if need be)."""
    from ledger.evidence_file import EvidenceError, evidence_file
    from projections.views.decisions import queries as dq

    # a position past 64 bits is no row (SQLite would refuse the number: a 500)
    if position >= 2**63 or dq.decision_at(web.read_model.store, position) is None:
        return None, 404, f"Aucune décision à la position {position}."
    try:
        return evidence_file(web.ledger, position), 200, None
    except EvidenceError as exc:
        return None, 404, f"Pas de fichier de preuve à la position {position} ({exc})."
    except ProofError as exc:  # integrity broken, or no checkpoint can be signed
        return None, 409, str(exc)


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
