"""Throw-away PostgreSQL clusters for the tests: started, crashed and restarted at will.

`initdb` refuses to run as root, so as root the cluster belongs to an unprivileged user
(``nobody`` by default, ``SDSI_TEST_PG_USER`` to choose) and every server command runs
as that user through ``runuser``. The shared server of a machine is never touched.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def binaries() -> Path | None:
    """PostgreSQL's server binaries (``pg_config --bindir``), if installed."""
    if not shutil.which("pg_config"):
        return None
    out = subprocess.run(
        ["pg_config", "--bindir"], capture_output=True, text=True, check=False
    )
    bindir = Path(out.stdout.strip())
    return bindir if (bindir / "initdb").exists() else None


class Cluster:
    """One throw-away cluster on a free port of 127.0.0.1 (trust authentication)."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="sdsi-pg-"))
        self.data = self.workdir / "data"
        self.log = self.workdir / "log"
        self.user: str | None = None
        if os.geteuid() == 0:
            self.user = os.environ.get("SDSI_TEST_PG_USER", "nobody")
            entry = pwd.getpwnam(self.user)
            os.chown(self.workdir, entry.pw_uid, entry.pw_gid)
            self.workdir.chmod(0o700)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str | Path, timeout: float = 120) -> None:
        cmd = [str(a) for a in args]
        if self.user is not None:
            cmd = ["runuser", "-u", self.user, "--", *cmd]
        done = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=self.workdir
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{' '.join(cmd)} failed ({done.returncode}): "
                f"{(done.stderr or done.stdout).strip()[-2000:]}"
            )

    def init(self) -> Cluster:
        self._run(
            self.bindir / "initdb",
            "-D",
            self.data,
            "-U",
            "postgres",
            "-A",
            "trust",
            "--no-sync",
        )
        return self

    def start(self) -> Cluster:
        self._run(
            self.bindir / "pg_ctl",
            "-D",
            self.data,
            "-l",
            self.log,
            "-w",
            "-t",
            "60",
            "-o",
            f"-p {self.port} -k {self.workdir} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c max_connections=200",
            "start",
        )
        return self

    def crash(self) -> None:
        """Stop at once, as a power cut would (``-m immediate``)."""
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "immediate", "stop")

    def stop(self) -> None:
        self._run(self.bindir / "pg_ctl", "-D", self.data, "-m", "fast", "stop")

    def is_up(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.Error:
            return False

    def wait_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not self.is_up():
            if time.monotonic() > deadline:
                raise RuntimeError(f"the cluster on port {self.port} did not come up")
            time.sleep(0.1)

    def destroy(self) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            self._stop_quietly()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def _stop_quietly(self) -> None:
        subprocess.run(
            [
                *(["runuser", "-u", self.user, "--"] if self.user else []),
                str(self.bindir / "pg_ctl"),
                "-D",
                str(self.data),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
            timeout=60,
        )


def start_cluster() -> Cluster:
    """A new running cluster; RuntimeError saying why if it cannot be."""
    bindir = binaries()
    if bindir is None:
        raise RuntimeError("PostgreSQL's server binaries are not installed")
    cluster = Cluster(bindir)
    try:
        cluster.init().start()
    except (OSError, RuntimeError, subprocess.SubprocessError, KeyError) as exc:
        cluster.destroy()
        raise RuntimeError(
            f"could not start a throw-away PostgreSQL cluster: {exc}"
        ) from exc
    return cluster


def local_server(
    url: str = "postgresql://postgres@127.0.0.1:5432/postgres",
) -> str | None:
    """``url`` if a PostgreSQL server answers there and lets us create schemas."""
    try:
        with psycopg.connect(url, connect_timeout=2, autocommit=True) as conn:
            conn.execute("CREATE SCHEMA IF NOT EXISTS sdsi_probe")
            conn.execute("DROP SCHEMA sdsi_probe")
        return url
    except psycopg.Error:
        return None
