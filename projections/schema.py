"""The tables of every view: the tracking table, then each view's tables
(``projections.views.<view>.tables``), in one list for the projector, the store and the
creation of the view schema. :class:`Table` is ``projections.table``'s.

:data:`FINGERPRINT` is the SHA-256 of a canonical description of those tables (names,
columns and types, keys, indexes) and of :data:`HANDLERS_REVISION`: stored in every
tracking row when the tables are created or rebuilt, it tells whether views built by an
earlier release have the shape and the contents the code reads (``projections.upgrade``).
"""

from __future__ import annotations

import hashlib
import json

from projections.table import Table
from projections.table import table as T
from projections.views import VIEW_MODULES

TRACKING = T(
    "tracking",
    "meta",
    ("view",),
    "view position:int notification_id:int updated_at schema",
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

# Bumped whenever a handler writes something views built before could not have (a field
# of a document, a row derived differently) although no table changed: the fingerprint
# changes with it, so existing installations rebuild their views at the next start.
# 2: proposals' cost split before approval (``cost_split``), decisions' per-entity split.
HANDLERS_REVISION = 2

VIEWS = ("portfolio", "budget", "decisions", "capacity", "audit")


def describe(tables: tuple[Table, ...], revision: int = HANDLERS_REVISION) -> str:
    """The canonical description of ``tables`` (JSON, sorted by table name) and of the
    handlers' ``revision``."""
    shapes = json.dumps(
        [
            {
                "name": t.name,
                "cols": [list(c) for c in t.cols],
                "key": list(t.key),
                "indexes": [list(i) for i in t.indexes],
            }
            for t in sorted(tables, key=lambda t: t.name)
        ],
        separators=(",", ":"),
    )
    return shapes if revision == 1 else f"{shapes}\nhandlers:{revision}"


def fingerprint(tables: tuple[Table, ...]) -> str:
    """The SHA-256 (hex) of :func:`describe`."""
    return hashlib.sha256(describe(tables).encode()).hexdigest()


FINGERPRINT = fingerprint(TABLES)
