"""Revue documentaire (phase 2 of the SDSI): the register of the existing documents
with its search box and filters (kind, axis, status), each document's page (its
description, the axes it informs, its file, the proposals and findings citing it,
its history), and the forms that register, change and withdraw a document and set
the documents a finding cites — one ledger command per form.

Not the *issued* documents (``web.ui.documents``: the PDFs the ledger hands out)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from domain.errors import DocumentWithdrawn, NotFound, RecordClosed
from projections.views.document_review import queries as rq
from projections.views.reference import queries as refq
from web.api import document_review_schemas as ds
from web.auth import requires
from web.cache import cached_read
from web.i18n import N_
from web.ui.blueprint import bp
from web.ui.context import FormErrors, store
from web.ui.formhelp import on_fields, run
from web.ui.forms import scalars
from web.ui.referential.flows import Errors, led

FIELDS = tuple(ds.Description._declared_fields)
# The kinds of document (domain.reviewed_documents.KIND_LABELS), marked for
# translation; tests/web/test_document_review.py checks they are the domain's.
KIND_NAMES: dict[str, str] = {
    "plan": N_("plan ou schéma directeur"),
    "audit": N_("audit"),
    "study": N_("étude"),
    "contract": N_("contrat"),
    "report": N_("rapport"),
    "deliberation": N_("délibération"),
    "note": N_("note"),
    "other": N_("autre"),
}
STATUS_NAMES = {
    "current": N_("au registre"),
    "withdrawn": N_("retirés"),
    "all": N_("tous"),
}


def _kinds() -> list[tuple[str, str]]:
    return [(k, _(v)) for k, v in KIND_NAMES.items()]


def _axes() -> list[tuple[str, str]]:
    return [(a["code"], f"{a['code']} — {a['label']}") for a in refq.axes(store())]


def _render(template: str, status: int = 200, sent: str | None = None, **values: Any) -> Any:  # fmt: skip
    return render_template(
        template,
        kinds=_kinds(),
        kind_names={k: _(v) for k, v in KIND_NAMES.items()},
        axis_options=_axes(),
        sent=sent,
        form=request.form if sent else {},
        **values,
    ), status


def _form() -> dict[str, Any]:
    """A document form's fields as the schema reads them."""
    data = scalars(request.form, *[f for f in FIELDS if f != "axes"], "reason")
    data["axes"] = [a for a in request.form.getlist("axes") if a]
    return data


def _values(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in FIELDS}


REFUSALS = {NotFound: "axes", RecordClosed: "axes", DocumentWithdrawn: "reason"}


# --- the register ------------------------------------------------------------------------


def _filters() -> dict[str, str | None]:
    """The page's search and filters (an unknown kind or status: not filtered)."""
    filters = {k: request.args.get(k, "").strip() or None for k in rq.FILTERS}
    if filters["status"] not in STATUS_NAMES:
        filters["status"] = None
    if filters["kind"] not in KIND_NAMES:
        filters["kind"] = None
    return filters


def _index(errors: dict[str, FormErrors] | None = None, status: int = 200, sent: str | None = None) -> Any:  # fmt: skip
    filters = _filters()
    return _render(
        "document_review.html",
        status,
        sent,
        errors=Errors(errors or {}),
        filters=filters,
        status_options=[(k, _(v)) for k, v in STATUS_NAMES.items()],
        documents=rq.register(store(), filters),
    )


@bp.route("/revue-documentaire")
@requires("document_review.view")
@cached_read()
def document_review() -> Any:
    """The register: search box, filters by kind, axis and status."""
    return _index()


MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.route("/revue-documentaire/registre.<fmt>")
@requires("document_review.view")
def document_register_file(fmt: str) -> Any:
    """The register as the page filters it, in CSV or XLSX."""
    from exports.document_review import render

    if fmt not in MIMETYPES:
        abort(404)
    return Response(
        render(rq.register(store(), _filters()), fmt),
        mimetype=MIMETYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="revue-documentaire.{fmt}"'
        },
    )


@bp.route("/revue-documentaire", methods=["POST"])
@requires("document_review.edit")
def register_document() -> Any:
    """Add a document to the register."""
    result, errors, status = run(
        ds.DocumentIn(),
        _form(),
        on_fields(lambda c, d: led().register_document(c, _values(d)), REFUSALS),
    )
    if result is None:
        return _index({"register": errors}, status, "register")
    flash(_("Document %(code)s inscrit au registre.", code=result["code"]), "success")
    return redirect(url_for("ui.reviewed_document", code=result["code"]))


# --- one document ------------------------------------------------------------------------


def document_page(
    code: str,
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Any:
    found = rq.reviewed(store(), code)
    if found is None:
        abort(404)
    return _render(
        "document_review_document.html",
        status,
        sent,
        doc=found,
        errors=Errors(errors or {}),
    )


@bp.route("/revue-documentaire/<code>")
@requires("document_review.view")
@cached_read()
def reviewed_document(code: str) -> Any:
    """One document: description, axes, file, who cites it, history."""
    return document_page(code)


def _act(code: str, form: str, schema: Any, data: dict[str, Any], send: Any, done: str) -> Any:  # fmt: skip
    result, errors, status = run(schema, data, on_fields(send, REFUSALS))
    if result is None:
        return document_page(code, {form: errors}, status, form)
    flash(done, "success")
    return redirect(url_for("ui.reviewed_document", code=code))


@bp.route("/revue-documentaire/<code>/modifier", methods=["POST"])
@requires("document_review.edit")
def change_document(code: str) -> Any:
    """A new description (reason required)."""
    return _act(
        code,
        "change",
        ds.DocumentChange(),
        _form(),
        lambda c, d: led().change_document(c, code, _values(d)),
        _("Description du document enregistrée."),
    )


@bp.route("/revue-documentaire/<code>/retirer", methods=["POST"])
@requires("document_review.edit")
def withdraw_document(code: str) -> Any:
    """Withdraw the document from the register (reason required)."""
    return _act(
        code,
        "withdraw",
        ds.RequiredReason(),
        scalars(request.form, "reason"),
        lambda c, d: led().withdraw_document(c, code),
        _("Document retiré du registre."),
    )


# --- what findings and proposals cite -----------------------------------------------------


@bp.route("/diagnostic/constats/<code>/documents", methods=["POST"])
@requires("diagnosis.findings")
def cite_documents_in_finding(code: str) -> Any:
    """Set the documents of the register a finding rests on."""
    data = {
        "documents": [d for d in request.form.getlist("documents") if d],
        **scalars(request.form, "reason"),
    }
    result, errors, _status = run(
        ds.FindingDocumentsIn(),
        data,
        lambda c, d: led().cite_documents_in_finding(c, code, d["documents"]),
    )
    if result is None:
        flash(
            errors.message or "; ".join(errors.values()) or _("Citation refusée."),
            "error",
        )
    else:
        flash(_("Documents cités par le constat %(code)s enregistrés.", code=code), "success")  # fmt: skip
    return redirect(url_for("ui.diagnosis") + f"#finding-{code}")


def cited_documents(st: Any, codes: list[str]) -> list[dict[str, Any]]:
    """The documents a proposal or finding cites, with their titles."""
    return rq.titles(st, list(codes))


def citable_documents(st: Any) -> list[dict[str, Any]]:
    """The documents of the register that may be cited (not withdrawn)."""
    return rq.register(st)
