"""The "Pièces jointes" section of the proposal, session, decision and reviewed
document pages: upload, replace, remove, download.

Each subject has its own routes, guarded by its own permissions (read: who may see
the subject; write: ``proposal.attach`` for a proposal's direction, ``session.attach``
for sessions and decisions), so the access matrix covers them. A refused upload
shows the subject's page again with the message next to the file field; nothing is
written (neither file nor event).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import abort, flash, g, make_response, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from domain.attachment_types import CSV, DOCX, JPEG, ODS, ODT, PDF, PNG, TXT, XLSX
from projections.views.attachments import queries as aq
from projections.views.decisions import queries as dq
from web.api.attachment_schemas import AttachmentForm, RemoveForm
from web.attachment_files import (
    accepts_upload,
    find_file,
    may_attach,
    send_file,
    upload_wait,
    uploaded,
)
from web.auth import proposal_direction, requires
from web.state import state
from web.ui.actions import run_action
from web.ui.blueprint import bp
from web.ui.context import store
from web.ui.forms import scalars


def _proposal_ref(code: str) -> str:
    return code


def _session_ref(code: str) -> str:
    return code


def _decision_ref(position: int) -> str:
    found = dq.decision_at(store(), position) if position < 2**63 else None
    if found is None:
        abort(404)
    return f"{found['session']}/{found['proposal']}"


def _page(subject: str, key: Any, errors: Any, status: int) -> Any:
    """The subject's page again, the attachment form showing ``errors``."""
    g.attach_errors = errors
    if subject == "proposal":
        from web.ui.proposals import _proposal_page

        return _proposal_page(key, "attach", errors, status)
    if subject == "session":
        from web.ui.sessions import _session_page

        return _session_page(key, "attach", errors, status)
    if subject == "document":
        from web.ui.document_review import document_page

        return document_page(key, status=status)
    from web.ui.sessions import decision_page

    return decision_page(key, status)


def _back(subject: str, key: Any) -> Response:
    endpoint, arg = ENDPOINTS[subject]
    return redirect(url_for(endpoint, **{arg: key}, _anchor="pieces-jointes"))


TYPE_LABELS = {
    PDF: _l("PDF"),
    PNG: _l("Image PNG"),
    JPEG: _l("Image JPEG"),
    ODT: _l("Texte OpenDocument"),
    ODS: _l("Classeur OpenDocument"),
    DOCX: _l("Document Word"),
    XLSX: _l("Classeur Excel"),
    CSV: _l("CSV"),
    TXT: _l("Texte"),
}

ENDPOINTS = {
    "proposal": ("ui.proposal", "code"),
    "session": ("ui.session", "code"),
    "decision": ("ui.decision", "position"),
    "document": ("ui.reviewed_document", "code"),
}


def _upload(subject: str, key: Any, send_file_: Callable[..., Any]) -> Any:
    """Send the uploaded file with ``send_file_(caller, filename=…, content=…,
    sha256=…, description=…)``: an attachment, or a replacement."""
    wait = upload_wait()
    if wait:
        flash(
            _(
                "Trop de pièces jointes envoyées pour votre compte dans l'heure : "
                "réessayez dans %(seconds)s s. Rien n'a été enregistré.",
                seconds=wait,
            ),
            "error",
        )
        response = make_response(_back(subject, key))
        response.status_code = 303
        response.headers["Retry-After"] = str(wait)
        return response
    filename, content = uploaded()
    digest = hashlib.sha256(content).hexdigest()

    def send(caller: Any, data: dict[str, Any]) -> Any:
        return send_file_(
            caller,
            filename=filename,
            content=content,
            sha256=digest,
            description=data.get("description") or "",
        )

    result, errors, status = run_action(
        AttachmentForm(), scalars(request.form, "description"), send
    )
    if result is None:
        return _page(subject, key, errors, status)
    flash(_("Pièce jointe enregistrée : %(name)s.", name=result["filename"]), "success")
    return _back(subject, key)


def _remove(subject: str, key: Any, send: Callable[[Any], Any]) -> Any:
    result, errors, status = run_action(
        RemoveForm(), scalars(request.form, "reason"), lambda c, d: send(c)
    )
    if result is None:
        return _page(subject, key, errors, status)
    flash(_("Pièce jointe retirée : %(name)s.", name=result["filename"]), "success")
    return _back(subject, key)


def _download(ref: str, subject: str, attachment: str, sha256: str) -> Response:
    record = aq.attachment(store(), attachment)
    if record is None or (record["subject"], record["ref"]) != (subject, ref):
        abort(404)
    entry = find_file(record, sha256)
    if entry is None:
        abort(404)
    return send_file(entry)


def _register(
    subject: str,
    prefix: str,
    ref_of: Callable[[Any], str],
    read: str,
    write: str,
    direction_of: Any = None,
) -> None:
    """The four routes of one subject's attachments (``prefix``: its page's URL)."""
    arg = ENDPOINTS[subject][1]

    def key(kwargs: dict[str, Any]) -> Any:
        return kwargs[arg]

    def attach(**kwargs: Any) -> Any:
        ref = ref_of(key(kwargs))
        return _upload(
            subject,
            key(kwargs),
            lambda c, **file: state().ledger.attach_file(c, subject, ref, **file),
        )

    def replace(attachment: str, **kwargs: Any) -> Any:
        ref_of(key(kwargs))
        return _upload(
            subject,
            key(kwargs),
            lambda c, **file: state().ledger.replace_attachment(c, attachment, **file),
        )

    def remove(attachment: str, **kwargs: Any) -> Any:
        ref_of(key(kwargs))
        return _remove(
            subject,
            key(kwargs),
            lambda c: state().ledger.remove_attachment(c, attachment),
        )

    def download(attachment: str, sha256: str, **kwargs: Any) -> Response:
        return _download(ref_of(key(kwargs)), subject, attachment, sha256)

    base = f"{prefix}/pieces-jointes"
    for name, view, rule, permission, methods in (
        ("attach", attach, base, write, ["POST"]),
        ("replace", replace, base + "/<attachment>/remplacer", write, ["POST"]),
        ("remove", remove, base + "/<attachment>/retirer", write, ["POST"]),
        ("file", download, base + "/<attachment>/<sha256>", read, ["GET"]),
    ):
        view.__name__ = f"{subject}_attachment_{name}"
        view.__doc__ = f"Attachments of a {subject}: {name}."
        guarded = requires(permission, direction_of=direction_of)(view)
        if name in ("attach", "replace"):
            guarded = accepts_upload(guarded)
        bp.add_url_rule(rule, view.__name__, guarded, methods=methods)


_register(
    "proposal",
    "/fiches/<code>",
    _proposal_ref,
    "proposal.view",
    "proposal.attach",
    proposal_direction,
)
_register("session", "/seances/<code>", _session_ref, "session.view", "session.attach")
_register(
    "decision",
    "/arbitrages/<int:position>",
    _decision_ref,
    "decisions.view",
    "session.attach",
)
_register(
    "document",
    "/revue-documentaire/<code>",
    _proposal_ref,  # a document's code is its reference
    "document_review.view",
    "document_review.edit",
)


@bp.app_template_global("attachments_of")
def attachments_of(subject: str, ref: str) -> dict[str, Any]:
    """What the "Pièces jointes" section shows: the subject's attachments, whether
    the user may attach, the form's errors, and the URL arguments of its routes."""
    return {
        "items": aq.attachments(store(), subject, ref),
        "errors": g.get("attach_errors") or {},
    }


@bp.app_template_global("may_attach")
def _may_attach(subject: str, direction: str | None = None) -> bool:
    return may_attach(subject, direction)


@bp.app_template_global("attachment_max")
def attachment_max() -> int:
    """The largest attachment accepted, in bytes (``SDSI_ATTACHMENT_MAX_BYTES``)."""
    return state().settings.attachment_max_bytes


@bp.app_template_filter("attachment_type")
def attachment_type(media_type: str) -> str:
    """The type of a file as users name it (« PDF », « classeur Excel »…)."""
    return TYPE_LABELS.get(media_type, media_type)
