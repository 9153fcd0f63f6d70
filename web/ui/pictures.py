"""The pictures of the plan page and of an indicator's page (web/plan_charts.py)."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from projections import roadmap
from web import plan_charts
from web.formatting import local_today
from web.ui.blueprint import bp
from web.ui.context import as_of


def situation_day() -> date:
    """The day a page describes: its "as of" date, else today in the municipality's
    time zone (at 00:30 in Paris, UTC still reads yesterday)."""
    moment = as_of() or ""
    if moment[:4].isdigit():
        try:
            return date.fromisoformat(moment[:10])
        except ValueError:
            pass
    return local_today()


def plan_roadmap(store: Any, plan: dict[str, Any] | None) -> dict[str, Any]:
    """The roadmap of the plan page: its SVG and its bars (for the table under it)."""
    bars = roadmap.roadmap(store)
    if not bars:
        return {"chart": Markup(""), "bars": []}
    first, last = roadmap.years(bars, plan)
    chart = plan_charts.gantt(
        bars,
        first,
        last,
        situation_day(),
        title=_(
            "Feuille de route des projets adoptés, %(first)s–%(last)s",
            first=first,
            last=last,
        ),
    )
    return {"chart": chart, "bars": bars}


@bp.app_template_filter("indicator_chart")
def indicator_chart(doc: dict[str, Any]) -> Markup:
    """An indicator's planned and realised values over time, against its targets."""
    return plan_charts.indicator(
        doc,
        title=_(
            "%(code)s : valeurs réalisées et prévues, cibles (%(unit)s)",
            code=doc.get("code", ""),
            unit=doc.get("unit", ""),
        ),
    )
