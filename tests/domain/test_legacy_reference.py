"""Pôles and axes stored before they listed their open directions and indicators still
load, and are still closed only once those are closed — found then in the log.

A ledger is built with today's commands, then copied event by event into a second
database as the earlier release stored it: ``Pole.Created`` and ``Axis.Created``
without ``directions_listed`` / ``indicators_listed`` (v1), and without the events
that did not exist (``Pole.DirectionAttached``…). On both backends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent

from domain.axes import Axis
from domain.errors import AxisHasOpenIndicators, PoleHasOpenDirections
from domain.organisation import Pole
from ledger.app import Ledger, open_ledger
from projections import reference_queries as rq
from projections.projector import Projector
from projections.store import SQLiteViewStore
from projections.views import load_handlers
from tests.conftest import make_settings
from tests.domain.builders import DSI, Town, by, names_since, refused

NEW_EVENTS = {
    "Pole.DirectionAttached",
    "Pole.DirectionDetached",
    "Axis.IndicatorAttached",
    "Axis.IndicatorDetached",
}
WHY = by("dsi", "réorganisation")


def as_earlier_release(topic: str, state: dict[str, Any]) -> dict[str, Any] | None:
    """The state as the earlier release stored it (None: no such event then)."""
    name = topic.split(":")[1]
    if name in NEW_EVENTS:
        return None
    if name == "Pole.Created":
        assert state.pop("class_version") == 2
        assert state.pop("directions_listed") is True
    elif name == "Axis.Created":
        assert state.pop("class_version") == 2
        assert state.pop("indicators_listed") is True
    return state


@pytest.fixture
def old(
    ledger: Ledger, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[Ledger]:
    """The minimal town (pôle PRS with FIN and EDU, axis A1 with A1-I1) plus a pôle
    PAM with URB moved to it from PRS, as the earlier release stored them."""
    Town(ledger)
    ledger.create_pole(DSI, "PAM", "Pôle Aménagement")
    ledger.create_direction(DSI, "URB", "Urbanisme", "PRS")
    ledger.move_direction(WHY, "URB", "PAM")
    url = (
        f"sqlite:///{tmp_path}/old.db"
        if backend == "sqlite"
        else request.getfixturevalue("new_pg_schema_url")()
    )
    target = open_ledger(make_settings(tmp_path / "old-data", url), create=True)
    versions: dict[Any, int] = {}
    out = []
    for n in ledger.recorder.select_notifications(start=0, limit=100_000):
        state = as_earlier_release(n.topic, json.loads(n.state))
        if state is None:
            continue
        versions[n.originator_id] = versions.get(n.originator_id, 0) + 1
        out.append(
            StoredEvent(
                originator_id=n.originator_id,
                originator_version=versions[n.originator_id],
                topic=n.topic,
                state=json.dumps(state).encode(),
            )
        )
    target.recorder.insert_events(out)
    try:
        yield target
    finally:
        target.close()


def test_old_poles_and_axes_load_without_the_list_of_their_children(
    old: Ledger,
) -> None:
    pole = old.load(Pole, Pole.id_for("PRS"))
    axis = old.load(Axis, Axis.id_for("A1"))
    assert pole is not None and (pole.name, pole.directions) == (
        "Pôle Ressources",
        None,
    )
    assert axis is not None and (axis.label, axis.indicators) == (
        "Services en ligne",
        None,
    )


def test_an_old_pole_is_closed_only_once_its_directions_found_in_the_log_are(
    old: Ledger,
) -> None:
    with refused(old, PoleHasOpenDirections) as err:
        old.close_pole(WHY, "PRS")
    assert err.value.params == {"pole": "PRS", "directions": "EDU, FIN"}
    with refused(old, PoleHasOpenDirections) as err:
        old.close_pole(WHY, "PAM")
    assert err.value.params == {"pole": "PAM", "directions": "URB"}
    old.move_direction(WHY, "EDU", "PAM")
    head = old.head()
    old.close_direction(WHY, "FIN")
    assert names_since(old, head) == ["Direction.Closed", "Pole.DirectionDetached"]
    head = old.head()
    old.close_pole(WHY, "PRS")
    assert names_since(old, head) == ["Pole.Closed"]


def test_an_old_axis_is_closed_only_once_its_indicators_found_in_the_log_are(
    old: Ledger,
) -> None:
    with refused(old, AxisHasOpenIndicators) as err:
        old.close_axis(WHY, "A1")
    assert err.value.params == {"axis": "A1", "indicators": "A1-I1"}
    old.close_indicator(WHY, "A1-I1")
    old.close_axis(WHY, "A1")
    axis = old.load(Axis, Axis.id_for("A1"))
    assert axis is not None and axis.closed_at is not None


def test_the_views_of_old_poles_and_axes_read_them_as_open(
    old: Ledger, tmp_path: Path
) -> None:
    load_handlers()
    store = SQLiteViewStore(tmp_path / "views.db")
    try:
        projector = Projector(old, store)
        projector.ensure_tables()
        projector.catch_up()
        pole = rq.pole(store, "PRS")
        assert pole is not None
        assert (pole["status"], [d["code"] for d in pole["directions"]]) == (
            "open",
            ["EDU", "FIN"],
        )
        assert [e["event_type"] for e in pole["history"]] == ["Pole.Created"]
        axis = rq.axis(store, "A1")
        assert axis is not None and axis["status"] == "open"
        assert axis["indicators"][0]["targets"] == {"2028": "90"}
    finally:
        store.close()
