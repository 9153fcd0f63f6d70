"""Where the views stand, and every row of every view (to compare two builds)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from projections.schema import TABLES

if TYPE_CHECKING:
    from projections.store import ViewStore


def tracking(store: ViewStore) -> list[dict[str, Any]]:
    return [
        {
            "view": view,
            "position": position,
            "notification_id": notification_id,
            "updated_at": updated_at,
        }
        for view, position, notification_id, updated_at in store.fetchall(
            "SELECT view, position, notification_id, updated_at FROM {tracking} ORDER BY view"
        )
    ]


def dump(
    store: ViewStore, *, positions_only: bool = False
) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every view, canonically ordered (to compare two builds)."""
    out = {}
    for t in TABLES:
        if t.name == "tracking":
            out[t.name] = [
                (view, position)
                for view, position in store.fetchall(
                    "SELECT view, position FROM {tracking} ORDER BY view"
                )
            ]
            continue
        cols = [c for c in t.columns if c != "notification_id"]
        rows = store.fetchall(f"SELECT {', '.join(cols)} FROM {{{t.name}}}")
        out[t.name] = sorted(
            rows, key=lambda r: tuple("" if v is None else str(v) for v in r)
        )
    return out
