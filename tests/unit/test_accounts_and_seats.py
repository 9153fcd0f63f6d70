"""The last administrator and the COPIL seats (``domain.accounts``,
``domain.committee``), and the role sets every layer takes from ``domain.values``."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest

from domain.accounts import Account, remaining_administrator
from domain.base import command_context
from domain.committee import Committee, check_seat
from domain.errors import InvalidValue, LastAdministrator
from domain.values import (
    BUDGET_READERS,
    COMMITTEE_ROLES,
    VOTING_ROLES,
    CommandContext,
    Role,
)


@contextmanager
def acting(roles: tuple[str, ...] = ("admin",)) -> Iterator[None]:
    ctx = CommandContext(
        actor="root",
        roles=roles,
        at=datetime(2030, 1, 1, tzinfo=UTC),
        origin="cli",
        command="test",
        key="k",
        reason="motif",
    )
    with command_context(ctx):
        yield


def account(name: str, *roles: str, active: bool = True) -> Account:
    with acting():
        a = Account.register(name, name.title(), "")
        for role in roles:
            a.grant(role)
        if not active:
            a.disable()
    return a


def test_another_active_administrator_must_remain() -> None:
    alice, bob = account("alice", "admin"), account("bob", "admin")
    carol = account("carol", "admin", active=False)
    dave = account("dave", "dsi")
    assert remaining_administrator(alice, [alice, carol, dave, None, bob]) is bob
    with pytest.raises(LastAdministrator) as err:
        remaining_administrator(alice, [alice, carol, dave, None])
    assert err.value.params == {"username": "alice"}
    # who does not administer leaves nothing to keep
    assert remaining_administrator(dave, []) is None
    assert remaining_administrator(carol, []) is None


def test_an_administrator_is_active_and_holds_the_role() -> None:
    assert account("a1", "admin").administers is True
    assert account("a2", "admin", active=False).administers is False
    assert account("a3", "dsi", "auditor").administers is False


def committee(*members: tuple[str, bool]) -> Committee:
    with acting():
        c = Committee.create()
        for name, voting in members:
            c.appoint(name, ["member"], True, "elu", voting)
    return c


def test_before_any_composition_seats_follow_the_committee_roles() -> None:
    for c in (None, committee()):
        check_seat(c, "voting", "m", ["member"])
        check_seat(c, "voting", "ch", ["chair"])
        check_seat(c, "non_voting", "d", ["dsi"])
        check_seat(c, "non_voting", "f", ["finance"])
        for seat, grants in (("voting", ["dsi"]), ("non_voting", ["auditor"])):
            with pytest.raises(InvalidValue) as err:
                check_seat(c, seat, "x", grants)
            assert err.value.field == seat


def test_once_composed_seats_follow_the_composition() -> None:
    c = committee(("voter", True), ("listener", False))
    check_seat(c, "voting", "voter", ["member"])
    check_seat(c, "non_voting", "listener", ["auditor"])  # any seated member
    check_seat(c, "non_voting", "voter", ["member"])
    with pytest.raises(InvalidValue):
        check_seat(c, "voting", "listener", ["member"])  # seated without a vote
    with pytest.raises(InvalidValue):
        check_seat(c, "non_voting", "stranger", ["member"])
    with pytest.raises(InvalidValue):
        check_seat(c, "voting", "voter", ["dsi"])  # lost the voting role


def test_role_sets_are_named_once() -> None:
    assert Role.names() == {
        "referent",
        "dsi",
        "evaluator",
        "member",
        "chair",
        "finance",
        "auditor",
        "admin",
        "consultant",
    }
    assert Role.names(VOTING_ROLES) == {"member", "chair"}
    assert Role.names(COMMITTEE_ROLES) == {"member", "chair", "dsi", "finance"}
    assert Role.names(BUDGET_READERS) == {
        "finance",
        "dsi",
        "chair",
        "member",
        "auditor",
        "consultant",
    }


def test_every_layer_takes_its_role_names_from_the_domain() -> None:
    from exports.budget import BudgetExporter
    from exports.certificate import CertificateExporter
    from exports.minutes import MinutesExporter
    from projections import queries
    from web import access

    assert Role.names() == access.ALL
    assert access.PERMISSIONS["export.budget"] == BudgetExporter.roles
    assert access.PERMISSIONS["export.minutes"] == MinutesExporter.roles
    assert access.PERMISSIONS["export.certificate"] == CertificateExporter.roles
    assert access.PERMISSIONS["budget.view"] == BudgetExporter.roles
    assert set(queries.VOTING_ROLES) == Role.names(VOTING_ROLES)
    assert set(queries.COMMITTEE_ROLES) == Role.names(COMMITTEE_ROLES)


def test_whoever_may_take_a_voting_seat_may_vote_through_the_web() -> None:
    """A voting seat needs the member's or the chair's role (``check_seat``): an
    account holding only the chair's role is seated and may vote in the ledger, so
    the web must not refuse it the vote (nor hide its vote form)."""
    from web import access

    for role in sorted(Role.names(VOTING_ROLES)):
        check_seat(None, "voting", "someone", [role])  # seated: no error
        assert access.allowed([role], "session.vote"), role
    assert access.PERMISSIONS["session.vote"] == Role.names(VOTING_ROLES)
