"""A COPIL session's convocation: when and where it sits, and the agenda it carries.

The agenda is fixed by its SHA-256 over a canonical JSON form (keys sorted, UTF-8,
no spaces), recorded with ``Session.ConvocationSent``: anyone holding the e-mail can
check that what they received is what the ledger says was sent.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from domain.errors import InvalidValue
from domain.values import text

_TIME = re.compile(r"([01]?\d|2[0-3])[:hH]([0-5]\d)")
PLACE_MAX = 200


@dataclass(frozen=True)
class AgendaItem:
    """One proposal on the agenda."""

    code: str
    title: str


@dataclass(frozen=True)
class Convocation:
    """A session's convocation: local start and end in ``timezone``, place, agenda."""

    session: str
    title: str
    starts_at: datetime  # naive, local time in ``timezone``
    ends_at: datetime
    timezone: str
    place: str
    items: tuple[AgendaItem, ...]

    def agenda(self) -> dict[str, Any]:
        """What the SHA-256 covers."""
        return {
            "session": self.session,
            "title": self.title,
            "starts_at": self.starts_at.isoformat(timespec="minutes"),
            "ends_at": self.ends_at.isoformat(timespec="minutes"),
            "timezone": self.timezone,
            "place": self.place,
            "items": [{"code": i.code, "title": i.title} for i in self.items],
        }

    @property
    def agenda_sha256(self) -> str:
        canonical = json.dumps(
            self.agenda(), sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def clock_time(value: Any, field: str) -> time:
    """``14:30`` (or ``14h30``): an hour of the day."""
    found = _TIME.fullmatch(value.strip()) if isinstance(value, str) else None
    if found is None:
        raise InvalidValue(field, value, "heure attendue, par exemple 14:30")
    return time(int(found.group(1)), int(found.group(2)))


def convocation(
    session: str,
    title: str,
    on: date,
    starts: Any,
    ends: Any,
    place: Any,
    timezone: str,
    items: list[AgendaItem],
) -> Convocation:
    """Check the hours and the place typed for the session of day ``on``."""
    start = datetime.combine(on, clock_time(starts, "starts"))
    end = datetime.combine(on, clock_time(ends, "ends"))
    if end <= start:
        raise InvalidValue("ends", ends, "après l'heure de début")
    where = " ".join(text(place, "place", max_len=PLACE_MAX).split())
    return Convocation(session, title, start, end, timezone, where, tuple(items))
