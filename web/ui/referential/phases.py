"""The phase checklist (``/referentiel/plan/phases``): each phase of the plan with
its status and dates, its expected deliverables (attendu, soumis, validé, renvoyé),
their owner and the document or record each designates, and the forms of the roles
allowed: keep the list (DSI, chair), submit (DSI, consultant), validate or send back
(the chair; the DSI naming the COPIL decision), complete a phase — with a reason when
deliverables are missing. Each form is one ledger command."""

from __future__ import annotations

import hashlib
from typing import Any

from flask import abort, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from domain.deliverables import RECORD_KINDS
from domain.errors import NotFound
from projections import queries as q
from projections import reference_queries as rq
from projections.plan_scope import scope as plan_scope
from web.api import phase_schemas as ps
from web.api import schemas as s
from web.attachment_files import accepts_upload, uploaded
from web.auth import requires
from web.deliverable_files import deliverable_download
from web.formatting import local_today
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import asked_position, store
from web.ui.formhelp import on_fields
from web.ui.forms import scalars
from web.ui.referential.flows import act, led, page, post, shown
from web.ui.referential.plan import PHASES

STATUS_LABELS = {
    "expected": _l("attendu"),
    "submitted": _l("soumis"),
    "validated": _l("validé"),
    "returned": _l("renvoyé"),
    "not_recorded": _l("non enregistré (phase close avant les livrables)"),
}
KIND_LABELS = {"document": _l("document"), "record": _l("enregistrement")}
RECORD_LABELS = {
    "axes": _l("axes et indicateurs"),
    "diagnosis": _l("diagnostic SI"),
    "inventory": _l("inventaire applicatif"),
    "findings": _l("constats du diagnostic"),
    "portfolio": _l("portefeuille des demandes"),
    "grid": _l("grille d'évaluation adoptée"),
    "plan": _l("plan et feuille de route"),
    "committee": _l("composition du COPIL"),
}
# Where each kind of record is shown (endpoint, anchor).
RECORD_PAGES = {
    "axes": ("ui.ref_axes", None),
    "diagnosis": ("ui.diagnosis", None),
    "inventory": ("ui.diagnosis", None),
    "findings": ("ui.diagnosis", "constats"),
    "portfolio": ("ui.portfolio", None),
    "grid": ("ui.grids", None),
    "plan": ("ui.plan", None),
    "committee": ("ui.ref_committee", None),
}
assert set(RECORD_LABELS) == set(RECORD_KINDS) == set(RECORD_PAGES)


def record_url(kind: str | None) -> str | None:
    if kind not in RECORD_PAGES:
        return None
    endpoint, anchor = RECORD_PAGES[kind]
    return url_for(endpoint, _anchor=anchor)


def _context() -> dict[str, Any]:
    shown = plan_scope(store(), state().read_model.store, asked_position())
    return {
        "today": local_today().isoformat(),
        "plan_shown": shown.plan,  # ``?plan=N``: the heading names a plan that ended
        **rq.phase_checklist(store()),
        "status_labels": STATUS_LABELS,
        "kind_labels": KIND_LABELS,
        "record_labels": RECORD_LABELS,
        "record_url": record_url,
        "held_sessions": q.held_sessions(store()),
    }


checklist_page = page("ref_phases.html", _context)


@shown("/referentiel/plan/phases")
def phase_checklist() -> Any:
    """Each phase with its deliverables and where each stands."""
    return checklist_page()


def _act(phase: str, form: str, schema: Any, data: dict[str, Any], send: Any) -> Any:
    if phase not in PHASES:
        abort(404)
    return act(
        checklist_page,
        f"{form}-{phase}",
        schema,
        data,
        send,
        _("Liste des livrables mise à jour."),
        url_for("ui.phase_checklist", _anchor=f"phase-{phase}"),
    )


@post("/referentiel/plan/phases/<phase>/livrables", "plan.deliverables")
def add_deliverable(phase: str) -> Any:
    """Expect one more deliverable of the phase."""
    return _act(
        phase,
        "add",
        ps.DeliverableIn(),
        scalars(request.form, "key", "label", "kind", "reason"),
        on_fields(
            lambda c, d: led().add_deliverable(
                c, phase, d["key"], d["label"], d["kind"]
            ),
            {NotFound: "key"},
        ),
    )


def _on_item(key: str, form: str) -> str:
    return f"{form}-{key}"


@post("/referentiel/plan/phases/<phase>/livrables/<key>/renommer", "plan.deliverables")
def rename_deliverable(phase: str, key: str) -> Any:
    """A new label for an expected deliverable."""
    return _act(
        phase,
        _on_item(key, "rename"),
        ps.DeliverableLabel(),
        scalars(request.form, "label", "reason"),
        on_fields(
            lambda c, d: led().rename_deliverable(c, phase, key, d["label"]),
            {NotFound: "label"},
        ),
    )


@post("/referentiel/plan/phases/<phase>/livrables/<key>/retirer", "plan.deliverables")
def drop_deliverable(phase: str, key: str) -> Any:
    """No longer expect a deliverable (reason required)."""
    return _act(
        phase,
        _on_item(key, "drop"),
        s.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led().drop_deliverable(c, phase, key), {NotFound: "reason"}
        ),
    )


@bp.route(
    "/referentiel/plan/phases/<phase>/livrables/<key>/soumettre", methods=["POST"]
)
@accepts_upload
@requires("plan.deliverables.submit")
def submit_deliverable(phase: str, key: str) -> Any:
    """Submit a deliverable: a file for a document, a record for the others."""
    filename, content = uploaded()
    data = scalars(request.form, "record_kind", "record_ref", "reason")

    def send(c: Any, d: dict[str, Any]) -> Any:
        if content:
            digest = hashlib.sha256(content).hexdigest()
            return led().submit_deliverable(
                c, phase, key, filename=filename, content=content, sha256=digest
            )
        return led().submit_deliverable(
            c,
            phase,
            key,
            record_kind=d.get("record_kind") or None,
            record_ref=d.get("record_ref") or "",
        )

    return _act(
        phase,
        _on_item(key, "submit"),
        ps.Submission(),
        data,
        on_fields(send, {NotFound: "record_kind"}),
    )


@post(
    "/referentiel/plan/phases/<phase>/livrables/<key>/valider",
    "plan.deliverables.review",
)
def validate_deliverable(phase: str, key: str) -> Any:
    """Validate a submitted deliverable."""
    return _act(
        phase,
        _on_item(key, "validate"),
        ps.Review(),
        scalars(request.form, "copil_decision", "reason"),
        on_fields(
            lambda c, d: led().validate_deliverable(c, phase, key, d["copil_decision"]),
            {NotFound: "copil_decision"},
        ),
    )


@post(
    "/referentiel/plan/phases/<phase>/livrables/<key>/renvoyer",
    "plan.deliverables.review",
)
def return_deliverable(phase: str, key: str) -> Any:
    """Send a submitted deliverable back to its owner (reason required)."""
    return _act(
        phase,
        _on_item(key, "return"),
        ps.Review(),
        scalars(request.form, "copil_decision", "reason"),
        on_fields(
            lambda c, d: led().return_deliverable(c, phase, key, d["copil_decision"]),
            {NotFound: "copil_decision"},
        ),
    )


@post("/referentiel/plan/phases/<phase>/cloturer", "plan.phases")
def complete_phase_with_reason(phase: str) -> Any:
    """Complete a phase: its deliverables validated, or with a reason (``override``
    ticked) when some are missing."""
    data = scalars(request.form, "on", "reason")
    data["without_deliverables"] = request.form.get("without_deliverables") == "1"
    return _act(
        phase,
        "close",
        ps.PhaseComplete(),
        data,
        on_fields(
            lambda c, d: led().complete_phase(
                c, phase, d["on"], override=d["without_deliverables"]
            ),
            {NotFound: "on"},
        ),
    )


@bp.route("/referentiel/plan/phases/<phase>/livrables/<key>/fichiers/<sha256>")
@requires("reference.view")
def deliverable_file(phase: str, key: str, sha256: str) -> Response:
    """Download a document deliverable's file."""
    return deliverable_download(phase, key, sha256)
