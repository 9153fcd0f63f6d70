"""The "Référentiel": one page per kind of reference record — the municipality, the
plan and its phases, pôles, directions, teams, axes, indicators, the COPIL's
composition — each showing its history (who, when, why) and the forms that create,
rename, close or change it, each form one ledger command; and the import of the
organisation from a set-up file.

One module per family of records; ``flows`` holds what their pages and forms share.
Errors are shown next to their field and nothing is written; a page read as of a past
moment shows no form.
"""

from __future__ import annotations

from web.ui.referential import (  # noqa: F401  (views register on the blueprint)
    committee,
    cycle,
    entities,
    importing,
    index,
    organisation,
    phases,
    plan,
    strategy,
)
