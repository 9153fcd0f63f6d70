"""Finance import settings through the API: profiles and the mapping of the finance
software's codes (AP numbers, operation codes) to projects."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from ledger.core import jsonable
from setupfile.finance_file import mapping_list, profile_list
from web.api import responses as r
from web.api import schemas as s
from web.api.commands import documented, ledger, run
from web.api.responses import errors
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


# --- reads: imports, their reconciliation, profiles and mappings ------------------


class FinanceImportOut(r.Out):
    """One past import: its file, profile, counts, actor and the file's totals."""

    key = r.Str()
    at = r.Str(metadata=r.TIME)
    file_name = r.Str()
    sha256 = r.Str()
    profile = r.Str()
    actor = r.Str()
    counts = fields.Dict(keys=fields.String(), values=fields.Integer())
    totals = fields.List(r.AnyDict())


class FinanceImportsOut(r.Out):
    imports = fields.List(fields.Nested(FinanceImportOut))


class ReconciliationRow(r.Out):
    project = r.Str()
    year = r.Int()
    cp = r.Dec()
    committed = r.Dec()
    file_committed = r.Dec()
    diff_committed = r.Dec()
    paid = r.Dec()
    file_paid = r.Dec()
    diff_paid = r.Dec()


class ReconciliationOut(r.Out):
    finance_import = fields.Nested(FinanceImportOut, data_key="import")
    rows = fields.List(fields.Nested(ReconciliationRow))


class ProfileOut(r.Out):
    name = r.Str()
    label = r.Str()
    origin = r.Str(
        metadata={"description": "livré, enregistré, ou enregistré (remplace le livré)"}
    )
    definition = r.AnyDict()


class ProfilesOut(r.Out):
    profiles = fields.List(fields.Nested(ProfileOut))


class MappingOut(r.Out):
    source = r.Str()
    project = r.Str()


class MappingsOut(r.Out):
    mappings = fields.List(fields.Nested(MappingOut))


def read(rule: str, schema: type[Schema], *statuses: int) -> Any:
    """A read of the finance settings or imports (the write side's registers, as
    the import itself reads them), for ``permission`` holders."""

    def decorate(view: Any) -> Any:
        view = finance.response(200, schema)(
            errors(finance, *r.READ_ERRORS, *statuses)(view)
        )
        return finance.route(rule)(view)

    return decorate


@read("/finance/imports", FinanceImportsOut)
@requires("finance.import")
def list_imports() -> Any:
    """The past imports, newest first."""
    return {"imports": jsonable(ledger().finance_import_list())}


@read("/finance/imports/<key>/reconciliation", ReconciliationOut, 404)
@requires("finance.import")
def import_reconciliation(key: str) -> Any:
    """The reconciliation of the ledger (now) with one past import's file, per
    project and year, to the cent."""
    chosen = ledger().finance_import(key)
    rows = ledger().finance_reconciliation(import_key=key)
    return {"finance_import": jsonable(chosen), "rows": jsonable(rows)}


@read("/finance/profiles", ProfilesOut)
@requires("finance.settings")
def list_profiles() -> Any:
    """The shipped and saved column-mapping profiles (a saved one replaces the
    shipped one of its name)."""
    return {"profiles": profile_list(ledger())}


@read("/finance/mappings", MappingsOut)
@requires("finance.settings")
def list_mappings() -> Any:
    """The finance codes mapped to projects."""
    return {"mappings": mapping_list(ledger())}
