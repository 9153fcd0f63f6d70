"""The views, one package each (``projections.views.<view>``): its tables
(``tables.py``: the tables and the typed records its queries return), its event handlers
(``handlers.py``) and its queries (``queries.py``).

Importing this package registers every view's handlers (``projections.registry``) in the
order the projector calls them: the audit trail first, so it sees the state each event
found ("old" values). ``projections.schema.TABLES`` is the views' tables in this order.
"""

from projections.views import (
    attachments,
    audit,
    budget,
    decisions,
    diagnosis,
    discussion,
    document_review,
    portfolio,
    reference,
    scenarios,
)

# imported (its handlers registered) last: its rules read what the other views made of
# the same event
from projections.views import notifications  # isort: skip

VIEW_MODULES = (
    audit,
    budget,
    decisions,
    diagnosis,
    discussion,
    document_review,
    portfolio,
    reference,
    scenarios,
    attachments,
    notifications,  # last: its rules read the state every other view reached
)


def load_handlers() -> None:
    """Nothing left to do: importing this package registered every view's handlers
    (callers say so explicitly: the projector itself never imports the views)."""
