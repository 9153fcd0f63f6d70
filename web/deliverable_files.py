"""A phase deliverable's file, downloaded from the checklist page or the API."""

from __future__ import annotations

from flask import abort
from werkzeug.wrappers import Response

from projections import reference_queries as rq
from projections.views.attachments import queries as aq
from web.attachment_files import find_file, send_file
from web.state import state


def deliverable_download(phase: str, key: str, sha256: str) -> Response:
    """The file ``sha256`` of deliverable ``key`` of ``phase`` in the current plan, or
    404 (the pages' download too)."""
    store = state().read_model.store
    found = next(
        (
            i
            for p in rq.phase_checklist(store)["phases"]
            if p["code"] == phase
            for i in p["deliverables"]
            if i["key"] == key and i["attachment"]
        ),
        None,
    )
    record = aq.attachment(store, found["attachment"]) if found else None
    entry = find_file(record, sha256) if record else None
    if entry is None:
        abort(404)
    return send_file(entry)
