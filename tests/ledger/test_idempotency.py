"""An idempotency key repeats one request, never another: the ledger, on both backends.

Issue 12, defect 7: the same key with the same command but other arguments returned the
first result silently. Now the command record keeps the hash of the command's
canonical arguments (``ledger.idempotency``): the same key, command and arguments give
the first result; anything else is refused (``IdempotencyKeyReused``) and writes
nothing. The API's ``Idempotency-Key`` is covered in ``tests/web/test_idempotency_api.py``.
"""

from __future__ import annotations

import inspect
import itertools
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from domain.budget import Envelope
from ledger.app import Ledger
from ledger.core import Caller, CommandResult, LedgerCore
from ledger.errors import IdempotencyKeyReused
from ledger.idempotency import arguments_hash, canonical
from tests.conftest import ADMIN

PASSWORD = "secret-password-1"
CONTENT = {
    "title": "Tablettes pour les écoles",
    "description": "Équiper les classes de CM1 et CM2.",
    "costs": [{"year": 2026, "section": "investissement", "amount": "1000.00"}],
}
_unique = itertools.count(1)

# --- every command captures its arguments ----------------------------------------


def command_methods() -> list[tuple[str, Any]]:
    """The public methods of the Ledger that return a CommandResult: its commands."""
    return [
        (name, member)
        for name, member in inspect.getmembers(Ledger, inspect.isfunction)
        if not name.startswith("_")
        and name not in vars(LedgerCore)  # the machinery: execute, landed…
        and inspect.signature(member).return_annotation
        in (CommandResult, "CommandResult")
    ]


def test_every_command_of_the_ledger_captures_its_arguments() -> None:
    """A command added without @command would store no hash: caught here (and by
    execute, which refuses to run outside one)."""
    commands = command_methods()
    assert len(commands) >= 51
    undecorated = [
        name
        for name, method in commands
        if getattr(method, "__sdsi_command__", None) != name
    ]
    assert undecorated == []


def test_execute_refuses_to_run_outside_a_command_method(ledger: Ledger) -> None:
    head = ledger.head()
    with pytest.raises(TypeError, match="must run from a method decorated"):
        ledger.execute("create_pole", ADMIN, lambda unit: None)
    assert ledger.head() == head


# --- the canonical form ------------------------------------------------------------

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


@given(value=json_values)
@settings(max_examples=300)
def test_any_json_argument_has_a_hash(value: Any) -> None:
    """Whatever a client sends — NaN, 2**80, a lone surrogate — hashes (no 500)."""
    first = arguments_hash("alice", None, {"x": value})
    assert first == arguments_hash("alice", None, {"x": value})
    assert len(first) == 64


@given(a=json_values, b=json_values)
@settings(max_examples=300)
def test_different_json_arguments_have_different_hashes(a: Any, b: Any) -> None:
    assume(canonical(a) != canonical(b))
    assert arguments_hash("alice", None, {"x": a}) != arguments_hash(
        "alice", None, {"x": b}
    )


def test_python_forms_of_the_same_json_hash_alike() -> None:
    """Decimal and date from Python, strings from JSON; tuples and lists."""
    from datetime import date

    python = {
        "amount": Decimal("12.50"),
        "on": date(2026, 3, 2),
        "roles": (("dsi", None),),
    }
    json = {"amount": "12.50", "on": "2026-03-02", "roles": [["dsi", None]]}
    assert arguments_hash("a", "r", python) == arguments_hash("a", "r", json)
    assert arguments_hash("a", "r", json) != arguments_hash("b", "r", json)
    assert arguments_hash("a", "r", json) != arguments_hash("a", "other", json)


# --- repeats and reuses on the ledger -------------------------------------------------


BOSS = "boss"  # administrator, DSI and finance: may send every generated command


def prepare(ledger: Ledger) -> None:
    """A pôle, a direction and an actor the generated commands need (once)."""
    if ledger.account(BOSS) is None:
        ledger.create_pole(ADMIN, "PDG", "Pôle direction générale")
        ledger.create_direction(ADMIN, "DSN", "Direction du numérique", "PDG")
        roles = [("admin", None), ("dsi", None), ("finance", None)]
        ledger.add_user(ADMIN, BOSS, "Tous les rôles", PASSWORD, roles=roles)
        # budgets need a plan, whose horizon (16 years, the most) holds their years
        ledger.define_plan(ADMIN, "SDSI", "Ville", 2026, 2041)


def base_call(case: str, n: int) -> tuple[str, dict[str, Any]]:
    """A call of a command that succeeds on a prepared ledger (``n`` keeps it new)."""
    if case == "create_pole":
        return case, {"pole_code": f"P{n}", "name": "Pôle {n}"}
    if case == "create_team":
        return case, {
            "team_code": f"T{n}",
            "name": "Équipe études",
            "kind": "dsi",
            "capacity": {2026: 200, 2027: 180},
        }
    if case == "add_user":
        return case, {
            "name": f"user{n}",
            "display_name": "Utilisateur",
            "password": PASSWORD,
            "email": f"user{n}@example.org",
            "roles": [("evaluator", None)],
        }
    if case == "grant_role":
        return case, {"name": f"grantee{n}", "role": "auditor", "scope": None}
    if case == "vote_budget":
        return case, {
            "budget_year": 2026,
            "section": "investissement",
            "amount": "125000.00",
            "deliberation": f"DEL-{n}",
            "on": "2026-01-15",
        }
    if case == "draft_proposal":
        return case, {
            "proposal_code": f"PR-{n}",
            "direction_code": "DSN",
            "content": CONTENT,
        }
    raise AssertionError(case)


CASES = (
    "create_pole",
    "create_team",
    "add_user",
    "grant_role",
    "vote_budget",
    "draft_proposal",
)


def send(
    ledger: Ledger, case: str, caller: Caller, kwargs: dict[str, Any]
) -> CommandResult:
    return getattr(ledger, case)(caller, **kwargs)


def other_scalar(value: Any) -> st.SearchStrategy[Any]:
    return (
        st.none() | st.booleans() | st.integers(-5, 3000) | st.text(max_size=8)
    ).filter(lambda v: canonical(v) != canonical(value))


def mutated(value: Any) -> st.SearchStrategy[Any]:
    """A JSON value that differs from ``value`` somewhere, at any depth."""
    if isinstance(value, dict) and value:
        keys = sorted(value, key=str)
        changed = st.sampled_from(keys).flatmap(
            lambda k: mutated(value[k]).map(lambda v: {**value, k: v})
        )
        dropped = st.sampled_from(keys).map(
            lambda k: {kk: vv for kk, vv in value.items() if kk != k}
        )
        added = st.text(min_size=1, max_size=6).filter(lambda k: k not in value)
        return changed | dropped | added.map(lambda k: {**value, k: "ajout"})
    if isinstance(value, list | tuple) and value:
        items = list(value)
        changed = st.integers(0, len(items) - 1).flatmap(
            lambda i: mutated(items[i]).map(lambda v: [*items[:i], v, *items[i + 1 :]])
        )
        return changed | st.just(items[:-1]) | st.just([*items, items[0]])
    return other_scalar(value)


@given(data=st.data())
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
def test_a_key_repeats_only_the_same_request(ledger: Ledger, data: Any) -> None:
    """Any change of any argument (or of the reason) under a landed key is refused
    and writes nothing; the very same request gets the first result."""
    prepare(ledger)
    n = next(_unique)
    case = data.draw(st.sampled_from(CASES), label="command")
    command, kwargs = base_call(case, n)
    if case == "grant_role":
        ledger.add_user(ADMIN, f"grantee{n}", "Bénéficiaire", PASSWORD)
    if case == "vote_budget":  # a year and section not voted yet (a BP is voted once)
        free = next(
            (
                (y, s)
                for y in range(2026, 2042)
                for s in ("investissement", "fonctionnement")
                if Envelope.id_for(y, s) not in ledger.repository
            ),
            None,
        )
        assume(free is not None)  # all 32 voted by earlier examples
        kwargs["budget_year"], kwargs["section"] = free
    key = f"key-{n}"
    caller = Caller(actor=BOSS, reason="demande initiale", key=key)
    first = send(ledger, command, caller, kwargs)
    landed = ledger.storage.get_command(key)
    head = ledger.head()

    what = data.draw(st.sampled_from([*sorted(kwargs), "reason"]), label="changed")
    if what == "reason":
        reason = data.draw(other_scalar("demande initiale") | st.none())
        other = Caller(BOSS, reason=reason, key=key)
        assume(other.reason != caller.reason)
        changed = kwargs
    else:
        other = caller
        changed = {**kwargs, what: data.draw(mutated(kwargs[what]), label="value")}
    with pytest.raises(IdempotencyKeyReused) as refused:
        send(ledger, command, other, changed)
    assert refused.value.params == {"key": key, "previous": command, "command": command}
    assert ledger.head() == head
    assert ledger.storage.get_command(key) == landed

    again = send(ledger, command, caller, kwargs)
    assert (again.replayed, again.data, again.notification_id) == (
        True,
        first.data,
        first.notification_id,
    )
    assert ledger.head() == head


def test_another_command_or_actor_under_a_landed_key_is_refused(ledger: Ledger) -> None:
    prepare(ledger)
    ledger.create_pole(ADMIN.with_key("k-pole"), "PX", "Pôle X")
    head = ledger.head()
    with pytest.raises(IdempotencyKeyReused):
        ledger.create_pole(Caller(BOSS, key="k-pole"), "PX", "Pôle X")
    with pytest.raises(IdempotencyKeyReused) as refused:
        ledger.create_axis(ADMIN.with_key("k-pole"), "PX", "Pôle X")
    assert refused.value.params == {
        "key": "k-pole",
        "previous": "create_pole",
        "command": "create_axis",
    }
    assert ledger.head() == head


def test_a_refused_first_send_leaves_the_key_free(ledger: Ledger) -> None:
    """Nothing lands when the first send breaks a rule: the corrected request, under
    the same key, is a first send (what a form re-shown with its errors does)."""
    prepare(ledger)
    with pytest.raises(Exception) as refused:
        ledger.create_direction(ADMIN.with_key("k-dir"), "EDU", "Éducation", "NOPE")
    assert getattr(refused.value, "code", None) == "not_found"
    result = ledger.create_direction(ADMIN.with_key("k-dir"), "EDU", "Éducation", "PDG")
    assert result.replayed is False and result.data == {
        "code": "EDU",
        "pole": "PDG",
        "entity": "principale",
    }


def test_passwords_are_never_hashed_but_a_repeat_must_carry_the_same(
    ledger: Ledger,
) -> None:
    """The command table must not hold a fast hash of a password (it would undo
    Argon2id): the hash leaves it out, and a repeat is checked against the credential
    the first send stored."""
    caller = ADMIN.with_key("k-user")
    kwargs = {"email": "", "roles": [("dsi", None)]}
    first = ledger.add_user(caller, "zoe", "Zoé", PASSWORD, **kwargs)
    record = ledger.storage.get_command("k-user")
    assert record is not None
    without = {"name": "zoe", "display_name": "Zoé", **kwargs}
    assert record.arguments_hash == arguments_hash("admin", "tests", without)
    head = ledger.head()
    with pytest.raises(IdempotencyKeyReused):
        ledger.add_user(caller, "zoe", "Zoé", "another-password-2", **kwargs)
    again = ledger.add_user(caller, "zoe", "Zoé", PASSWORD, **kwargs)
    assert again.replayed and again.data == first.data and ledger.head() == head

    ledger.reset_password(ADMIN.with_key("k-pw"), "zoe", "zoe-password-22")
    with pytest.raises(IdempotencyKeyReused):
        ledger.reset_password(ADMIN.with_key("k-pw"), "zoe", "zoe-password-23")
    assert ledger.reset_password(
        ADMIN.with_key("k-pw"), "zoe", "zoe-password-22"
    ).replayed
    assert ledger.authenticate("zoe", "zoe-password-22") is not None
    # a change repeats with the new password it stored (not the current one it
    # replaced), from the account itself
    zoe = Caller(actor="zoe", key="k-change")
    ledger.change_password(zoe, "zoe", "zoe-password-22", "zoe-password-33")
    with pytest.raises(IdempotencyKeyReused):
        ledger.change_password(zoe, "zoe", "zoe-password-22", "zoe-password-34")
    again = ledger.change_password(zoe, "zoe", "zoe-password-22", "zoe-password-33")
    assert again.replayed
    assert ledger.authenticate("zoe", "zoe-password-33") is not None
