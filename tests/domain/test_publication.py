"""What the citizens' pages may show: the public status of each lifecycle status, and
the catalogue of publishable fields with the setting that withholds some."""

from __future__ import annotations

import pytest

from domain.errors import InvalidValue
from domain.proposals import Status
from domain.publication import FIELDS, public_status, published_fields
from ledger.config import Settings
from ledger.errors import ConfigError

EXPECTED = {
    "approved": "planned",
    "approved_with_conditions": "planned",
    "planned": "planned",
    "in_progress": "in_progress",
    "done": "done",
    "cancelled": "cancelled",
}


@pytest.mark.parametrize("status", Status.names())
def test_only_decided_projects_have_a_public_status(status: str) -> None:
    assert public_status(status) == EXPECTED.get(status)


def test_an_unknown_status_has_none() -> None:
    assert public_status("brouillon") is None


def test_every_field_is_published_unless_withheld() -> None:
    assert published_fields([]) == frozenset(FIELDS)
    shown = published_fields(["decision.rationale", "checkpoint"])
    assert shown == frozenset(FIELDS) - {"decision.rationale", "checkpoint"}


@pytest.mark.parametrize("name", ["scores", "evaluators", "project.referent", ""])
def test_a_field_outside_the_catalogue_cannot_be_named(name: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        published_fields([name])
    assert refused.value.field == "SDSI_PUBLIC_HIDE"


def test_the_setting_is_read_once_and_a_misspelt_field_stops_the_server() -> None:
    settings = Settings.from_env({"SDSI_PUBLIC_HIDE": " project.budget, budget.axes "})
    assert settings.public_hidden == {"project.budget", "budget.axes"}
    assert Settings.from_env({}).public_hidden == frozenset()
    with pytest.raises(ConfigError, match="SDSI_PUBLIC_HIDE: unknown field 'scores'"):
        Settings.from_env({"SDSI_PUBLIC_HIDE": "project.budget,scores"})
