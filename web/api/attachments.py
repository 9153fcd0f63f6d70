"""Attachments through the API: list, upload (multipart), replace, remove, download,
for proposals, COPIL sessions and decisions.

``POST …/attachments`` takes a ``multipart/form-data`` body with a ``file`` part and
an optional ``description``; the type is read from the bytes, never from the part's
``Content-Type``. Refusals are the usual error shape (422 names the rule, in French;
nothing is written). Downloads carry ``Content-Disposition: attachment``, the
recorded type, ``nosniff`` and a sandboxing Content-Security-Policy.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask import abort, url_for
from flask_smorest import Blueprint
from werkzeug.wrappers import Response

from projections.views.attachments import queries as aq
from projections.views.decisions import queries as dq
from web.api import schemas as s
from web.api.attachment_schemas import (
    AttachmentForm,
    AttachmentList,
    FilePart,
    RemoveForm,
)
from web.api.commands import documented, run
from web.attachment_files import (
    accepts_upload,
    find_file,
    send_file,
    upload_wait,
)
from web.auth import proposal_direction, requires
from web.errors import api_error
from web.state import state

attachments = Blueprint(
    "api_attachments",
    __name__,
    url_prefix="/api/v1",
    description="Pièces jointes des fiches, des séances et des décisions",
)
BLUEPRINTS = (attachments,)


def _decision_ref(position: int) -> str:
    found = (
        dq.decision_at(state().read_model.store, position) if position < 2**63 else None
    )
    if found is None:
        abort(404)
    return f"{found['session']}/{found['proposal']}"


def _listed(subject: str, ref: str, args: dict[str, Any]) -> dict[str, Any]:
    items = aq.attachments(state().read_model.store, subject, ref)
    for item in items:
        for entry in [item["current"], *item["history"]]:
            entry["url"] = url_for(
                f"api_attachments.{subject}_file",
                attachment=item["id"],
                sha256=entry["sha256"],
                **args,
            )
    return {"attachments": items}


def _throttled() -> Response | None:
    wait = upload_wait()
    if not wait:
        return None
    response = api_error(
        429,
        message=(
            f"Trop de pièces jointes envoyées pour votre compte dans l'heure : "
            f"réessayez dans {wait} s. Rien n'a été enregistré."
        ),
        details={"retry_after": wait},
    )
    response.headers["Retry-After"] = str(wait)
    return response


def _file(files: dict[str, Any]) -> tuple[str, bytes]:
    part = files.get("file")
    if part is None or not hasattr(part, "read"):
        return "", b""
    return part.filename or "", part.read()


def _register(
    subject: str,
    prefix: str,
    ref_of: Callable[[Any], str],
    read: str,
    write: str,
    direction_of: Any = None,
) -> None:
    """The five operations of one subject's attachments (``prefix``: its path)."""
    arg = "position" if subject == "decision" else "code"
    base = f"{prefix}/attachments"
    label = {
        "proposal": "une fiche",
        "session": "une séance",
        "decision": "une décision",
        "document": "un document de la revue documentaire",
    }[subject]

    def listing(**kwargs: Any) -> Any:
        return _listed(subject, ref_of(kwargs[arg]), {arg: kwargs[arg]})

    listing.__doc__ = f"Les pièces jointes d'{label}, chacune avec ses versions."
    attachments.route(base, methods=["GET"], endpoint=f"{subject}_list")(
        attachments.response(200, AttachmentList)(
            attachments.alt_response(404, schema=s.ErrorResponse)(
                requires(read, direction_of=direction_of)(listing)
            )
        )
    )

    def attach(form: dict[str, Any], files: dict[str, Any], **kwargs: Any) -> Any:
        ref = ref_of(kwargs[arg])
        refused = _throttled()
        if refused is not None:
            return refused
        filename, content = _file(files)
        return run(
            state().ledger.attach_file,
            subject,
            ref,
            filename=filename,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            description=form.get("description") or "",
        )

    attach.__doc__ = (
        f"Joindre un fichier à {label} (multipart : ``file``, ``description``). "
        "Types acceptés, lus dans le contenu : PDF, PNG, JPEG, ODT, ODS, DOCX, XLSX, "
        "CSV, TXT ; taille au plus SDSI_ATTACHMENT_MAX_BYTES (20 Mo par défaut)."
    )
    _post(base, f"{subject}_attach", attach, write, direction_of, upload=True)

    def replace(
        form: dict[str, Any], files: dict[str, Any], attachment: str, **kwargs: Any
    ) -> Any:
        ref_of(kwargs[arg])
        refused = _throttled()
        if refused is not None:
            return refused
        filename, content = _file(files)
        return run(
            state().ledger.replace_attachment,
            attachment,
            filename=filename,
            content=content,
            sha256=hashlib.sha256(content).hexdigest(),
            description=form.get("description") or "",
        )

    replace.__doc__ = (
        "Remplacer le fichier d'une pièce jointe (l'ancien reste consultable)."
    )
    _post(
        base + "/<attachment>/replace",
        f"{subject}_replace",
        replace,
        write,
        direction_of,
        upload=True,
    )

    def remove(data: dict[str, Any], attachment: str, **kwargs: Any) -> Any:
        ref_of(kwargs[arg])
        return run(state().ledger.remove_attachment, attachment, reason=data["reason"])

    remove.__doc__ = "Retirer une pièce jointe, avec un motif (ses fichiers restent)."
    attachments.route(
        base + "/<attachment>/remove", methods=["POST"], endpoint=f"{subject}_remove"
    )(
        attachments.arguments(RemoveForm)(
            documented(attachments)(requires(write, direction_of=direction_of)(remove))
        )
    )

    def download(attachment: str, sha256: str, **kwargs: Any) -> Response:
        ref = ref_of(kwargs[arg])
        record = aq.attachment(state().read_model.store, attachment)
        if record is None or (record["subject"], record["ref"]) != (subject, ref):
            abort(404)
        entry = find_file(record, sha256)
        if entry is None:
            abort(404)
        return send_file(entry)

    download.__doc__ = (
        "Télécharger un fichier d'une pièce jointe (le courant ou un ancien), en "
        "``Content-Disposition: attachment``."
    )
    attachments.route(
        base + "/<attachment>/files/<sha256>",
        methods=["GET"],
        endpoint=f"{subject}_file",
    )(
        attachments.response(
            200,
            {"type": "string", "format": "binary"},
            content_type="application/octet-stream",
            description="Le fichier, du type enregistré au dépôt",
        )(
            attachments.alt_response(404, schema=s.ErrorResponse)(
                requires(read, direction_of=direction_of)(download)
            )
        )
    )


def _post(
    rule: str,
    endpoint: str,
    view: Callable[..., Any],
    permission: str,
    direction_of: Any,
    *,
    upload: bool,
) -> None:
    guarded = requires(permission, direction_of=direction_of)(view)
    if upload:
        guarded = accepts_upload(guarded)
    decorated = attachments.arguments(AttachmentForm, location="form")(
        attachments.arguments(FilePart, location="files")(
            documented(attachments)(guarded)
        )
    )
    attachments.route(rule, methods=["POST"], endpoint=endpoint)(decorated)


_register(
    "proposal",
    "/proposals/<code>",
    lambda code: code,
    "proposal.view",
    "proposal.attach",
    proposal_direction,
)
_register(
    "session", "/sessions/<code>", lambda code: code, "session.view", "session.attach"
)
_register(
    "decision",
    "/decisions/<int:position>",
    _decision_ref,
    "decisions.view",
    "session.attach",
)
_register(
    "document",
    "/reviewed-documents/<code>",
    lambda code: code,
    "document_review.view",
    "document_review.edit",
)
