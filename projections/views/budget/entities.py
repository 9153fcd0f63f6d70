"""The entities a plan covers and each one's share of the projects' lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from domain.budget import ProjectBudget
from domain.entities import MAIN, CostSplit, Entity, entity_order, split_cents, whole
from domain.organisation import Direction
from projections.registry import Batch, Meta, document, on
from projections.views.budget.tables import ENTITIES, ENTITY_LINES, PROJECT_LINES

_SPLIT = ("cp_initial_c", "cp_c", "committed_c", "paid_c")


def shares_of(d: dict[str, Any]) -> dict[str, Decimal]:
    """A project document's split (a project without one: wholly the municipality's)."""
    return {k: Decimal(v) for k, v in d.get("shares", {MAIN: "100.00"}).items()}


def split_of(
    proposal: dict[str, Any], direction: dict[str, Any] | None
) -> dict[str, Decimal]:
    """The split an approval of ``proposal`` (its view document) applies, as the
    ledger reads it (``Lookups.shares``): its cost split, or wholly its direction's
    entity (``direction``: its direction's document, if any)."""
    split = proposal.get("cost_split") or {}
    if split:
        return {k: Decimal(split[k]) for k in sorted(split, key=entity_order)}
    return whole((direction or {}).get("entity") or MAIN)


def entity_name(batch: Batch, entity: str) -> str:
    """An entity's name as the views know it now (the municipality's for ``MAIN``)."""
    if entity == MAIN:
        town = batch.doc("municipality", ("municipality",)) or {}
        plan = batch.doc("plan", ("plan",)) or {}
        return str(town.get("name") or plan.get("municipality") or "")
    return str((batch.doc("entities", (entity,)) or {}).get("name") or entity)


def entity_lines(d: dict[str, Any], lines: list[tuple[Any, ...]]) -> list[Any]:
    """Each entity's share of each of the project's ``project_lines`` rows: every
    amount split to the cent by the largest remainder (``domain.entities``), so the
    entities' rows add up to the line exactly; the AP is split the same way."""
    shares = shares_of(d)
    ap0 = split_cents(d["ap_initial_c"], shares)
    ap = split_cents(d["ap_c"], shares)
    out = []
    for row in lines:
        line = dict(zip(PROJECT_LINES.written, row, strict=True))
        parts = {c: split_cents(line[c], shares) for c in _SPLIT}
        for entity in sorted(shares, key=entity_order):
            out.append(
                ENTITY_LINES.row(
                    proposal=line["proposal"],
                    entity=entity,
                    year=line["year"],
                    section=line["section"],
                    ap_initial_c=ap0[entity],
                    ap_c=ap[entity],
                    **{c: parts[c][entity] for c in _SPLIT},
                    override_alloc=line["override_alloc"],
                    override_commit=line["override_commit"],
                    override_pay=line["override_pay"],
                )
            )
    return out


@on(ProjectBudget.SharesSet)
def shares_set(batch: Batch, e: ProjectBudget.SharesSet, m: Meta) -> None:
    """The project's split; an allocation forced on another entity's envelope
    flags the line as the municipality's does."""
    project = batch.touch("project_budgets", (m.key,))
    project["shares"] = {k: str(v) for k, v in e.shares.items()}
    for key in project["cp"]:
        year, section = key.split("/")
        for entity in e.shares:
            env = batch.doc("envelopes", (entity, int(year), section))
            reason = env and env.get("override_reasons", {}).get(project["proposal"])
            if reason:
                project["alloc_overrides"][key] = reason


@on(CostSplit.Defined, CostSplit.Changed)
def cost_split(batch: Batch, e: Any, m: Meta) -> None:
    """A proposal's split before its approval (empty: back to its direction's
    entity), on the proposal's document: the decision form reads it."""
    proposal = batch.touch("proposals", (m.key,))
    proposal["cost_split"] = {k: str(v) for k, v in e.shares.items()}


@on(Entity.Declared, Entity.Changed)
def entity_defined(batch: Batch, e: Any, m: Meta) -> None:
    if isinstance(e, Entity.Declared):
        doc = batch.put(
            "entities", (e.code,), {"code": e.code, "status": "open", "closed_at": None}
        )
    else:
        doc = batch.touch("entities", (m.key,))
    doc.update(name=e.name, kind=e.kind.value, siren=e.siren)


@on(Entity.Closed)
def entity_closed(batch: Batch, e: Entity.Closed, m: Meta) -> None:
    batch.touch("entities", (m.key,)).update(status="closed", closed_at=m.at)


@on(Direction.EntityChanged)
def direction_entity(batch: Batch, e: Direction.EntityChanged, m: Meta) -> None:
    """The entity a direction belongs to (on its reference document)."""
    batch.touch("directions", (m.key,))["entity"] = e.entity


document(
    "entities",
    lambda d: ENTITIES.row(
        code=d["code"],
        name=d["name"],
        kind=d["kind"],
        siren=d["siren"],
        status=d["status"],
    ),
)
