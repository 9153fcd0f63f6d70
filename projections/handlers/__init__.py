"""Event handlers of every view; importing this package registers them, in order.

The audit trail goes first so it sees the state each event found ("old" values).
"""

from projections.handlers import (  # noqa: F401
    audit,
    budget,
    decisions,
    portfolio,
    reference,
    scenarios,
)
