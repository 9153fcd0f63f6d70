"""The notifications view: its tables (``tables``), handlers (``handlers``, registered at
import: the rules keyed by event class) and queries (``queries``)."""

from projections.views.notifications import handlers  # noqa: F401 - registers them
from projections.views.notifications.tables import TABLES

__all__ = ["TABLES"]
