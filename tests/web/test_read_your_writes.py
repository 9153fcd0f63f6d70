"""Read-your-writes without stalling: when the views did not follow last time (the
follower down or far behind), commands answer at once, flagged, instead of each waiting
the full timeout (throughput fell from ~46 to ~1.6 commands/s with the follower down)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from web.state import LAGGING_PROBE, READ_YOUR_WRITES_TIMEOUT, WebState


@dataclass
class FakeViews:
    """A read model whose views stand at ``position`` (no sleeping: it records the
    timeout each wait was allowed)."""

    position: int = 0
    waits: list[float] = field(default_factory=list)

    def wait_for(self, notification_id: int | None, timeout: float) -> bool:
        self.waits.append(timeout)
        return notification_id is None or self.position >= notification_id


def _state(views: FakeViews) -> WebState:
    return WebState(settings=None, ledger=None, read_model=views)  # type: ignore[arg-type]


def test_after_one_timeout_commands_stop_waiting_until_the_views_catch_up() -> None:
    views = FakeViews(position=10)
    state = _state(views)
    assert state.after_command(10) is True
    assert state.after_command(11) is False  # the follower stopped: the full wait
    assert state.after_command(12) is False  # now a short probe only
    assert state.after_command(13) is False
    views.position = 13  # the follower is back and caught up
    assert state.after_command(13) is True  # found with the probe…
    assert state.after_command(14) is False  # …so the next waits in full again
    assert views.waits == [
        READ_YOUR_WRITES_TIMEOUT,
        READ_YOUR_WRITES_TIMEOUT,
        LAGGING_PROBE,
        LAGGING_PROBE,
        LAGGING_PROBE,
        READ_YOUR_WRITES_TIMEOUT,
    ]


def test_a_views_outage_after_a_command_is_not_an_error(tmp_path: Any) -> None:
    import psycopg

    class DownViews(FakeViews):
        def wait_for(self, notification_id: int | None, timeout: float) -> bool:
            raise psycopg.OperationalError("server closed the connection unexpectedly")

    state = _state(DownViews())
    assert state.after_command(5) is False  # the command landed: answered, flagged
    assert state.views_lagging is True


@pytest.fixture(params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Any:
    from tests.web.world import open_world

    running = open_world(request, tmp_path_factory, request.param)
    yield running
    running.close()


def test_while_the_views_are_rebuilt_reads_answer_503_and_commands_land(
    site: Any,
) -> None:
    """`sdsi projections rebuild` drops and recreates the view tables: meanwhile reads
    answered 500 and signed-in requests 401. Now reads say the views are being rebuilt
    (503, Retry-After), signing in works (accounts come from the log), and a command
    lands, flagged as not yet in the views."""
    from tests.web.world import SPARE, bearer, login

    web = site.app.extensions["sdsi"]
    if web.follower is not None:
        web.follower.close()
        web.follower = None
    store = web.read_model.store
    with store.transaction() as cur:  # a rebuild half way: the tables are gone
        for table in ("tracking", "proposals", "accounts"):
            cur.execute(f"DROP TABLE {store.name(table)}")
    try:
        dsi = bearer(site, login("dsi"))
        read = site.client().get("/api/v1/portfolio", headers=dsi)
        assert read.status_code == 503, read.get_json()
        assert read.headers["Retry-After"] == "5"
        assert "reconstruction" in read.get_json()["error"]["message"]
        page = site.client(login("dsi")).get("/portefeuille")
        assert page.status_code == 503
        assert "Les vues sont en cours de reconstruction" in page.get_data(as_text=True)
        head = site.head()
        sent = site.client().post(
            f"/api/v1/accounts/{SPARE}/grants",
            json={"role": "auditor", "reason": "contrôle"},
            headers=bearer(site, login("admin")),
        )
        assert sent.status_code == 201, sent.get_json()
        assert sent.get_json()["views_updated"] is False
        assert site.head() == head + 1
    finally:
        projector = web.read_model.projector()
        projector.rebuild()
        projector.close()
