"""The server-rendered UI (French by default), one module per area; each registers
its views on the blueprint of ``web.ui.blueprint``, imported here."""

from __future__ import annotations

from web.ui import (  # noqa: F401  (views register on the blueprint)
    accessibility,
    admin,
    apidocs,
    audit,
    auth,
    budget,
    context,
    documents,
    errorsummary,
    exports,
    grids,
    home,
    m57,
    oidc,
    opendata,
    pictures,
    portfolio,
    proposals,
    referential,
    scenarios,
    sessions,
)
from web.ui.blueprint import bp

__all__ = ["bp"]
