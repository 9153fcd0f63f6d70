"""The plan's pictures in SVG: the roadmap (Gantt) the plan PDF draws, and an
indicator's planned and realised values over time against its targets.

Both say what they show (a visible title, axis labels and units, a legend whose marks
are those of the chart) and come with a table of the same figures.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html import escape
from typing import Any

from flask_babel import gettext as _
from markupsafe import Markup

from projections.roadmap import Span
from web.charts import heading, shape

# The bars' colours by status (dark enough on white: WCAG 1.4.11, 3:1 at least).
GANTT_COLOURS = {
    "approved": "#5c6f7e",
    "approved_with_conditions": "#5c6f7e",
    "planned": "#0b4f9c",
    "in_progress": "#8a4b00",
    "done": "#15603a",
}
MILESTONE = "#6a1b9a"
TODAY = "#a11b1b"


def gantt(
    bars: list[Span], first: int, last: int, today: date | None, *, title: str
) -> Markup:
    """One row per project from its start to its end, its milestones as diamonds, a
    dashed red line on ``today``; the years ``first``..``last`` across."""
    from web.formatting import STATUS, day, label

    width, label_w, row_h, top = 960, 96, 18, 48
    legend_h = 26
    height = top + row_h * len(bars) + 8 + legend_h
    start, end = date(first, 1, 1), date(last, 12, 31)
    span_days = (end - start).days or 1
    x0, x1 = label_w, width - 8

    def x(d: date) -> float:
        return x0 + (x1 - x0) * (d - start).days / span_days

    out = [
        f'<svg class="chart gantt" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="gantt-t">',
        f'<title id="gantt-t">{escape(title)}</title>',
        heading(title, width),
        f'<text x="4" y="{top - 8}" font-weight="700">{escape(_("Projet"))}</text>',
    ]
    for year in range(first, last + 1):
        left, right = x(date(year, 1, 1)), x(date(year, 12, 31))
        out += [
            f'<text x="{(left + right) / 2:.1f}" y="{top - 8}" text-anchor="middle" '
            f'font-weight="700">{year}</text>',
            f'<line x1="{left:.1f}" y1="{top - 4}" x2="{left:.1f}" '
            f'y2="{top + row_h * len(bars)}" stroke="#c9ced6"/>',
        ]
    for n, bar in enumerate(bars):
        y = top + n * row_h
        if n % 2:
            out.append(
                f'<rect x="0" y="{y}" width="{width}" height="{row_h}" fill="#f3f5f8"/>'
            )
        status = str(bar.proposal.get("status", ""))
        color = GANTT_COLOURS.get(status, "#4a5360")
        what = (
            f"{bar.code} — {bar.proposal.get('title', '')} : {day(bar.start)} → "
            f"{day(bar.end)} ({label(STATUS, status)})"
        )
        out += [
            f'<text class="bar-label" x="4" y="{y + 13}">{escape(bar.code)}</text>',
            f'<rect x="{x(bar.start):.1f}" y="{y + 4}" '
            f'width="{max(2.0, x(bar.end) - x(bar.start)):.1f}" height="{row_h - 8}" '
            f'fill="{color}"><title>{escape(what)}</title></rect>',
        ]
        for when, name in bar.milestones:
            mark = shape("diamond", x(when), y + row_h / 2, MILESTONE, 4)
            out.append(
                f"<g>{mark}<title>{escape(bar.code)} — {escape(name)} : "
                f"{escape(day(when))}</title></g>"
            )
    if today and start <= today <= end:
        out.append(
            f'<line x1="{x(today):.1f}" y1="{top - 4}" x2="{x(today):.1f}" '
            f'y2="{top + row_h * len(bars)}" stroke="{TODAY}" stroke-width="2" '
            f'stroke-dasharray="4 3"><title>{escape(day(today))}</title></line>'
        )
    entries = [
        (f'<rect x="{{x}}" y="{{y}}" width="14" height="10" fill="{color}"/>', name)
        for name, color in _present(bars, STATUS, label)
    ]
    entries.append(
        (
            f'<polygon points="{{cx}},{{ty}} {{rx}},{{cy}} {{cx}},{{by}} {{x}},{{cy}}" '
            f'fill="{MILESTONE}"/>',
            _("Jalon prévu"),
        )
    )
    today_shown = today is not None and start <= today <= end
    entries += [
        (
            f'<line x1="{{cx}}" y1="{{ty}}" x2="{{cx}}" y2="{{by}}" stroke="{TODAY}" '
            'stroke-width="2" stroke-dasharray="4 3"/>',
            _("Date de la situation"),
        )
    ][: 1 if today_shown else 0]
    lx, ly = 4.0, height - 16
    for mark, name in entries:
        out.append(
            '<g class="legend">'
            + mark.format(
                x=f"{lx:.1f}",
                y=f"{ly:.1f}",
                cx=f"{lx + 7:.1f}",
                rx=f"{lx + 14:.1f}",
                cy=f"{ly + 5:.1f}",
                ty=f"{ly:.1f}",
                by=f"{ly + 10:.1f}",
            )
            + f'<text x="{lx + 18:.1f}" y="{ly + 9:.1f}">{escape(name)}</text></g>'
        )
        lx += 30 + 7 * len(name)
    out.append("</svg>")
    return Markup("".join(out))


def _present(bars: list[Span], statuses: Any, label: Any) -> list[tuple[str, str]]:
    """(label, colour) of each status the bars have, in the order of the colours."""
    have = {str(b.proposal.get("status", "")) for b in bars}
    out: list[tuple[str, str]] = []
    for status, color in GANTT_COLOURS.items():
        name = label(statuses, status)
        if status in have and (name, color) not in out:
            out.append((name, color))
    return out


def indicator(doc: dict[str, Any], *, title: str) -> Markup:
    """An indicator over time: its realised and planned measurements as lines, its
    targets per year (on 31 December) and its baseline, values in its unit."""
    from web.formatting import day, num

    unit = str(doc.get("unit") or "")
    realised = sorted(
        (date.fromisoformat(m["on"][:10]), Decimal(str(m["value"])))
        for m in doc.get("measurements", [])
        if m.get("kind") == "realised"
    )
    planned = sorted(
        (date.fromisoformat(m["on"][:10]), Decimal(str(m["value"])))
        for m in doc.get("measurements", [])
        if m.get("kind") != "realised"
    )
    targets = sorted(
        (date(int(y), 12, 31), Decimal(str(v)))
        for y, v in (doc.get("targets") or {}).items()
    )
    everything = realised + planned + targets
    if not everything:
        return Markup("")
    baseline = doc.get("baseline")
    values = [v for _d, v in everything]
    if baseline is not None:
        values.append(Decimal(str(baseline)))
    low, high = min(values), max(values)
    if low > 0 and low < high / 2:
        low = Decimal(0)
    if high == low:
        high = low + 1
    first = min(d for d, _v in everything).year
    last = max(d for d, _v in everything).year
    start, end = date(first, 1, 1), date(last, 12, 31)
    width, height = 640, 340
    left, right, top, bottom = 64, 16, 28, 70
    w, h = width - left - right, height - top - bottom

    def px(d: date) -> float:
        return left + w * (d - start).days / ((end - start).days or 1)

    def py(v: Decimal) -> float:
        return top + h - h * float((v - low) / (high - low))

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        'aria-labelledby="ind-t">',
        f'<title id="ind-t">{escape(title)}</title>',
        heading(title, width),
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#f3f5f8" '
        'stroke="#c9ced6"/>',
    ]
    for i in range(5):
        v = low + (high - low) * i / 4
        y = py(v)
        out += [
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" '
            'stroke="#dde1e7"/>',
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(num(v, 1))}</text>",
        ]
    for year in range(first, last + 1):
        xl, xr = px(date(year, 1, 1)), px(date(year, 12, 31))
        out += [
            f'<line x1="{xl:.1f}" y1="{top}" x2="{xl:.1f}" y2="{top + h}" '
            'stroke="#dde1e7"/>',
            f'<text x="{(xl + xr) / 2:.1f}" y="{top + h + 16}" '
            f'text-anchor="middle">{year}</text>',
        ]
    middle = top + h / 2
    out += [
        f'<text x="{left + w / 2}" y="{top + h + 34}" text-anchor="middle">'
        f"{escape(_('Année'))}</text>",
        f'<text x="14" y="{middle}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle})">'
        f"{escape(_('Valeur (%(unit)s)', unit=unit))}</text>",
    ]
    if baseline is not None:
        y = py(Decimal(str(baseline)))
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" '
            'stroke="#4a5360" stroke-dasharray="2 3"/>'
        )
    series = [
        (_("Réalisé"), "#0b4f9c", "circle", realised, ""),
        (_("Prévu"), "#8a4b00", "square", planned, ' stroke-dasharray="6 4"'),
        (_("Cible"), "#15603a", "diamond", targets, None),
    ]
    for name, color, kind, points, dash in series:
        if dash is not None and len(points) > 1:
            path = " ".join(f"{px(d):.1f},{py(v):.1f}" for d, v in points)
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" '
                f'stroke-width="2"{dash}/>'
            )
        for d, v in points:
            out.append(
                f"<g>{shape(kind, px(d), py(v), color, 4)}<title>{escape(name)} — "
                f"{escape(day(d))} : {escape(num(v))} {escape(unit)}</title></g>"
            )
    legend = [(n, c, k) for n, c, k, _p, _d in series]
    legend.append((_("Valeur de référence"), "#4a5360", "baseline"))
    for i, (name, color, kind) in enumerate(legend):
        lx, ly = left + i * (w / len(legend)), height - 14
        mark = (
            f'<line x1="{lx}" y1="{ly}" x2="{lx + 14}" y2="{ly}" stroke="{color}" '
            'stroke-dasharray="2 3" stroke-width="2"/>'
            if kind == "baseline"
            else shape(kind, lx + 6, ly, color, 5)
        )
        out.append(
            f'<g class="legend">{mark}<text x="{lx + 18:.1f}" y="{ly + 4}">'
            f"{escape(name)}</text></g>"
        )
    out.append("</svg>")
    return Markup("".join(out))
