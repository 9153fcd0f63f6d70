"""What every ``sdsi`` subcommand shares: the context (settings and the ledger,
opened on first use), the exit codes, the one-line errors and the progress bar.

The subcommand modules (``sdsi/cli_*.py``) import these from here and ``sdsi.cli``
assembles them into the ``sdsi`` group: no subcommand imports ``sdsi.cli``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any, TypeVar

import click

from domain.errors import DomainError, UnknownActor
from ledger.config import Settings
from ledger.errors import (
    ConfigError,
    NotInitialised,
    SchemaOutdated,
    SealingError,
    StorageUnavailable,
)

F = TypeVar("F", bound=Callable[..., Any])

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class CliContext:
    """Settings and the ledger, opened on first use and closed at exit."""

    def __init__(self) -> None:
        self._settings: Settings | None = None
        self._ledger: Any = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings.from_env()
        return self._settings

    @property
    def ledger(self) -> Any:
        if self._ledger is None:
            from ledger.app import open_ledger

            self._ledger = open_ledger(self.settings)
        return self._ledger

    def close(self) -> None:
        if self._ledger is not None:
            self._ledger.close()
            self._ledger = None


def fail(message: str, code: int = EXIT_USAGE) -> None:
    """Print one line on stderr and exit with ``code``."""
    click.echo(f"sdsi: error: {message}", err=True)
    sys.exit(code)


def handle_errors(func: F) -> F:
    """Turn expected errors into one line on stderr and exit code 2, no traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (
            ConfigError,
            StorageUnavailable,
            NotInitialised,
            SchemaOutdated,
        ) as exc:
            fail(str(exc))
        except UnknownActor as exc:  # the CLI's actor defaults to `admin`
            fail(
                f"{exc.message} [{exc.code}] Nommez le compte qui agit : --actor LOGIN "
                "ou SDSI_ACTOR=LOGIN."
            )
        except DomainError as exc:
            fail(f"{exc.message} [{exc.code}]")
        except SealingError as exc:  # wherever a command seals (follow, demo…)
            fail(f"sealing stopped: {exc}", EXIT_FAILED)

    return wrapper  # type: ignore[return-value]


@contextmanager
def progress(iterable_length: int, label: str) -> Iterator[Callable[[int], None]]:
    """A progress bar on a terminal; silent when stdout is piped."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    with click.progressbar(length=iterable_length, label=label, file=sys.stderr) as bar:
        yield bar.update


pass_cli = click.make_pass_decorator(CliContext, ensure=True)
