"""Amounts in every form that takes one, on both backends: written the French way
(``12 500,50`` with a space, no-break or narrow no-break space between thousands, a
decimal comma or point, ``€`` or not) they are recorded exactly; written any other way
(exponent, underscore, plus sign, other digits, three decimals, odd grouping, English
writing, a minus where none is allowed, huge) they are refused next to their field,
in French, and nothing is written.

The forms are listed in ``FORMS``; a test finds every form whose schema holds an
amount field (``web.api.schemas.Money``) from the views themselves, so a new amount
field on any form fails here until it is listed — and then it is covered.
"""

from __future__ import annotations

import html
import inspect
import itertools
import re
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields

from ledger.core import Caller
from projections import queries as q
from tests.amounts import (
    DECIMALS,
    FORMAT,
    HUGE,
    NEGATIVE,
    bad_form_amounts,
    form_amounts,
    french,
    value_of,
)
from tests.web.demo_site import field_error, page
from tests.web.ui_client import Site
from tests.web.world import login, open_world
from web.api import schemas as api_schemas
from web.api.schemas import Money
from web.ui import amounts as form_reader
from web.ui.amounts import AmountError, parse_form_amount

INV, YEAR = "investissement", 2026
COST_ROW = {"costs-0-year": str(YEAR), "costs-0-section": INV}
SESSION = "S-FUND"  # open; every decision form of these tests is on its agenda
FUNDED = "P-FUND"  # approved: commitments, payments, AP revisions
BIG = "EJ-BIG"  # a commitment payments are made against
MESSAGES = {
    (FORMAT, False): form_reader.EXPECTED,
    (FORMAT, True): form_reader.EXPECTED_SIGNED,
    (DECIMALS, False): form_reader.DECIMALS,
    (DECIMALS, True): form_reader.DECIMALS,
    (NEGATIVE, False): form_reader.NEGATIVE,
    (HUGE, False): "montant démesuré",
    (HUGE, True): "montant démesuré",
}
BILLION = 10**11  # 1 000 000 000,00 € in cents


def by(role: str) -> Caller:
    return Caller(actor=login(role), reason="préparation des tests")


def content(title: str, amount: str = "1000.00") -> dict[str, Any]:
    return {
        "title": title,
        "description": "Un projet pour les tests des montants.",
        "costs": [{"year": YEAR, "section": INV, "amount": amount}],
    }


# --- the world -----------------------------------------------------------------------


@dataclass
class World:
    """The web world of ``tests.web.world`` with an envelope, an approved project
    with a commitment, and an open session."""

    site: Site
    numbers: Iterator[int]

    @property
    def ledger(self) -> Any:
        return self.site.ledger

    def code(self, prefix: str) -> str:
        return f"{prefix}{next(self.numbers)}"

    def proposal(self, prefix: str, until: str) -> str:
        """A new proposal of the DSN direction, drafted / submitted / qualified /
        on the session's agenda."""
        code = self.code(prefix)
        led, dsi = self.ledger, by("dsi")
        led.draft_proposal(dsi, code, "DSN", content(f"Projet {code}"))
        if until != "draft":
            led.submit_proposal(dsi, code)
        if until in ("qualified", "on_agenda"):
            led.qualify_proposal(dsi, code, {"costs": content("")["costs"]})
        if until == "on_agenda":
            led.add_agenda_item(by("chair"), SESSION, code)
        self.site.caught_up()
        return code


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def world(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[World]:
    site = open_world(request, tmp_path_factory, str(request.param))
    led = site.ledger
    fin, dsi, chair = by("finance"), by("dsi"), by("chair")
    led.vote_budget(fin, YEAR, INV, "900000000000.00", "BP 2026", "2025-12-15")
    ap = "300000000000.00"
    led.draft_proposal(dsi, FUNDED, "DSN", content("Projet financé", ap))
    led.submit_proposal(dsi, FUNDED)
    led.qualify_proposal(dsi, FUNDED, {"costs": content("", ap)["costs"]})
    members = [login("chair"), login("member")]
    led.convene_session(chair, SESSION, "COPIL", f"{YEAR}-01-15", members, [])
    led.add_agenda_item(chair, SESSION, FUNDED)
    led.open_session(chair, SESSION, members)
    cp = [{"year": YEAR, "section": INV, "amount": ap}]
    led.record_decision(
        chair, SESSION, FUNDED, "approved", "motif", ap_amount=ap, cp=cp
    )
    led.record_commitment(
        fin, FUNDED, BIG, YEAR, INV, "100000000000.00", f"{YEAR}-02-01", "Titulaire"
    )
    site.caught_up()
    yield World(site, itertools.count(1))
    site.close()


# --- the forms -----------------------------------------------------------------------


@dataclass(frozen=True)
class Form:
    """One form that takes amounts: who posts it where, its amount inputs (those of
    one ``group`` must hold the same value: an AP and its CP), how to read back what
    was recorded."""

    role: str
    amounts: tuple[str, ...]  # input names; ``cp-0-amount`` for a row
    signed: tuple[str, ...]  # inputs that take a negative amount
    low: int  # cents
    high: int
    target: Callable[[World], str]  # a fresh target (a proposal code, a reference…)
    url: Callable[[str], str]
    data: Callable[[str], dict[str, str]]
    read: Callable[[World, str], dict[str, Decimal]]
    same_value: bool = False
    examples: int = 10


def _proposal_doc(w: World, code: str) -> dict[str, Any]:
    doc = q.proposal(w.site.read_model.store, code)
    assert doc is not None
    return doc


def _cost(doc: dict[str, Any]) -> Decimal:
    (line,) = doc["costs"]
    return value_of(line["amount_c"])


def _decision(w: World, code: str) -> dict[str, Decimal]:
    (d,) = q.decision_history(w.site.read_model.store, session=SESSION, proposal=code)
    (line,) = d["cp"]
    return {"ap_amount": d["ap"], "cp-0-amount": Decimal(line["amount"])}


def _move(w: World, deliberation: str) -> Decimal:
    (move,) = [
        m
        for m in q.budget_moves(w.site.read_model.store)
        if m["deliberation"] == deliberation
    ]
    return Decimal(move["amount"])


def _budget(w: World) -> dict[str, Any]:
    doc = q.project_budget(w.site.read_model.store, FUNDED)
    assert doc is not None
    return doc


_ENVELOPES = [
    (y, s) for y in range(2024, 2030) for s in (INV, "fonctionnement")
]  # all but one still to vote (plan 2024–2029)


def _free_envelope(w: World) -> str:
    voted = {(m["year"], m["section"]) for m in q.budget_moves(w.site.read_model.store)}
    year, section = next(e for e in _ENVELOPES if e not in voted)
    return f"{year}/{section}"


def _revision(w: World, _target: str) -> dict[str, Decimal]:
    doc = _budget(w)
    (line,) = doc["lines"]
    return {"ap_amount": doc["ap"], "cp-0-amount": line["cp"]}


FORMS: dict[str, Form] = {
    "ui.new_proposal": Form(
        role="dsi",
        amounts=("costs-0-amount",),
        signed=(),
        low=1,
        high=10**14,
        target=lambda w: w.code("N"),
        url=lambda _code: "/fiches/nouvelle",
        data=lambda code: {
            "code": code,
            "direction": "DSN",
            "title": f"Projet {code}",
            "description": "Saisi dans le formulaire.",
            **COST_ROW,
        },
        read=lambda w, code: {
            "costs-0-amount": _cost(_proposal_doc(w, code)["content"])
        },
    ),
    "ui.amend_proposal": Form(
        role="dsi",
        amounts=("costs-0-amount",),
        signed=(),
        low=1,
        high=10**14,
        target=lambda w: w.proposal("A", "draft"),
        url=lambda code: f"/fiches/{code}/amender",
        data=lambda code: {
            "title": f"Projet {code}",
            "description": "Révisé dans le formulaire.",
            "reason": "nouveau chiffrage",
            **COST_ROW,
        },
        read=lambda w, code: {
            "costs-0-amount": _cost(_proposal_doc(w, code)["content"])
        },
    ),
    "ui.qualify": Form(
        role="dsi",
        amounts=("costs-0-amount",),
        signed=(),
        low=1,
        high=10**14,
        target=lambda w: w.proposal("Q", "submitted"),
        url=lambda code: f"/fiches/{code}/qualifier",
        data=lambda _code: {"note": "chiffrage DSI", **COST_ROW},
        read=lambda w, code: {
            "costs-0-amount": _cost(_proposal_doc(w, code)["qualification"])
        },
    ),
    "ui.decide": Form(
        role="chair",
        amounts=("ap_amount", "cp-0-amount"),
        signed=(),
        low=1,
        high=BILLION,
        target=lambda w: w.proposal("D", "on_agenda"),
        url=lambda code: f"/seances/{SESSION}/arbitrer/{code}",
        data=lambda _code: {
            "outcome": "approved",
            "rationale": "arbitrage",
            "cp-0-year": str(YEAR),
            "cp-0-section": INV,
        },
        read=_decision,
        same_value=True,
    ),
    "ui.vote_budget": Form(
        role="finance",
        amounts=("amount",),
        signed=(),
        low=0,
        high=10**14,
        target=_free_envelope,
        url=lambda _target: "/budget/bp",
        data=lambda target: {
            "year": target.split("/")[0],
            "section": target.split("/")[1],
            "deliberation": f"BP {target}",
            "on": "2023-12-15",
        },
        read=lambda w, target: {"amount": _move(w, f"BP {target}")},
        examples=5,  # one per envelope still to vote
    ),
    "ui.adjust_budget": Form(
        role="finance",
        amounts=("delta",),
        signed=("delta",),
        low=1,
        high=BILLION,
        target=lambda w: w.code("DM "),
        url=lambda _target: "/budget/dm",
        data=lambda target: {
            "year": str(YEAR),
            "section": INV,
            "deliberation": target,
            "on": f"{YEAR}-06-30",
        },
        read=lambda w, target: {"delta": _move(w, target)},
    ),
    "ui.record_commitment": Form(
        role="finance",
        amounts=("amount",),
        signed=(),
        low=1,
        high=BILLION,
        target=lambda w: w.code("EJ-"),
        url=lambda _target: "/budget/engagements",
        data=lambda ref: {
            "proposal": FUNDED,
            "reference": ref,
            "year": str(YEAR),
            "section": INV,
            "on": f"{YEAR}-03-02",
            "supplier": "Titulaire",
        },
        read=lambda w, ref: {
            "amount": next(
                c["amount"] for c in _budget(w)["commitments"] if c["reference"] == ref
            )
        },
    ),
    "ui.record_payment": Form(
        role="finance",
        amounts=("amount",),
        signed=(),
        low=1,
        high=BILLION // 10,
        target=lambda w: w.code("MA-"),
        url=lambda _target: "/budget/mandats",
        data=lambda ref: {
            "commitment": f"{FUNDED}/{BIG}",
            "reference": ref,
            "on": f"{YEAR}-03-05",
        },
        read=lambda w, ref: {
            "amount": next(
                p["amount"] for p in _budget(w)["payments"] if p["reference"] == ref
            )
        },
    ),
    "ui.revise_ap": Form(
        role="chair",
        amounts=("ap_amount", "cp-0-amount"),
        signed=(),
        low=200 * BILLION,
        high=300 * BILLION,
        target=lambda w: w.code("DCM "),
        url=lambda _target: f"/budget/projets/{FUNDED}/ap",
        data=lambda deliberation: {
            "deliberation": deliberation,
            "reason": "avenant",
            "cp-0-year": str(YEAR),
            "cp-0-section": INV,
        },
        read=_revision,
        same_value=True,
    ),
}


def post(w: World, form: Form, target: str, amounts: dict[str, str]) -> Any:
    return w.site.client(login(form.role)).post(
        form.url(target), data={**form.data(target), **amounts}
    )


# --- every amount field of every form is listed ---------------------------------------


def schema_amounts(schema: Schema, prefix: str = "") -> set[str]:
    """The amount inputs of a form using ``schema`` (rows as ``cp-0-amount``)."""
    found = set()
    for name, field in schema.fields.items():
        key = field.data_key or name
        if isinstance(field, Money):
            found.add(prefix + key)
        elif isinstance(field, fields.Nested):
            found |= schema_amounts(field.schema, f"{prefix}{key}.")
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            found |= schema_amounts(field.inner.schema, f"{prefix}{key}-0-")
    return found


def schemas_used(view: Callable[..., Any]) -> set[type[Schema]]:
    """The schema classes a view's code names (its own, its lambdas', its module's
    or ``web.api.schemas``')."""
    func = inspect.unwrap(view)
    names: set[str] = set()
    codes = [func.__code__]
    while codes:
        code = codes.pop()
        names.update(code.co_names)
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    spaces = [func.__globals__, vars(api_schemas)]
    return {
        space[name]
        for space in spaces
        for name in names
        if isinstance(space.get(name), type) and issubclass(space[name], Schema)
    }


def test_every_form_taking_an_amount_is_covered(world: World) -> None:
    app = world.site.app
    found = {}
    for rule in app.url_map.iter_rules():
        if not rule.endpoint.startswith("ui.") or "POST" not in (rule.methods or ()):
            continue
        view = app.view_functions[rule.endpoint]
        amounts = set().union(*(schema_amounts(s()) for s in schemas_used(view)))
        if amounts:
            found[rule.endpoint] = amounts
    assert found == {name: set(form.amounts) for name, form in FORMS.items()}


@pytest.mark.parametrize("name", FORMS)
def test_every_listed_form_shows_its_amount_inputs(world: World, name: str) -> None:
    form = FORMS[name]
    target = form.target(world)
    response = world.site.client(login(form.role)).get(form.url(target))
    assert response.status_code == 200
    for field in form.amounts:
        assert re.search(rf'<input id="(f-)?{field}" name="{field}"', page(response))


# --- what is written the French way is recorded exactly ------------------------------


@st.composite
def writings(draw: st.DrawFn, form: Form) -> dict[str, tuple[str, Decimal]]:
    """A text per amount input of ``form`` and the value it means."""
    shared = draw(form_amounts(form.low, form.high, signed=bool(form.signed)))
    out = {}
    for field in form.amounts:
        if form.same_value:  # the same value, written its own way in each input
            cents = int(shared[1] * 100)
            out[field] = (french(draw, cents), shared[1])
        else:
            out[field] = draw(
                form_amounts(form.low, form.high, signed=field in form.signed)
            )
    return out


@pytest.mark.parametrize("name", FORMS)
def test_amounts_written_the_french_way_are_recorded_exactly(
    world: World, name: str
) -> None:
    form = FORMS[name]

    @settings(
        max_examples=form.examples,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(written=writings(form))
    def check(written: dict[str, tuple[str, Decimal]]) -> None:
        target = form.target(world)
        texts = {field: text for field, (text, _value) in written.items()}
        response = post(world, form, target, texts)
        assert response.status_code == 302, (texts, errors_in(page(response)))
        world.site.caught_up()
        expected = {field: value for field, (_text, value) in written.items()}
        assert form.read(world, target) == expected, texts

    check()


# --- anything else is refused next to its field, nothing written ----------------------


def errors_in(body: str) -> list[str]:
    """Every error a page shows (for failure reports)."""
    return [html.unescape(m) for m in re.findall(r'class="error"[^>]*>([^<]*)<', body)]


def shown_error(body: str, field: str) -> str:
    """The error shown for an input: tied by ``aria-describedby``, or right after it
    in its table cell (amount rows)."""
    by_aria = field_error(body, f"f-{field}") if f'id="f-{field}"' in body else ""
    if by_aria:
        return by_aria
    found = re.search(
        rf'<input id="{field}"[^>]*>\s*<p class="error"[^>]*>([^<]*)</p>', body
    )
    return html.unescape(found.group(1)) if found else ""


@pytest.mark.parametrize("name", FORMS)
def test_unreadable_amounts_are_refused_next_to_their_field(
    world: World, name: str
) -> None:
    form = FORMS[name]
    target = form.target(world)

    @settings(
        max_examples=10,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(
        field=st.sampled_from(form.amounts),
        good=form_amounts(form.low, form.high),
        data=st.data(),
    )
    def check(field: str, good: tuple[str, Decimal], data: st.DataObject) -> None:
        signed = field in form.signed
        bad, kind = data.draw(bad_form_amounts(signed=signed))
        texts = {other: good[0] for other in form.amounts}
        texts[field] = bad
        head = world.site.head()
        response = post(world, form, target, texts)
        body = page(response)
        assert response.status_code == 422, (bad, errors_in(body))
        assert shown_error(body, field) == MESSAGES[(kind, signed)], errors_in(body)
        assert world.site.head() == head

    check()


# --- the reader alone ------------------------------------------------------------------


@given(amount=form_amounts(signed=True), signed=st.booleans())
def test_the_reader_gives_the_api_its_decimal_string(
    amount: tuple[str, Decimal], signed: bool
) -> None:
    text, value = amount
    if value < 0 and not signed:
        with pytest.raises(AmountError) as err:
            parse_form_amount(text, signed=signed)
        assert err.value.message == form_reader.NEGATIVE
        return
    read = parse_form_amount(f"  {text} ", signed=signed)
    assert re.fullmatch(r"-?[0-9]+(\.[0-9]{1,2})?", read)
    assert Decimal(read) == value


@given(signed=st.booleans(), data=st.data())
def test_the_reader_refuses_what_is_not_an_amount(
    signed: bool, data: st.DataObject
) -> None:
    text, kind = data.draw(bad_form_amounts(signed=signed))
    if kind == HUGE:  # well written: the schema's bound refuses it
        assert Decimal(parse_form_amount(text, signed=signed)) > 10**12
        return
    with pytest.raises(AmountError) as err:
        parse_form_amount(text, signed=signed)
    assert err.value.message == MESSAGES[(kind, signed)]


def test_amount_errors_are_in_the_language_of_the_page(world: World) -> None:
    form = FORMS["ui.record_commitment"]
    client = world.site.client(login(form.role))
    client.get("/?lang=en")
    head = world.site.head()
    for text, message in (
        (
            "12,500.50",
            "Amount in euros expected: digits (thousands separated by a space), a "
            "point or a comma, at most two decimal places (e.g. 12 500.50 or "
            "12500.50).",
        ),
        (
            "12.500",
            "At most two decimal places; thousands are separated by a "
            "space (e.g. 12 500.50).",
        ),
        ("9 999 999 999 999", "amount far too large"),
    ):
        target = form.target(world)
        response = client.post(
            form.url(target), data={**form.data(target), "amount": text}
        )
        assert response.status_code == 422
        assert shown_error(page(response), "amount") == message
    assert world.site.head() == head
