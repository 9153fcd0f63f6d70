"""Stored topics are part of the data: renaming a class must not silently break them.

Every stored event names its class by topic (``module:Class.Event``) and every created
event names its aggregate class (``originator_topic``). The committed list below is what
the ledger has stored so far; a rename or a move fails this test until the old topic is
mapped with ``eventsourcing.utils.register_topic`` (and kept in the list), and a new
event class must be added to it deliberately.
"""

from __future__ import annotations

from pathlib import Path

from eventsourcing.domain import CanMutateAggregate
from eventsourcing.utils import get_topic, resolve_topic

from domain.registry import AGGREGATES

TOPICS = Path(__file__).with_name("topics.txt")


def committed() -> dict[str, list[str]]:
    """The sections of topics.txt: ``aggregates`` and ``events``."""
    sections: dict[str, list[str]] = {}
    current: list[str] = []
    for line in TOPICS.read_text(encoding="utf-8").splitlines():
        if line.startswith("# ") and line[2:] in ("aggregates", "events"):
            current = sections.setdefault(line[2:], [])
        elif line.strip() and not line.startswith("#"):
            current.append(line.strip())
    return sections


def event_classes() -> dict[str, type]:
    """Every nested event class of every aggregate, by topic."""
    return {
        get_topic(attr): attr
        for aggregate in AGGREGATES
        for name in dir(aggregate)
        if isinstance(attr := getattr(aggregate, name), type)
        and issubclass(attr, CanMutateAggregate)
    }


def test_event_topics_are_exactly_the_committed_list() -> None:
    assert sorted(event_classes()) == committed()["events"]


def test_aggregate_topics_are_exactly_the_committed_list() -> None:
    assert sorted(get_topic(a) for a in AGGREGATES) == committed()["aggregates"]


def test_every_committed_topic_resolves_to_its_class() -> None:
    classes = event_classes()
    for topic in committed()["events"]:
        assert resolve_topic(topic) is classes[topic]
    for topic in committed()["aggregates"]:
        assert resolve_topic(topic) in AGGREGATES
