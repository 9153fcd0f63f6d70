"""Server-side SVG charts: readable without JavaScript, with a text alternative."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

# The value/risk chart's categories of status: (label, colour, shape, statuses).
CATEGORIES: tuple[tuple[Any, str, str, frozenset[str]], ...] = (
    (
        _l("Approuvée ou réalisée"),
        "#15603a",
        "circle",
        frozenset({"approved", "approved_with_conditions", "done"}),
    ),
    (
        _l("Prévue ou en cours"),
        "#0b4f9c",
        "square",
        frozenset({"planned", "in_progress"}),
    ),
    (_l("Ajournée"), "#8a4b00", "diamond", frozenset({"deferred"})),
    (_l("Rejetée"), "#a11b1b", "triangle", frozenset({"rejected"})),
    (_l("Autre statut (à l'étude, retirée…)"), "#4a5360", "ring", frozenset()),
)


def category(status: str) -> tuple[Any, str, str, frozenset[str]]:
    """The chart category of a proposal's status (the last one: every other)."""
    for found in CATEGORIES:
        if status in found[3]:
            return found
    return CATEGORIES[-1]


def shape(kind: str, x: float, y: float, color: str, size: float = 5) -> str:
    """A point's mark: its shape says its category as well as its colour does."""
    if kind == "square":
        return (
            f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{2 * size:.1f}" '
            f'height="{2 * size:.1f}" fill="{color}"/>'
        )
    if kind == "diamond":
        d = size * 1.3
        return (
            f'<polygon points="{x:.1f},{y - d:.1f} {x + d:.1f},{y:.1f} '
            f'{x:.1f},{y + d:.1f} {x - d:.1f},{y:.1f}" fill="{color}"/>'
        )
    if kind == "triangle":
        d = size * 1.3
        return (
            f'<polygon points="{x:.1f},{y - d:.1f} {x + d:.1f},{y + d * 0.8:.1f} '
            f'{x - d:.1f},{y + d * 0.8:.1f}" fill="{color}"/>'
        )
    if kind == "ring":
        return (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size - 1}" fill="#ffffff" '
            f'stroke="{color}" stroke-width="2"/>'
        )
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size}" fill="{color}"/>'


def heading(text: str, width: int) -> str:
    """The chart's visible title, at its top."""
    return (
        f'<text class="chart-title" x="{width / 2}" y="16" text-anchor="middle">'
        f"{escape(text)}</text>"
    )


def scatter(
    points: list[dict[str, Any]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 560,
    height: int = 420,
) -> Markup:
    """Value (x) against risk (y), 0–100 each; each point links to its proposal, says
    its code on hover and focus, and is listed in the table under the chart."""
    from web.formatting import STATUS, label, num

    left, top, right = 48, 28, 12
    legend_h = 20 * ((len(CATEGORIES) + 1) // 2)
    bottom = 44 + legend_h
    w, h = width - left - right, height - top - bottom
    shown = [p for p in points if p.get("x") is not None and p.get("y") is not None]
    out = [
        # a group, not an image: its points are links (axe: nested-interactive)
        f'<svg class="chart scatter" viewBox="0 0 {width} {height}" role="group" '
        'aria-labelledby="sc-t">',
        f'<title id="sc-t">{escape(title)}</title>',
        heading(title, width),
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#f3f5f8" '
        'stroke="#c9ced6"/>',
    ]
    for tick in range(0, 101, 25):
        x = left + w * tick / 100
        y = top + h - h * tick / 100
        out += [
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + h}" '
            'stroke="#dde1e7"/>',
            f'<text x="{x:.1f}" y="{top + h + 16}" text-anchor="middle">{tick}</text>',
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" '
            'stroke="#dde1e7"/>',
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>',
        ]
    out += [
        f'<text x="{left + w / 2}" y="{top + h + 34}" text-anchor="middle">'
        f"{escape(x_label)}</text>",
        f'<text x="12" y="{top + h / 2}" text-anchor="middle" '
        f'transform="rotate(-90 12 {top + h / 2})">{escape(y_label)}</text>',
    ]
    for p in shown:
        x = left + w * float(p["x"]) / 100
        y = top + h - h * float(p["y"]) / 100
        _name, color, kind, _statuses = category(p.get("status", ""))
        code = p.get("code") or p["label"]
        text = escape(f"{p['label']} : {p['x']} / {p['y']}")
        anchor = "end" if x > left + w - 60 else "start"
        dx = -9 if anchor == "end" else 9
        out.append(
            f'<a class="point" href="{escape(p["href"])}" aria-label="{text}">'
            f"<title>{text}</title>{shape(kind, x, y, color)}"
            f'<text class="point-code" x="{x + dx:.1f}" y="{y - 7:.1f}" '
            f'text-anchor="{anchor}">{escape(code)}</text></a>'
        )
    for i, (name, color, kind, _statuses) in enumerate(CATEGORIES):
        lx = left + (i % 2) * (w / 2)
        ly = height - legend_h + 20 * (i // 2) + 4
        out.append(
            f'<g class="legend">{shape(kind, lx + 6, ly, color)}'
            f'<text x="{lx + 16}" y="{ly + 4}">{escape(str(name))}</text></g>'
        )
    out.append("</svg>")
    rows = "".join(
        f'<tr><th scope="row"><a href="{escape(p["href"])}">'
        f"{escape(p.get('code') or p['label'])}</a></th>"
        f"<td>{escape(p.get('title') or '')}</td>"
        f"<td>{escape(label(STATUS, p.get('status')))}</td>"
        f'<td class="num">{escape(num(p["x"]))}</td>'
        f'<td class="num">{escape(num(p["y"]))}</td></tr>'
        for p in sorted(shown, key=lambda p: (-float(p["x"]), str(p["label"])))
    )
    out.append(
        '<details class="chart-table"><summary>'
        + escape(_("Les %(n)s points du graphique, en tableau", n=len(shown)))
        + "</summary><table><caption>"
        + escape(title)
        + "</caption><thead><tr>"
        + "".join(
            f'<th scope="col"{cls}>{escape(head)}</th>'
            for head, cls in (
                (_("Fiche"), ""),
                (_("Titre"), ""),
                (_("Statut"), ""),
                (x_label, ' class="num"'),
                (y_label, ' class="num"'),
            )
        )
        + f"</tr></thead><tbody>{rows}</tbody></table></details>"
    )
    return Markup("".join(out))


def bars(
    groups: list[tuple[str, list[tuple[str, Decimal]]]],
    *,
    title: str,
    series: list[tuple[str, str]],
    width: int = 640,
    height: int = 340,
    ident: str = "bar",
    x_label: str = "",
    y_label: str = "",
) -> Markup:
    """Grouped bars (e.g. per year: total, allocated, committed, paid), amounts in €,
    with a visible title, axis labels and a legend of the series' colours.

    ``ident`` names the chart's title element: give each chart of a page its own.
    """
    from web.formatting import eur

    left, bottom, top, right = 80, 64, 28, 12
    w, h = width - left - right, height - top - bottom
    peak = max((float(v) for _g, vals in groups for _n, v in vals), default=0.0) or 1.0
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-t">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        heading(title, width),
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" '
        'stroke="#1b1f24"/>',
    ]
    for i in range(5):
        value = peak * i / 4
        y = top + h - h * i / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" '
            'stroke="#dde1e7"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{value / 1000:,.0f} k€</text>".replace(",", "\u202f")
        )
    n = max(len(groups), 1)
    group_w = w / n
    bar_w = group_w * 0.8 / max(len(series), 1)
    for gi, (label, vals) in enumerate(groups):
        x0 = left + gi * group_w + group_w * 0.1
        for si, (_name, value) in enumerate(vals):
            bh = h * float(value) / peak
            color = series[si][1] if si < len(series) else "#4a5360"
            name = series[si][0] if si < len(series) else ""
            out.append(
                f'<rect x="{x0 + si * bar_w:.1f}" y="{top + h - bh:.1f}" '
                f'width="{bar_w - 2:.1f}" height="{bh:.1f}" fill="{color}">'
                f"<title>{escape(label)} — {escape(name)} : {escape(eur(value))}"
                "</title></rect>"
            )
        out.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{top + h + 16}" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    if x_label:
        out.append(
            f'<text x="{left + w / 2}" y="{top + h + 34}" text-anchor="middle">'
            f"{escape(x_label)}</text>"
        )
    if y_label:
        middle = top + h / 2
        out.append(
            f'<text x="12" y="{middle}" text-anchor="middle" '
            f'transform="rotate(-90 12 {middle})">{escape(y_label)}</text>'
        )
    step = w / max(len(series), 1)
    for si, (name, color) in enumerate(series):
        x = left + si * step
        out.append(
            f'<g class="legend"><rect x="{x:.1f}" y="{height - 18}" width="12" '
            f'height="12" fill="{color}"/><text x="{x + 16:.1f}" y="{height - 8}">'
            f"{escape(name)}</text></g>"
        )
    out.append("</svg>")
    return Markup("".join(out))


def lines(
    series: list[tuple[str, str, list[tuple[Decimal, Decimal, str]]]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 640,
    height: int = 340,
    ident: str = "line",
) -> Markup:
    """Curves of points ``(x in €, y, label)`` (e.g. the efficient frontier: best value
    against the total envelope, beside the greedy fill); each point has its title."""
    left, bottom, top, right = 64, 64, 12, 16
    w, h = width - left - right, height - top - bottom
    xs = [float(x) for _n, _c, pts in series for x, _y, _t in pts]
    ys = [float(y) for _n, _c, pts in series for _x, y, _t in pts]
    x0, x1 = (min(xs), max(xs)) if xs else (0.0, 1.0)
    x1 = x1 if x1 > x0 else x0 + 1.0
    y1 = max(ys, default=0.0) or 1.0

    def px(x: float) -> float:
        return left + w * (x - x0) / (x1 - x0)

    def py(y: float) -> float:
        return top + h - h * y / y1

    def grouped(value: float) -> str:
        return f"{value:,.0f}".replace(",", "\u202f")

    bottom_y, middle_y = top + h, top + h / 2
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="{ident}-t">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#f3f5f8" '
        'stroke="#c9ced6"/>',
    ]
    for i in range(5):
        x, y = px(x0 + (x1 - x0) * i / 4), py(y1 * i / 4)
        out += [
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom_y}" '
            'stroke="#dde1e7"/>',
            f'<text x="{x:.1f}" y="{bottom_y + 16}" text-anchor="middle">'
            f"{grouped((x0 + (x1 - x0) * i / 4) / 1000)} k€</text>",
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" '
            'stroke="#dde1e7"/>',
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{grouped(y1 * i / 4)}</text>",
        ]
    out += [
        f'<text x="{left + w / 2}" y="{bottom_y + 34}" text-anchor="middle">'
        f"{escape(x_label)}</text>",
        f'<text x="14" y="{middle_y}" text-anchor="middle" '
        f'transform="rotate(-90 14 {middle_y})">{escape(y_label)}</text>',
    ]
    for si, (name, color, pts) in enumerate(series):
        dash = ' stroke-dasharray="6 4"' if si else ""
        path = " ".join(f"{px(float(x)):.1f},{py(float(y)):.1f}" for x, y, _t in pts)
        if path:
            out.append(
                f'<polyline points="{path}" fill="none" stroke="{color}" '
                f'stroke-width="2"{dash}/>'
            )
        for x, y, label in pts:
            out.append(
                f'<circle cx="{px(float(x)):.1f}" cy="{py(float(y)):.1f}" r="4" '
                f'fill="{color}"><title>{escape(name)} — {escape(label)}</title>'
                "</circle>"
            )
        lx = left + si * 220
        out.append(
            f'<rect x="{lx}" y="{height - 16}" width="12" height="12" '
            f'fill="{color}"/><text x="{lx + 16}" y="{height - 6}">'
            f"{escape(name)}</text>"
        )
    out.append("</svg>")
    return Markup("".join(out))
