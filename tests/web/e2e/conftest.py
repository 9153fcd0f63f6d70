"""Browser tests: the demo municipality behind a real server, driven by real Chromium.

One server per backend and module (SQLite, then PostgreSQL): a copy of the demo,
loaded once per backend and session (tests/demo_template.py), the app is
built as ``sdsi serve`` builds it (embedded follower and sealer) and served by werkzeug
on a free port of 127.0.0.1 from a background thread. One Chromium per test session.

The ledger stamps the story's commands with a scenario clock (as the demo loader dates
the demo's history), so the flows happen on days of December 2026 whatever the date of
the run: the auditor's "as of" date and the screenshots do not depend on it.

Chromium is Debian's (``/usr/bin/chromium``, or ``SDSI_CHROMIUM``); Playwright only
drives it. Without it these tests skip on a laptop, and fail under ``CI=true``.
axe-core checks and screenshots are taken on the SQLite run (same templates on both).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import make_settings
from tests.demo_template import demo_copy
from tests.web.e2e.live import (
    CHROMIUM_ARGS,
    STORY_START,
    LiveServer,
    ScenarioClock,
    chromium_path,
    unavailable,
)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    executable = chromium_path()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright is not installed: pip install -e '.[dev]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The demo municipality served on 127.0.0.1 (once per backend for the module)."""
    from werkzeug.serving import make_server

    from ledger.app import open_ledger
    from web.app import create_app

    backend = str(request.param)
    tmp = tmp_path_factory.mktemp(f"e2e-{backend}")
    # The demo, projected and sealed, copied from the session's template
    # (tests/demo_template.py): as loaded afresh, in a database of its own.
    url = demo_copy(request, backend, tmp, "sealed")
    settings = make_settings(tmp / "data", url)
    ledger = open_ledger(settings)
    clock = ScenarioClock(STORY_START)
    ledger.clock = clock
    # As `sdsi demo` serves it, CSRF and all: an embedded follower keeps the views and
    # the seals up to date (on PostgreSQL too, since no other process runs here).
    app = create_app({"FOLLOW": True, "SEAL": True}, settings=settings, ledger=ledger)
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(
        target=httpd.serve_forever, name=f"e2e-{backend}", daemon=True
    )
    thread.start()
    live = LiveServer(
        backend, f"http://127.0.0.1:{httpd.server_port}", app, ledger, clock
    )
    try:
        live.caught_up()
        yield live
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        app.extensions["sdsi"].close()
