"""Two administrators stepping down at once: exactly one succeeds, one remains.

The rule (``domain.accounts.remaining_administrator``) is checked in the command's
unit, and the administrator it relied on is guarded: its version is checked inside
the serialised save. Each step-down runs on its own ledger instance (as two server
processes would), in its own thread; both have run their rule and wait at a barrier
before saving, so the two saves really race. The loser's save fails, it runs again
on the new state, and is refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from domain.errors import LastAdministrator
from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from ledger.core import Caller
from tests.conftest import ADMIN

STEP_DOWNS: dict[str, Callable[[Ledger, str], Any]] = {
    "revoke": lambda led, me: led.revoke_role(Caller(me, reason="départ"), me, "admin"),
    "disable": lambda led, me: led.disable_user(Caller(me, reason="départ"), me),
}


@pytest.fixture
def two_admins(ledger: Ledger, settings: Settings) -> Iterator[list[Ledger]]:
    """``admin`` and ``second`` administer; two more ledger instances on the log."""
    ledger.add_user(
        ADMIN, "second", "Second admin", "second-password", roles=[("admin", None)]
    )
    yield from other_instances(settings)


def other_instances(settings: Settings) -> Iterator[list[Ledger]]:
    """Two more ledger instances on the same log (two server processes), closed
    after the test (``yield from`` it in a fixture)."""
    instances = [open_ledger(settings) for _ in range(2)]
    try:
        yield instances
    finally:
        for led in instances:
            led.close()


def before_the_first_save(led: Ledger, action: Callable[[], Any]) -> None:
    """Run ``action`` when ``led`` is about to save for the first time (after the
    command read what it reads): another instance's command, or a barrier."""
    save = led.save
    done = []

    def save_after_the_action(*args: Any, **kwargs: Any) -> Any:
        if not done:
            done.append(True)
            action()
        return save(*args, **kwargs)

    led.save = save_after_the_action  # type: ignore[method-assign]


def racing(led: Ledger, barrier: threading.Barrier) -> None:
    """Make ``led`` wait for the other instance before its first save only."""
    before_the_first_save(led, barrier.wait)


@pytest.mark.parametrize("how", sorted(STEP_DOWNS))
def test_two_administrators_stepping_down_at_once_leave_exactly_one(
    ledger: Ledger, two_admins: list[Ledger], how: str
) -> None:
    barrier = threading.Barrier(2, timeout=60)
    outcomes: dict[str, object] = {}

    def step_down(led: Ledger, me: str) -> None:
        try:
            outcomes[me] = STEP_DOWNS[how](led, me)
        except Exception as exc:  # the assertion names it
            outcomes[me] = exc

    threads = []
    for led, me in zip(two_admins, ("admin", "second"), strict=True):
        racing(led, barrier)
        threads.append(threading.Thread(target=step_down, args=(led, me)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    refused = {u: o for u, o in outcomes.items() if isinstance(o, LastAdministrator)}
    done = {u: o for u, o in outcomes.items() if not isinstance(o, Exception)}
    assert len(outcomes) == 2 and len(refused) == 1 and len(done) == 1, outcomes
    (loser,) = refused
    (winner,) = done
    assert refused[loser].params == {"username": loser}
    # the loser's first save conflicted, and its second attempt was refused
    loser_ledger = two_admins[("admin", "second").index(loser)]
    assert loser_ledger.stats.conflicts == 1
    assert not barrier.broken
    accounts = {u: ledger.account(u) for u in ("admin", "second")}
    assert accounts[loser].administers is True
    assert accounts[winner].administers is False
    assert [u for u, a in accounts.items() if a.administers] == [loser]


CROSS: dict[str, Callable[[Ledger, str, str], Any]] = {
    "revoke": lambda led, me, other: led.revoke_role(
        Caller(me, reason="départ"), other, "admin"
    ),
    "disable": lambda led, me, other: led.disable_user(
        Caller(me, reason="départ"), other
    ),
}


@pytest.mark.parametrize(
    "hows", [("revoke", "disable"), ("disable", "revoke"), ("disable", "disable")]
)
def test_two_administrators_removing_each_other_at_once_leave_exactly_one(
    ledger: Ledger, two_admins: list[Ledger], hows: tuple[str, str]
) -> None:
    """Each removes the other (one by revoking, one by disabling, or both alike): the
    rule guards the one each relies on — the remover itself — so one save fails."""
    barrier = threading.Barrier(2, timeout=60)
    outcomes: dict[str, object] = {}
    pairs = (("admin", "second"), ("second", "admin"))

    def remove(led: Ledger, how: str, me: str, other: str) -> None:
        try:
            outcomes[me] = CROSS[how](led, me, other)
        except Exception as exc:  # the assertion names it
            outcomes[me] = exc

    threads = []
    for led, how, (me, other) in zip(two_admins, hows, pairs, strict=True):
        racing(led, barrier)
        threads.append(threading.Thread(target=remove, args=(led, how, me, other)))
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    done = [u for u, o in outcomes.items() if not isinstance(o, Exception)]
    assert len(outcomes) == 2 and len(done) == 1, outcomes
    (winner,) = done
    (loser,) = set(outcomes) - {winner}
    assert not barrier.broken
    accounts = {u: ledger.account(u) for u in ("admin", "second")}
    # the winner removed the loser; the loser, no longer administering, was refused
    assert accounts[winner].administers is True
    assert accounts[loser].administers is False
    refused = ("NotAllowed", "UnknownActor", "LastAdministrator")
    assert type(outcomes[loser]).__name__ in refused, outcomes
