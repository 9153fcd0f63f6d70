"""The production server of `sdsi serve` and `sdsi demo`: gunicorn, run in this process.

`sdsi serve` used to start gunicorn as a child: stopping `sdsi serve` left gunicorn
running (re-parented), still holding the port. Here this process *is* gunicorn's
master, so a supervisor's SIGTERM — or Ctrl+C — reaches it, and both stop everything
gracefully: the master stops accepting, each worker finishes the request it is
serving (up to ``graceful_timeout``), closes its ledger and follower, and exits.
(Gunicorn's own SIGINT is a quick shutdown that drops in-flight requests; ours is not.)
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any

from gunicorn.app.base import BaseApplication
from gunicorn.arbiter import Arbiter
from gunicorn.workers.sync import SyncWorker


class GracefulArbiter(Arbiter):
    """Gunicorn's master, with SIGINT as graceful as SIGTERM."""

    def handle_int(self) -> None:
        raise StopIteration


class GracefulSyncWorker(SyncWorker):
    """A sync worker that finishes its request on SIGINT too (Ctrl+C reaches the
    whole process group), instead of exiting at once."""

    def init_signals(self) -> None:
        super().init_signals()
        signal.signal(signal.SIGINT, self.handle_exit)
        signal.siginterrupt(signal.SIGINT, False)


def _close_app(server: Any, worker: Any) -> None:
    """After a worker's last request: stop its follower, close its ledger."""
    app = getattr(worker, "wsgi", None)
    state = getattr(app, "extensions", {}).get("sdsi") if app is not None else None
    if state is not None:
        with contextlib.suppress(Exception):  # exiting anyway: never mask the exit
            state.close()


class Server(BaseApplication):  # type: ignore[misc]
    """``web.app:create_app()`` under gunicorn, one app per worker after the fork."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("worker_class", f"{__name__}.GracefulSyncWorker")
        self.cfg.set("worker_exit", _close_app)

    def load(self) -> Any:
        from web.app import create_app

        return create_app()

    def run(self) -> None:
        GracefulArbiter(self).run()


def serve(
    bind: str,
    workers: int,
    timeout: int,
    graceful_timeout: int = 30,
    trusted_proxies: tuple[str, ...] = (),
) -> None:
    """Serve until SIGTERM or SIGINT (then gracefully). Gunicorn believes the
    forwarded scheme only from ``SDSI_TRUSTED_PROXIES`` (none by default), as the
    app does the forwarded client address (``web.proxies``)."""
    Server(
        {
            "bind": bind,
            "workers": workers,
            "timeout": timeout,
            "graceful_timeout": graceful_timeout,
            "accesslog": "-",
            "forwarded_allow_ips": ",".join(trusted_proxies),
            "control_socket_disable": True,
        }
    ).run()
