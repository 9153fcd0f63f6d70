"""How views declare their handlers, without importing the projector.

A view module (``projections.views.<view>``) registers, at import, its event handlers
(:func:`on`, :func:`on_every_event`), how its document tables' rows come from their
documents (:func:`document`) and the work deferred to the end of a batch
(``BEFORE_FLUSH``). The projector reads these registries; it never imports the views,
and the views never import it: they see a batch through the :class:`Batch` protocol.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from domain.values import CommandContext

Key = tuple[Any, ...]


def iso(dt: datetime) -> str:
    """Fixed-width UTC ISO time (sorts as text): ``2026-03-17T09:00:00.000000Z``."""
    if dt.utcoffset():
        dt = dt.astimezone(UTC)
    # the first 26 characters are the date and time, without any "+00:00"
    return dt.isoformat(timespec="microseconds")[:26] + "Z"


def cents(amount: Any) -> int:
    """Exact euros (Decimal with ≤ 2 decimals) as integer cents."""
    return int(amount * 100)


@dataclass(slots=True)
class Meta:
    """Where and how an event was recorded; ``key`` is its aggregate's natural key."""

    position: int
    notification_id: int
    at: str
    context: CommandContext
    topic: str
    state: bytes
    key: str = ""


class Batch(Protocol):
    """What a handler may do with the batch being projected (``projections.projector.Batch``)."""

    marks: dict[str, set[Any]]

    def mark(self, kind: str, key: Any) -> None: ...

    def take_mark(self, kind: str, key: Any) -> bool: ...

    def doc(self, table: str, key: Key) -> dict[str, Any] | None: ...

    def put(self, table: str, key: Key, doc: dict[str, Any]) -> dict[str, Any]: ...

    def touch(self, table: str, key: Key) -> dict[str, Any]: ...

    def append(self, table: str, row: tuple[Any, ...]) -> None: ...


Handler = Callable[[Any, Any, Meta], None]
HANDLERS: dict[type, list[Handler]] = {}
ANY_EVENT: list[Handler] = []
ROW_OF: dict[str, Callable[[dict[str, Any]], tuple[Any, ...]]] = {}
CHILDREN_OF: dict[
    str, Callable[[Any, dict[str, Any]], dict[str, list[tuple[Any, ...]]]]
] = {}
BEFORE_FLUSH: list[Callable[[Any], None]] = []


def on(*event_classes: type) -> Callable[[Handler], Handler]:
    """Register a handler for event classes (the only place each is handled)."""

    def register(func: Handler) -> Handler:
        for cls in event_classes:
            HANDLERS.setdefault(cls, []).append(func)
        return func

    return register


def on_every_event(func: Handler) -> Handler:
    ANY_EVENT.append(func)
    return func


def document(
    table: str,
    row: Callable[[dict[str, Any]], tuple[Any, ...]],
    children: Callable[..., dict[str, list[tuple[Any, ...]]]] | None = None,
) -> None:
    """Declare how a document table's row (and derived rows) come from its documents."""
    ROW_OF[table] = row
    if children is not None:
        CHILDREN_OF[table] = children
