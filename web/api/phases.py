"""The phase checklist through the API: the six phases with their expected
deliverables (``GET /plan/phases``), and the commands on them — keep the list, submit
a deliverable (a record, or a file in multipart), validate it or send it back. A
phase completes (``POST /plan/phases/<phase>/complete``, ``web.api.referential``)
only when its deliverables are validated, or with ``override`` and a reason. Each
command honours ``Idempotency-Key``; refusals are 409/422 naming the rule and field."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema
from werkzeug.wrappers import Response

from projections import reference_queries as rq
from projections.plan_scope import as_of_for
from web.api import phase_schemas as ps
from web.api import responses as r
from web.api.attachment_schemas import FilePart
from web.api.commands import documented, ledger, run
from web.api.responses import errors
from web.api.schemas import ErrorResponse, PlanAsOf
from web.attachment_files import accepts_upload
from web.auth import requires
from web.cache import cached_read
from web.deliverable_files import deliverable_download
from web.state import state

phases = Blueprint(
    "api_phases",
    __name__,
    url_prefix="/api/v1",
    description=(
        "Phases du SDSI et leurs livrables attendus : liste de contrôle, soumission, "
        "validation ou renvoi, clôture de phase (avec motif si des livrables manquent)"
    ),
)
BLUEPRINTS = (phases,)
View = Callable[..., Any]
BASE = "/plan/phases/<phase>/deliverables"


def command(
    rule: str, schema: type[Schema], permission: str, location: str = "json"
) -> Callable[[View], View]:
    """A command's route, for holders of ``permission``."""

    def decorate(view: View) -> View:
        view = documented(phases)(requires(permission)(view))
        view = phases.arguments(schema, location=location)(view)
        return phases.route(rule, methods=["POST"])(view)

    return decorate


@phases.route("/plan/phases")
@phases.arguments(PlanAsOf, location="query")
@phases.response(200, ps.PhaseChecklist)
@errors(phases, *r.READ_ERRORS, 404)
@requires("reference.view")
@cached_read()
def checklist(args: dict[str, Any]) -> dict[str, Any]:
    """The phase checklist of a plan (``plan``: its number, default the plan in
    force; a plan that ended is read as it stood at its end; unknown: 404): each
    phase's status and dates, its expected deliverables (status, owner, document or
    record, review), those not validated, and the reason a phase was completed
    without them."""
    rm = state().read_model
    return rq.phase_checklist(rm.at(as_of_for(rm, args.get("as_of"), args.get("plan"))))


@command(BASE, ps.DeliverableIn, "plan.deliverables")
def add_deliverable(data: dict[str, Any], phase: str) -> Any:
    """Expect one more deliverable of the phase (DSI, chair)."""
    return run(
        ledger().add_deliverable,
        phase,
        data["key"],
        data["label"],
        data["kind"],
        reason=data["reason"],
    )


@command(BASE + "/<key>/rename", ps.DeliverableLabel, "plan.deliverables")
def rename_deliverable(data: dict[str, Any], phase: str, key: str) -> Any:
    """A new label for an expected deliverable (DSI, chair)."""
    return run(
        ledger().rename_deliverable, phase, key, data["label"], reason=data["reason"]
    )


@command(BASE + "/<key>/drop", ps.OptionalReason, "plan.deliverables")
def drop_deliverable(data: dict[str, Any], phase: str, key: str) -> Any:
    """No longer expect a deliverable (reason required; DSI, chair)."""
    return run(ledger().drop_deliverable, phase, key, reason=data["reason"])


@command(BASE + "/<key>/submit", ps.RecordSubmission, "plan.deliverables.submit")
def submit_record(data: dict[str, Any], phase: str, key: str) -> Any:
    """Submit a record deliverable: what it designates in the product (DSI,
    consultant)."""
    return run(
        ledger().submit_deliverable,
        phase,
        key,
        record_kind=data["record_kind"],
        record_ref=data["record_ref"],
        reason=data["reason"],
    )


@phases.route(BASE + "/<key>/document", methods=["POST"])
@phases.arguments(ps.OptionalReason, location="form")
@phases.arguments(FilePart, location="files")
@documented(phases)
@accepts_upload
@requires("plan.deliverables.submit")
def submit_document(
    form: dict[str, Any], files: dict[str, Any], phase: str, key: str
) -> Any:
    """Submit a document deliverable (multipart : ``file``): the file is attached,
    its SHA-256 recorded in the ledger (DSI, consultant)."""
    part = files.get("file")
    filename, content = (
        (part.filename or "", part.read()) if hasattr(part, "read") else ("", b"")
    )
    return run(
        ledger().submit_deliverable,
        phase,
        key,
        filename=filename,
        content=content,
        sha256=hashlib.sha256(content).hexdigest(),
        reason=form.get("reason"),
    )


@command(BASE + "/<key>/validate", ps.Review, "plan.deliverables.review")
def validate_deliverable(data: dict[str, Any], phase: str, key: str) -> Any:
    """Validate a submitted deliverable (the chair; the DSI naming the COPIL's
    decision)."""
    return run(
        ledger().validate_deliverable,
        phase,
        key,
        data["copil_decision"],
        reason=data["reason"],
    )


@command(BASE + "/<key>/return", ps.Review, "plan.deliverables.review")
def return_deliverable(data: dict[str, Any], phase: str, key: str) -> Any:
    """Send a submitted deliverable back to its owner (reason required)."""
    return run(
        ledger().return_deliverable,
        phase,
        key,
        data["copil_decision"],
        reason=data["reason"],
    )


@phases.route(BASE + "/<key>/files/<sha256>")
@phases.response(
    200,
    {"type": "string", "format": "binary"},
    content_type="application/octet-stream",
    description="Le fichier du livrable",
)
@phases.alt_response(404, schema=ErrorResponse)
@requires("reference.view")
def deliverable_file(phase: str, key: str, sha256: str) -> Response:
    """Download a document deliverable's file (``Content-Disposition: attachment``)."""
    return deliverable_download(phase, key, sha256)
