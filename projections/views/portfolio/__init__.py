"""The portfolio view: its tables (``tables``), handlers (``handlers``, registered at import)
and queries (``queries``)."""

from projections.views.portfolio import handlers  # noqa: F401 - registers the handlers
from projections.views.portfolio.tables import TABLES

__all__ = ["TABLES"]
