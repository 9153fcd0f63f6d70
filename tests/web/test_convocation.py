"""The COPIL convocation: the chair (or the DSI) sends it from a convened session's
page; the fact is recorded on the session (hours, place, recipients, the agenda's
SHA-256); one e-mail per member with an address reaches a real SMTP sink, with an
.ics invitation that parses back with exact values; members without an address are
named; bad input is refused in French with nothing written. SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest

from domain.convocation import AgendaItem, Convocation
from domain.sessions import Session
from ledger.convocation import uid
from ledger.core import Caller
from ledger.mail_config import MailSettings, smtp_settings
from ledger.mailer import MailWorker
from tests.smtp_sink import SmtpSink
from tests.web.ui_client import Site, text
from tests.web.world import CONTENT, OWN, PASSWORD, login, open_world

SESSION = "COPIL-2027-03"
SENDER = "sdsi@ville.example.fr"
PLACE = "Salle du conseil, hôtel de ville; 1er étage, entrée \\ nord"
ONE, TWO = "c.one", "c.two"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    led = running.ledger
    admin = Caller(actor="admin", reason="préparation des tests")
    for name, email in ((ONE, "one@ville.example.fr"), (TWO, "two@ville.example.fr")):
        led.add_user(
            admin, name, f"Membre {name}", PASSWORD, email=email,
            roles=[("member", None)],
        )  # fmt: skip
    dsi = Caller(actor=login("dsi"), reason="préparation des tests")
    referent = Caller(actor=login("referent"), reason="préparation des tests")
    led.submit_proposal(referent, OWN)
    led.qualify_proposal(dsi, OWN, {"costs": CONTENT["costs"], "note": "Chiffrage"})
    chair = Caller(actor=login("chair"), reason="préparation des tests")
    led.convene_session(
        chair, SESSION, "Comité de pilotage de mars", "2027-03-10", [ONE, TWO],
        [login("dsi")],
    )  # fmt: skip
    led.add_agenda_item(chair, SESSION, OWN)
    running.caught_up()
    yield running
    running.close()


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    server = SmtpSink().start()
    yield server
    server.stop()


def deliver(site: Site, sink: SmtpSink) -> list[Any]:
    settings = MailSettings(smtp=smtp_settings(sink.url), sender=SENDER)
    MailWorker(site.ledger.storage, settings).drain()
    return [m for m in sink.messages if "Convocation" in str(m["Subject"])]


def post(site: Site, user: str | Any, **form: str) -> Any:
    client = site.client(user) if isinstance(user, str) else user
    return client.post(f"/seances/{SESSION}/convocation", data=form)


def ics_of(message: Any) -> Any:
    (part,) = list(message.iter_attachments())
    assert part.get_content_type() == "text/calendar"
    assert part.get_param("method") == "REQUEST"
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def test_refusals_name_the_field_and_write_nothing(site: Site) -> None:
    head = site.head()
    cases = [
        ({"starts": "25:00", "ends": "16:00", "place": "Salle"}, "starts"),
        ({"starts": "15:00", "ends": "14:00", "place": "Salle"}, "ends"),
        ({"starts": "14:00", "ends": "16:00", "place": "  "}, "place"),
        ({"starts": "14:00\r\nBcc: x@evil.example", "ends": "16:00", "place": "S"},
         "starts"),
    ]  # fmt: skip
    for form, field in cases:
        answer = post(site, login("chair"), **form)
        assert answer.status_code == 422, form
        page = answer.get_data(as_text=True)
        assert f'id="f-{field}"' in page and 'aria-invalid="true"' in page, form
    assert "Heure de début" in text(post(site, login("chair"), starts="x", ends="1"))
    assert post(site, login("member"), starts="14:00", ends="16:00", place="S").status_code == 403  # fmt: skip
    assert site.head() == head


def test_the_chair_sends_it_once_per_member_with_an_exact_invitation(
    site: Site, sink: SmtpSink
) -> None:
    chair = site.client(login("chair"))
    page = chair.get(f"/seances/{SESSION}")
    assert "Envoyer la convocation" in text(page)
    head = site.head()
    answer = post(site, chair, starts="14:30", ends="16:15", place=PLACE)
    assert answer.status_code == 302
    site.caught_up()
    assert site.events_since(head) == ["Session.ConvocationSent"]
    shown = text(chair.get(answer.headers["Location"]))
    assert "Convocation envoyée à 2 membre(s)" in shown, shown[:400]
    assert "Sans adresse électronique, donc sans courriel : Chair, DSI." in shown, (
        shown[:400]
    )

    session = site.ledger.load(Session, Session.id_for(SESSION))
    expected = Convocation(
        SESSION, "Comité de pilotage de mars",
        datetime(2027, 3, 10, 14, 30), datetime(2027, 3, 10, 16, 15),
        "Europe/Paris", PLACE, (AgendaItem(OWN, CONTENT["title"]),),
    ).agenda_sha256  # fmt: skip
    assert session.convocations == 1
    assert f"<code>{expected}</code>" in site.client(login("member")).get(
        f"/seances/{SESSION}"
    ).get_data(as_text=True)

    mails = deliver(site, sink)
    assert sorted(m["To"] for m in mails) == [
        "one@ville.example.fr", "two@ville.example.fr",
    ]  # fmt: skip
    mail = next(m for m in mails if m["To"] == "one@ville.example.fr")
    assert mail["Subject"] == (
        "Convocation : Comité de pilotage de mars, le 10/03/2027 de 14:30 à 16:15"
        " (heure de Europe/Paris)"
    )
    body = mail.get_body(("plain",)).get_content()
    assert f"1. {OWN} — {CONTENT['title']}" in body
    assert f"http://localhost/seances/{SESSION}" in body
    assert expected in body
    calendar = ics_of(mail)
    assert str(calendar["METHOD"]) == "REQUEST"
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == uid(
        SESSION, site.app.extensions["sdsi"].settings.mail.domain
    )
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART") == datetime(2027, 3, 10, 13, 30, tzinfo=UTC)
    assert event.decoded("DTEND") == datetime(2027, 3, 10, 15, 15, tzinfo=UTC)
    assert str(event["SUMMARY"]) == "Comité de pilotage de mars"
    assert str(event["LOCATION"]) == PLACE
    assert str(event["ATTENDEE"]) == "mailto:one@ville.example.fr"
    assert event["ATTENDEE"].params["CN"] == f"Membre {ONE}"
    mail_settings = site.app.extensions["sdsi"].settings.mail  # the site's sender
    assert str(event["ORGANIZER"]) == f"mailto:{mail_settings.sender}"
    assert f"1. {OWN} — {CONTENT['title']}" in str(event["DESCRIPTION"])

    # sent again, by the DSI, to a new place: same UID, next SEQUENCE
    sink.messages.clear()
    again = post(site, login("dsi"), starts="09:00", ends="10:00", place="Salle B")
    assert again.status_code == 302
    mails = deliver(site, sink)
    assert len(mails) == 2
    assert all(m["Subject"].startswith("Convocation modifiée : ") for m in mails)
    (event,) = ics_of(mails[0]).walk("VEVENT")
    assert (str(event["UID"]), int(event["SEQUENCE"]), str(event["LOCATION"])) == (
        uid(SESSION, site.app.extensions["sdsi"].settings.mail.domain), 1, "Salle B",
    )  # fmt: skip
    assert event.decoded("DTSTART") == datetime(2027, 3, 10, 8, 0, tzinfo=UTC)
    page = site.client(login("chair")).get(f"/seances/{SESSION}").get_data(True)
    assert re.search(r"envoi n° 2\) : 09:00 – 10:00, Salle B", page)


def test_the_api_sends_it_and_names_who_has_no_address(site: Site) -> None:
    from tests.web.world import bearer

    answer = site.app.test_client().post(
        f"/api/v1/sessions/{SESSION}/convocation",
        json={"starts": "10:00", "ends": "11:00", "place": "Salle C"},
        headers=bearer(site, login("chair")),
    )
    assert answer.status_code == 201, answer.get_json()
    result = answer.get_json()["result"]
    assert result["recipients"] == [ONE, TWO]
    assert result["without_email"] == [login("chair"), login("dsi")]
    refused = site.app.test_client().post(
        f"/api/v1/sessions/{SESSION}/convocation",
        json={"starts": "10:00", "ends": "09:00", "place": "Salle C"},
        headers=bearer(site, login("chair")),
    )
    assert refused.status_code == 422
