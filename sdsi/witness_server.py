"""`sdsi witness serve`: the witness's WSGI app under gunicorn, in this process.

One worker process with threads: the store's transactions serialise the requests
(several processes would be safe too, each re-checking the state at start).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from sdsi.server import GracefulArbiter


class WitnessServer(BaseApplication):  # type: ignore[misc]
    def __init__(self, state_dir: Path, options: dict[str, Any]) -> None:
        self.state_dir = state_dir
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from ledger.witness_app import WitnessApp
        from ledger.witness_state import WitnessState

        return WitnessApp(WitnessState.open(self.state_dir))

    def run(self) -> None:
        GracefulArbiter(self).run()


def serve_witness(state_dir: Path, bind: str, threads: int) -> None:
    WitnessServer(
        state_dir,
        {
            "bind": bind,
            "workers": 1,
            "threads": threads,
            "worker_class": "gthread",
            "timeout": 30,
            "graceful_timeout": 10,
            "accesslog": "-",
            "control_socket_disable": True,
        },
    ).run()
