"""The AP/CP annex of the budget document and the M57 imputations of the projects."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.entities import split_cents
from projections.records import documents, eur
from projections.store import ViewStore
from projections.views.budget.entities import shares_of

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


def _amounts(d: dict[str, Any], entity: str | None) -> dict[str, Any] | None:
    """A project's AP voted and revised, its CP and paid per ``year/section``, in
    cents: whole (``entity`` None), or that entity's share — each amount split by the
    largest remainder as the budget view's ``entity_lines`` are, so the entities add
    up to the whole to the cent; None when the entity has no share of it."""
    paid: dict[str, int] = {}
    for c in d["commitments"].values():
        key = f"{c['year']}/{c['section']}"
        paid[key] = paid.get(key, 0) + c["paid_c"]
    whole = {
        "ap_initial_c": d["ap_initial_c"],
        "ap_c": d["ap_c"],
        "cp": dict(d["cp"]),
        "paid": paid,
    }
    if entity is None:
        return whole
    shares = shares_of(d)
    if entity not in shares:
        return None

    def share(cents: int) -> int:
        return split_cents(cents, shares)[entity]

    return {
        "ap_initial_c": share(d["ap_initial_c"]),
        "ap_c": share(d["ap_c"]),
        "cp": {k: share(v) for k, v in whole["cp"].items()},
        "paid": {k: share(v) for k, v in paid.items()},
    }


def apcp_annex(store: ViewStore, entity: str | None = None) -> dict[str, Any]:
    """État des AP/CP: per AP, the amount voted, revised (current), the CP per year,
    what is paid to date and what remains to finance (current AP minus paid) — of
    every project whole (consolidated), or ``entity``'s share of the projects it
    has a share of."""
    rows = []
    years: set[int] = set()
    for d in _docs(store):
        a = _amounts(d, entity)
        if a is None:
            continue
        cp: dict[int, Decimal] = {}
        for key, cents in a["cp"].items():
            y = int(key.split("/")[0])
            cp[y] = cp.get(y, ZERO) + (eur(cents) or ZERO)
        years.update(cp)
        paid = eur(sum(a["paid"].values())) or ZERO
        ap = eur(a["ap_c"]) or ZERO
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
                "ap_voted": eur(a["ap_initial_c"]) or ZERO,
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
