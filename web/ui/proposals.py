"""Proposal pages: the whole record, and the forms of its lifecycle."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from projections import queries as q
from web.api import schemas as s
from web.auth import proposal_direction, requires
from web.cache import cached_read
from web.state import state
from web.ui.actions import run_action
from web.ui.blueprint import bp
from web.ui.context import FormErrors, run_form, store
from web.ui.diagnosis import proposal_diagnosis
from web.ui.forms import INTEGER, proposal_content, rows, scalars


def _doc(code: str) -> dict[str, Any]:
    doc = q.proposal(store(), code)
    if doc is None:
        abort(404)
    return doc


def _choices() -> dict[str, Any]:
    st = state().read_model.store
    org = q.organisation(st)
    plan = q.plan(st) or {"first_year": 2020, "last_year": 2030}
    return {
        "org": org,
        "axes": q.axes(st),
        "years": list(range(plan["first_year"], plan["last_year"] + 1)),
        "teams": org["teams"],
        "proposals": [p["code"] for p in q.portfolio(st)],
    }


@bp.route("/fiches/<code>")
@requires("proposal.view", direction_of=proposal_direction)
@cached_read()
def proposal(code: str) -> str:
    """Everything about a proposal: revisions, scores, decisions with evidence, budget, timeline."""
    return _proposal_page(code)


def _proposal_page(
    code: str,
    failed: str | None = None,
    errors: FormErrors | None = None,
    status: int = 200,
) -> Any:
    """The proposal page; ``failed``: the form of the page refused with ``errors``,
    shown again with each message next to its field."""
    doc = _doc(code)
    st = store()
    grids = {g["number"]: g for g in q.grids(st)}
    return render_template(
        "proposal.html",
        p=doc,
        grids=grids,
        diag=proposal_diagnosis(st, code),
        budget=doc["budget"],
        failed=failed,
        errors=errors if errors is not None else FormErrors(),
        form=request.form if failed else {},
    ), status


@bp.route("/fiches/nouvelle", methods=["GET", "POST"])
@requires("proposal.draft")
def new_proposal() -> Any:
    """Draft a proposal (a referent for their direction, or the DSI)."""
    errors: FormErrors = FormErrors()
    if request.method == "POST":
        data = {
            **proposal_content(request.form),
            **scalars(request.form, "code", "direction"),
        }
        led = state().ledger
        result, errors = run_form(
            s.DraftProposal(),
            data,
            lambda c, d: led.draft_proposal(
                c,
                d["code"],
                d["direction"],
                {k: v for k, v in d.items() if k not in ("code", "direction")},
            ),
        )
        if result is not None:
            flash(
                _("Fiche %(code)s enregistrée (brouillon).", code=result["code"]),
                "success",
            )
            return redirect(url_for("ui.proposal", code=result["code"]))
    directions = (
        sorted(current_user.directions) if "dsi" not in current_user.roles else None
    )
    return render_template(
        "proposal_form.html",
        mode="new",
        p=None,
        form=request.form,
        errors=errors,
        own_directions=directions,
        **_choices(),
    ), (422 if errors else 200)


@bp.route("/fiches/<code>/amender", methods=["GET", "POST"])
@requires("proposal.amend", direction_of=proposal_direction)
def amend_proposal(code: str) -> Any:
    """Amend a proposal: a new revision, reason required."""
    doc = _doc(code)
    errors: FormErrors = FormErrors()
    if request.method == "POST":
        data = {**proposal_content(request.form), **scalars(request.form, "reason")}
        led = state().ledger
        result, errors = run_form(
            s.AmendProposal(),
            data,
            lambda c, d: led.amend_proposal(
                c, code, {k: v for k, v in d.items() if k != "reason"}
            ),
        )
        if result is not None:
            flash(
                _("Révision %(revision)s enregistrée.", revision=result["revision"]),
                "success",
            )
            return redirect(url_for("ui.proposal", code=code))
    return render_template(
        "proposal_form.html",
        mode="amend",
        p=doc,
        form=request.form,
        errors=errors,
        own_directions=None,
        **_choices(),
    ), (422 if errors else 200)


def _simple(
    code: str, schema: Any, send: Any, done: str, name: str = "", data: Any = None
) -> Any:
    """An action of the proposal page (``name``: its form); a refusal about fields
    shows the page again with the form's errors next to them."""
    if data is None:
        data = scalars(request.form, "reason", "on", "start", "end", "percent")
    result, errors, status = run_action(schema, data, send)
    if result is not None:
        flash(done, "success")
    elif name and any(k != "_" for k in errors):
        return _proposal_page(code, name, errors, status)
    else:
        flash(errors.message or _("Action refusée."), "error")
    return redirect(url_for("ui.proposal", code=code))


@bp.route("/fiches/<code>/soumettre", methods=["POST"])
@requires("proposal.submit", direction_of=proposal_direction)
def submit_proposal(code: str) -> Response:
    return _simple(
        code,
        s.NoBody(),
        lambda c, d: state().ledger.submit_proposal(c, code),
        _("Fiche soumise."),
    )


@bp.route("/fiches/<code>/retirer", methods=["POST"])
@requires("proposal.withdraw", direction_of=proposal_direction)
def withdraw_proposal(code: str) -> Any:
    return _simple(
        code,
        s.Reason(),
        lambda c, d: state().ledger.withdraw_proposal(c, code),
        _("Fiche retirée."),
        "withdraw",
    )


@bp.route("/fiches/<code>/annuler", methods=["POST"])
@requires("proposal.cancel")
def cancel_project(code: str) -> Any:
    return _simple(
        code,
        s.Reason(),
        lambda c, d: state().ledger.cancel_project(c, code),
        _("Projet annulé."),
        "cancel",
    )


@bp.route("/fiches/<code>/planifier", methods=["POST"])
@requires("proposal.execute")
def plan_project(code: str) -> Any:
    return _simple(
        code,
        s.PlanProject(),
        lambda c, d: state().ledger.plan_project(c, code, d["start"], d["end"]),
        _("Projet planifié."),
        "plan",
    )


@bp.route("/fiches/<code>/demarrer", methods=["POST"])
@requires("proposal.execute")
def start_project(code: str) -> Any:
    return _simple(
        code,
        s.OnDate(),
        lambda c, d: state().ledger.start_project(c, code, d["on"]),
        _("Projet démarré."),
        "start",
    )


@bp.route("/fiches/<code>/terminer", methods=["POST"])
@requires("proposal.execute")
def complete_project(code: str) -> Any:
    return _simple(
        code,
        s.OnDate(),
        lambda c, d: state().ledger.complete_project(c, code, d["on"]),
        _("Projet réalisé."),
        "complete",
    )


@bp.route("/fiches/<code>/avancement", methods=["POST"])
@requires("proposal.execute")
def report_progress(code: str) -> Any:
    return _simple(
        code,
        s.Progress(),
        lambda c, d: state().ledger.report_progress(c, code, d["percent"]),
        _("Avancement enregistré."),
        "progress",
    )


@bp.route("/fiches/<code>/jalons", methods=["POST"])
@requires("proposal.execute")
def set_milestone(code: str) -> Any:
    return _simple(
        code,
        s.MilestoneIn(),
        lambda c, d: state().ledger.set_milestone(
            c, code, d["code"], d["label"], d["planned"], d["actual"]
        ),
        _("Jalon enregistré."),
        "milestone",
        scalars(request.form, "code", "label", "planned", "actual"),
    )


@bp.route("/fiches/<code>/jalons/atteint", methods=["POST"])
@requires("proposal.execute")
def reach_milestone(code: str) -> Any:
    """Record the actual date of a planned milestone."""
    milestone = request.form.get("milestone", "").strip()
    return _simple(
        code,
        s.ReachMilestone(),
        lambda c, d: state().ledger.reach_milestone(c, code, milestone, d["on"]),
        _("Jalon atteint."),
        "reached",
        scalars(request.form, "on"),
    )


@bp.route("/fiches/<code>/qualifier", methods=["GET", "POST"])
@requires("proposal.qualify")
def qualify(code: str) -> Any:
    """The DSI's estimates for the current revision."""
    doc = _doc(code)
    errors: FormErrors = FormErrors()
    if request.method == "POST":
        data = {
            "costs": rows(request.form, "costs"),
            "workloads": rows(request.form, "workloads"),
            "risks": rows(request.form, "risks"),
            "dependencies": rows(request.form, "dependencies"),
            **scalars(request.form, "note"),
        }
        result, errors = run_form(
            s.Qualification(),
            data,
            lambda c, d: state().ledger.qualify_proposal(c, code, d),
        )
        if result is not None:
            flash(_("Qualification enregistrée."), "success")
            return redirect(url_for("ui.proposal", code=code))
    return render_template(
        "qualify.html", p=doc, form=request.form, errors=errors, **_choices()
    ), (422 if errors else 200)


@bp.route("/fiches/<code>/noter", methods=["GET", "POST"])
@requires("proposal.score")
def score(code: str) -> Any:
    """Score the current revision on the adopted grid, a justification per criterion."""
    doc = _doc(code)
    grids = [g for g in q.grids(state().read_model.store) if g["status"] == "adopted"]
    if not grids:
        flash(
            _("Aucune grille adoptée : la notation n'est pas encore possible."), "error"
        )
        return redirect(url_for("ui.proposal", code=code))
    grid = max(grids, key=lambda g: g["number"])
    errors: FormErrors = FormErrors()
    mine = {
        k.split("/")[2]: v
        for k, v in doc["scores"].items()
        if k.startswith(f"{doc['revision']}/{grid['number']}/")
        and k.endswith(f"/{current_user.username}")
    }
    if request.method == "POST":
        scores = {}
        for crit in grid["criteria"]:
            level = request.form.get(f"level_{crit}", "").strip()
            why = request.form.get(f"justification_{crit}", "").strip()
            if level or why:
                scores[crit] = {
                    # ASCII digits, short: "²" is a digit to isdigit(), not to int()
                    "level": int(level) if INTEGER.fullmatch(level) else level,
                    "justification": why,
                }
        data = {
            "revision": doc["revision"],
            "grid_version": grid["number"],
            "scores": scores,
        }
        result, errors = run_form(
            s.Scores(),
            data,
            lambda c, d: state().ledger.score_proposal(
                c, code, d["revision"], d["grid_version"], d["scores"]
            ),
        )
        if result is not None:
            flash(
                _("%(count)s note(s) enregistrée(s).", count=result["changed"]),
                "success",
            )
            return redirect(url_for("ui.proposal", code=code))
    remaining = [c for c in sorted(grid["criteria"]) if c not in mine]
    return render_template(
        "score.html",
        p=doc,
        grid=grid,
        mine=mine,
        remaining=remaining,
        form=request.form,
        errors=errors,
    ), (422 if errors else 200)
