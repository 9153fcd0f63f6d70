"""Document review tables: one document per reviewed document (its folded text in
``search``), and one row per event of it for the history its page shows."""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T

REVIEWED_DOCUMENTS = T(
    "reviewed_documents",
    "doc",
    ("code",),
    "code kind date status search doc",
)
REVIEWED_HISTORY = T(
    "reviewed_document_history",
    "append",
    ("position",),
    "position:int document event actor reason at detail",
    (("document",),),
)

TABLES: tuple[Table, ...] = (REVIEWED_DOCUMENTS, REVIEWED_HISTORY)
