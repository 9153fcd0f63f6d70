"""The reference view: its tables (``tables``), handlers (``handlers``, registered at import)
and queries (``queries``)."""

from projections.views.reference import (  # noqa: F401 - registers the handlers
    deliverables,
    handlers,
)
from projections.views.reference.tables import TABLES

__all__ = ["TABLES"]
