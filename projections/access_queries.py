"""What the web's access checks read of the views (the SQL behind them lives here,
not in ``web.auth``)."""

from __future__ import annotations

from projections.store import ViewStore


def proposal_direction(store: ViewStore, code: str) -> str | None:
    """The direction of proposal ``code`` (referents' permissions are scoped by it),
    ``None`` for an unknown proposal."""
    row = store.fetchone("SELECT direction FROM {proposals} WHERE code = ?", (code,))
    return row[0] if row else None
