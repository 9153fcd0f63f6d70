"""Regenerate the screenshots of the main pages at 1280 and 375 px wide.

Loads the demo municipality into a temporary SQLite ledger (or reuses ``--data DIR``),
serves it on a free port of 127.0.0.1 from a background thread (as the browser tests
do, tests/web/e2e/conftest.py), signs each persona in with Debian's Chromium driven by
Playwright, and saves each page as ``<out>/<page>-<width>.png``: the top of the page,
cut at 2,000 px high, in 128 colours. It prints each page's width as the browser
measures it (``document.documentElement.scrollWidth``): more than the window's width
means the page scrolls sideways.

Run: ``.venv/bin/python docs/take_screenshots.py`` (into ``docs/screenshots/after/``);
``--out docs/screenshots/before --widths 1280 --pages portfolio,budget,audit,decisions``
took the "before" pictures of issue 16.
"""

from __future__ import annotations

import argparse
import io
import logging
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PASSWORD = "sdsi-demo-2026"
MAX_HEIGHT = 2000
# page name -> (who looks at it, address); the demo's open session is found at run time
PAGES: dict[str, tuple[str, str]] = {
    "home": ("dsi.martin", "/"),
    "portfolio": ("dsi.martin", "/portefeuille"),
    "capacity": ("dsi.martin", "/capacite"),
    "plan": ("dsi.martin", "/plan"),
    "scenarios": ("dsi.martin", "/scenarios"),
    "grid": ("dsi.martin", "/grille"),
    "referential": ("dsi.martin", "/referentiel"),
    "indicator": ("dsi.martin", "/referentiel/indicateurs/A1-I1"),
    "proposal": ("dsi.martin", "/fiches/"),
    "sessions": ("dgs.lefebvre", "/seances"),
    "session": ("dgs.lefebvre", "/seances/{session}"),
    "decisions": ("dgs.lefebvre", "/arbitrages"),
    "decide": ("dgs.lefebvre", "/seances/{session}/arbitrer/"),
    "budget": ("fin.garnier", "/budget"),
    "exports": ("fin.garnier", "/exports"),
    "audit": ("audit.crc", "/audit"),
    "accounts": ("admin.sdsi", "/admin/comptes"),
}


@contextmanager
def demo_server(data: Path | None) -> Iterator[tuple[str, dict[str, str]]]:
    """The demo served on 127.0.0.1: its address and the codes the pages need."""
    from werkzeug.serving import make_server

    from ledger.app import open_ledger
    from ledger.config import Settings
    from ledger.keys import ensure_secret_key, ensure_signing_key
    from ledger.sealing import Sealer
    from projections.service import init_views
    from sdsi.demo.loader import LAST_SESSION, DemoLoader
    from web.app import create_app

    tmp = None
    if data is None:
        tmp = tempfile.mkdtemp(prefix="sdsi-shots-")
        data = Path(tmp)
    data.mkdir(parents=True, exist_ok=True)
    settings = Settings.from_env(
        {
            "SDSI_DATA_DIR": str(data),
            "SDSI_DATABASE_URL": f"sqlite:///{data}/ledger.db",
            "SDSI_PASSWORD_HASHING": "fast",
        }
    )
    ensure_secret_key(settings)
    ensure_signing_key(settings)
    fresh = not (data / "ledger.db").exists()
    ledger = open_ledger(settings, create=fresh)
    if fresh:
        ledger.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        init_views(settings, ledger)
        DemoLoader(ledger).run()
        Sealer(ledger).run_once()
    app = create_app({"FOLLOW": True, "SEAL": True}, settings=settings, ledger=ledger)
    app.extensions["sdsi"].read_model.projector().catch_up()
    codes = {"session": f"COPIL-{LAST_SESSION.isoformat()}"}
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}", codes
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()
        app.extensions["sdsi"].close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def first_link(page: Any, url: str, address: str, pattern: str) -> str:
    """The first link of ``address`` whose target contains ``pattern``."""
    page.goto(url + address)
    return str(page.locator(f"main a[href*='{pattern}']").first.get_attribute("href"))


def shoot(page: Any, path: Path, width: int) -> None:
    from PIL import Image

    height = int(page.evaluate("document.documentElement.scrollHeight"))
    clip = {"x": 0, "y": 0, "width": width, "height": min(height, MAX_HEIGHT)}
    image = Image.open(io.BytesIO(page.screenshot(full_page=True, clip=clip)))
    small = image.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    small.save(path, format="PNG", optimize=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots/after")
    parser.add_argument("--widths", default="1280,375")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--data", type=Path, help="a data directory to reuse")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    names = [n for n in args.pages.split(",") if n]
    from playwright.sync_api import sync_playwright

    from tests.web.e2e.live import CHROMIUM_ARGS

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with demo_server(args.data) as (url, codes), sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        states: dict[str, Any] = {}
        for width in widths:
            for name in names:
                who, address = PAGES[name]
                address = address.format(**codes)
                context = browser.new_context(
                    viewport={"width": width, "height": 800},
                    locale="fr-FR",
                    timezone_id="Europe/Paris",
                    storage_state=states.get(who),
                )
                page = context.new_page()
                if who not in states:
                    page.goto(url + "/connexion")
                    page.get_by_label("Identifiant").fill(who)
                    page.get_by_label("Mot de passe").fill(PASSWORD)
                    page.get_by_role("button", name="Se connecter").click()
                    page.wait_for_load_state("load")
                    states[who] = context.storage_state()
                if name == "decide":
                    session = PAGES["session"][1].format(**codes)
                    address = first_link(page, url, session, "/arbitrer/")
                elif name == "proposal":
                    address = first_link(page, url, "/portefeuille", "/fiches/")
                page.goto(url + address)
                page.wait_for_load_state("load")
                scroll = int(page.evaluate("document.documentElement.scrollWidth"))
                shoot(page, args.out / f"{name}-{width}.png", width)
                flag = "  OVERFLOW" if scroll > width else ""
                print(f"{name:<12} {width:>5} px: scrollWidth {scroll}{flag}")
                context.close()
        browser.close()


if __name__ == "__main__":
    main()
