"""Server-side SVG charts: readable without JavaScript, with a text alternative."""

from __future__ import annotations

from decimal import Decimal
from html import escape
from typing import Any

from markupsafe import Markup


def scatter(
    points: list[dict[str, Any]],
    *,
    title: str,
    x_label: str,
    y_label: str,
    width: int = 560,
    height: int = 360,
) -> Markup:
    """Value (x) against risk (y), 0–100 each; each point links to its proposal."""
    left, bottom, top, right = 48, 40, 12, 12
    w, h = width - left - right, height - top - bottom
    out = [
        # a group, not an image: its points are links (axe: nested-interactive)
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="group" aria-labelledby="sc-t">',
        f'<title id="sc-t">{escape(title)}</title>',
        f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#f3f5f8" stroke="#c9ced6"/>',
    ]
    for tick in range(0, 101, 25):
        x = left + w * tick / 100
        y = top + h - h * tick / 100
        out.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + h}" stroke="#dde1e7"/>'
        )
        out.append(
            f'<text x="{x:.1f}" y="{top + h + 16}" text-anchor="middle">{tick}</text>'
        )
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="#dde1e7"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    out.append(
        f'<text x="{left + w / 2}" y="{height - 4}" text-anchor="middle">{escape(x_label)}</text>'
    )
    out.append(
        f'<text x="12" y="{top + h / 2}" text-anchor="middle" transform="rotate(-90 12 {top + h / 2})">{escape(y_label)}</text>'
    )
    for p in points:
        if p.get("x") is None or p.get("y") is None:
            continue
        x = left + w * float(p["x"]) / 100
        y = top + h - h * float(p["y"]) / 100
        color = {
            "approved": "#15603a",
            "approved_with_conditions": "#15603a",
            "done": "#15603a",
            "in_progress": "#0b4f9c",
            "planned": "#0b4f9c",
            "rejected": "#a11b1b",
            "deferred": "#8a4b00",
        }.get(p.get("status", ""), "#4a5360")
        label = escape(f"{p['label']} : {p['x']} / {p['y']}")
        out.append(
            f'<a href="{escape(p["href"])}" aria-label="{label}"><circle cx="{x:.1f}" cy="{y:.1f}" r="5" fill="{color}" fill-opacity="0.8"><title>{label}</title></circle></a>'
        )
    out.append("</svg>")
    return Markup("".join(out))


def bars(
    groups: list[tuple[str, list[tuple[str, Decimal]]]],
    *,
    title: str,
    series: list[tuple[str, str]],
    width: int = 640,
    height: int = 300,
    ident: str = "bar",
) -> Markup:
    """Grouped bars (e.g. per year: total, allocated, committed, paid), amounts in €.

    ``ident`` names the chart's title element: give each chart of a page its own.
    """
    left, bottom, top, right = 80, 48, 12, 12
    w, h = width - left - right, height - top - bottom
    peak = max((float(v) for _g, vals in groups for _n, v in vals), default=0.0) or 1.0
    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-t">',
        f'<title id="{ident}-t">{escape(title)}</title>',
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#1b1f24"/>',
    ]
    for i in range(5):
        value = peak * i / 4
        y = top + h - h * i / 4
        out.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + w}" y2="{y:.1f}" stroke="#dde1e7"/>'
        )
        out.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{value / 1000:,.0f} k€</text>'.replace(
                ",", "\u202f"
            )
        )
    n = max(len(groups), 1)
    group_w = w / n
    bar_w = group_w * 0.8 / max(len(series), 1)
    for gi, (label, vals) in enumerate(groups):
        x0 = left + gi * group_w + group_w * 0.1
        for si, (_name, value) in enumerate(vals):
            bh = h * float(value) / peak
            color = series[si][1] if si < len(series) else "#4a5360"
            out.append(
                f'<rect x="{x0 + si * bar_w:.1f}" y="{top + h - bh:.1f}" width="{bar_w - 2:.1f}" height="{bh:.1f}" fill="{color}"><title>{escape(label)} — {escape(series[si][0] if si < len(series) else "")} : {value} €</title></rect>'
            )
        out.append(
            f'<text x="{x0 + group_w * 0.4:.1f}" y="{top + h + 16}" text-anchor="middle">{escape(label)}</text>'
        )
    for si, (name, color) in enumerate(series):
        x = left + si * 150
        out.append(
            f'<rect x="{x}" y="{height - 18}" width="12" height="12" fill="{color}"/><text x="{x + 16}" y="{height - 8}">{escape(name)}</text>'
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
