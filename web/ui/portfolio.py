"""Portfolio (DSI): filterable table, value ranking, value/risk chart, capacity, budget."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

from flask import Response, abort, render_template, request, send_file, url_for
from flask_babel import gettext as _

from domain.proposals import Status
from exports import portfolio as portfolio_export_file
from exports.rows import Names
from projections import plan_scope as ps
from projections import queries as q
from projections.views.diagnosis import queries as dq
from projections.views.diagnosis.queries import day_of
from web import paging
from web.auth import requires
from web.cache import cached_read
from web.charts import scatter
from web.state import state
from web.ui.blueprint import bp
from web.ui.context import as_of, asked_position, store
from web.ui.diagnosis import level_scales

FILTERS = ("status", "pole", "direction", "axis", "year", "grid_version")


def _filters() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in FILTERS:
        value = request.args.get(name, "").strip()
        if value:
            out[name] = (
                int(value)
                # ASCII digits that fit a column ("²" is a digit to isdigit(), and
                # SQLite refuses integers past 64 bits): anything else is ignored
                if name in ("year", "grid_version")
                and value.isascii()
                and value.isdigit()
                and len(value) <= 9
                else value
            )
    search = paging.search_of(request.args)
    if search:
        out["search"] = search
    return {
        k: v
        for k, v in out.items()
        if not (k in ("year", "grid_version") and not isinstance(v, int))
    }


@bp.route("/portefeuille")
@requires("portfolio.view")
@cached_read()
def portfolio() -> str:
    """The portfolio, filterable, one page of it ranked by value (or sorted by a
    column); the chart shows every scored proposal from the typed columns; a panel
    lists the obsolescence risks no live proposal covers."""
    st = store()
    filters = _filters()
    asked = paging.from_args(request.args, q.PORTFOLIO_SORTS)
    shown, page_rows, total, page = ps.portfolio_page(
        st, state().read_model.store, asked_position(), asked, **filters
    )
    org, axes, grids = q.page_reference(st)
    href = url_for("ui.proposal", code="-").removesuffix("-")
    chart = scatter(
        [
            {
                "x": q.score(value),
                "y": q.score(risk),
                "label": f"{code} {title}",
                "code": code,
                "title": title,
                "status": status,
                "href": href + quote(code),
            }
            for code, title, status, value, risk in ps.value_risk_points(
                st, shown, **filters
            )
        ],
        title=_("Valeur et risque des fiches notées"),
        x_label=_("Valeur (0–100)"),
        y_label=_("Risque (0–100)"),
    )
    capacity = q.capacity(st, overloaded=True)
    return render_template(
        "portfolio.html",
        rows=page_rows,
        total=total,
        plan_shown=shown.plan,
        plans=list(shown.plans),
        page=page.number,
        pages=page.last(total),
        per_page=page.size,
        sort=page.sort,
        sorts=q.PORTFOLIO_SORTS,
        filters=filters,
        org=org,
        axes=axes,
        grids=grids,
        chart=chart,
        overloads=capacity,
        envelopes=q.envelopes(st),
        statuses=list(Status.names()),
        uncovered=dq.uncovered_risks(st, day_of(as_of())),
        scales=level_scales(),
    )


EXPORT_TYPES = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@bp.route("/portefeuille.<fmt>")
@requires("portfolio.view")
def portfolio_export(fmt: str) -> Response:
    """The portfolio as listed (same filters, search and sort), every page, as a
    French CSV or a workbook."""
    if fmt not in EXPORT_TYPES:
        abort(404)
    st = store()
    sort = paging.from_args(request.args, q.PORTFOLIO_SORTS).sort
    _shown, rows = ps.portfolio_sorted(
        st, state().read_model.store, asked_position(), sort, **_filters()
    )
    response = send_file(
        io.BytesIO(portfolio_export_file.render(rows, Names.read(st), fmt)),
        mimetype=EXPORT_TYPES[fmt],  # Flask adds the charset of text types
        as_attachment=True,
        download_name=f"portefeuille.{fmt}",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/capacite")
@requires("portfolio.view")
@cached_read()
def capacity() -> str:
    """Capacity per team and year against the workload of approved and planned projects."""
    st = store()
    return render_template("capacity.html", rows=q.capacity(st))
