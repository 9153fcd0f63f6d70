"""Pages show times in the municipality's time zone (SDSI_TIMEZONE, Europe/Paris by
default), the audit trail with their UTC offset: exact strings on both sides of the
2026 DST changes, in French and English, and under another zone."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask

from ledger.config import Settings
from ledger.errors import ConfigError
from web.formatting import init_formatting, moment


def app_in(zone: str | None) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", SDSI_TIMEZONE=zone)
    init_formatting(app)
    return app


@pytest.mark.parametrize(
    "stored, page, audit",
    [
        # the night the clocks go forward: 01:30 winter time, then 03:30 summer time
        ("2026-03-29T00:30:00.000000Z", "29 mars 2026 01:30:00", "UTC+01:00"),
        ("2026-03-29T01:30:00.000000Z", "29 mars 2026 03:30:00", "UTC+02:00"),
        # the night they go back: 02:30 happens twice, the offset tells which
        ("2026-10-25T00:30:00.000000Z", "25 oct. 2026 02:30:00", "UTC+02:00"),
        ("2026-10-25T01:30:00.000000Z", "25 oct. 2026 02:30:00", "UTC+01:00"),
        # 23:30 UTC on 28 March is already the 29th in Paris
        ("2026-03-28T23:30:00.000000Z", "29 mars 2026 00:30:00", "UTC+01:00"),
    ],
)
def test_pages_show_paris_time_and_the_audit_its_offset(
    stored: str, page: str, audit: str
) -> None:
    with app_in("Europe/Paris").test_request_context("/?lang=fr"):
        assert moment(stored) == page
        assert moment(stored, True) == f"{page} {audit}"


def test_english_pages_show_the_same_local_time() -> None:
    with app_in("Europe/Paris").test_request_context("/?lang=en"):
        assert moment("2026-10-25T01:30:00Z", True) == "25 Oct 2026 02:30:00 UTC+01:00"


def test_another_time_zone_is_a_setting() -> None:
    with app_in("America/Cayenne").test_request_context("/?lang=fr"):
        assert moment("2026-03-29T01:30:00Z", True) == "28 mars 2026 22:30:00 UTC-03:00"
    with app_in("UTC").test_request_context("/?lang=fr"):
        assert moment("2026-03-29T01:30:00Z", True) == "29 mars 2026 01:30:00 UTC"


def test_the_time_zone_is_read_from_sdsi_timezone_and_checked() -> None:
    assert Settings.from_env({}).timezone == "Europe/Paris"
    env = {"SDSI_TIMEZONE": "Indian/Reunion"}
    assert Settings.from_env(env).timezone == "Indian/Reunion"
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"SDSI_TIMEZONE": "Europe/Pariss"})
    assert str(info.value) == (
        "SDSI_TIMEZONE: unknown time zone 'Europe/Pariss' (an IANA name such as "
        "Europe/Paris, America/Cayenne, Indian/Reunion, or UTC)"
    )


def test_the_roadmaps_today_is_the_municipalitys_day_not_utcs() -> None:
    """The dashed "today" line of the plan's roadmap falls on the local day: a zone
    chosen so that, at this hour, its date differs from UTC's."""
    from web.ui.pictures import situation_day

    now = datetime.now(UTC)
    # UTC+14 is a day ahead from 10:00 UTC; UTC-12 a day behind until 12:00 UTC
    name = "Pacific/Kiritimati" if now.hour >= 10 else "Etc/GMT+12"
    app = app_in(name)
    with app.test_request_context("/plan"):
        today = situation_day()
    with app.test_request_context("/plan?as_of=2026-03-29"):
        with_as_of = situation_day()
    assert today == datetime.now(ZoneInfo(name)).date()
    assert abs((today - now.date()).days) == 1
    assert with_as_of == date(2026, 3, 29)
