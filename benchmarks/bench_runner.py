"""The peer of benchmarks/projections.py: the library's stock ProjectionRunner on one view.

The view counts events per topic in PostgreSQL, one transaction per event (how the
library's runner works), tracking in the library's own tracking table.
"""

from __future__ import annotations

from functools import singledispatchmethod
from typing import Any

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.postgres import PostgresDatastore, PostgresTrackingRecorder
from eventsourcing.projection import Projection, ProjectionRunner
from psycopg.sql import SQL, Identifier

from ledger.app import Ledger


class CountsView(TrackingRecorder):
    """Events per topic."""

    def count(
        self, topic: str, tracking: Tracking
    ) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class PostgresCountsView(PostgresTrackingRecorder, CountsView):
    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.table = self.tracking_table_name.replace("_tracking", "_counts")
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {0}.{1} (topic text PRIMARY KEY, n bigint NOT NULL)"
            ).format(Identifier(self.datastore.schema), Identifier(self.table))
        )

    def count(self, topic: str, tracking: Tracking) -> None:
        with self.datastore.transaction(commit=True) as curs:
            self._insert_tracking(curs, tracking)
            curs.execute(
                SQL(
                    "INSERT INTO {0}.{1} (topic, n) VALUES (%s, 1) ON CONFLICT (topic) DO UPDATE SET n = {1}.n + 1"
                ).format(Identifier(self.datastore.schema), Identifier(self.table)),
                (topic,),
            )


class CountsProjection(Projection[CountsView]):
    name = "stockcounts"

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.view.count(type(domain_event).__qualname__, tracking)


def run_stock_runner(settings: Any, limit: int) -> int:
    """Run the stock runner until it has processed ``limit`` events; returns ``limit``."""
    import psycopg

    db = settings.database
    with psycopg.connect(**db.libpq_kwargs(), autocommit=True) as conn:
        conn.execute(
            f'DROP TABLE IF EXISTS "{db.schema}".stockcounts_counts, "{db.schema}".stockcounts_tracking'
        )

    class RunnerLedger(Ledger):
        name = "sdsi"

        def __init__(self, env: Any = None) -> None:
            super().__init__(
                settings,
                env={**db.eventsourcing_env(create_table=False), **(env or {})},
            )

    view_env = {
        "STOCKCOUNTS_PERSISTENCE_MODULE": "eventsourcing.postgres",
        "STOCKCOUNTS_POSTGRES_DBNAME": db.dbname,
        "STOCKCOUNTS_POSTGRES_HOST": db.host,
        "STOCKCOUNTS_POSTGRES_PORT": str(db.port),
        "STOCKCOUNTS_POSTGRES_USER": db.user,
        "STOCKCOUNTS_POSTGRES_PASSWORD": db.password,
        "STOCKCOUNTS_POSTGRES_SCHEMA": db.schema,
        "STOCKCOUNTS_CREATE_TABLE": "y",
    }
    probe = RunnerLedger()
    ids = probe.recorder.select_notifications(start=None, limit=limit)
    last = ids[-1].id
    probe.close()
    with ProjectionRunner(
        application_class=RunnerLedger,
        projection_class=CountsProjection,
        view_class=PostgresCountsView,
        env=view_env,
    ) as runner:
        runner.wait(last, timeout=3600)
    return len(ids)
