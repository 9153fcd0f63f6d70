"""The attachments view: its tables (``tables``), handlers (``handlers``, registered at
import) and queries (``queries``)."""

from projections.views.attachments import handlers  # noqa: F401 - registers the handlers
from projections.views.attachments.tables import TABLES

__all__ = ["TABLES"]
