"""Portfolio (DSI): filterable table, value ranking, value/risk chart, capacity, budget."""

from __future__ import annotations

from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _

from domain.proposals import Status
from projections import plan_scope as ps
from projections import queries as q
from web.auth import requires
from web.cache import cached_read
from web.charts import scatter
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import asked_position, store

FILTERS = ("status", "pole", "direction", "axis", "year", "grid_version")
PAGE_SIZE = 100  # rows per page of the table (the chart shows every scored proposal)


def _filters() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FILTERS:
        value = request.args.get(name, "").strip()
        if value:
            out[name] = int(value) if name in ("year", "grid_version") and value.isdigit() else value
    return {k: v for k, v in out.items() if not (k in ("year", "grid_version") and not isinstance(v, int))}


@bp.route("/portefeuille")
@requires("portfolio.view")
@cached_read()
def portfolio() -> str:
    """The whole portfolio, filterable, ranked by value."""
    st = store()
    filters = _filters()
    shown, rows = ps.portfolio(st, state().read_model.store, asked_position(), **filters)
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(max(1, request.args.get("page", 1, type=int) or 1), pages)
    page_rows = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    org = q.organisation(st)
    chart = scatter(
        [{"x": r["value"], "y": r["risk"], "label": f"{r['code']} {r['title']}", "status": r["status"],
          "href": url_for("ui.proposal", code=r["code"])} for r in rows],
        title=_("Valeur et risque des fiches notées"), x_label=_("Valeur (0–100)"), y_label=_("Risque (0–100)"),
    )
    capacity = [c for c in q.capacity(st) if c["overload"]]
    return render_template(
        "portfolio.html", rows=page_rows, total=len(rows), plan_shown=shown.plan, plans=ps.plans(state().read_model.store), page=page, pages=pages, filters=filters, org=org, axes=q.axes(st), grids=q.grids(st),
        chart=chart, overloads=capacity, envelopes=q.envelopes(st),
        statuses=list(Status.names()),
    )


@bp.route("/capacite")
@requires("portfolio.view")
@cached_read()
def capacity() -> str:
    """Capacity per team and year against the workload of approved and planned projects."""
    st = store()
    return render_template("capacity.html", rows=q.capacity(st))
