"""French formatting, formula escaping and exact JSON numbers (no storage)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from exports.french import long_date, long_datetime, money, number, percent, typo
from exports.rows import Column, Table
from exports.tabular import dumps, escape_formula, french_csv, open_csv

NB, NNB = "\u00a0", "\u202f"


def test_money_groups_thousands_with_narrow_no_break_spaces() -> None:
    assert money(Decimal("1234567.89")) == f"1{NNB}234{NNB}567,89{NB}€"
    assert money("0") == f"0,00{NB}€"
    assert money(Decimal("-1500.5")) == f"-1{NNB}500,50{NB}€"
    assert money(None) == ""
    assert number(Decimal("84.333")) == "84,33"
    assert percent(Decimal("66")) == f"66{NB}%"


def test_dates_are_written_out_in_french() -> None:
    assert long_date("2026-03-17") == f"17{NB}mars 2026"
    assert long_date("2026-03-01") == f"1er{NB}mars 2026"
    assert long_datetime("2021-03-18T09:00:50.000000Z") == (
        f"18{NB}mars 2021 à 09{NB}h{NB}00{NB}UTC"
    )


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Motif : validé ; urgent !", f"Motif{NB}: validé{NNB}; urgent{NNB}!"),
        ("Pourquoi? «oui»", f"Pourquoi{NNB}? «{NB}oui{NB}»"),
        (
            "https://example.org 09:00 position:3",
            "https://example.org 09:00 position:3",
        ),
    ],
)
def test_prose_gets_french_punctuation_spacing(text: str, expected: str) -> None:
    assert typo(text) == expected


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
def test_cells_starting_like_a_formula_get_a_quote(prefix: str) -> None:
    assert escape_formula(f"{prefix}1+2") == f"'{prefix}1+2"
    assert escape_formula("Projet 1") == "Projet 1"


def test_csv_writers_escape_text_but_not_numbers() -> None:
    table = Table(
        "t",
        "T",
        (Column("label", "Libellé"), Column("amount", "Montant", "money")),
        [("=cmd|' /C calc'!A0", Decimal("-12.5"))],
    )
    assert french_csv(table) == (
        "\ufeffLibellé;Montant\r\n'=cmd|' /C calc'!A0;-12,50\r\n".encode()
    )
    assert open_csv(table) == b"label,amount\r\n'=cmd|' /C calc'!A0,-12.50\r\n"


def test_json_numbers_are_exact_decimals() -> None:
    assert dumps({"a": Decimal("27000.00"), "b": [Decimal("0.1")]}) == (
        '{"a": 27000.00, "b": [0.10]}'
    )
