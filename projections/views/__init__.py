"""The views, one package each: its tables, its handlers and its queries.

Importing this package registers every view's handlers (``projections.registry``) in the
order the projector calls them: the audit trail first, so it sees the state each event
found ("old" values).
"""

from projections.views import (  # noqa: F401 - registration order matters
    audit,
    budget,
    decisions,
    portfolio,
    reference,
    scenarios,
)


def load_handlers() -> None:
    """Nothing left to do: importing this package registered every view's handlers
    (callers say so explicitly: the projector itself never imports the views)."""
