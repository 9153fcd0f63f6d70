"""The demo municipality in a benchmark's database: loaded once, then reused."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def open_demo(
    settings: Any, scale: int, log: Callable[[str], None], *, quiet: bool = False
) -> Any:
    """The ledger of ``settings``. A database never initialised is initialised first
    (tables, views, an administrator) and loaded with the demo at ``scale`` through the
    ledger's commands; its progress (unless ``quiet``) and its time go to ``log``."""
    from ledger.app import open_ledger
    from ledger.errors import NotInitialised
    from projections.service import init_views
    from sdsi.demo.loader import DemoLoader

    try:
        return open_ledger(settings)
    except NotInitialised:
        pass
    ledger = open_ledger(settings, create=True)
    ledger.bootstrap_admin("admin", "Administrateur", "admin-password-1")
    init_views(settings, ledger)
    started = time.perf_counter()
    DemoLoader(ledger, scale=scale, progress=(lambda _m: None) if quiet else log).run()
    backend = "PostgreSQL" if settings.database.is_postgres else "SQLite"
    log(
        f"demo scale {scale} on {backend}: {ledger.head()} events in "
        f"{time.perf_counter() - started:.0f} s"
    )
    return ledger
