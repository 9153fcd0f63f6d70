"""Finance import settings through the API: profiles and the mapping of the finance
software's codes (AP numbers, operation codes) to projects."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import fields, validate

from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.auth import requires

finance = Blueprint(
    "api_finance",
    __name__,
    url_prefix="/api/v1",
    description="Import financier : profils de colonnes, correspondances de codes",
)
BLUEPRINTS = (finance,)
TEXT_MAP = {"keys": fields.String(), "values": fields.String()}


class FinanceProfile(s.Base):
    """A column-mapping profile (docs/finance-import.md)."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    label = fields.String(load_default=None, validate=validate.Length(max=120))
    columns = fields.Dict(required=True, **TEXT_MAP)
    kind = fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.OneOf(["engagement", "mandat"]),
    )
    kind_values = fields.Dict(load_default=None, allow_none=True, **TEXT_MAP)
    section_values = fields.Dict(load_default=None, allow_none=True, **TEXT_MAP)
    delimiter = fields.String(load_default=";", validate=validate.Length(max=1))
    decimal = fields.String(load_default=",", validate=validate.Length(max=1))
    date_format = fields.String(
        load_default="%d/%m/%Y", validate=validate.Length(max=10)
    )


class FinanceMapping(s.Base):
    source = fields.String(required=True, validate=s.CODE)
    project = fields.String(required=True, validate=s.CODE)


@finance.route("/finance/profiles", methods=["POST"])
@finance.arguments(FinanceProfile)
@documented(finance)
@requires("finance.settings")
def save_profile(data: dict[str, Any]) -> Any:
    """Save (or replace) an import profile, validated."""
    definition = {k: v for k, v in data.items() if v is not None}
    return run(ledger().save_finance_profile, definition)


@finance.route("/finance/mappings", methods=["POST"])
@finance.arguments(FinanceMapping)
@documented(finance)
@requires("finance.settings")
def add_mapping(data: dict[str, Any]) -> Any:
    """Map a finance code (AP number, operation code) to a project."""
    return run(ledger().add_finance_mapping, data["source"], data["project"])


@finance.route("/finance/mappings/<source>/remove", methods=["POST"])
@documented(finance)
@requires("finance.settings")
def remove_mapping(source: str) -> Any:
    """Remove a finance code's mapping."""
    return run(ledger().remove_finance_mapping, source)
