"""Reading the document review view: the register (searched and filtered), one
document with its history and who cites it, and what each proposal or finding
cites (from the diagnosis view's links and findings)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from projections.paging import matching
from projections.records import document, documents

if TYPE_CHECKING:
    from projections.store import ViewStore

FILTERS = ("q", "kind", "axis", "status")


def citations(store: ViewStore) -> dict[str, dict[str, list[str]]]:
    """Document code → the ``proposals`` and ``findings`` citing it (sorted)."""
    out: dict[str, dict[str, list[str]]] = {}

    def add(doc_code: str, kind: str, citer: str) -> None:
        out.setdefault(doc_code, {"proposals": [], "findings": []})[kind].append(citer)

    for links in documents(store, "SELECT doc FROM {proposal_links} ORDER BY proposal"):
        for d in links.get("documents", []):
            add(d, "proposals", links["proposal"])
    for f in documents(store, "SELECT doc FROM {diagnosis_findings} ORDER BY code"):
        for d in f.get("documents", []):
            add(d, "findings", f["code"])
    return out


def register(
    store: ViewStore, filters: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The register, newest document first (then by code), filtered by ``q`` (words
    of the code, title, author or summary, case and accents ignored), ``kind``,
    ``axis`` (informed) and ``status`` (``current`` — the default —, ``withdrawn``
    or ``all``); each with the proposals and findings citing it."""
    f = {k: v for k, v in (filters or {}).items() if v not in (None, "")}
    where, params = ["1 = 1"], []
    if "kind" in f:
        where.append("kind = ?")
        params.append(f["kind"])
    status = f.get("status", "current")
    if status != "all":
        where.append("status = ?")
        params.append(status)
    found, fp = matching("search", f.get("q"))
    sql = "SELECT doc FROM {reviewed_documents} WHERE " + " AND ".join(where + found)
    out = documents(store, sql + " ORDER BY date DESC, code", params + fp)
    if "axis" in f:
        out = [d for d in out if f["axis"] in d["axes"]]
    cites = citations(store)
    for d in out:
        d.update(cites.get(d["code"], {"proposals": [], "findings": []}))
    return out


def reviewed(store: ViewStore, code: str) -> dict[str, Any] | None:
    """One document with who cites it and its history (newest first)."""
    doc = document(store, "SELECT doc FROM {reviewed_documents} WHERE code = ?", [code])
    if doc is None:
        return None
    doc.update(citations(store).get(code, {"proposals": [], "findings": []}))
    rows = store.fetchall(
        "SELECT position, event, actor, reason, at, detail "
        "FROM {reviewed_document_history} WHERE document = ? ORDER BY position DESC",
        [code],
    )
    doc["history"] = [
        {
            "position": p,
            "event": ev,
            "actor": actor,
            "reason": reason,
            "at": at,
            "detail": json.loads(detail),
        }
        for p, ev, actor, reason, at, detail in rows
    ]
    return doc


def titles(store: ViewStore, codes: list[str]) -> list[dict[str, Any]]:
    """The documents ``codes`` names (code, title, kind, date, status), in that
    order; a code the register lacks is left out."""
    if not codes:
        return []
    marks = ", ".join("?" for _ in codes)
    found = {
        d["code"]: d
        for d in documents(
            store,
            f"SELECT doc FROM {{reviewed_documents}} WHERE code IN ({marks})",
            list(codes),
        )
    }
    keep = ("code", "title", "kind", "date", "status")
    return [{k: found[c][k] for k in keep} for c in codes if c in found]
