"""The municipality's identifiers as INSEE issues them (fast tier: no storage).

Generated: every SIREN and SIRET with a right Luhn key is accepted (spaces between
groups too), every single-digit typo is refused naming the field, La Poste's
establishments (digit sum divisible by 5) are accepted, a SIRET is refused with
another SIREN, and every INSEE commune code — Corsica's 2A/2B, overseas codes — is
accepted while anything else a client may send is refused naming the field.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from domain.errors import InvalidValue
from domain.municipality import insee_code, luhn_valid, siren, siret

digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def luhn_key(body: str) -> str:
    """The digit that makes ``body + digit`` pass the Luhn check."""
    for d in "0123456789":
        if luhn_valid(body + d):
            return d
    raise AssertionError(body)


valid_sirens = st.text(alphabet="0123456789", min_size=8, max_size=8).map(
    lambda body: body + luhn_key(body)
)


@st.composite
def valid_sirets(draw: Any, of: str | None = None) -> str:
    head = of or draw(valid_sirens)
    body = head + draw(st.text(alphabet="0123456789", min_size=4, max_size=4))
    return body + luhn_key(body)


def typo(number: str, position: int, digit: str) -> str:
    return number[:position] + digit + number[position + 1 :]


# --- SIREN ---------------------------------------------------------------------------


def test_real_sirens_are_accepted() -> None:
    # Ville de Paris, La Poste, Ville de Lyon
    for number in ("217500016", "356000000", "216901231"):
        assert siren(number) == number


@given(number=valid_sirens)
@settings(max_examples=200)
def test_every_siren_with_its_luhn_key_is_accepted(number: str) -> None:
    assert siren(number) == number
    assert siren(f"{number[:3]} {number[3:6]} {number[6:]}") == number
    assert siren(f"{number[:3]}\u202f{number[3:6]}\u00a0{number[6:]}") == number


@given(number=valid_sirens, position=st.integers(0, 8), digit=digits)
@settings(max_examples=200)
def test_a_single_digit_typo_in_a_siren_is_refused(
    number: str, position: int, digit: str
) -> None:
    wrong = typo(number, position, digit)
    assume(wrong != number)
    with pytest.raises(InvalidValue) as err:
        siren(wrong)
    assert err.value.field == "siren"
    assert err.value.params["reason"] == "SIREN invalide (clé de contrôle de Luhn)"


@given(value=st.one_of(st.text(max_size=12), st.integers(), st.none(), st.floats()))
@settings(max_examples=300)
def test_anything_else_as_a_siren_is_refused_naming_the_field(value: Any) -> None:
    compact = value.replace(" ", "") if isinstance(value, str) else None
    assume(
        not (
            compact
            and compact.isascii()
            and compact.isdigit()
            and len(compact) == 9
            and luhn_valid(compact)
        )
    )
    with pytest.raises(InvalidValue) as err:
        siren(value)
    assert err.value.field == "siren"


# --- SIRET ---------------------------------------------------------------------------


def test_real_sirets_are_accepted() -> None:
    # Hôtel de Ville de Paris; La Poste's head office (Luhn) and an establishment of
    # La Poste (digit sum 30, Luhn fails): accepted by La Poste's rule.
    for number in ("21750001600019", "35600000000048", "35600000049030"):
        assert siret(number) == number
    assert not luhn_valid("35600000049030")


@given(number=valid_sirets())
@settings(max_examples=200)
def test_every_siret_with_its_luhn_key_is_accepted(number: str) -> None:
    assert siret(number) == number
    assert siret(number, of=number[:9]) == number
    assert siret(f"{number[:3]} {number[3:6]} {number[6:9]} {number[9:]}") == number


@given(number=valid_sirets(), position=st.integers(0, 13), digit=digits)
@settings(max_examples=200)
def test_a_single_digit_typo_in_a_siret_is_refused_unless_la_poste_s(
    number: str, position: int, digit: str
) -> None:
    wrong = typo(number, position, digit)
    assume(wrong != number)
    la_poste = wrong.startswith("356000000") and sum(map(int, wrong)) % 5 == 0
    if la_poste:
        assert siret(wrong) == wrong
        return
    with pytest.raises(InvalidValue) as err:
        siret(wrong)
    assert err.value.field == "siret"


@given(establishment=st.text(alphabet="0123456789", min_size=5, max_size=5))
@settings(max_examples=200)
def test_la_poste_s_establishments_follow_their_own_rule(establishment: str) -> None:
    number = "356000000" + establishment
    accepted = luhn_valid(number) or sum(map(int, number)) % 5 == 0
    if accepted:
        assert siret(number) == number
    else:
        with pytest.raises(InvalidValue):
            siret(number)


@given(number=valid_sirets(), other=valid_sirens)
@settings(max_examples=100)
def test_a_siret_of_another_siren_is_refused(number: str, other: str) -> None:
    assume(number[:9] != other)
    with pytest.raises(InvalidValue) as err:
        siret(number, of=other)
    assert err.value.field == "siret"
    assert err.value.params["reason"] == f"le SIRET n'appartient pas au SIREN {other}"


# --- INSEE commune code --------------------------------------------------------------

departments = st.sampled_from(
    [f"{d:02d}" for d in range(1, 96) if d != 20] + ["2A", "2B"]
)
communes = st.integers(1, 999).map(lambda n: f"{n:03d}")
overseas = st.sampled_from(["971", "972", "973", "974", "975", "976", "977", "978"])
pacific = st.sampled_from(["984", "986", "987", "988", "989"])


@given(
    code=st.one_of(
        st.tuples(departments, communes),
        st.tuples(overseas | pacific, st.integers(1, 99).map(lambda n: f"{n:02d}")),
    )
)
@settings(max_examples=300)
def test_every_commune_code_is_accepted(code: tuple[str, str]) -> None:
    text = "".join(code)
    assert insee_code(text) == text
    assert insee_code(f" {text.lower()} ") == text


def test_real_commune_codes_are_accepted() -> None:
    for code in ("75056", "69123", "2A004", "2B033", "97411", "97608", "98735"):
        assert insee_code(code) == code


@pytest.mark.parametrize(
    "code",
    ["20004", "2C004", "96001", "00001", "75000", "97100", "97901", "7505", "750561",
     "75 056", "７５０５６", "A2004", "", "99999"],
)  # fmt: skip
def test_what_is_no_commune_code_is_refused(code: str) -> None:
    with pytest.raises(InvalidValue) as err:
        insee_code(code)
    assert err.value.field == "insee"


@given(value=st.one_of(st.text(max_size=8), st.integers(), st.none()))
@settings(max_examples=300)
def test_anything_a_client_sends_as_a_commune_code_is_checked(value: Any) -> None:
    try:
        code = insee_code(value)
    except InvalidValue as exc:
        assert exc.field == "insee"
        return
    assert isinstance(value, str)
    assert len(code) == 5 and code.isascii() and code == value.strip().upper()
    assert code[:2] != "20" and code[2:] != "000"
