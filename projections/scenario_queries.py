"""Thin re-export of ``projections.views.scenarios.queries`` for the optimiser and the
pages that import it by this name."""

from projections.views.scenarios.queries import (
    CENT,
    compare,
    euros,
    scenario,
    scenarios,
)

__all__ = ["CENT", "compare", "euros", "scenario", "scenarios"]
