"""The tables of every view: the tracking table, then each view's tables
(``projections.views.<view>.tables``), in one list for the projector, the store and the
creation of the view schema. :class:`Table` is ``projections.table``'s.
"""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T
from projections.views import VIEW_MODULES

TRACKING = T(
    "tracking",
    "meta",
    ("view",),
    "view position:int notification_id:int updated_at",
)

TABLES: tuple[Table, ...] = (
    TRACKING,
    *(t for view in VIEW_MODULES for t in view.TABLES),
)
BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
DERIVED: dict[str, list[Table]] = {}
for _table in TABLES:
    if _table.parent:
        DERIVED.setdefault(_table.parent, []).append(_table)

VIEWS = ("portfolio", "budget", "decisions", "capacity", "audit")
