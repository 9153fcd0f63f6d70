"""The COPIL's decisions on adopting a grid (issue 20, part 4), read from the
sessions' documents: a grid's adoption put to the vote is a decision like any other,
listed beside the decisions on proposals (the decisions page, the public page, open
data) in ledger order."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.records import documents

if TYPE_CHECKING:
    from projections.store import ViewStore


def grid_decisions(
    store: ViewStore, session: str | None = None
) -> list[dict[str, Any]]:
    """Every decision on a grid's adoption (of ``session`` only, if given), oldest
    first: the session and its date, the grid's number, adopted or not, the
    rationale, the vote counts and quorum, who recorded it, when and where."""
    sql, params = "SELECT doc FROM {sessions}", []
    if session:
        sql, params = sql + " WHERE code = ?", [session]
    out = []
    for doc in documents(store, sql, params):
        for item in (doc.get("grid_items") or {}).values():
            d = item.get("decision")
            if d is None:
                continue
            out.append(
                {
                    "session": doc["code"],
                    "session_date": doc.get("on"),
                    "number": item["number"],
                    "adopted": d["adopted"],
                    "rationale": d["rationale"],
                    "justification": d["justification"],
                    "votes_for": d["for"],
                    "votes_against": d["against"],
                    "abstentions": d["abstain"],
                    "present_voting": d["present_voting"],
                    "quorum_required": d["quorum_required"],
                    "chair": d["by"],
                    "decided_at": d["at"],
                    "position": d["position"],
                }
            )
    return sorted(out, key=lambda d: d["position"])
