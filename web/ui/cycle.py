"""The plan's cycle in the Référentiel: extend the plan in force (a new last year),
adopt the plan that follows it. Each form is one ledger command; the plan page lists
every plan with links to its portfolio and budget as they were."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from domain.errors import HorizonBelowCosted, NoPlan
from web.api import schemas as s
from web.auth import requires
from web.ui.blueprint import bp
from web.ui.formhelp import on_fields
from web.ui.forms import scalars
from web.ui.referential import _act, _plan_page, led


@bp.route("/referentiel/plan/prolonger", methods=["POST"])
@requires("plan.extend")
def extend_plan() -> Any:
    """Give the plan in force a new last year (reason required)."""
    return _act(
        _plan_page,
        "extend",
        s.PlanExtend(),
        scalars(request.form, "last_year", "reason", integers=("last_year",)),
        on_fields(
            lambda c, d: led().extend_plan(c, d["last_year"]),
            {NoPlan: "last_year", HorizonBelowCosted: "last_year"},
        ),
        _("Horizon du plan modifié."),
        url_for("ui.ref_plan"),
    )


@bp.route("/referentiel/plan/suivant", methods=["POST"])
@requires("plan.follow")
def follow_plan() -> Any:
    """Adopt the plan that follows the one in force (reason required)."""
    return _act(
        _plan_page,
        "follow",
        s.NextPlanIn(),
        scalars(
            request.form,
            "name",
            "first_year",
            "last_year",
            "reason",
            integers=("first_year", "last_year"),
        ),
        on_fields(
            lambda c, d: led().follow_plan(
                c, d["name"], d["first_year"], d["last_year"]
            ),
            {NoPlan: "name"},
        ),
        _("Plan suivant adopté : les projets en cours y sont reportés."),
        url_for("ui.ref_plan"),
    )
