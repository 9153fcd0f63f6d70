"""Budget pages (finance): envelopes, BP/DM movements, AP/CP per project, consumption
by year, section, pôle and axis with charts; the forms of finance (BP, DM,
commitments, payments) and the AP revision (finance, chair).

The pages read ``projections.queries`` and render the report the read side computes
from it (``projections.budget_report``: groupings, subtotals, totals); each form sends
one ledger command and, refused, is shown again with the French message next to the
field concerned.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import ValidationError, fields

from domain.errors import (
    AlreadyExists,
    BudgetAlreadyVoted,
    BudgetNotVoted,
    DecisionAmountsInvalid,
    NotFound,
    OverrideNotAllowed,
)
from projections import plan_scope as ps
from projections import queries as q
from projections.budget_report import (
    SECTIONS,
    by_key,
    by_year_section,
    envelope_totals,
    grouped_lines,
    reconciled,
    year_series,
)
from web import paging
from web.api import schemas as s
from web.auth import requires
from web.cache import cached_read
from web.charts import bars
from web.i18n import N_
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import FormErrors, asked_position, store
from web.ui.formhelp import on_fields, run
from web.ui.forms import rows, scalars

SERIES = [
    (N_("Enveloppe"), "#123f73"),
    (N_("Alloué"), "#5b8fd1"),
    (N_("Engagé"), "#8a4b00"),
    (N_("Mandaté"), "#15603a"),
]


class CommitmentForm(s.Commitment):
    """A commitment, and the project it is charged to."""

    proposal = fields.String(required=True, validate=s.CODE)


class PaymentForm(s.Payment):
    """A payment, and the project of its commitment."""

    proposal = fields.String(required=True, validate=s.CODE)


# --- reading ---------------------------------------------------------------------


def year_chart(data: dict[str, Any], section: str) -> Any:
    """Per year of one section: envelope, allocated, committed, paid."""
    groups = [
        (str(y), [(name, v) for (name, _c), v in zip(SERIES, values, strict=True)])
        for y, values in year_series(data, section)
    ]
    label = {
        "investissement": _("Investissement"),
        "fonctionnement": _("Fonctionnement"),
    }[section]
    return bars(
        groups,
        title=_(
            "%(section)s : enveloppe, alloué, engagé et mandaté par exercice",
            section=label,
        ),
        series=[(_(n), c) for n, c in SERIES],
        ident=f"chart-{section[:3]}",
        x_label=_("Exercice"),
        y_label=_("Montant (milliers d'euros, k€)"),
    )


def _filters() -> tuple[dict[str, Any], FormErrors]:
    """The page's filters (``as_of`` is read by ``store()``), or what is wrong."""
    raw = scalars(
        request.args, "year", "section", "pole", "axis", "direction", "entity"
    )
    errors = FormErrors()
    try:
        loaded = s.BudgetQuery().load(raw)
    except ValidationError as exc:
        for field in exc.messages:
            errors[str(field)] = _("Valeur non autorisée : filtre ignoré.")
        return {}, errors
    return {k: v for k, v in loaded.items() if v is not None and k != "as_of"}, errors


@bp.route("/budget")
@requires("budget.view")
@cached_read()
def budget() -> Any:
    """Envelopes, movements, AP/CP per project and consumption with subtotals, totals
    and charts; live or as of a past moment."""
    st = store()
    chosen, filter_errors = _filters()
    if chosen.get("entity") and chosen["entity"] not in {
        e["code"] for e in q.entities(st)
    }:  # a typo, or an entity not yet declared then: not an empty budget of its own
        del chosen["entity"]
        filter_errors["entity"] = _("Entité inconnue à cette date : filtre ignoré.")
    lines_asked = paging.from_args(request.args, q.BUDGET_LINE_SORTS, prefix="detail_")
    shown, data, line_count, lines_page = ps.budget_page(
        st, state().read_model.store, asked_position(), lines_asked, **chosen
    )
    projects_asked = paging.from_args(request.args, q.BUDGET_PROJECT_SORTS)
    search = paging.search_of(request.args)
    projects, project_count, projects_page = q.budget_projects(
        st, projects_asked, search=search or None, **chosen
    )
    org, axes, _grids = q.page_reference(st)
    moves = [
        m
        for m in q.budget_moves(st)
        if chosen.get("year") in (None, m["year"])
        and chosen.get("section") in (None, m["section"])
        and chosen.get("entity") in (None, m["entity"])
    ]
    envelope_total = envelope_totals(data)
    sections = [chosen["section"]] if chosen.get("section") else list(SECTIONS)
    return render_template(
        "budget.html",
        data=data,
        plan_shown=shown.plan,
        plans=list(shown.plans),
        filters=chosen,
        filter_errors=filter_errors,
        org=org,
        axes=axes,
        entities=q.entities(st),
        moves=moves,
        envelope_total=envelope_total,
        by_year=by_year_section(data),
        by_pole=by_key(
            data["totals"]["pole"], {p["code"]: p["name"] for p in org["poles"]}
        ),
        by_axis=by_key(
            data["totals"]["axis"],
            {a["code"]: a["label"] for a in axes} | {"-": _("Sans axe")},
        ),
        # the detail (thousands of lines at large scale) is shown on request, a
        # page at a time
        lines=grouped_lines(data)
        if request.args.get("detail") == "1" or line_count <= lines_page.size
        else None,
        line_count=line_count,
        lines_page=lines_page.number,
        lines_pages=lines_page.last(line_count),
        projects=projects,
        project_count=project_count,
        page=projects_page.number,
        pages=projects_page.last(project_count),
        per_page=projects_page.size,
        sort=projects_page.sort,
        search=search,
        reconciled=reconciled(data, every_line=False),
        charts=[year_chart(data, sct) for sct in sections],
    ), (422 if filter_errors else 200)


@bp.route("/budget/projets/<code>")
@requires("budget.view")
@cached_read()
def project_budget(code: str) -> str:
    """A project's AP and its revisions, CP lines, commitments and payments."""
    doc = q.project_budget(store(), code)
    if doc is None:
        abort(404)
    head = (
        doc["lines"][0]
        if doc["lines"]
        else {"proposal": code, "title": "", "status": None}
    )
    return render_template("budget_project.html", code=code, b=doc, head=head)


# --- forms -----------------------------------------------------------------------


def _years() -> list[int]:
    """The years money is executed in: the plan in force's and its predecessors'."""
    plan = q.plan(state().read_model.store) or {"first_year": 2020, "last_year": 2030}
    first = min(
        [plan["first_year"], *(p["first_year"] for p in plan.get("previous", []))]
    )
    return list(range(first, plan["last_year"] + 1))


def _project_choices() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for line in q.budget_lines(state().read_model.store):
        seen.setdefault(line["proposal"], f"{line['proposal']} — {line['title']}")
    return sorted(seen.items())


def _form(kind: str, errors: FormErrors, status: int = 200, **extra: Any) -> Any:
    return render_template(
        "budget_form.html",
        kind=kind,
        form=request.form,
        errors=errors,
        year_options=[(y, y) for y in _years()],
        **extra,
    ), status


@bp.route("/budget/bp", methods=["GET", "POST"])
@requires("budget.edit")
def vote_budget() -> Any:
    """Vote the primitive budget (BP) envelope of a year and section."""
    errors, status = FormErrors(), 200
    if request.method == "POST":
        data = scalars(
            request.form,
            "year",
            "section",
            "amount",
            "deliberation",
            "on",
            integers=("year",),
        )
        led = state().ledger
        send = on_fields(
            lambda c, d: led.vote_budget(
                c, d["year"], d["section"], d["amount"], d["deliberation"], d["on"]
            ),
            {BudgetAlreadyVoted: "year"},
        )
        result, errors, status = run(s.VoteBudget(), data, send)
        if result is not None:
            flash(
                _(
                    "Budget primitif %(year)s (%(section)s) enregistré.",
                    year=data["year"],
                    section=data["section"],
                ),
                "success",
            )
            return redirect(url_for("ui.budget", _anchor="enveloppes"))
    return _form("bp", errors, status)


@bp.route("/budget/dm", methods=["GET", "POST"])
@requires("budget.edit")
def adjust_budget() -> Any:
    """Record a DM (décision modificative) on an envelope, with its deliberation."""
    errors, status = FormErrors(), 200
    if request.method == "POST":
        data = scalars(
            request.form,
            "year",
            "section",
            "delta",
            "deliberation",
            "on",
            integers=("year",),
        )
        led = state().ledger
        send = on_fields(
            lambda c, d: led.adjust_budget(
                c, d["year"], d["section"], d["delta"], d["deliberation"], d["on"]
            ),
            {BudgetNotVoted: "year", NotFound: "year"},
        )
        result, errors, status = run(s.AdjustBudget(), data, send)
        if result is not None:
            flash(
                _(
                    "DM enregistrée sur l'enveloppe %(year)s (%(section)s).",
                    year=data["year"],
                    section=data["section"],
                ),
                "success",
            )
            return redirect(url_for("ui.budget", _anchor="mouvements"))
    envelopes = q.envelopes(state().read_model.store)
    return _form("dm", errors, status, envelopes=envelopes)


@bp.route("/budget/engagements", methods=["GET", "POST"])
@requires("budget.edit")
def record_commitment() -> Any:
    """Record a commitment against a year's CP of a project (overrides flagged)."""
    errors, status = FormErrors(), 200
    if request.method == "POST":
        data = scalars(
            request.form,
            "proposal",
            "reference",
            "year",
            "section",
            "amount",
            "on",
            "supplier",
            "override_reason",
            integers=("year",),
        )
        led = state().ledger
        send = on_fields(
            lambda c, d: led.record_commitment(
                c,
                d["proposal"],
                d["reference"],
                d["year"],
                d["section"],
                d["amount"],
                d["on"],
                d["supplier"],
                d["override_reason"],
            ),
            {
                AlreadyExists: "reference",
                NotFound: "proposal",
                OverrideNotAllowed: "override_reason",
            },
        )
        result, errors, status = run(CommitmentForm(), data, send)
        if result is not None:
            flash(_("Engagement %(ref)s enregistré.", ref=data["reference"]), "success")
            return redirect(
                url_for(
                    "ui.project_budget", code=data["proposal"], _anchor="engagements"
                )
            )
    return _form(
        "commitment",
        errors,
        status,
        projects=_project_choices(),
        chosen=request.form.get("proposal") or request.args.get("proposal"),
    )


@bp.route("/budget/mandats", methods=["GET", "POST"])
@requires("budget.edit")
def record_payment() -> Any:
    """Record a payment (mandat) against a commitment (override: reason, flagged)."""
    errors, status = FormErrors(), 200
    chosen = request.form.get("proposal") or request.args.get("proposal")
    if request.method == "POST":
        data = scalars(
            request.form,
            "reference",
            "commitment",
            "amount",
            "on",
            "override_reason",
        )
        if "/" in data.get("commitment", ""):
            data["proposal"], data["commitment"] = data["commitment"].split("/", 1)
        led = state().ledger
        send = on_fields(
            lambda c, d: led.record_payment(
                c,
                d["proposal"],
                d["reference"],
                d["commitment"],
                d["amount"],
                d["on"],
                d["override_reason"],
            ),
            {
                AlreadyExists: "reference",
                NotFound: "commitment",
                OverrideNotAllowed: "override_reason",
            },
        )
        result, errors, status = run(PaymentForm(), data, send)
        if "proposal" in errors:
            errors["commitment"] = errors.pop("proposal")
        if result is not None:
            flash(_("Mandat %(ref)s enregistré.", ref=data["reference"]), "success")
            return redirect(
                url_for("ui.project_budget", code=data["proposal"], _anchor="mandats")
            )
        chosen = chosen or data.get("proposal")
    codes = [chosen] if chosen else [c for c, _label in _project_choices()]
    live = state().read_model.store
    commitments = []
    for code in codes:
        doc = q.project_budget(live, code)
        for c in (doc or {}).get("commitments", []):
            commitments.append(
                {**c, "proposal": code, "remaining": c["amount"] - c["paid"]}
            )
    return _form("payment", errors, status, commitments=commitments, chosen=chosen)


@bp.route("/budget/projets/<code>/ap", methods=["GET", "POST"])
@requires("budget.revise_ap")
def revise_ap(code: str) -> Any:
    """Revise a project's AP and CP schedule: deliberation and reason required."""
    doc = q.project_budget(state().read_model.store, code)
    if doc is None:
        abort(404)
    errors, status = FormErrors(), 200
    if request.method == "POST":
        data = scalars(
            request.form, "ap_amount", "deliberation", "reason", "override_reason"
        )
        data["cp"] = rows(request.form, "cp")
        led = state().ledger
        send = on_fields(
            lambda c, d: led.revise_ap(
                c,
                code,
                d["ap_amount"],
                d["cp"],
                d["deliberation"],
                d["override_reason"],
            ),
            {
                DecisionAmountsInvalid: "ap_amount",
                OverrideNotAllowed: "override_reason",
            },
        )
        result, errors, status = run(s.ReviseAP(), data, send)
        if result is not None:
            flash(_("AP de %(code)s révisée.", code=code), "success")
            return redirect(url_for("ui.project_budget", code=code))
    current = [
        {
            "year": line["year"],
            "section": line["section"],
            "amount": format(line["cp"], "f"),
        }
        for line in doc["lines"]
    ]
    return _form(
        "ap",
        errors,
        status,
        code=code,
        b=doc,
        cp_rows=rows(request.form, "cp") if request.method == "POST" else current,
    )
