"""SDSI plan (PDF): axes, indicators, adopted portfolio, roadmap, budget, execution."""

from __future__ import annotations

from collections import Counter
from datetime import date
from decimal import Decimal
from typing import Any

from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors

from domain.localtime import local_date
from exports import pdf
from exports.base import Exporter, ExportRequest, ExportSource, Snapshot
from exports.entity_rows import entity_table, only, table_grid
from exports.french import (
    PHASE_STATUSES,
    PHASES,
    STATUSES,
    label,
    long_date,
    money,
    number,
    percent,
    plain_number,
    short_date,
)
from exports.rows import Names
from projections import queries as q
from projections import roadmap

W = pdf.CONTENT_WIDTH
ADOPTED = roadmap.ADOPTED
STATUS_COLOURS = {
    "approved": colors.HexColor("#90A4AE"),
    "approved_with_conditions": colors.HexColor("#B0BEC5"),
    "planned": colors.HexColor("#64B5F6"),
    "in_progress": colors.HexColor("#FFA726"),
    "done": colors.HexColor("#66BB6A"),
    "cancelled": colors.HexColor("#E57373"),
}
SERIES = (
    ("total", "Enveloppe votée", colors.HexColor("#B7C9DB")),
    ("allocated", "CP alloués", colors.HexColor("#1F4E79")),
    ("committed", "Engagé", colors.HexColor("#FFA726")),
    ("paid", "Mandaté", colors.HexColor("#66BB6A")),
)
GANTT_ROWS = 34


class PlanExporter(Exporter):
    """The SDSI plan as adopted and executed, as of any moment."""

    name = "plan"
    label = "Schéma directeur (SDSI) : plan et exécution"
    description = (
        "Axes et indicateurs (référence, cible, dernière mesure), portefeuille adopté "
        "par axe et par pôle, feuille de route pluriannuelle, budget par exercice et "
        "section, état d'exécution."
    )
    formats = ("pdf",)

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:
        plan = q.plan(snapshot.store) or {}
        title = plan.get("name") or "Schéma directeur des systèmes d'information"
        story = _Plan(snapshot, plan).story()
        return pdf.build(
            story,
            title=title,
            municipality=snapshot.municipality,
            footer=f"Registre SDSI — données à la position {snapshot.position}",
            subject="Schéma directeur des systèmes d'information",
        )


class _Plan:
    """Builds the story of the plan document."""

    def __init__(self, snapshot: Snapshot, plan: dict[str, Any]) -> None:
        store = snapshot.store
        self.snapshot = snapshot
        self.plan = plan
        self.st = pdf.styles()
        self.names = Names.read(store)
        self.axes = q.axes(store)
        self.portfolio = q.portfolio(store)
        self.adopted = [p for p in self.portfolio if p["status"] in ADOPTED]
        self.details = {
            p["code"]: q.proposal(store, p["code"]) or {} for p in self.adopted
        }
        self.budget = q.budget_consumption(store)
        self.entities = q.entities(store)
        # today in the municipality (the snapshot's time, stored UTC)
        self.today = local_date(snapshot.at, snapshot.zone) if snapshot.at else None

    def story(self) -> list[Any]:
        out = self.cover()
        out += self.phases()
        out += self.strategy()
        out += self.portfolio_by_axis()
        out += self.portfolio_by_pole()
        out += self.roadmap()
        out += self.budget_charts()
        out += self.execution()
        return out

    # --- cover ------------------------------------------------------------------------

    def cover(self) -> list[Any]:
        st, plan = self.st, self.plan
        first, last = plan.get("first_year"), plan.get("last_year")
        total = self.budget["total"]
        ap = sum((p["ap"] or Decimal(0) for p in self.adopted), Decimal("0.00"))
        done = sum(1 for p in self.adopted if p["status"] == "done")
        situation = (
            f"Situation au {long_date(self.today)} (position "
            f"{self.snapshot.position} du registre)"
            if self.snapshot.at
            else "Registre vide"
        )
        return [
            pdf.para(plan.get("name") or "Schéma directeur", st.title),
            pdf.para(
                f"{self.snapshot.municipality} — horizon {first}–{last}"
                if first
                else f"{self.snapshot.municipality} — plan non encore défini",
                st.subtitle,
            ),
            pdf.para(situation, st.note),
            pdf.space(6),
            pdf.key_values(
                [
                    ("Projets adoptés", f"{len(self.adopted)} dont {done} réalisés"),
                    ("Autorisations de programme", money(ap)),
                    ("Crédits de paiement alloués", money(total["allocated"])),
                    ("Engagé", money(total["committed"])),
                    ("Mandaté", money(total["paid"])),
                    (
                        "Axes stratégiques",
                        f"{len(self.axes)} axes, "
                        f"{sum(len(a['indicators']) for a in self.axes)} indicateurs",
                    ),
                ],
                [6 * pdf.cm, W - 6.4 * pdf.cm],
            ),
        ]

    def phases(self) -> list[Any]:
        phases = self.plan.get("phases") or {}
        rows = []
        for code in PHASES:
            ph = phases.get(code)
            if not ph:
                continue
            planned = (
                f"{short_date(ph.get('planned_start'))} – "
                f"{short_date(ph.get('planned_end'))}"
            )
            done = short_date(ph.get("done_on")) or (
                f"commencée le {short_date(ph['started_on'])}"
                if ph.get("started_on")
                else ""
            )
            rows.append(
                [PHASES[code], planned, done, label(PHASE_STATUSES, ph.get("status"))]
            )
        if not rows:
            return []
        return [
            pdf.para("Élaboration du schéma directeur", self.st.h1),
            pdf.grid(
                ["Phase", "Prévue", "Réalisée", "Statut"],
                rows,
                [6.5 * pdf.cm, 4.5 * pdf.cm, 3.5 * pdf.cm, W - 14.5 * pdf.cm],
            ),
        ]

    # --- axes and indicators ----------------------------------------------------------

    def strategy(self) -> list[Any]:
        st = self.st
        out: list[Any] = [pdf.para("Axes stratégiques et indicateurs", st.h1)]
        for axis in self.axes:
            out.append(pdf.para(f"{axis['code']} — {axis['label']}", st.h2))
            rows = []
            for ind in axis["indicators"]:
                last = (ind.get("last") or {}).get("realised") or {}
                rows.append(
                    [
                        ind["label"],
                        ind["unit"],
                        plain_number(ind["baseline"]),
                        f"{plain_number(ind['target'])} ({ind['target_year']})",
                        (
                            f"{plain_number(last['value'])} au {short_date(last['on'])}"
                            if last
                            else "aucune"
                        ),
                        _reach(ind["baseline"], ind["target"], last.get("value")),
                    ]
                )
            if rows:
                out.append(
                    pdf.grid(
                        [
                            "Indicateur",
                            "Unité",
                            "Référence",
                            "Cible",
                            "Dernière mesure",
                            "Atteinte",
                        ],
                        rows,
                        [
                            W - 13.6 * pdf.cm,
                            2.4 * pdf.cm,
                            2 * pdf.cm,
                            2.6 * pdf.cm,
                            4.2 * pdf.cm,
                            2.4 * pdf.cm,
                        ],
                        right=(2, 3, 4, 5),
                    )
                )
            else:
                out.append(pdf.para("Aucun indicateur.", st.note))
        return out

    # --- portfolio --------------------------------------------------------------------

    def _project_row(self, p: dict[str, Any]) -> list[str]:
        return [
            p["code"],
            p["title"],
            p["direction"],
            label(STATUSES, p["status"]),
            percent(p["progress"]) if p["progress"] is not None else "",
            money(p["ap"]),
        ]

    def portfolio_by_axis(self) -> list[Any]:
        st = self.st
        out: list[Any] = [pdf.para("Portefeuille adopté par axe", st.h1)]
        by_axis: dict[str, list[dict[str, Any]]] = {}
        for p in self.adopted:
            by_axis.setdefault(p["axis"] or "", []).append(p)
        widths = [
            2.3 * pdf.cm,
            W - 12.8 * pdf.cm,
            2 * pdf.cm,
            3 * pdf.cm,
            2.5 * pdf.cm,
            3 * pdf.cm,
        ]
        for code in sorted(by_axis):
            projects = sorted(by_axis[code], key=lambda p: p["code"])
            title = f"{code} — {self.names.axes.get(code, '')}" if code else "Sans axe"
            ap = sum((p["ap"] or Decimal(0) for p in projects), Decimal("0.00"))
            out.append(
                pdf.para(
                    f"{title} : {len(projects)} projet(s), {money(ap)} d'AP", st.h2
                )
            )
            out.append(
                pdf.grid(
                    ["Projet", "Intitulé", "Direction", "Statut", "Avancement", "AP"],
                    [self._project_row(p) for p in projects],
                    widths,
                    right=(4, 5),
                )
            )
        return out

    def portfolio_by_pole(self) -> list[Any]:
        st = self.st
        rows = []
        by_pole: dict[str, list[dict[str, Any]]] = {}
        for p in self.adopted:
            by_pole.setdefault(p["pole"], []).append(p)
        for pole in sorted(by_pole):
            projects = by_pole[pole]
            counts = Counter(p["status"] for p in projects)
            rows.append(
                [
                    pole,
                    self.names.poles.get(pole, ""),
                    str(len(projects)),
                    str(counts.get("done", 0)),
                    str(counts.get("in_progress", 0)),
                    money(
                        sum((p["ap"] or Decimal(0) for p in projects), Decimal("0.00"))
                    ),
                ]
            )
        out: list[Any] = [
            pdf.para("Portefeuille adopté par pôle", st.h1),
            pdf.grid(
                ["Pôle", "Libellé", "Projets", "Réalisés", "En cours", "AP"],
                rows,
                [
                    1.6 * pdf.cm,
                    W - 12.1 * pdf.cm,
                    1.8 * pdf.cm,
                    1.9 * pdf.cm,
                    1.9 * pdf.cm,
                    3.3 * pdf.cm,
                ],
                right=(2, 3, 4, 5),
            ),
        ]
        for pole in sorted(by_pole):
            projects = sorted(by_pole[pole], key=lambda p: (p["direction"], p["code"]))
            out.append(pdf.para(f"{pole} — {self.names.poles.get(pole, '')}", st.h2))
            out.append(
                pdf.grid(
                    ["Projet", "Intitulé", "Direction", "Statut", "Avancement", "AP"],
                    [self._project_row(p) for p in projects],
                    [
                        2.3 * pdf.cm,
                        W - 12.8 * pdf.cm,
                        2 * pdf.cm,
                        3 * pdf.cm,
                        2.5 * pdf.cm,
                        3 * pdf.cm,
                    ],
                    right=(4, 5),
                )
            )
        return out

    # --- roadmap (Gantt) --------------------------------------------------------------

    def spans(self) -> list[tuple[dict[str, Any], date, date, list[date]]]:
        return [
            (b.proposal, b.start, b.end, [m for m, _label in b.milestones])
            for b in roadmap.spans(self.adopted, self.details)
        ]

    def roadmap(self) -> list[Any]:
        st = self.st
        spans = self.spans()
        out: list[Any] = [
            pdf.para("Feuille de route pluriannuelle", st.h1),
            pdf.para(
                "Projets adoptés, de leur début à leur fin prévus (à défaut, des "
                "exercices de leurs crédits) ; losanges : jalons prévus ; trait "
                "rouge : date de la situation.",
                st.note,
            ),
        ]
        if not spans:
            return [*out, pdf.para("Aucun projet adopté.", st.note)]
        first, last = roadmap.years(
            roadmap.spans(self.adopted, self.details), self.plan
        )
        for i in range(0, len(spans), GANTT_ROWS):
            out.append(self.gantt(spans[i : i + GANTT_ROWS], first, last))
            out.append(pdf.space(6))
        out.append(self.gantt_legend())
        return out

    def gantt(
        self,
        spans: list[tuple[dict[str, Any], date, date, list[date]]],
        first: int,
        last: int,
    ) -> Drawing:
        f = pdf.fonts()
        row_h, head_h, label_w = 12.0, 16.0, 2.6 * pdf.cm
        height = head_h + row_h * len(spans) + 4
        drawing = Drawing(W, height)
        x0, x1 = label_w, W
        start, end = date(first, 1, 1), date(last, 12, 31)
        days = (end - start).days or 1

        def x(d: date) -> float:
            return float(x0 + (x1 - x0) * (d - start).days / days)

        top = height - head_h
        for year in range(first, last + 1):
            left = x(date(year, 1, 1))
            right = x(date(year, 12, 31))
            drawing.add(
                String(
                    (left + right) / 2,
                    top + 4,
                    str(year),
                    fontName=f.bold,
                    fontSize=7.5,
                    textAnchor="middle",
                )
            )
            drawing.add(
                Line(left, 0, left, top + 2, strokeColor=pdf.RULE, strokeWidth=0.5)
            )
        drawing.add(Line(x1, 0, x1, top + 2, strokeColor=pdf.RULE, strokeWidth=0.5))
        for n, (p, s, e, milestones) in enumerate(spans):
            y = top - (n + 1) * row_h
            if n % 2:
                drawing.add(Rect(0, y, W, row_h, fillColor=pdf.LIGHT, strokeColor=None))
            drawing.add(String(2, y + 3, p["code"], fontName=f.regular, fontSize=7))
            colour = STATUS_COLOURS.get(p["status"], colors.grey)
            drawing.add(
                Rect(
                    x(s),
                    y + 2.5,
                    max(1.5, x(e) - x(s)),
                    row_h - 5,
                    fillColor=colour,
                    strokeColor=None,
                )
            )
            for m in milestones:
                cx, cy = x(m), y + row_h / 2
                drawing.add(
                    Polygon(
                        [cx, cy + 3.5, cx + 3, cy, cx, cy - 3.5, cx - 3, cy],
                        fillColor=pdf.BLUE,
                        strokeColor=None,
                    )
                )
        if self.today and start <= self.today <= end:
            drawing.add(
                Line(
                    x(self.today),
                    0,
                    x(self.today),
                    top + 2,
                    strokeColor=pdf.RED,
                    strokeWidth=0.8,
                    strokeDashArray=[2, 2],
                )
            )
        return drawing

    def gantt_legend(self) -> Drawing:
        f = pdf.fonts()
        drawing = Drawing(W, 14)
        xpos = 0.0
        for status in ("approved", "planned", "in_progress", "done"):
            drawing.add(
                Rect(xpos, 3, 10, 7, fillColor=STATUS_COLOURS[status], strokeColor=None)
            )
            text = label(STATUSES, status)
            drawing.add(String(xpos + 13, 3.5, text, fontName=f.regular, fontSize=7))
            xpos += 20 + len(text) * 4.2
        return drawing

    # --- budget -----------------------------------------------------------------------

    def budget_charts(self) -> list[Any]:
        st = self.st
        out: list[Any] = [pdf.para("Budget par exercice et section", st.h1)]
        envelopes = {(e["year"], e["section"]): e for e in self.budget["envelopes"]}
        spent = self.budget["totals"]["year_section"]
        years = sorted(
            {y for y, _s in envelopes} | {int(k.split("/")[0]) for k in spent}
        )
        if not years:
            return [*out, pdf.para("Aucune enveloppe votée.", st.note)]
        rows = []
        for section in ("investissement", "fonctionnement"):
            values: dict[str, list[Decimal]] = {k: [] for k, _l, _c in SERIES}
            for y in years:
                env = envelopes.get((y, section))
                sums = spent.get(f"{y}/{section}", {})
                values["total"].append(env["total"] if env else Decimal(0))
                values["allocated"].append(sums.get("allocated", Decimal(0)))
                values["committed"].append(sums.get("committed", Decimal(0)))
                values["paid"].append(sums.get("paid", Decimal(0)))
                rows.append(
                    [
                        str(y),
                        section,
                        money(values["total"][-1]),
                        money(values["allocated"][-1]),
                        money(values["committed"][-1]),
                        money(values["paid"][-1]),
                    ]
                )
            out.append(
                pdf.together(
                    pdf.para(f"Section de {section} (en milliers d'euros)", st.h2),
                    self.bar_chart(years, values),
                )
            )
        out.append(pdf.space(4))
        rows.sort(key=lambda r: (r[0], r[1]))
        out.append(
            pdf.grid(
                [
                    "Exercice",
                    "Section",
                    "Enveloppe votée",
                    "CP alloués",
                    "Engagé",
                    "Mandaté",
                ],
                rows,
                [
                    1.8 * pdf.cm,
                    3 * pdf.cm,
                    (W - 4.8 * pdf.cm) / 4,
                    (W - 4.8 * pdf.cm) / 4,
                    (W - 4.8 * pdf.cm) / 4,
                    (W - 4.8 * pdf.cm) / 4,
                ],
                right=(2, 3, 4, 5),
            )
        )
        return out + self.budget_by_entity()

    def budget_by_entity(self) -> list[Any]:
        """The consolidated budget by entity (each one's envelopes and its share of
        the shared projects), when the plan covers several; the last row, the
        consolidated one, is their sum."""
        if len(self.entities) < 2:
            return []
        table = entity_table(self.snapshot.store, self.entities, self.budget)
        rest = (W - 6.4 * pdf.cm) / 5
        return [
            pdf.space(4),
            pdf.para("Budget par entité", self.st.h2),
            table_grid(
                only(table, [c.key for c in table.columns if c.key != "siren"]),
                [2.6 * pdf.cm, 3.8 * pdf.cm, *[rest] * 5],
            ),
        ]

    def bar_chart(self, years: list[int], values: dict[str, list[Decimal]]) -> Drawing:
        f = pdf.fonts()
        drawing = Drawing(W, 6.2 * pdf.cm)
        chart = VerticalBarChart()
        chart.x, chart.y = 1.6 * pdf.cm, 1.1 * pdf.cm
        chart.width, chart.height = W - 2 * pdf.cm, 4.6 * pdf.cm
        chart.data = [[float(v / 1000) for v in values[key]] for key, _l, _c in SERIES]
        chart.categoryAxis.categoryNames = [str(y) for y in years]
        chart.categoryAxis.labels.fontName = f.regular
        chart.categoryAxis.labels.fontSize = 7
        chart.valueAxis.valueMin = 0
        chart.valueAxis.labels.fontName = f.regular
        chart.valueAxis.labels.fontSize = 7
        chart.valueAxis.labelTextFormat = lambda v: pdf.clean(number(Decimal(v), 0))
        chart.groupSpacing = 6
        chart.barSpacing = 0.5
        for i, (_k, _l, colour) in enumerate(SERIES):
            chart.bars[i].fillColor = colour
            chart.bars[i].strokeColor = None
        drawing.add(chart)
        legend = Legend()
        legend.x, legend.y = 1.6 * pdf.cm, 0.35 * pdf.cm
        legend.alignment = "right"
        legend.columnMaximum = 1
        legend.fontName = f.regular
        legend.fontSize = 7
        legend.dx = legend.dy = 7
        legend.deltax = 90
        legend.colorNamePairs = [(c, name) for _k, name, c in SERIES]
        drawing.add(legend)
        return drawing

    # --- execution --------------------------------------------------------------------

    def execution(self) -> list[Any]:
        st = self.st
        counts = Counter(p["status"] for p in self.portfolio)
        rows = [
            [label(STATUSES, s), str(n)]
            for s, n in sorted(
                counts.items(),
                key=lambda kv: list(STATUSES).index(kv[0]) if kv[0] in STATUSES else 99,
            )
        ]
        out: list[Any] = [
            pdf.para("État d'exécution", st.h1),
            pdf.grid(
                ["Statut", "Projets"], rows, [6 * pdf.cm, 2.5 * pdf.cm], right=(1,)
            ),
            pdf.para("Projets en cours", st.h2),
        ]
        running = [p for p in self.adopted if p["status"] in ("planned", "in_progress")]
        rows = []
        for p in sorted(running, key=lambda p: p["code"]):
            d = self.details.get(p["code"], {})
            pending = sorted(
                (
                    m
                    for m in (d.get("milestones") or {}).values()
                    if not m.get("actual")
                ),
                key=lambda m: m.get("planned") or "",
            )
            nxt = pending[0] if pending else None
            late = bool(
                nxt
                and self.today
                and nxt.get("planned")
                and date.fromisoformat(nxt["planned"]) < self.today
            )
            rows.append(
                [
                    p["code"],
                    p["title"],
                    label(STATUSES, p["status"]),
                    percent(p["progress"]) if p["progress"] is not None else "",
                    (f"{nxt['label']} ({short_date(nxt['planned'])})" if nxt else "—"),
                    "en retard" if late else "",
                    short_date(d.get("planned_end")),
                ]
            )
        if rows:
            out.append(
                pdf.grid(
                    [
                        "Projet",
                        "Intitulé",
                        "Statut",
                        "Avancement",
                        "Prochain jalon",
                        "Alerte",
                        "Fin prévue",
                    ],
                    rows,
                    [
                        2.2 * pdf.cm,
                        W - 14.4 * pdf.cm,
                        1.9 * pdf.cm,
                        2.2 * pdf.cm,
                        4.4 * pdf.cm,
                        1.7 * pdf.cm,
                        2 * pdf.cm,
                    ],
                    right=(3,),
                )
            )
        else:
            out.append(pdf.para("Aucun projet en cours.", st.note))
        return out


def _reach(baseline: Any, target: Any, last: Any) -> str:
    """How far the last measurement went from the baseline to the target."""
    if last is None:
        return ""
    b, t, v = Decimal(str(baseline)), Decimal(str(target)), Decimal(str(last))
    if t == b:
        return ""
    return percent((v - b) * 100 / (t - b))
