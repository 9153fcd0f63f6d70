"""Event handlers of every view; importing this package registers them, in order.

The audit trail goes first so it sees the state each event found ("old" values).
"""

from projections.handlers import audit, budget, decisions, portfolio, reference  # noqa: F401
from projections.handlers import scenarios  # noqa: F401
