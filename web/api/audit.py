"""Audit endpoints, the JSON twins of the audit page: one event with its seal, the
differences between two moments, the full verification (last result; run now), and
whether a document of a given SHA-256 was issued."""

from __future__ import annotations

from typing import Any

from flask import abort
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import fields, validate

from domain.documents import sha256_hex
from projections import queries as q
from web import auditing
from web.api import responses as r
from web.api import schemas as s
from web.api.responses import errors
from web.auth import requires
from web.state import state

audit = Blueprint(
    "api_audit",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Audit : événement scellé, différences entre deux dates, vérification complète"
    ),
)
BLUEPRINTS = (audit,)

MOMENT = validate.Length(min=1, max=64)


class DiffQuery(s.Query):
    """Two moments: ISO date-times (UTC if no offset) or ``position:N``."""

    a = fields.String(
        required=True,
        validate=MOMENT,
        metadata={"description": "Date-heure ISO 8601 ou position:N"},
    )
    b = fields.String(
        required=True,
        validate=MOMENT,
        metadata={"description": "Date-heure ISO 8601 ou position:N"},
    )


@audit.route("/audit/events/<int:position>")
@audit.arguments(s.AsOf, location="query")
@audit.response(200, r.SealedEvent)
@errors(audit, *r.READ_ERRORS, 404)
@requires("audit.view")
def event(args: dict[str, Any], position: int) -> dict[str, Any]:
    """One event with its command context, its seal (leaf hash) and whether the latest
    signed checkpoint covers it (then ``/integrity/proof/{position}`` proves it)."""
    web = state()
    found = auditing.event_at(web.read_model.at(args["as_of"]), position)
    if found is None:
        abort(404)
    leaf = auditing.seals(web.ledger, [position]).get(position)
    return {
        **found,
        "leaf_hash": leaf,
        "covered": leaf is not None and auditing.covered(web.ledger, position),
    }


@audit.route("/audit/diff")
@audit.arguments(DiffQuery, location="query")
@audit.response(200, r.AuditDiff)
@errors(audit, *r.READ_ERRORS)
@requires("audit.view")
def diff(args: dict[str, Any]) -> dict[str, Any]:
    """What changed between two moments (oldest first): proposals whose status, value,
    risk or AP changed, envelopes changed, decisions recorded in between."""
    return auditing.views_diff(state().read_model, args["a"], args["b"])


@audit.route("/audit/verification")
@audit.response(200, r.VerificationStatus)
@errors(audit, 401, 403, 503)
@requires("audit.view")
def verification() -> dict[str, Any]:
    """The last full verification run by this server process (null before the first)."""
    return {"verification": auditing.last_verification(state())}


@audit.route("/audit/verification", methods=["POST"])
@audit.response(200, r.Verification)
@errors(audit, 401, 403, 503)
@requires("audit.view")
def verify() -> dict[str, Any]:
    """Verify the whole ledger now: recompute every seal, check every signed checkpoint.

    Writes nothing; the result (``ok``, first bad position, time taken) is kept as the
    last verification.
    """
    return auditing.run_verification(state(), current_user.username)


@audit.route("/audit/documents/<string:sha256>")
@audit.response(200, r.IssuedDocument)
@errors(audit, 401, 403, 404, 422, 503)
@requires("audit.view")
def issued_document(sha256: str) -> dict[str, Any]:
    """The document of this SHA-256 as the ledger recorded it when it was downloaded
    (kind, subject, size) and every issuance (when, to whom, file name); 404 if no
    document with this SHA-256 was ever issued, 422 if it is not a SHA-256."""
    found = q.issued_document(state().read_model.store, sha256_hex(sha256))
    if found is None:
        abort(404)
    return found
