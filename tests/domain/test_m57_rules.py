"""M57 imputation: codes checked against the shipped nomenclature, warnings recorded."""

from __future__ import annotations

import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain import m57
from domain.budget import ProjectBudget
from domain.errors import InvalidValue, NotAllowed, NotFound
from ledger.app import Ledger
from tests.domain.builders import DSI, FIN, INV, OPE, Town, events_since, refused

GOOD = {"chapter": "21", "nature": "2183", "fonction": "020", "operation": "101"}


def test_nomenclature_names_its_source_and_version() -> None:
    n = m57.nomenclature()
    assert "M57" in n.source and "collectivites-locales.gouv.fr" in n.source
    assert n.version.startswith("M57")
    for chapter in ("20", "204", "21", "23", "16", "011", "012", "65"):
        assert chapter in n.chapters
    for nature in ("2051", "2183", "2184", "6156", "6184", "6262", "611"):
        assert nature in n.natures
    assert {"020", "0202"} <= set(n.fonctions)
    assert n.chapters["21"]["section"] == INV
    assert n.chapters["011"]["section"] == OPE


def test_a_known_imputation_has_no_warning() -> None:
    imp = m57.parse(GOOD, INV)
    assert imp == m57.Imputation("21", "2183", "020", "101", ())


def test_an_unknown_well_formed_code_is_accepted_with_a_warning() -> None:
    imp = m57.parse({**GOOD, "nature": "2189", "fonction": "0209"}, INV)
    assert imp.nature == "2189"
    assert len(imp.warnings) == 2
    assert imp.warnings[0].startswith("article 2189 hors de la nomenclature M57")
    assert imp.warnings[1].startswith("fonction 0209 hors de la nomenclature M57")


def test_a_chapter_of_the_other_section_warns() -> None:
    imp = m57.parse({"chapter": "011", "nature": "6156"}, INV)
    assert imp.warnings == ("chapitre 011 de la section fonctionnement",)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("chapter", "2A"),
        ("chapter", "2111"),
        ("nature", "21x3"),
        ("nature", "21831234"),
        ("fonction", "02O"),
        ("fonction", "020202"),
        ("operation", "op-1"),
        ("operation", "12345678901"),
    ],
)
def test_a_malformed_code_is_refused_naming_the_field(field: str, value: str) -> None:
    with pytest.raises(InvalidValue) as info:
        m57.parse({**GOOD, field: value}, INV)
    assert info.value.field == field


@given(
    st.sampled_from(["chapter", "nature", "fonction"]),
    st.text(alphabet=string.ascii_letters + string.punctuation + " é", min_size=1),
)
def test_any_code_with_letters_is_refused(field: str, value: str) -> None:
    if not value.strip():
        return  # blank means absent
    with pytest.raises(InvalidValue) as info:
        m57.parse({**GOOD, field: value}, INV)
    assert info.value.field == field


def test_chapter_and_nature_are_required() -> None:
    with pytest.raises(InvalidValue) as info:
        m57.parse({"chapter": "21"}, INV)
    assert info.value.field == "nature"


def test_finance_imputes_a_section_and_a_commitment(town: Town, ledger: Ledger) -> None:
    town.approved_budget()
    town.commitment()
    head = ledger.head()
    result = ledger.impute(FIN, "P1", GOOD, section=INV)
    assert result.data["warnings"] == []
    result = ledger.impute(
        FIN, "P1", {"chapter": "21", "nature": "2189"}, commitment="EJ1"
    )
    assert result.data["target"] == "engagement:EJ1"
    assert result.data["warnings"] == [
        "article 2189 hors de la nomenclature M57 livrée "
        f"({m57.nomenclature().version})"
    ]
    first, second = events_since(ledger, head)
    assert isinstance(first, ProjectBudget.Imputed)
    assert (first.target, first.chapter, first.nature, first.fonction) == (
        INV,
        "21",
        "2183",
        "020",
    )
    assert (second.target, second.warnings) == (
        "engagement:EJ1",
        result.data["warnings"],
    )


def test_imputation_refusals_write_nothing(town: Town, ledger: Ledger) -> None:
    town.approved_budget()
    with refused(ledger, InvalidValue) as info:
        ledger.impute(FIN, "P1", {**GOOD, "chapter": "ABC"}, section=INV)
    assert info.value.field == "chapter"
    with refused(ledger, NotFound):
        ledger.impute(FIN, "P1", GOOD, commitment="EJ9")
    with refused(ledger, InvalidValue) as info:
        ledger.impute(FIN, "P1", GOOD)
    assert info.value.field == "section"
    with refused(ledger, NotAllowed):
        ledger.impute(DSI, "P1", GOOD, section=INV)
    # a section where the project has no CP: nothing to impute there
    budget = ledger.load(ProjectBudget, ProjectBudget.id_for("P1"))
    assert budget is not None
    assert not any(k.endswith("/fonctionnement") for k in budget.cp)
    with refused(ledger, InvalidValue) as info:
        ledger.impute(
            FIN, "P1", {"chapter": "011", "nature": "6156"}, section="fonctionnement"
        )
    assert (info.value.field, info.value.params["value"]) == (
        "section",
        "fonctionnement",
    )
