"""Document review endpoints (phase 2): the register of the reviewed documents
(searched with ``q``, filtered by ``kind``, ``axis`` and ``status``), one document
with who cites it and its history, and the commands that register, change and
withdraw a document and set the documents a finding cites (a proposal's are set with
its other links, ``PUT /proposals/{code}/links``). Files: the attachments endpoints
under ``/reviewed-documents/{code}/attachments``."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_smorest import Blueprint

from projections.views.document_review import queries as rq
from web.api import document_review_schemas as ds
from web.api import responses as r
from web.api.commands import documented, ledger, run
from web.api.responses import errors
from web.api.schemas import AsOf
from web.auth import requires
from web.cache import cached_read
from web.state import state

review = Blueprint(
    "api_document_review",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Revue documentaire : registre des documents existants (plans, audits, "
        "études, contrats…), leurs axes, leur historique et qui les cite"
    ),
)
BLUEPRINTS = (review,)


def _values(data: dict[str, Any]) -> dict[str, Any]:
    return {k: data[k] for k in ds.Description._declared_fields}


def _store(args: dict[str, Any]) -> Any:
    return state().read_model.at(args.get("as_of"))


@review.route("/reviewed-documents")
@review.arguments(ds.RegisterQuery, location="query")
@errors(review, *r.READ_ERRORS)
@review.response(200, ds.Register)
@requires("document_review.view")
@cached_read()
def register(args: dict[str, Any]) -> dict[str, Any]:
    """The register, newest first: ``q`` (words of the code, title, author or
    summary), ``kind``, ``axis``, ``status`` (current by default)."""
    filters = {k: args.get(k) for k in ("kind", "axis", "status")}
    filters["q"] = args.get("search")
    return {"documents": rq.register(_store(args), filters)}


@review.route("/reviewed-documents/<code>")
@review.arguments(AsOf, location="query")
@errors(review, *r.READ_ERRORS, 404)
@review.response(200, ds.DocumentRecord)
@requires("document_review.view")
@cached_read()
def reviewed(args: dict[str, Any], code: str) -> dict[str, Any]:
    """One document: its description, the proposals and findings citing it, and
    its history (newest first)."""
    found = rq.reviewed(_store(args), code)
    if found is None:
        abort(404)
    return found


@review.route("/reviewed-documents", methods=["POST"])
@review.arguments(ds.DocumentIn)
@documented(review)
@requires("document_review.edit")
def register_document(data: dict[str, Any]) -> Any:
    """Add a document to the register (its code: the next free DOC-NNN)."""
    return run(ledger().register_document, _values(data), reason=data["reason"])


@review.route("/reviewed-documents/<code>", methods=["PUT"])
@review.arguments(ds.DocumentChange)
@documented(review)
@requires("document_review.edit")
def change_document(data: dict[str, Any], code: str) -> Any:
    """Replace a document's description (reason required; the history keeps it)."""
    return run(ledger().change_document, code, _values(data), reason=data["reason"])


@review.route("/reviewed-documents/<code>/withdraw", methods=["POST"])
@review.arguments(ds.RequiredReason)
@documented(review)
@requires("document_review.edit")
def withdraw_document(data: dict[str, Any], code: str) -> Any:
    """Withdraw a document from the register (reason required); it stays visible."""
    return run(ledger().withdraw_document, code, reason=data["reason"])


@review.route("/findings/<code>/documents", methods=["PUT"])
@review.arguments(ds.FindingDocumentsIn)
@documented(review)
@requires("diagnosis.findings")
def cite_documents_in_finding(data: dict[str, Any], code: str) -> Any:
    """Set the documents of the register a finding rests on (replaces the set)."""
    return run(
        ledger().cite_documents_in_finding,
        code,
        data["documents"],
        reason=data["reason"],
    )
