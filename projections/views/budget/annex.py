"""The AP/CP annex of the budget document and the M57 imputations of the projects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from projections.records import documents, eur
from projections.store import ViewStore

ZERO = Decimal("0.00")


def _docs(store: ViewStore) -> list[dict[str, Any]]:
    return sorted(
        documents(store, "SELECT doc FROM {project_budgets}"),
        key=lambda d: d["proposal"],
    )


def imputations(store: ViewStore) -> dict[str, dict[str, dict[str, Any]]]:
    """Per project, its M57 imputations keyed by target (a section, or
    ``engagement:REF``)."""
    return {d["proposal"]: dict(d.get("imputations", {})) for d in _docs(store)}


def line_imputation(
    imputations_of: dict[str, dict[str, Any]], section: str
) -> dict[str, Any]:
    """The imputation of a project's AP/CP of ``section`` (empty when none)."""
    return imputations_of.get(section) or {}


def apcp_annex(store: ViewStore) -> dict[str, Any]:
    """État des AP/CP: per AP, the amount voted, revised (current), the CP per year,
    what is paid to date and what remains to finance (current AP minus paid)."""
    rows = []
    years: set[int] = set()
    for d in _docs(store):
        cp: dict[int, Decimal] = {}
        for key, cents in d["cp"].items():
            y = int(key.split("/")[0])
            cp[y] = cp.get(y, ZERO) + (eur(cents) or ZERO)
        years.update(cp)
        paid = sum((eur(x["amount_c"]) or ZERO for x in d["payments"].values()), ZERO)
        ap = eur(d["ap_c"]) or ZERO
        imps = d.get("imputations", {})
        first = imps.get("investissement") or imps.get("fonctionnement") or {}
        rows.append(
            {
                "proposal": d["proposal"],
                "session": d["session"],
                "chapter": first.get("chapter", ""),
                "nature": first.get("nature", ""),
                "fonction": first.get("fonction") or "",
                "operation": first.get("operation") or "",
                "ap_voted": eur(d["ap_initial_c"]) or ZERO,
                "revisions": len(d["revisions"]),
                "ap_revised": ap,
                "cp": cp,
                "paid": paid,
                "remaining": ap - paid,
            }
        )
    ordered = sorted(years)
    total = {
        "ap_voted": sum((r["ap_voted"] for r in rows), ZERO),
        "ap_revised": sum((r["ap_revised"] for r in rows), ZERO),
        "cp": {y: sum((r["cp"].get(y, ZERO) for r in rows), ZERO) for y in ordered},
        "paid": sum((r["paid"] for r in rows), ZERO),
        "remaining": sum((r["remaining"] for r in rows), ZERO),
    }
    return {"years": ordered, "rows": rows, "total": total}
