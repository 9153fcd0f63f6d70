"""The rules the diagnosis applies to the inventory: suggested findings and
obsolescence risks. Pure functions over an application's state as the views keep it
(a dict: ``code``, ``name``, ``criticality``, ``end_of_support`` ISO text or None,
``retired``, ``dsi`` — the latest DSI assessment or None — and ``directions`` — each
direction's latest assessment), so the pages, the API and the tests share them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

# A suggestion of an end of support within this many months.
SUPPORT_WARNING_MONTHS = 12
# An obsolescence risk: end of support passed or within this many months, or the
# DSI's obsolescence at least OBSOLESCENCE_HIGH.
RISK_MONTHS = 18
OBSOLESCENCE_HIGH = 3
CRITICALITY_HIGH = 3
TECHNICAL_POOR = 2
SATISFACTION_LOW = 1
SATISFACTION_HIGH = 4


def months_later(day: date, months: int) -> date:
    """``day`` plus ``months`` (the last day of the month when it has fewer days);
    past the last representable day, that day (a read as of 9999-12-31 applies the
    rules without overflowing)."""
    total = day.month - 1 + months
    y, m = day.year + total // 12, total % 12 + 1
    if y > date.max.year:
        return date.max
    for d in (day.day, 30, 29, 28):
        try:
            return date(y, m, d)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


@dataclass(frozen=True)
class Suggestion:
    """A finding the rules suggest; ``key`` names it once confirmed."""

    key: str
    kind: str
    application: str
    title: str
    statement: str
    assessments: tuple[str, ...] = ()


def _end(app: dict[str, Any]) -> date | None:
    end = app.get("end_of_support")
    return date.fromisoformat(end) if end else None


def suggestions(app: dict[str, Any], today: date) -> list[Suggestion]:
    """What the rules suggest for one application (none when retired)."""
    if app.get("retired"):
        return []
    out: list[Suggestion] = []
    c, name = app["code"], app["name"]
    end = _end(app)
    if end is not None and end <= months_later(today, SUPPORT_WARNING_MONTHS):
        passed = end < today
        out.append(
            Suggestion(
                f"support:{c}",
                "risk",
                c,
                f"{name} : fin de support {'dépassée' if passed else 'proche'}",
                f"Le support de {name} {'a pris fin' if passed else 'prend fin'} le "
                f"{end.isoformat()}.",
            )
        )
    dsi = app.get("dsi")
    if (
        dsi
        and app["criticality"] >= CRITICALITY_HIGH
        and dsi["technical_state"] <= TECHNICAL_POOR
    ):
        out.append(
            Suggestion(
                f"fragile:{c}",
                "risk",
                c,
                f"{name} : application critique en mauvais état technique",
                f"Criticité {app['criticality']}/4 et état technique "
                f"{dsi['technical_state']}/4 selon la DSI.",
                (f"{c}:dsi:{dsi['number']}",),
            )
        )
    for direction, a in sorted((app.get("directions") or {}).items()):
        ref = (f"{c}:{direction}:{a['number']}",)
        if a["satisfaction"] <= SATISFACTION_LOW:
            out.append(
                Suggestion(
                    f"unsatisfied:{c}:{direction}",
                    "weakness",
                    c,
                    f"{name} : insatisfaction de la direction {direction}",
                    f"Satisfaction {a['satisfaction']}/4, couverture des besoins "
                    f"{a['coverage']}/4.",
                    ref,
                )
            )
        elif a["satisfaction"] >= SATISFACTION_HIGH and a["coverage"] >= 4:
            out.append(
                Suggestion(
                    f"satisfied:{c}:{direction}",
                    "strength",
                    c,
                    f"{name} : pleinement satisfaisante pour {direction}",
                    "Satisfaction 4/4 et besoins couverts 4/4.",
                    ref,
                )
            )
    return out


def obsolescence_risk(app: dict[str, Any], today: date) -> list[str]:
    """Why an application is an obsolescence risk (empty: it is not): its end of
    support passed or within :data:`RISK_MONTHS`, or the DSI's obsolescence high."""
    if app.get("retired"):
        return []
    why = []
    end = _end(app)
    if end is not None and end < today:
        why.append("support_ended")
    elif end is not None and end <= months_later(today, RISK_MONTHS):
        why.append("support_ending")
    dsi = app.get("dsi")
    if dsi and dsi["obsolescence"] >= OBSOLESCENCE_HIGH:
        why.append("obsolescence_high")
    return why
