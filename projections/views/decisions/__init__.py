"""The decisions view: its tables (``tables``), handlers (``handlers``, registered at import)
and queries (``queries``)."""

from projections.views.decisions import handlers  # noqa: F401 - registers the handlers
from projections.views.decisions.tables import TABLES

__all__ = ["TABLES"]
