"""The budget view: its tables (``tables``), handlers (``handlers``, registered at import)
and queries (``queries``)."""

from projections.views.budget import handlers  # noqa: F401 - registers the handlers
from projections.views.budget.tables import TABLES

__all__ = ["TABLES"]
