"""The discussion view: its tables (``tables``), handlers (``handlers``, registered at
import) and queries (``queries``)."""

from projections.views.discussion import handlers  # noqa: F401 - registers the handlers
from projections.views.discussion.tables import TABLES

__all__ = ["TABLES"]
