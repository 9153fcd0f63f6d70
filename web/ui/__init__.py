"""The server-rendered UI (French by default), one module per area; each registers
its views on the blueprint of ``web.ui.blueprint``, imported here."""

from __future__ import annotations

from web.ui import (  # noqa: F401  (views register on the blueprint)
    accessibility,
    admin,
    apidocs,
    attachments,
    audit,
    auth,
    budget,
    context,
    convocation,
    diagnosis,
    discussion,
    document_review,
    documents,
    errorsummary,
    exports,
    finance_import,
    finance_settings,
    grid_building,
    grids,
    home,
    m57,
    notifications,
    oidc,
    opendata,
    password_reset,
    pictures,
    portfolio,
    proposals,
    public,
    referential,
    scenarios,
    sessions,
)
from web.ui.blueprint import bp

__all__ = ["bp"]
