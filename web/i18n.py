"""Translations: the ``.po`` catalogs in ``web/translations`` are the source.

They are compiled at start-up into a cache directory (``<data dir>/cache/translations``,
or a fresh temporary directory when the data directory is not writable), only when a
compiled file is missing or older than its ``.po``; Flask-Babel reads them from there.
``.mo`` files are never committed.

``N_`` marks a text for extraction where it is defined (navigation labels, tables of
messages); it is translated where it is shown, with ``_(text)``.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

log = logging.getLogger(__name__)

SOURCE = Path(__file__).parent / "translations"
CACHE = Path("cache") / "translations"


def N_(message: str) -> str:
    """``message`` itself: marked for extraction, translated where it is shown."""
    return message


def compile_catalogs(source: Path, target: Path) -> list[Path]:
    """Compile each ``<lang>/LC_MESSAGES/<domain>.po`` under ``source`` to the same
    place under ``target`` when the ``.mo`` there is missing or older than the ``.po``.

    Returns the ``.mo`` files written. Each is written to a temporary file first, then
    moved into place, so workers starting together never read half a catalog.
    """
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/*.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parts[-3])
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                write_mo(handle, catalog)  # fuzzy entries are left out
            os.replace(tmp, mo_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo_path)
    return written


def cache_dir(settings: Any) -> Path:
    """Where compiled catalogs go: under the data directory when it is writable.

    Always an absolute path: Flask-Babel reads a relative translation directory from
    the app's root (``web/``), not from the working directory the data directory is
    relative to (``./sdsi-data`` by default), and then finds no catalog at all — every
    label stayed French on English pages."""
    data_dir = getattr(settings, "data_dir", None)
    if data_dir is not None:
        target = Path(data_dir).absolute() / CACHE
        try:
            target.mkdir(parents=True, exist_ok=True)
            if os.access(target, os.W_OK):
                return target
        except OSError:
            pass
    return Path(tempfile.mkdtemp(prefix="sdsi-translations-"))


def init_translations(app: Flask, source: Path = SOURCE) -> Path:
    """Compile the catalogs and point ``BABEL_TRANSLATION_DIRECTORIES`` at them
    (before any directory the configuration already names). Call before ``Babel()``."""
    web_state = app.extensions.get("sdsi")
    target = cache_dir(getattr(web_state, "settings", None))
    try:
        compile_catalogs(source, target)
    except OSError:
        log.exception(
            "translations not compiled to %s; trying a temporary directory", target
        )
        target = Path(tempfile.mkdtemp(prefix="sdsi-translations-"))
        compile_catalogs(source, target)
    configured = app.config.get("BABEL_TRANSLATION_DIRECTORIES")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(
        [str(target.absolute()), *([configured] if configured else [])]
    )
    return target
