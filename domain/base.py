"""Base aggregate: every event carries the command context of the ledger command.

The ledger sets the context for the duration of one command (``command_context``);
an aggregate that triggers an event outside a ledger command raises, so nothing but the
ledger can produce events.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from domain.values import CommandContext

_CONTEXT: ContextVar[CommandContext | None] = ContextVar(
    "sdsi_command_context", default=None
)

T = TypeVar("T", bound="LedgerAggregate")


class OutsideCommand(RuntimeError):
    """An event was triggered outside a ledger command."""


@contextmanager
def command_context(ctx: CommandContext) -> Iterator[CommandContext]:
    """Make ``ctx`` the context of every event triggered inside the block."""
    token = _CONTEXT.set(ctx)
    try:
        yield ctx
    finally:
        _CONTEXT.reset(token)


def current_context() -> CommandContext:
    """The context of the running ledger command."""
    ctx = _CONTEXT.get()
    if ctx is None:
        raise OutsideCommand("events can only be triggered inside a ledger command")
    return ctx


def natural_id(kind: str, *key: object) -> UUID:
    """Deterministic id from a natural key, so a second creation is a conflict."""
    return uuid5(NAMESPACE_URL, "/sdsi/" + kind + "/" + "/".join(str(k) for k in key))


class LedgerAggregate(Aggregate):
    """Aggregate whose events all carry the ``CommandContext``; times are the command's."""

    class Event(Aggregate.Event):
        context: CommandContext

    class Created(Event, Aggregate.Created):
        pass

    @classmethod
    def _create(
        cls: type[T], event_class: Any, *, id: UUID | None = None, **kw: Any
    ) -> T:
        ctx = current_context()
        kw["context"] = ctx
        kw.setdefault("timestamp", ctx.at)
        return super()._create(event_class, id=id, **kw)  # type: ignore[misc]

    def trigger_event(self, event_class: Any, **kw: Any) -> None:
        ctx = current_context()
        kw["context"] = ctx
        kw.setdefault("timestamp", ctx.at)
        super().trigger_event(event_class, **kw)

    def __deepcopy__(self, memo: dict[int, Any]) -> Any:
        """What ``copy.deepcopy`` gives, made faster for the library's aggregate cache
        (every command copies its aggregate out of it): immutable values — text,
        numbers, dates, ids, enums — are shared instead of rebuilt, lists, dicts, sets
        and tuples are copied, anything else goes through ``copy.deepcopy``."""
        new = object.__new__(type(self))
        memo[id(self)] = new
        new.__dict__.update({k: _copied(v, memo) for k, v in self.__dict__.items()})
        return new


_IMMUTABLE = (
    str, int, float, bool, type(None), bytes, Decimal, UUID,
    dt.date, dt.datetime, dt.time, dt.timedelta, Enum, frozenset,
)  # fmt: skip


def _copied(value: Any, memo: dict[int, Any]) -> Any:
    if isinstance(value, _IMMUTABLE):
        return value
    kind = type(value)
    if kind is tuple:
        return tuple(_copied(v, memo) for v in value)
    if kind not in (list, dict, set):
        return copy.deepcopy(value, memo)
    seen = memo.get(id(value))
    if seen is not None:  # the same container twice: copied once, as deepcopy does
        return seen
    if kind is list:
        new: Any = [_copied(v, memo) for v in value]
    elif kind is dict:
        new = {k: _copied(v, memo) for k, v in value.items()}
    else:
        new = {_copied(v, memo) for v in value}
    memo[id(value)] = new
    memo.setdefault(id(memo), []).append(value)  # kept alive, as deepcopy does
    return new
