"""The diagnosis view (phase 4): the inventory with its assessments and history, the
findings, and the proposals' links — its tables (``tables``), handlers (``handlers``,
registered at import) and queries (``queries``)."""

from projections.views.diagnosis import handlers  # noqa: F401 - registers the handlers
from projections.views.diagnosis.tables import TABLES

__all__ = ["TABLES"]
