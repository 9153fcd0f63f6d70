"""Scenarios: one document per optimisation scenario, as recorded (never changed)."""

from __future__ import annotations

from typing import Any

from domain.scenarios import Scenario
from projections.registry import Batch, Meta, document, on
from projections.views.audit.handlers import flatten
from projections.views.scenarios.tables import SCENARIOS


@on(Scenario.Computed)
def computed(batch: Batch, e: Scenario.Computed, m: Meta) -> None:
    """The whole scenario: inputs, hash, solver, status, result and greedy fill."""
    batch.put(
        "scenarios",
        (e.code,),
        {
            "code": e.code,
            "label": e.label,
            "status": e.status,
            "objective": e.objective,
            "gap": e.gap,
            "input_hash": e.input_hash,
            "solver": e.solver,
            "solver_version": e.solver_version,
            "parameters": flatten(e.parameters),
            "source": flatten(e.source),
            "inputs": flatten(e.inputs),
            "result": flatten(e.result),
            "greedy": flatten(e.greedy),
            "actor": m.context.actor,
            "reason": m.context.reason,
            "at": m.at,
            "position": m.position,
        },
    )


def _row(d: dict[str, Any]) -> tuple[Any, ...]:
    return SCENARIOS.row(
        code=d["code"],
        label=d["label"],
        status=d["status"],
        objective=d["objective"],
        input_hash=d["input_hash"],
        actor=d["actor"],
        at=d["at"],
        position=d["position"],
    )


document("scenarios", _row)
