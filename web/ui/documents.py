"""Issued documents (auditor): was this PDF handed out by the registry, when, to whom?

Every PDF downloaded from ``/exports/…`` is recorded in the ledger with its SHA-256
(``web.ui.exports``). Here an auditor pastes a SHA-256 (``?sha256=``, a shareable
link) or uploads the file itself (its SHA-256 is computed here, nothing is kept) and
reads the record: kind, subject, size and every issuance.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import render_template, request
from flask_babel import gettext as _

from domain.documents import sha256_hex
from domain.errors import InvalidValue
from projections import queries as q
from web.auth import requires
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store


def _sha256_error() -> str:
    return _(
        "« Empreinte SHA-256 » : 64 chiffres hexadécimaux attendus (0-9, a-f), "
        "comme l'affiche « sha256sum fichier.pdf »."
    )


@bp.route("/audit/documents", methods=["GET", "POST"])
@requires("audit.view")
def issued_documents() -> Any:
    """Look a SHA-256 (pasted, or of an uploaded file) up in the issued documents."""
    errors = FormErrors()
    digest: str | None = None
    pasted = (request.values.get("sha256") or "").strip()
    upload = request.files.get("document") if request.method == "POST" else None
    if upload is not None and upload.filename:
        digest = hashlib.sha256(upload.read()).hexdigest()
    elif pasted:
        try:
            digest = sha256_hex(pasted)
        except InvalidValue:
            errors["sha256"] = _sha256_error()
    elif request.method == "POST":
        errors["sha256"] = _(
            "Donnez l'empreinte SHA-256 du document ou choisissez le fichier PDF."
        )
    if errors:
        errors.message = _("Le formulaire contient des erreurs.")
    found = q.issued_document(store(), digest) if digest else None
    return render_template(
        "audit_documents.html",
        errors=errors,
        sha256=pasted if errors else (digest or ""),
        digest=digest,
        found=found,
    ), (422 if errors else 200)
