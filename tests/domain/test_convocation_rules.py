"""The COPIL convocation's rules: who sends it, when, with which hours, to whom."""

from __future__ import annotations

import pytest

from domain.convocation import AgendaItem, convocation
from domain.errors import (
    InvalidValue,
    NoConvocationRecipient,
    NotAllowed,
    NotTheChair,
    SessionAlreadyOpen,
)
from domain.sessions import Session
from ledger.app import Ledger
from tests.domain.builders import ADMIN, PASSWORD, Town, by, names_since
from tests.domain.builders import refused as refused_


@pytest.fixture
def mailed(ledger: Ledger, town: Town) -> str:
    """A session whose members include one with an e-mail address."""
    ledger.add_user(
        ADMIN, "m.mail", "Membre joignable", PASSWORD, email="m@ville.fr",
        roles=[("member", None)],
    )  # fmt: skip
    code = town.convene(voting=["chair", "m1", "m.mail"], non_voting=["fin"])
    town.on_agenda("P1", code)
    return code


def send(ledger: Ledger, code: str, who: str = "chair", **hours: str) -> dict:  # type: ignore[type-arg]
    args = {"starts": "14:00", "ends": "16:00", "place": "Salle du conseil", **hours}
    return ledger.send_convocation(
        by(who), code, args["starts"], args["ends"], args["place"]
    ).data


def test_each_send_records_its_sequence_and_the_agenda_hash(
    ledger: Ledger, mailed: str
) -> None:
    head = ledger.head()
    first = send(ledger, mailed)
    assert names_since(ledger, head) == ["Session.ConvocationSent"]
    assert (first["sequence"], first["recipients"]) == (0, ["m.mail"])
    assert first["without_email"] == ["chair", "fin", "m1"]
    session = ledger.load(Session, Session.id_for(mailed))
    assert session is not None
    expected = convocation(
        mailed, session.title, session.on, "14:00", "16:00", "Salle du conseil",
        "Europe/Paris", [AgendaItem("P1", first["agenda"]["items"][0]["title"])],
    )  # fmt: skip
    assert first["agenda_sha256"] == expected.agenda_sha256
    second = send(ledger, mailed, "dsi", place="Salle B")  # the DSI may send it too
    assert second["sequence"] == 1
    assert second["agenda_sha256"] != first["agenda_sha256"]


def test_only_the_session_chair_or_the_dsi_sends_the_convocation(
    ledger: Ledger, town: Town, mailed: str
) -> None:
    with refused_(ledger, NotTheChair):
        send(ledger, mailed, "chair2")
    with refused_(ledger, NotAllowed):
        send(ledger, mailed, "m1")


def test_the_convocation_is_sent_only_before_the_session_opens(
    ledger: Ledger, town: Town, mailed: str
) -> None:
    town.open(mailed, ["chair", "m1", "m.mail", "fin"])
    with refused_(ledger, SessionAlreadyOpen) as err:
        send(ledger, mailed)
    assert err.value.params == {"session": mailed, "what": "envoyer la convocation"}


def test_a_convocation_nobody_can_receive_is_refused(
    ledger: Ledger, town: Town
) -> None:
    code = town.convene()
    with refused_(ledger, NoConvocationRecipient):
        send(ledger, code)


def test_hours_and_place_are_checked(ledger: Ledger, mailed: str) -> None:
    cases = [
        ({"starts": "25:00"}, "starts"),
        ({"starts": "2 pm"}, "starts"),
        ({"ends": "13:59"}, "ends"),
        ({"ends": "14:00"}, "ends"),
        ({"place": "  "}, "place"),
        ({"place": "x" * 201}, "place"),
    ]
    for hours, field in cases:
        with refused_(ledger, InvalidValue) as err:
            send(ledger, mailed, **hours)
        assert err.value.field == field, hours
