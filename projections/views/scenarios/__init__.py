"""The scenarios view: its tables (``tables``), handlers (``handlers``, registered at import)
and queries (``queries``)."""

from projections.views.scenarios import handlers  # noqa: F401 - registers the handlers
from projections.views.scenarios.tables import TABLES

__all__ = ["TABLES"]
