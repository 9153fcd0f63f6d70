"""The convocation's .ics: whatever the session's title and place, an RFC 5545
parser reads back exactly what was written, lines folded at 75 octets."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.convocation import invitation, uid

texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\x7f"),
    min_size=1,
    max_size=300,
).filter(lambda t: t.strip() != "")


@settings(max_examples=60, deadline=None)
@given(title=texts, place=texts, name=texts, description=texts)
def test_the_invitation_parses_back_exactly(
    title: str, place: str, name: str, description: str
) -> None:
    agenda = {
        "session": "COPIL-1",
        "title": title,
        "starts_at": "2027-07-01T09:15",
        "ends_at": "2027-07-01T11:00",
        "timezone": "America/Cayenne",
        "place": place,
        "items": [],
    }
    data = invitation(
        agenda,
        sequence=3,
        stamp=datetime(2027, 6, 1, 8, 0, tzinfo=UTC),
        description=description,
        url="https://sdsi.ville.fr/seances/COPIL-1",
        organizer=("Présidence", "sdsi@ville.fr"),
        attendee=(name, "membre@ville.fr"),
        domain="ville.fr",
    )
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    calendar = icalendar.Calendar.from_ical(data)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == title
    assert str(event["LOCATION"]) == place
    assert str(event["DESCRIPTION"]) == description.replace("\r\n", "\n").replace(
        "\r", "\n"
    )
    assert str(event["UID"]) == uid("COPIL-1", "ville.fr")
    assert int(event["SEQUENCE"]) == 3
    # Cayenne is UTC-3 all year
    assert event.decoded("DTSTART") == datetime(2027, 7, 1, 12, 15, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 7, 1, 14, 0, tzinfo=UTC)
    assert event.decoded("DTSTAMP") == datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    assert str(event["ATTENDEE"]) == "mailto:membre@ville.fr"
