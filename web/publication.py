"""What the citizens' pages and their JSON twin share: the published fields, the
views as of a day (``?date=AAAA-MM-JJ``), the checkpoint in force then, and the
response headers of a shared, briefly cacheable public read."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import Response
from flask_babel import gettext as _

from domain.errors import InvalidValue
from domain.publication import published_fields
from ledger.integrity import checkpoint_json, public_key_json
from ledger.sealstore import SealStore
from web.formatting import display_zone, local_today
from web.state import state

MAX_AGE = 60  # seconds a browser or a proxy may keep a public page


class BadDate(ValueError):
    """``?date=`` is not a day, or a day to come: the French message says which."""


def hidden() -> frozenset[str]:
    """The fields withheld (``SDSI_PUBLIC_HIDE``): the one source of truth for the
    citizens' pages, their JSON twin and the open data served without login."""
    return state().settings.public_hidden


def fields() -> frozenset[str]:
    """The published fields (``SDSI_PUBLIC_HIDE`` withholds some)."""
    return published_fields(hidden())


def day_asked(raw: str | None) -> date | None:
    """The day ``?date=`` asks for (``None``: today, the live views)."""
    text = (raw or "").strip()
    if not text:
        return None
    shown = text[:20] + ("…" if len(text) > 20 else "")
    try:
        if len(text) != 10:
            raise ValueError(text)
        asked = date.fromisoformat(text)
    except ValueError:
        raise BadDate(
            _(
                "Date invalide : « %(value)s » (attendu : AAAA-MM-JJ, par exemple "
                "2025-06-30).",
                value=shown,
            )
        ) from None
    today = local_today()
    if asked > today:
        raise BadDate(
            _(
                "Date à venir : « %(value)s ». Choisissez une date au plus tard "
                "aujourd'hui (%(today)s).",
                value=text,
                today=today.isoformat(),
            )
        )
    return None if asked == today else asked


def moment(asked: date | None) -> str | None:
    """The end of ``asked`` in the municipality's time zone, as a UTC ``as_of``."""
    if asked is None:
        return None
    local_end = datetime.combine(asked + timedelta(days=1), time(0), display_zone())
    return (local_end.astimezone(UTC) - timedelta(microseconds=1)).isoformat()


def store_at(asked: date | None) -> tuple[Any, int]:
    """The views at the end of day ``asked`` (live if ``None``) and their position."""
    rm = state().read_model
    at = moment(asked)
    if at is None:
        return rm.store, rm.current_position()
    try:
        return rm.at(at), rm.position_of(at)
    except InvalidValue:  # the log holds nothing that early
        return rm.at("position:0"), 0


def checkpoint(position: int, live: bool) -> dict[str, Any] | None:
    """The latest signed checkpoint covering no more than ``position`` (live: the
    latest one), with the key that verifies it; ``None`` before the first one."""
    seals = SealStore(state().ledger.storage)
    row = seals.latest_checkpoint()
    if row is not None and not live and row.tree_size > position:
        row = None
        for candidate in seals.checkpoints():
            if candidate.tree_size <= position:
                row = candidate
    if row is None:
        return None
    key = public_key_json(state().ledger)
    found = checkpoint_json(row)
    return {
        "seq": found["seq"],
        "tree_size": found["tree_size"],
        "root": found["root"],
        "root_hex": found["root_hex"],
        "issued_at": found["issued_at"],
        "note": found["note"],
        "key_fingerprint": key["fingerprint"],
        "key_origin": key["origin"],
        "key_vkey": key["vkey"],
    }


def checkpoint_seq() -> int:
    """The number of the latest checkpoint: the verification page's cache key adds
    it (a checkpoint is signed without the views moving)."""
    return SealStore(state().ledger.storage).last_checkpoint_seq()


def public_headers(response: Response) -> Response:
    """A public read: any cache may keep it a minute; it varies with the language."""
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response
