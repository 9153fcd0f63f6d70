"""Budget consumption: envelopes (BP, DM) per year and section, allocations, each
project's AP and CP schedule, commitments and payments; overrides flagged."""

from __future__ import annotations

from typing import Any

from domain.budget import Envelope, ProjectBudget
from domain.entities import MAIN
from projections.registry import Batch, Meta, cents, document, on
from projections.views.budget.entities import entity_lines
from projections.views.budget.tables import (
    ALLOCATIONS,
    COMMITMENTS,
    ENVELOPE_MOVES,
    ENVELOPES,
    PAYMENTS,
    PROJECT_BUDGETS,
    PROJECT_LINES,
    envelope_label_key,
)


def _key(year: int, section: str) -> str:
    return f"{year}/{section}"


@on(Envelope.BudgetVoted)
def budget_voted(batch: Batch, e: Envelope.BudgetVoted, m: Meta) -> None:
    section = e.section.value
    batch.put(
        "envelopes",
        (e.entity, e.year, section),
        {
            "entity": e.entity,
            "year": e.year,
            "section": section,
            "bp_c": cents(e.amount),
            "dm_c": 0,
            "dm_count": 0,
            "allocated_c": 0,
            "override_reasons": {},
            "overrides": 0,
            "positions": [m.position],
        },
    )
    batch.append(
        "envelope_moves",
        ENVELOPE_MOVES.row(
            position=m.position,
            entity=e.entity,
            year=e.year,
            section=section,
            kind="BP",
            amount_c=cents(e.amount),
            deliberation=e.deliberation,
            on_date=e.on.isoformat(),
            actor=m.context.actor,
            at=m.at,
        ),
    )


# An envelope's document holds running totals, not its allocations (the
# ``allocations`` table has them, one row per move): a list of every allocation grew
# with the log and was rewritten, and re-added, at every batch that touched it.
# ``allocated_c`` is the sum of the current allocations, kept by each move's
# ``amount - previous`` (the aggregate's previous allocation of that proposal);
# ``override_reasons`` the reason of each current allocation made with one;
# ``positions`` the envelope's last moves (what a decision shows).
LAST_POSITIONS = 5


def envelope_doc(env: dict[str, Any]) -> dict[str, Any]:
    """The document, with running totals in place of the list of allocations that
    views written before them kept (followed views are not rebuilt)."""
    allocations = env.pop("allocations", None)
    if allocations is not None:
        env["allocated_c"] = sum(a["amount_c"] for a in allocations.values())
        env["override_reasons"] = {
            p: a["override_reason"]
            for p, a in allocations.items()
            if a["override_reason"] is not None
        }
        del env["positions"][:-LAST_POSITIONS]
    return env


def _envelope(batch: Batch, m: Meta) -> dict[str, Any]:
    return envelope_doc(batch.touch("envelopes", envelope_label_key(m.key)))


def _moved(env: dict[str, Any], position: int) -> None:
    positions = env["positions"]
    positions.append(position)
    del positions[:-LAST_POSITIONS]


@on(Envelope.Adjusted)
def adjusted(batch: Batch, e: Envelope.Adjusted, m: Meta) -> None:
    env = _envelope(batch, m)
    env["dm_c"] += cents(e.delta)
    env["dm_count"] += 1
    _moved(env, m.position)
    batch.append(
        "envelope_moves",
        ENVELOPE_MOVES.row(
            position=m.position,
            entity=env.get("entity", MAIN),
            year=env["year"],
            section=env["section"],
            kind="DM",
            amount_c=cents(e.delta),
            deliberation=e.deliberation,
            on_date=e.on.isoformat(),
            actor=m.context.actor,
            at=m.at,
        ),
    )


@on(Envelope.Allocated)
def allocated(batch: Batch, e: Envelope.Allocated, m: Meta) -> None:
    env = _envelope(batch, m)
    env["allocated_c"] += cents(e.amount) - cents(e.previous)
    if e.amount and e.override_reason is not None:
        env["override_reasons"][e.proposal] = e.override_reason
    else:
        env["override_reasons"].pop(e.proposal, None)
    env["overrides"] += e.override_reason is not None
    _moved(env, m.position)
    batch.append(
        "allocations",
        ALLOCATIONS.row(
            position=m.position,
            year=env["year"],
            section=env["section"],
            proposal=e.proposal,
            amount_c=cents(e.amount),
            previous_c=cents(e.previous),
            override_reason=e.override_reason,
            actor=m.context.actor,
            at=m.at,
        ),
    )
    project = batch.doc("project_budgets", (e.proposal,))
    if project is not None and e.override_reason is not None:
        batch.touch("project_budgets", (e.proposal,))["alloc_overrides"][
            _key(env["year"], env["section"])
        ] = e.override_reason


document(
    "envelopes",
    lambda d: ENVELOPES.row(
        entity=d.get("entity", MAIN),
        year=d["year"],
        section=d["section"],
        bp_c=d["bp_c"],
        dm_c=d["dm_c"],
        total_c=d["bp_c"] + d["dm_c"],
        allocated_c=d["allocated_c"],
        overrides=d["overrides"],
    ),
)


def _cp(lines: Any) -> dict[str, int]:
    return {_key(c.year, c.section.value): cents(c.amount) for c in lines}


@on(ProjectBudget.APVoted)
def ap_voted(batch: Batch, e: ProjectBudget.APVoted, m: Meta) -> None:
    cp = _cp(e.cp)
    overrides = {}
    for key in cp:
        year, section = key.split("/")
        env = batch.doc("envelopes", (MAIN, int(year), section))
        reason = envelope_doc(env)["override_reasons"].get(e.proposal) if env else None
        if reason:
            overrides[key] = reason
    batch.put(
        "project_budgets",
        (e.proposal,),
        {
            "proposal": e.proposal,
            "ap_initial_c": cents(e.amount),
            "ap_c": cents(e.amount),
            "session": e.session,
            "cp_initial": cp,
            "cp": cp,
            "revisions": [],
            "commitments": {},
            "payments": {},
            "alloc_overrides": overrides,
            "position": m.position,
        },
    )
    proposal = batch.doc("proposals", (e.proposal,))
    if proposal is not None:
        batch.touch("proposals", (e.proposal,))["ap_c"] = cents(e.amount)


def _project(batch: Batch, m: Meta) -> dict[str, Any]:
    key = m.key
    return batch.touch("project_budgets", (key,))


@on(ProjectBudget.APRevised)
def ap_revised(batch: Batch, e: ProjectBudget.APRevised, m: Meta) -> None:
    project = _project(batch, m)
    project["ap_c"] = cents(e.amount)
    project["cp"] = _cp(e.cp)
    project["revisions"].append(
        {
            "position": m.position,
            "at": m.at,
            "ap_c": cents(e.amount),
            "deliberation": e.deliberation,
            "reason": m.context.reason,
            "actor": m.context.actor,
        }
    )
    proposal = batch.doc("proposals", (project["proposal"],))
    if proposal is not None:
        batch.touch("proposals", (project["proposal"],))["ap_c"] = cents(e.amount)


@on(ProjectBudget.CarriedOver)
def carried_over(batch: Batch, e: ProjectBudget.CarriedOver, m: Meta) -> None:
    """The project's CP after its carry-over into plan ``e.plan``."""
    project = _project(batch, m)
    project["cp"] = _cp(e.cp)
    project.setdefault("carried", []).append(
        {
            "plan": e.plan,
            "first_year": e.first_year,
            "moved": _cp(e.moved),
            "position": m.position,
            "at": m.at,
        }
    )


@on(ProjectBudget.Committed)
def committed(batch: Batch, e: ProjectBudget.Committed, m: Meta) -> None:
    project = _project(batch, m)
    project["commitments"][e.reference] = {
        "year": e.year,
        "section": e.section.value,
        "amount_c": cents(e.amount),
        "paid_c": 0,
        "on": e.on.isoformat(),
        "supplier": e.supplier,
        "override_reason": e.override_reason,
        "position": m.position,
    }


@on(ProjectBudget.Paid)
def paid(batch: Batch, e: ProjectBudget.Paid, m: Meta) -> None:
    project = _project(batch, m)
    project["commitments"][e.commitment]["paid_c"] += cents(e.amount)
    project["payments"][e.reference] = {
        "commitment": e.commitment,
        "amount_c": cents(e.amount),
        "on": e.on.isoformat(),
        "override_reason": e.override_reason,
        "position": m.position,
    }


@on(ProjectBudget.Imputed)
def imputed(batch: Batch, e: ProjectBudget.Imputed, m: Meta) -> None:
    """The M57 imputation of a section's AP/CP or of a commitment (the last wins)."""
    project = _project(batch, m)
    project.setdefault("imputations", {})[e.target] = {
        "chapter": e.chapter,
        "nature": e.nature,
        "fonction": e.fonction,
        "operation": e.operation,
        "warnings": list(e.warnings),
        "position": m.position,
    }


def _lines(batch: Batch, d: dict[str, Any]) -> dict[str, list[tuple[Any, ...]]]:
    p = d["proposal"]
    keys = (
        set(d["cp"])
        | set(d["cp_initial"])
        | {_key(c["year"], c["section"]) for c in d["commitments"].values()}
    )
    lines = []
    for key in sorted(keys):
        year, section = key.split("/")
        mine = [
            c
            for c in d["commitments"].values()
            if c["year"] == int(year) and c["section"] == section
        ]
        pays = [
            x
            for x in d["payments"].values()
            if d["commitments"][x["commitment"]] in mine
        ]
        lines.append(
            PROJECT_LINES.row(
                proposal=p,
                year=int(year),
                section=section,
                cp_initial_c=d["cp_initial"].get(key, 0),
                cp_c=d["cp"].get(key, 0),
                committed_c=sum(c["amount_c"] for c in mine),
                paid_c=sum(c["paid_c"] for c in mine),
                override_alloc=int(key in d["alloc_overrides"]),
                override_commit=int(any(c["override_reason"] for c in mine)),
                override_pay=int(any(x["override_reason"] for x in pays)),
            )
        )
    return {
        "project_lines": lines,
        "entity_lines": entity_lines(d, lines),
        "commitments": [
            COMMITMENTS.row(
                proposal=p,
                reference=ref,
                year=c["year"],
                section=c["section"],
                amount_c=c["amount_c"],
                paid_c=c["paid_c"],
                on_date=c["on"],
                supplier=c["supplier"],
                override_reason=c["override_reason"],
                position=c["position"],
            )
            for ref, c in d["commitments"].items()
        ],
        "payments": [
            PAYMENTS.row(
                proposal=p,
                reference=ref,
                commitment=x["commitment"],
                amount_c=x["amount_c"],
                on_date=x["on"],
                override_reason=x["override_reason"],
                position=x["position"],
            )
            for ref, x in d["payments"].items()
        ],
    }


document(
    "project_budgets",
    lambda d: PROJECT_BUDGETS.row(
        proposal=d["proposal"],
        ap_initial_c=d["ap_initial_c"],
        ap_c=d["ap_c"],
        revisions=len(d["revisions"]),
        session=d["session"],
    ),
    _lines,
)
