"""A scenario: computed here from the read side, then recorded by the ledger.

The ledger never reads the views nor runs the solver: :func:`compute` reads the
optimiser's inputs from a view store, solves them and runs the greedy fill, and
:func:`compute_and_record` sends the outcome to the ledger's ``record_scenario``
command, which checks and records it.
"""

from __future__ import annotations

from typing import Any

from domain.errors import InvalidValue
from optimiser.check import usage_tables
from optimiser.explain import why_nothing
from optimiser.greedy import greedy
from optimiser.inputs import Parameters, from_views
from optimiser.model import ProblemError
from optimiser.solve import solve
from projections.store import ViewStore


def compute(store: ViewStore, **parameters: Any) -> dict[str, Any]:
    """The scenario for ``parameters`` as the views stand: the arguments of the
    ledger's ``record_scenario`` besides the code and the label (``parameters``,
    ``source``, ``inputs``, ``input_hash``, ``result``, ``greedy``)."""
    try:
        params = Parameters.parse(**parameters)
        inputs = from_views(store, params)
    except ProblemError as exc:
        raise InvalidValue(exc.field, str(exc), "entrée du scénario refusée") from None
    problem = inputs.problem
    optimum = solve(problem, time_limit=params.time_limit)
    fill = greedy(problem)
    return {
        "parameters": params.to_dict(),
        "source": dict(inputs.source),
        "inputs": problem.to_dict(),
        "input_hash": problem.input_hash(),
        "result": {
            **optimum.to_dict(),
            "usage": usage_tables(problem, optimum.selection),
            "empty_reason": why_nothing(problem, optimum.to_dict()),
        },
        "greedy": {**fill.to_dict(), "usage": usage_tables(problem, fill.selection)},
    }


def compute_and_record(
    ledger: Any,
    caller: Any,
    code: str,
    *,
    store: ViewStore,
    label: str = "",
    **parameters: Any,
) -> Any:
    """Compute a scenario from ``store`` and record it as ``code`` (DSI or chair);
    the ledger's command result. A repeated idempotency key gets the first result."""
    return ledger.record_scenario(
        caller, code, label=label, **compute(store, **parameters)
    )
