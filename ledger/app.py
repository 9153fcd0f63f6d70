"""The ledger: the one application that writes events, and how to open it."""

from __future__ import annotations

from pathlib import Path

import psycopg

from ledger.commands.accounts import AccountCommands
from ledger.commands.attachments import AttachmentCommands
from ledger.commands.budget import BudgetCommands
from ledger.commands.convocations import ConvocationCommands
from ledger.commands.cycle import PlanCycleCommands
from ledger.commands.deliverables import DeliverableCommands
from ledger.commands.discussion import DiscussionCommands
from ledger.commands.documents import DocumentCommands
from ledger.commands.entities import EntityCommands
from ledger.commands.finance_reports import FinanceReportCommands
from ledger.commands.grid_adoption import GridAdoptionCommands
from ledger.commands.inventory import InventoryCommands
from ledger.commands.organisation import OrganisationCommands
from ledger.commands.proposals import ProposalCommands
from ledger.commands.reference import ReferenceCommands
from ledger.commands.reviewed_documents import ReviewedDocumentCommands
from ledger.commands.scenarios import ScenarioCommands
from ledger.config import DatabaseConfig, Settings
from ledger.errors import NotInitialised, StorageUnavailable
from ledger.migrations import Upgrade, ensure_guards, migrate, schema_version


class Ledger(
    ReferenceCommands,
    DeliverableCommands,
    OrganisationCommands,
    ProposalCommands,
    PlanCycleCommands,
    BudgetCommands,
    FinanceReportCommands,
    ScenarioCommands,
    DocumentCommands,
    AttachmentCommands,
    DiscussionCommands,
    GridAdoptionCommands,
    AccountCommands,
    ConvocationCommands,
    InventoryCommands,
    ReviewedDocumentCommands,
    EntityCommands,
):
    """The SDSI ledger: one method per command, each writing through ``execute``."""

    name = "sdsi"  # PostgreSQL tables are sdsi_events, sdsi_commands, …

    # What opening changed in the schema (``sdsi init`` reports it).
    upgrade: Upgrade | None = None


def probe_postgres(db: DatabaseConfig) -> None:
    """Fail fast, in one line, when PostgreSQL cannot be reached."""
    try:
        with psycopg.connect(**db.libpq_kwargs()) as conn:  # type: ignore[arg-type]
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        first = (
            str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        )
        raise StorageUnavailable(
            f"cannot connect to PostgreSQL at {db.describe()}: {first}"
        ) from None


def open_ledger(settings: Settings, *, create: bool = False) -> Ledger:
    """Open the ledger on the configured database.

    ``create=True`` (``sdsi init`` only) creates the tables; otherwise an uninitialised
    database raises :class:`NotInitialised`, and nothing is created. Either way the
    schema is brought to the current version (``ledger.migrations``): a role that may
    not do it gets :class:`~ledger.errors.SchemaOutdated`.
    """
    db = settings.database
    if db.is_postgres:
        probe_postgres(db)
    else:
        assert db.sqlite_path is not None
        path = Path(db.sqlite_path)
        if create:
            path.parent.mkdir(parents=True, exist_ok=True)
        elif not path.exists():
            raise NotInitialised(db.describe())
    try:
        env = {**db.eventsourcing_env(create_table=create), **settings.library_env}
        ledger = Ledger(settings, env=env)
    except Exception as exc:  # the library wraps driver errors in its own types
        if type(exc).__module__.startswith(("eventsourcing", "psycopg", "sqlite3")):
            raise StorageUnavailable(
                f"cannot open the ledger at {db.describe()}: {exc}"
            ) from exc
        raise
    try:
        if create:
            ledger.upgrade = migrate(ledger, fresh=True)
            ledger.upgrade.restored = ensure_guards(ledger)
        else:
            missing = ledger.storage.missing_tables()
            if missing or schema_version(ledger) is None:
                raise NotInitialised(db.describe())
            ledger.upgrade = migrate(ledger)
    except BaseException:
        ledger.close()
        raise
    return ledger
