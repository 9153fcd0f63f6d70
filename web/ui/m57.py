"""The M57 imputation form of finance: a project's AP/CP of a section, or one of its
commitments, imputed on a chapter, an article, a fonction and an operation. Codes
outside the shipped nomenclature are recorded with a warning the page shows."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from domain.errors import NotFound
from projections import queries as q
from web.api import schemas as s
from web.auth import requires
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import FormErrors
from web.ui.formhelp import on_fields, run
from web.ui.forms import scalars

CODES = ("chapter", "nature", "fonction", "operation")


@bp.route("/budget/projets/<code>/imputation", methods=["GET", "POST"])
@requires("budget.edit")
def impute(code: str) -> Any:
    """Impute a project's AP/CP (by section) or a commitment in M57."""
    doc = q.project_budget(state().read_model.store, code)
    if doc is None:
        abort(404)
    errors, status = FormErrors(), 200
    if request.method == "POST":
        data = scalars(request.form, "target", *CODES)
        target = data.pop("target") or ""
        data["section"] = target if not target.startswith("engagement:") else None
        data["commitment"] = (
            target.removeprefix("engagement:")
            if target.startswith("engagement:")
            else None
        )
        if not target:
            data["section"] = None
        led = state().ledger
        send = on_fields(
            lambda c, d: led.impute(
                c,
                code,
                {k: d[k] for k in CODES},
                section=d["section"],
                commitment=d["commitment"],
            ),
            {NotFound: "target"},
        )
        result, errors, status = run(s.Imputation(), data, send)
        if errors and ("section" in errors or "commitment" in errors):
            errors["target"] = errors.get("section") or errors.get("commitment")
        if result is not None:
            flash(_("Imputation M57 enregistrée."), "success")
            for warning in result.data["warnings"]:
                flash(_("Avertissement M57 : %(warning)s", warning=warning), "warning")
            return redirect(url_for("ui.project_budget", code=code, _anchor="m57"))
    targets = [
        (sct, _("AP/CP, section %(section)s", section=sct))
        for sct in sorted({ln["section"] for ln in doc["lines"]})
    ] + [
        (f"engagement:{c['reference']}", _("Engagement %(ref)s", ref=c["reference"]))
        for c in doc["commitments"]
    ]
    return render_template(
        "budget_imputation.html",
        code=code,
        b=doc,
        targets=targets,
        form=request.form,
        errors=errors,
    ), status
