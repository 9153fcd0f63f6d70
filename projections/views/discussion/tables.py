"""Discussion: one document per comment or reply, found by its subject."""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T

COMMENTS = T(
    "comments",
    "doc",
    ("id",),
    "id subject_kind subject_id parent author kind internal:int hidden:int"
    " answered:int position:int doc",
    indexes=(("subject_kind", "subject_id", "position"),),
)

# Per data subject, the comments whose text (or an earlier text) is flagged as naming
# them: an erasure finds there which texts to replace by the marker.
NAMED = T("comment_names", "doc", ("subject",), "subject doc")

TABLES: tuple[Table, ...] = (COMMENTS, NAMED)
