"""Views built by an earlier release, rebuilt before they are read.

The view tables are created ``IF NOT EXISTS``: a release that adds a table, a column or
an index finds the old tables in place, and pages reading the new column would fail.
So every tracking row records the schema fingerprint of the code that created the
tables (``projections.schema.FINGERPRINT``), and whatever opens the live views to read
or follow them (``ReadModel``: each ``sdsi serve`` worker, ``sdsi projections follow``,
the CLI commands that read views, ``sdsi init``) first calls :func:`upgrade_views`:

- fingerprint equal to the code's: nothing to do (one small read);
- different, or absent (tables of a release before fingerprints): rebuild the views
  from event 1, holding the views' lock as ``sdsi projections rebuild`` does. Several
  processes starting together all wait for the lock; the first rebuilds, the others
  then find the code's fingerprint and do nothing;
- a role that may not drop and create the tables (a least-privilege PostgreSQL
  application role): :class:`SchemaOutdated`, naming the command the owner runs.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import psycopg

from ledger.errors import SchemaOutdated
from ledger.guards import regrant_views
from projections.projector import Projector
from projections.schema import FINGERPRINT
from projections.store import ViewStore

UPGRADE_WAIT = 3600.0  # seconds to wait for another process's rebuild (or catch-up)

log = logging.getLogger(__name__)


def schema_matches(store: ViewStore) -> bool:
    """Whether every tracking row records the code's schema fingerprint."""
    return store.fingerprints() == {FINGERPRINT}


def _why(stored: set[str | None]) -> str:
    if stored <= {None}:
        return "the views record no schema fingerprint (built by an earlier release)"
    found = ", ".join(sorted(f[:12] for f in stored if f)) or "none"
    return f"the views' schema {found} differs from the code's {FINGERPRINT[:12]}"


def upgrade_views(ledger: Any, store: ViewStore) -> int | None:
    """Rebuild the views if their schema is not the code's; how many events were
    projected (``None`` if nothing was to do)."""
    if schema_matches(store):
        return None
    projector = Projector(ledger, store)
    try:
        with projector.election.held(wait=UPGRADE_WAIT):
            stored = store.fingerprints()
            if stored == {FINGERPRINT}:  # another process rebuilt them meanwhile
                return None
            why = _why(stored)
            log.warning("rebuilding the views before serving: %s", why)
            started = time.perf_counter()
            try:
                n = projector.rebuild_locked()
            except psycopg.errors.InsufficientPrivilege:
                user = ledger.settings.database.user
                message = (
                    f"the views do not match this release ({why}) and {user} may not "
                    "recreate them: run `sdsi projections rebuild` as the database owner"
                )
                log.error("%s", message)
                raise SchemaOutdated(message) from None
            log.warning(
                "rebuilt the views (schema %s): %s; %d events in %.1f s",
                FINGERPRINT[:12],
                why,
                n,
                time.perf_counter() - started,
            )
    finally:
        projector.close()
    regrant_views(ledger)  # the new tables, back to the application role (if any)
    return n
