"""The municipality's local time: what people read, while the ledger stores UTC.

Every event is stamped in UTC, and UTC stays in storage, in the exports for machines
(CSV, JSON, API) and in the proofs (checkpoints, evidence files). Pages and PDFs show
times in the municipality's time zone (``SDSI_TIMEZONE``, Europe/Paris by default),
with the offset from UTC where an instant must be unambiguous (the audit trail): a
time of the night the clocks go back would otherwise read twice.

The rules of the calendar depend on it too: a session dated 15 December is not opened
before 15 December *in the municipality* (:func:`local_date` of the command's time).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DEFAULT_TIMEZONE = "Europe/Paris"


@lru_cache(maxsize=16)
def zone(name: str | None = None) -> tzinfo:
    """The time zone named ``name`` (IANA, e.g. ``Europe/Paris``; ``UTC``).

    Raises ``ValueError`` for an unknown name."""
    name = name or DEFAULT_TIMEZONE
    if name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def instant(value: str | datetime) -> datetime:
    """An aware UTC instant from the ledger's ISO text (``…Z``) or a datetime (a
    naive one is taken as UTC)."""
    moment = (
        value
        if isinstance(value, datetime)
        else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    )
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def local(value: str | datetime, tz: tzinfo | str | None = None) -> datetime:
    """``value`` (UTC) as the local time of ``tz`` (a zone or its name)."""
    if not isinstance(tz, tzinfo):
        tz = zone(tz)
    return instant(value).astimezone(tz)


def local_date(value: str | datetime, tz: tzinfo | str | None = None) -> date:
    """The day ``value`` falls on in ``tz``: 23:30 UTC on 28 March is already the
    29th in Paris."""
    return local(value, tz).date()


def offset(moment: datetime) -> str:
    """The UTC offset of an aware local time: ``UTC+01:00``, ``UTC+02:00``,
    ``UTC`` for no offset."""
    delta = moment.utcoffset()
    if not delta:
        return "UTC"
    minutes = int(delta.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours:02d}:{mins:02d}"
