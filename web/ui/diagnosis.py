"""Diagnostic du SI (phase 4): the inventory with its filters, each application's page
with the DSI's view beside each direction's (and their history), the findings and
the suggested ones, the obsolescence risks no proposal covers, the import of the
inventory from a spreadsheet and its template — one ledger command per form."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from domain.errors import (
    AlreadyExists,
    DocumentWithdrawn,
    DomainError,
    NotFound,
    RecordClosed,
)
from projections import queries as q
from projections.views.diagnosis import queries as dq
from projections.views.diagnosis.queries import day_of
from web.access import referent_directions
from web.api import diagnosis_schemas as ds
from web.auth import proposal_direction, requires
from web.cache import cached_read
from web.domain_messages import localised
from web.formatting import day
from web.i18n import N_
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import FormErrors, as_of, store
from web.ui.document_review import citable_documents, cited_documents
from web.ui.formhelp import on_fields, run
from web.ui.forms import rows, scalars
from web.ui.import_issues import issue_lines
from web.ui.referential.flows import Errors, led

DESCRIPTION_FIELDS = tuple(ds.Description._declared_fields)
MAX_UPLOAD = 5 * 1024 * 1024


def _today() -> date:
    return day_of(as_of())


# The names of the levels of each scale (domain.inventory.SCALES), marked for
# translation; tests/web/test_diagnosis_pages.py checks they are the domain's.
LEVEL_NAMES: dict[str, tuple[str, ...]] = {
    "criticality": (N_("faible"), N_("moyenne"), N_("élevée"), N_("vitale")),
    "technical_state": (N_("mauvais"), N_("médiocre"), N_("correct"), N_("bon")),
    "risk": (N_("faible"), N_("modéré"), N_("élevé"), N_("critique")),
    "obsolescence": (N_("faible"), N_("modérée"), N_("élevée"), N_("critique")),
    "satisfaction": (
        N_("insatisfaite"),
        N_("plutôt insatisfaite"),
        N_("plutôt satisfaite"),
        N_("satisfaite"),
    ),
    "coverage": (N_("très partielle"), N_("partielle"), N_("large"), N_("complète")),
}


def level_scales() -> dict[str, list[tuple[int, str]]]:
    """Each scale's levels as select options: ``(1, "1 — faible")``…"""
    return {
        name: [(i, f"{i} — {_(label)}") for i, label in enumerate(names, start=1)]
        for name, names in LEVEL_NAMES.items()
    }


def _directions() -> list[tuple[str, str]]:
    org = q.organisation(store())
    return [
        (d["code"], f"{d['code']} — {d['name']}")
        for d in org["directions"]
        if d["status"] == "open"
    ]


def _my_directions() -> list[str]:
    """The directions the signed-in referent assesses for."""
    return sorted(referent_directions(current_user.grants))


def _render(
    template: str, status: int = 200, sent: str | None = None, **values: Any
) -> Any:
    return render_template(
        template,
        scales=level_scales(),
        direction_options=_directions(),
        sent=sent,
        form=request.form if sent else {},
        **values,
    ), status


# --- the diagnosis page ------------------------------------------------------------------

# the levels the criticality filter takes (« 99999999999999999999 » or « ² » reached
# the database as an integer it cannot hold, or failed ``int``: a 500)
CRITICALITY_FILTER = frozenset(
    str(n) for n in range(1, len(LEVEL_NAMES["criticality"]) + 1)
)


def _index(errors: dict[str, FormErrors] | None = None, status: int = 200, sent: str | None = None) -> Any:  # fmt: skip
    st = store()
    filters = {k: request.args.get(k, "").strip() or None for k in dq.FILTERS}
    if filters["criticality"] not in CRITICALITY_FILTER:  # a level, else no filter
        filters["criticality"] = None
    today = _today()
    return _render(
        "diagnosis.html",
        status,
        sent,
        errors=Errors(errors or {}),
        filters=filters,
        applications=dq.applications(st, filters, today),
        findings=_with_documents(st, dq.findings(st, "all")),
        documents=citable_documents(st),
        suggestions=shown_suggestions(dq.suggested(st, today), st, today),
        risks=dq.uncovered_risks(st, today),
        today=today,
    )


def shown_suggestions(
    suggestions: list[dict[str, Any]], st: Any, today: date
) -> list[dict[str, Any]]:
    """Each suggestion with ``shown_title`` and ``shown_statement`` in the page's
    language. The domain words them in French (``domain.diagnosis``), which is what a
    confirmed finding records; the English page read them in French."""
    apps = {a["code"]: a for a in dq.applications(st, {"status": "all"}, today)}
    for s in suggestions:
        rule, code, *rest = s["key"].split(":")
        app = apps.get(code)
        s["shown_title"], s["shown_statement"] = (
            _worded(rule, app, rest[0] if rest else "", today)
            if app is not None
            else (s["title"], s["statement"])
        )
    return suggestions


def _worded(rule: str, app: dict[str, Any], direction: str, today: date) -> tuple[str, str]:  # fmt: skip
    name = app["name"]
    if rule == "support":
        end = date.fromisoformat(app["end_of_support"])
        if end < today:
            return _("%(name)s : fin de support dépassée", name=name), _(
                "Le support de %(name)s a pris fin le %(day)s.", name=name, day=day(end)
            )
        return _("%(name)s : fin de support proche", name=name), _(
            "Le support de %(name)s prend fin le %(day)s.", name=name, day=day(end)
        )
    if rule == "fragile":
        return _(
            "%(name)s : application critique en mauvais état technique", name=name
        ), _(
            "Criticité %(c)d/4 et état technique %(t)d/4 selon la DSI.",
            c=app["criticality"],
            t=app["dsi"]["technical_state"],
        )
    view = app["directions"][direction]
    if rule == "unsatisfied":
        return _(
            "%(name)s : insatisfaction de la direction %(d)s", name=name, d=direction
        ), _(
            "Satisfaction %(s)d/4, couverture des besoins %(c)d/4.",
            s=view["satisfaction"],
            c=view["coverage"],
        )
    return _(
        "%(name)s : pleinement satisfaisante pour %(d)s", name=name, d=direction
    ), _("Satisfaction 4/4 et besoins couverts 4/4.")


def _with_documents(st: Any, findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each finding with the documents of the register it cites (titles)."""
    for f in findings:
        f["cited"] = cited_documents(st, f["documents"])
    return findings


@bp.route("/diagnostic")
@requires("diagnosis.view")
@cached_read()
def diagnosis() -> Any:
    """The inventory (filtered), the findings, the suggestions to confirm and the
    obsolescence risks no proposal covers."""
    return _index()


def _description(form: Any) -> dict[str, Any]:
    return scalars(form, "code", *DESCRIPTION_FIELDS, "reason", integers=("users", "criticality"))  # fmt: skip


def _without_reason(d: dict[str, Any]) -> dict[str, Any]:
    """A form's fields as the command's arguments (the reason is the caller's)."""
    return {k: v for k, v in d.items() if k != "reason"}


def _values(d: dict[str, Any]) -> dict[str, Any]:
    return {k: d[k] for k in DESCRIPTION_FIELDS}


@bp.route("/diagnostic/applications", methods=["POST"])
@requires("diagnosis.inventory")
def register_application() -> Any:
    """Add a component to the inventory."""
    data = _description(request.form)
    result, errors, status = run(
        ds.ApplicationIn(),
        data,
        on_fields(
            lambda c, d: led().register_application(c, d["code"], _values(d)),
            {AlreadyExists: "code", NotFound: "direction", RecordClosed: "direction"},
        ),
    )
    if result is None:
        return _index({"register": errors}, status, "register")
    flash(_("Composant %(code)s inscrit à l'inventaire.", code=data["code"]), "success")
    return redirect(url_for("ui.application", code=data["code"]))


# --- one application ---------------------------------------------------------------------


def _application_page(
    code: str,
    errors: dict[str, FormErrors] | None = None,
    status: int = 200,
    sent: str | None = None,
) -> Any:
    app = dq.application(store(), code)
    if app is None:
        abort(404)
    app["risks"] = dq.obsolescence_risk(app, _today())
    return _render(
        "diagnosis_application.html",
        status,
        sent,
        app=app,
        errors=Errors(errors or {}),
        my_directions=_my_directions(),
        direction_choices=[(d, d) for d in _my_directions()],
    )


@bp.route("/diagnostic/applications/<code>")
@requires("diagnosis.view")
@cached_read()
def application(code: str) -> Any:
    """One application: its description, the DSI's view beside each using
    direction's, every assessment and change, its findings and proposals."""
    return _application_page(code)


def _act(code: str, form: str, schema: Any, data: dict[str, Any], send: Any, done: str) -> Any:  # fmt: skip
    result, errors, status = run(schema, data, send)
    if result is None:
        return _application_page(code, {form: errors}, status, form)
    flash(done, "success")
    return redirect(url_for("ui.application", code=code))


@bp.route("/diagnostic/applications/<code>/modifier", methods=["POST"])
@requires("diagnosis.inventory")
def change_application(code: str) -> Any:
    """A new description (reason required)."""
    data = _description(request.form)
    data.pop("code", None)
    return _act(
        code,
        "change",
        ds.ApplicationChange(),
        data,
        on_fields(
            lambda c, d: led().change_application(c, code, _values(d)),
            {NotFound: "direction", RecordClosed: "reason"},
        ),
        _("Description enregistrée."),
    )


@bp.route("/diagnostic/applications/<code>/retirer", methods=["POST"])
@requires("diagnosis.inventory")
def retire_application(code: str) -> Any:
    """The component left the information system (reason required)."""
    return _act(
        code,
        "retire",
        ds.RequiredReason(),
        scalars(request.form, "reason"),
        on_fields(
            lambda c, d: led().retire_application(c, code), {RecordClosed: "reason"}
        ),
        _("Composant retiré de l'inventaire."),
    )


@bp.route("/diagnostic/applications/<code>/evaluation-dsi", methods=["POST"])
@requires("diagnosis.assess")
def assess_application(code: str) -> Any:
    """The DSI's assessment (supersedes its previous one)."""
    data = scalars(
        request.form, "technical_state", "risk", "obsolescence", "comment",
        integers=("technical_state", "risk", "obsolescence"),
    )  # fmt: skip
    return _act(
        code,
        "dsi",
        ds.DsiAssessmentIn(),
        data,
        on_fields(
            lambda c, d: led().assess_application(c, code, **_without_reason(d)),
            {RecordClosed: "comment"},
        ),
        _("Évaluation de la DSI enregistrée."),
    )


@bp.route("/diagnostic/applications/<code>/evaluation-direction", methods=["POST"])
@requires("diagnosis.assess_use")
def assess_application_use(code: str) -> Any:
    """A direction's assessment by its referent (for their own direction only:
    the ledger refuses any other)."""
    direction = request.form.get("direction", "").strip()
    data = scalars(
        request.form, "satisfaction", "coverage", "comment",
        integers=("satisfaction", "coverage"),
    )  # fmt: skip
    return _act(
        code,
        "use",
        ds.UseAssessmentIn(),
        data,
        on_fields(
            lambda c, d: led().assess_application_use(
                c, code, direction, **_without_reason(d)
            ),
            {RecordClosed: "comment", NotFound: "comment"},
        ),
        _("Évaluation de la direction %(d)s enregistrée.", d=direction),
    )


# --- findings ----------------------------------------------------------------------------


@bp.route("/diagnostic/constats", methods=["POST"])
@requires("diagnosis.findings")
def record_finding() -> Any:
    """Record a finding (or confirm a suggestion) with its evidence."""
    data = scalars(request.form, "kind", "title", "statement", "suggestion", "reason")
    data["applications"] = [a for a in request.form.getlist("applications") if a]
    data["documents"] = [d for d in request.form.getlist("documents") if d]
    data["assessments"] = [
        x.strip()
        for x in request.form.get("assessments", "").replace(",", " ").split()
        if x.strip()
    ]
    result, errors, status = run(
        ds.FindingIn(),
        data,
        on_fields(
            lambda c, d: led().record_finding(c, **_without_reason(d)),
            {NotFound: "applications", DocumentWithdrawn: "documents"},
        ),
    )
    if result is None:
        return _index({"finding": errors}, status, "finding")
    flash(_("Constat %(code)s enregistré.", code=result["code"]), "success")
    return redirect(url_for("ui.diagnosis") + "#constats")


@bp.route("/diagnostic/constats/<code>/retirer", methods=["POST"])
@requires("diagnosis.findings")
def withdraw_finding(code: str) -> Any:
    """Withdraw a finding (reason required)."""
    result, errors, status = run(
        ds.RequiredReason(),
        scalars(request.form, "reason"),
        lambda c, d: led().withdraw_finding(c, code),
    )
    if result is None:
        return _index({f"withdraw-{code}": errors}, status, f"withdraw-{code}")
    flash(_("Constat %(code)s retiré.", code=code), "success")
    return redirect(url_for("ui.diagnosis") + "#constats")


# --- proposals' links --------------------------------------------------------------------


@bp.route("/fiches/<code>/diagnostic", methods=["POST"])
@requires("proposal.link", direction_of=proposal_direction)
def link_proposal(code: str) -> Any:
    """Set the applications a proposal replaces or changes and the findings it
    answers (its referent or the DSI)."""
    data = {
        "applications": {
            r["application"]: r.get("effect", "changes")
            for r in rows(request.form, "links")
            if r.get("application")
        },
        "findings": [f for f in request.form.getlist("findings") if f],
        # the documents' boxes were shown (else the documents cited stay as they are)
        "documents": [d for d in request.form.getlist("documents") if d]
        if request.form.get("documents_listed")
        else None,
        **scalars(request.form, "reason"),
    }
    result, errors, _status = run(
        ds.LinksIn(),
        data,
        lambda c, d: led().link_proposal(
            c,
            code,
            applications=d["applications"],
            findings=d["findings"],
            documents=d["documents"],
        ),
    )
    if result is None:
        flash(
            errors.message or "; ".join(errors.values()) or _("Liens refusés."),
            "error",
        )
    else:
        flash(_("Liens avec le diagnostic enregistrés."), "success")
    return redirect(url_for("ui.proposal", code=code) + "#diagnostic")


def proposal_diagnosis(st: Any, code: str) -> dict[str, Any]:
    """What the proposal page shows of the diagnosis: the proposal's links, the
    current applications, findings and reviewed documents it may cite, and the
    documents it cites (with their titles)."""
    links = dq.proposal_links(st, code)
    return {
        "links": links,
        "applications": dq.applications(st),
        "findings": dq.findings(st),
        "documents": citable_documents(st),
        "cited": cited_documents(st, links["documents"]),
    }


# --- import and template -----------------------------------------------------------------


@bp.route("/diagnostic/import", methods=["GET", "POST"])
@requires("diagnosis.inventory")
def import_inventory() -> Any:
    """Import the inventory from a spreadsheet (CSV or XLSX): every error by line and
    column and nothing written, or every creation and change in one command."""
    from setupfile.inventory_file import apply_inventory, plan_bytes
    from setupfile.sheets import FileRefused

    report: list[str] = []
    refused = False
    if request.method == "POST":
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            report, refused = [_("Choisissez un fichier CSV ou XLSX.")], True
        else:
            data = upload.read(MAX_UPLOAD + 1)
            if len(data) > MAX_UPLOAD:
                report, refused = [_("Fichier trop volumineux (5 Mo au plus).")], True
            else:
                try:
                    plan = plan_bytes(led(), data, upload.filename)
                except FileRefused as exc:
                    report, refused = [str(exc)], True
                else:
                    report, refused = plan.report(), not plan.ok
                    if plan.errors:  # by line and column, in the page's language
                        report = issue_lines(plan.errors)
                    if plan.ok and not request.form.get("dry_run"):
                        caller = current_user.caller(
                            key=request.form.get("idempotency_key") or None
                        )
                        try:
                            result = apply_inventory(led(), plan, caller)
                        except DomainError as exc:
                            report, refused = [localised(exc)], True
                        else:
                            state().after_command(result.get("notification_id"))
                            flash(
                                _(
                                    "Inventaire importé : %(c)d créé(s), %(m)d modifié(s).",
                                    c=len(result["created"]),
                                    m=len(result["changed"]),
                                ),
                                "success",
                            )
    return render_template("diagnosis_import.html", report=report, refused=refused), (
        422 if refused else 200
    )


@bp.route("/diagnostic/modele.<fmt>")
@requires("diagnosis.view")
def inventory_template(fmt: str) -> Any:
    """The inventory template (``xlsx`` or ``csv``); ``?actuel=1`` filled with the
    current inventory (importing it back changes nothing)."""
    from setupfile.inventory_file import current_rows, template_csv, template_xlsx

    if fmt not in ("xlsx", "csv"):
        abort(404)
    filled = (
        current_rows(dq.applications(store())) if request.args.get("actuel") else None
    )
    if fmt == "xlsx":
        body = template_xlsx(filled)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body = template_csv(filled)
        mime = "text/csv; charset=utf-8"
    return Response(
        body,
        mimetype=mime,
        headers={"Content-Disposition": f'attachment; filename="inventaire.{fmt}"'},
    )
