"""Diagnosis tables: one document per component, finding and proposal's links, and
one row per inventory event (description, retirement, each assessment) for the
history an application's page shows."""

from __future__ import annotations

from projections.table import Table
from projections.table import table as T

INVENTORY_APPS = T(
    "inventory_apps",
    "doc",
    ("code",),
    "code kind name direction criticality:int retired:int doc",
    (("direction",),),
)
INVENTORY_HISTORY = T(
    "inventory_history",
    "append",
    ("position",),
    "position:int application event assessor actor reason at detail",
    (("application",),),
)
FINDINGS = T("diagnosis_findings", "doc", ("code",), "code kind status doc")
PROPOSAL_LINKS = T("proposal_links", "doc", ("proposal",), "proposal doc")

TABLES: tuple[Table, ...] = (
    INVENTORY_APPS,
    INVENTORY_HISTORY,
    FINDINGS,
    PROPOSAL_LINKS,
)
