"""The plan's cycle in the Référentiel: extend the plan in force (a new last year),
adopt the plan that follows it. Each form is one ledger command; the plan page lists
every plan with links to its portfolio and budget as they were."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_babel import gettext as _

from domain.errors import HorizonBelowCosted, NoPlan
from web.api import schemas as s
from web.ui.formhelp import on_fields
from web.ui.forms import scalars
from web.ui.referential.flows import act, led, post
from web.ui.referential.plan import plan_page


@post("/referentiel/plan/prolonger", "plan.extend")
def extend_plan() -> Any:
    """Give the plan in force a new last year (reason required)."""
    return act(
        plan_page,
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


@post("/referentiel/plan/suivant", "plan.follow")
def follow_plan() -> Any:
    """Adopt the plan that follows the one in force (reason required)."""
    return act(
        plan_page,
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
