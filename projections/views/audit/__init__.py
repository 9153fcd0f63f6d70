"""The audit view: its tables (``tables``), handlers (``handlers``, registered at import)
and queries (``queries``)."""

from projections.views.audit import handlers  # noqa: F401 - registers the handlers
from projections.views.audit.tables import TABLES

__all__ = ["TABLES"]
