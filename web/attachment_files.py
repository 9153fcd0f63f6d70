"""Attachments over HTTP, shared by the pages and the API: who may see which
subject, the uploaded file of a request, and the download with safe headers.

A download is always ``Content-Disposition: attachment`` with an RFC 6266 file name
(an ASCII fallback and ``filename*=UTF-8''…``), the media type the ledger recorded
(read from the bytes at upload, never text/html), ``nosniff`` and a sandboxing
Content-Security-Policy: a file a browser might still render runs nothing. The
bytes are read from the store by SHA-256 and checked against it before they are
sent: a file altered on disk is never handed out (409, logged; ``sdsi verify
--attachments`` names it).
"""

from __future__ import annotations

import hashlib
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from flask import Response, abort, current_app, request
from flask_babel import gettext as _
from flask_login import current_user

from ledger.commands.attachments import may_upload
from web.access import allowed
from web.formatting import filesize
from web.state import state
from web.throttle import throttle

CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"
# Upload routes accept a body this much larger than the largest attachment (the
# form's other fields and the multipart framing): the command then refuses an
# oversized file with its own message instead of a bare 413.
MULTIPART_MARGIN = 256 * 1024


@dataclass(frozen=True)
class Subject:
    """What attachments hang on, and the permissions to read and to attach."""

    kind: str
    read: str
    attach: str


SUBJECTS = {
    "proposal": Subject("proposal", "proposal.view", "proposal.attach"),
    "session": Subject("session", "session.view", "session.attach"),
    "decision": Subject("decision", "decisions.view", "session.attach"),
    "document": Subject("document", "document_review.view", "document_review.edit"),
}


def accepts_upload(view: Any) -> Any:
    """Mark a view as taking a file: its body may reach the attachment limit."""
    view.accepts_upload = True
    return view


def init_uploads(app: Any) -> None:
    """Raise the body limit for the upload views only (2 MB elsewhere) to the
    largest attachment (``SDSI_ATTACHMENT_MAX_BYTES``) and the form around it."""

    @app.before_request
    def _upload_limit() -> None:
        view = app.view_functions.get(request.endpoint or "")
        if getattr(view, "accepts_upload", False):
            limit = state().settings.attachment_max_bytes
            request.max_content_length = limit + MULTIPART_MARGIN


def too_large_message() -> str | None:
    """The refusal of a body past the upload limit, when the request is an upload
    (None otherwise: the generic 413)."""
    view = current_app.view_functions.get(request.endpoint or "")
    if not getattr(view, "accepts_upload", False):
        return None
    limit = state().settings.attachment_max_bytes
    return _(
        "« Fichier » : le fichier dépasse la taille maximale de %(max)s. Rien n'a été "
        "enregistré.",
        max=filesize(limit),
    )


def may_attach(subject: str, direction: str | None = None) -> bool:
    """Whether the signed-in user may attach to ``subject`` (of ``direction``)."""
    return current_user.is_authenticated and allowed(
        current_user.grants, SUBJECTS[subject].attach, direction
    )


def uploaded() -> tuple[str, bytes]:
    """The file name and bytes of the request's ``file`` part (empty if none)."""
    file = request.files.get("file")
    if file is None:
        return "", b""
    return file.filename or "", file.read()


def upload_wait() -> int:
    """Seconds the signed-in user must wait before another upload (0: go on)."""
    return may_upload(throttle().counters, current_user.username)


def find_file(record: dict[str, Any] | None, sha256: str) -> dict[str, Any] | None:
    """The file ``sha256`` of an attachment: its current one or an earlier one."""
    if record is None:
        return None
    for entry in record["history"]:
        if entry["sha256"] == sha256 and entry["event"] != "removed":
            return dict(entry)
    return None


def content_disposition(filename: str) -> str:
    """RFC 6266: an ASCII fallback, and the exact name as RFC 5987 UTF-8."""
    ascii_name = (
        unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    )
    ascii_name = "".join(c if c.isalnum() or c in " ._-()" else "_" for c in ascii_name)
    ascii_name = ascii_name.strip() or "piece-jointe"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def send_file(entry: dict[str, Any]) -> Response:
    """The stored bytes of ``entry`` (a file of an attachment), safely."""
    store = state().ledger.attachment_store
    try:
        with store.open(entry["sha256"]) as stream:
            content = stream.read()
    except FileNotFoundError:
        current_app.logger.error("attachment file missing: %s", entry["sha256"])
        abort(404)
    if hashlib.sha256(content).hexdigest() != entry["sha256"]:
        current_app.logger.error("attachment file altered: %s", entry["sha256"])
        abort(409)
    # text types get "; charset=utf-8" (the only text accepted) from werkzeug
    response = Response(content, mimetype=entry["media_type"])
    response.headers["Content-Disposition"] = content_disposition(entry["filename"])
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-SDSI-SHA256"] = entry["sha256"]
    return response
