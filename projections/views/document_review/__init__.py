"""The document review view (phase 2): the register of the reviewed documents, their
history, and who cites them — its tables (``tables``), handlers (``handlers``,
registered at import) and queries (``queries``)."""

from projections.views.document_review import handlers  # noqa: F401 - registers them
from projections.views.document_review.tables import TABLES

__all__ = ["TABLES"]
