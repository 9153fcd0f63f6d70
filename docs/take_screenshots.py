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

The pages of issue 17 (:data:`SHOTS`: the citizens' pages, open data, a proposal's
attachments and discussion, the inbox and its preferences, a session's convocation,
the forgotten password) go to ``--new-out`` (``docs/screenshots/``) as ``<name>.png``
at 1280 px and ``<name>-375.png`` at 375 px for those a phone reads. What the demo
lacks for them is seeded by :func:`seed` through the ledger's commands (a question
and its answer, an attachment, a convened session and its convocation, a reading
of the inbox and a preference), never by editing the demo.
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
from dataclasses import dataclass
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

# What seed() adds to the demo.
PROPOSAL = "FAMILLE"  # Éducation's "Portail famille et paiement en ligne"
REFERENT = "ref.edu"
CONVENED = "COPIL-2026-12-15"
NEW_MEMBER = "elu.bernard"
PDF = (
    b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
    b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
    b"trailer << /Root 1 0 R >>\n%%EOF\n"
)


@dataclass(frozen=True)
class Shot:
    """A page of issue 17: who looks at it (None: nobody signed in), its address, the
    element whose top the picture starts at, and its widths."""

    who: str | None
    address: str
    anchor: str | None = None
    widths: tuple[int, ...] = (1280,)


PUBLIC = (1280, 375)
SHOTS: dict[str, Shot] = {
    "public-plan": Shot(None, "/public", widths=PUBLIC),
    "public-project": Shot(None, "/public/projets/{public_project}", widths=PUBLIC),
    "public-decisions": Shot(None, "/public/decisions", widths=PUBLIC),
    "open-data": Shot(None, "/donnees-ouvertes", widths=PUBLIC),
    "discussion": Shot("dsi.martin", f"/fiches/{PROPOSAL}", anchor="#pieces-jointes"),
    "inbox": Shot(REFERENT, "/notifications"),
    "notification-preferences": Shot(REFERENT, "/notifications/preferences"),
    "session-convocation": Shot("dgs.lefebvre", f"/seances/{CONVENED}"),
    "password-forgotten": Shot(None, "/connexion/mot-de-passe-oublie"),
    # issue 20: the SDSI method end to end
    "phase-checklist": Shot("dgs.lefebvre", "/referentiel/plan/phases"),
    "document-review": Shot("dsi.martin", "/revue-documentaire"),
    "diagnosis": Shot("dsi.martin", "/diagnostic"),
    "entities": Shot("dsi.martin", "/referentiel/entites"),
    "decision-split": Shot("dgs.lefebvre", "{shared_decision}", "#split"),
}


def seed(ledger: Any) -> None:
    """What the demo lacks for :data:`SHOTS`, through the ledger's commands: the
    referent's question on :data:`PROPOSAL` and the DSI's answer, an attachment, a
    session convened with its convocation sent, the older half of the referent's
    inbox read and one kind delivered in the daily digest."""
    import hashlib

    from domain.values import Origin
    from ledger.core import Caller
    from ledger.notifications import NotificationSettings
    from sdsi.demo import data as D

    def as_(actor: str, reason: str | None = None) -> Caller:
        return Caller(actor=actor, origin=Origin.WEB, reason=reason)

    question = ledger.post_comment(
        as_(REFERENT),
        "proposal",
        PROPOSAL,
        kind="question",
        body=(
            "Le portail acceptera-t-il le prélèvement automatique pour la "
            "restauration scolaire, ou seulement la carte bancaire ?"
        ),
    )
    ledger.reply_to_comment(
        as_("dsi.martin"),
        "proposal",
        PROPOSAL,
        question["id"],
        body=(
            "Les deux : le prélèvement SEPA est prévu dans le lot 2, avec "
            "l'éditeur de la régie.\nLa carte bancaire passe par PayFiP dès le lot 1."
        ),
    )
    ledger.mark_answered(as_("dsi.martin"), "proposal", PROPOSAL, question["id"])
    ledger.post_comment(
        as_("dga.roux"),
        "proposal",
        PROPOSAL,
        body="Penser à l'accessibilité du parcours de paiement (RGAA).",
    )
    ledger.attach_file(
        as_("dsi.martin"),
        "proposal",
        PROPOSAL,
        filename="etude-prealable-portail-famille.pdf",
        content=PDF,
        sha256=hashlib.sha256(PDF).hexdigest(),
        description="Étude préalable (lots 1 et 2)",
    )
    # the demo's accounts have no e-mail address: a councillor who has one
    ledger.add_user(
        as_("admin.sdsi", "Élue au conseil municipal de novembre 2026"),
        NEW_MEMBER,
        "Camille Bernard",
        "camille-bernard-2026",
        email="camille.bernard@mairie.example.fr",
        roles=[("member", None)],
    )
    chair = as_("dgs.lefebvre")
    ledger.convene_session(
        chair,
        CONVENED,
        "Comité de pilotage du SDSI — 15/12/2026",
        "2026-12-15",
        [*D.VOTING, NEW_MEMBER],
        D.NON_VOTING,
    )
    ledger.send_convocation(chair, CONVENED, "14:00", "16:30", "Salle du conseil")
    settings = NotificationSettings(ledger.storage)
    settings.set_preferences(REFERENT, {"decision": "immediate", "follow": "digest"})


def read_older_half(app: Any) -> None:
    """Mark the older half of the referent's notifications read (read and unread
    rows side by side in the inbox)."""
    from ledger.notifications import NotificationSettings
    from projections.views.notifications.queries import inbox

    state = app.extensions["sdsi"]
    rows, _total = inbox(state.read_model.store, REFERENT, limit=500)
    positions = sorted(row.position for row in rows)
    NotificationSettings(state.ledger.storage).mark_read(
        REFERENT, positions[: len(positions) // 2]
    )


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
        seed(ledger)
        Sealer(ledger).run_once()
    app = create_app({"FOLLOW": True, "SEAL": True}, settings=settings, ledger=ledger)
    app.extensions["sdsi"].read_model.projector().catch_up()
    if fresh:
        read_older_half(app)
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


def shoot(page: Any, path: Path, width: int, top: int = 0) -> None:
    from PIL import Image

    height = int(page.evaluate("document.documentElement.scrollHeight"))
    clip = {"x": 0, "y": top, "width": width, "height": min(height - top, MAX_HEIGHT)}
    image = Image.open(io.BytesIO(page.screenshot(full_page=True, clip=clip)))
    small = image.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    small.save(path, format="PNG", optimize=True)


class Browser:
    """Chromium's contexts, one per person and width (signed in once per person)."""

    def __init__(self, browser: Any, url: str) -> None:
        self.browser = browser
        self.url = url
        self.states: dict[str, Any] = {}

    def page(self, who: str | None, width: int) -> Any:
        context = self.browser.new_context(
            viewport={"width": width, "height": 800},
            locale="fr-FR",
            timezone_id="Europe/Paris",
            storage_state=self.states.get(who) if who else None,
        )
        page = context.new_page()
        if who and who not in self.states:
            page.goto(self.url + "/connexion")
            page.get_by_label("Identifiant").fill(who)
            page.get_by_label("Mot de passe", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Se connecter").click()
            page.wait_for_load_state("load")
            self.states[who] = context.storage_state()
        return page

    def take(
        self, page: Any, address: str, path: Path, width: int, anchor: str | None = None
    ) -> None:
        page.goto(self.url + address)
        page.wait_for_load_state("load")
        top = 0
        if anchor:
            box = page.locator(anchor).first.bounding_box()
            top = max(0, int(box["y"] + page.evaluate("window.scrollY")) - 16)
        scroll = int(page.evaluate("document.documentElement.scrollWidth"))
        shoot(page, path, width, top)
        flag = "  OVERFLOW" if scroll > width else ""
        print(f"{path.stem:<28} {width:>5} px: scrollWidth {scroll}{flag}")
        page.context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs/screenshots/after")
    parser.add_argument("--new-out", type=Path, default=ROOT / "docs/screenshots")
    parser.add_argument("--widths", default="1280,375")
    parser.add_argument("--pages", default=",".join(PAGES))
    parser.add_argument("--shots", default=",".join(SHOTS), help="issue 17's pages")
    parser.add_argument("--data", type=Path, help="a data directory to reuse")
    args = parser.parse_args()
    widths = [int(w) for w in args.widths.split(",")]
    names = [n for n in args.pages.split(",") if n]
    shots = [n for n in args.shots.split(",") if n]
    from playwright.sync_api import sync_playwright

    from tests.web.e2e.live import CHROMIUM_ARGS

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    with demo_server(args.data) as (url, codes), sync_playwright() as pw:
        browser = Browser(
            pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS), url
        )
        for width in widths:
            for name in names:
                who, address = PAGES[name]
                address = address.format(**codes)
                page = browser.page(who, width)
                if name == "decide":
                    session = PAGES["session"][1].format(**codes)
                    address = first_link(page, url, session, "/arbitrer/")
                elif name == "proposal":
                    address = first_link(page, url, "/portefeuille", "/fiches/")
                browser.take(page, address, args.out / f"{name}-{width}.png", width)
        if shots:
            page = browser.page(None, 1280)
            project = first_link(page, url, "/public", "/public/projets/")
            codes["public_project"] = project.rsplit("/", 1)[-1].split("?")[0]
            page.context.close()
            page = browser.page("dgs.lefebvre", 1280)
            shared = "/arbitrages?proposal=PORTAIL-TERR"
            codes["shared_decision"] = first_link(page, url, shared, "/arbitrages/")
            page.context.close()
        for name in shots:
            shot = SHOTS[name]
            for width in shot.widths:
                page = browser.page(shot.who, width)
                suffix = "" if width == 1280 else f"-{width}"
                path = args.new_out / f"{name}{suffix}.png"
                address = shot.address.format(**codes)
                browser.take(page, address, path, width, shot.anchor)
        browser.browser.close()


if __name__ == "__main__":
    main()
