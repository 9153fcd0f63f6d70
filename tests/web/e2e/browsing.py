"""A person at a browser: signs in, follows links, fills forms, and on every page they
look at, axe-core checks accessibility and a screenshot may be kept for the README."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from PIL import Image, ImageChops
from playwright.sync_api import Browser, Page, expect

from tests.web.e2e.live import SCREENSHOTS, LiveServer

PASSWORD = "sdsi-demo-2026"
BLOCKING = ("serious", "critical")
WIDTH, HEIGHT = 1280, 800
MAX_HEIGHT = 6000  # the API reference is ~46,000 px tall: its top is enough


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """The serious and critical axe-core violations of the page as it is now."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [v for v in results.response["violations"] if v["impact"] in BLOCKING]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} — {v['helpUrl']}")
        for node in v["nodes"][:5]:
            lines.append(f"    {json.dumps(node['target'])}: {node['html'][:160]}")
    return "\n".join(lines)


def keep_screenshot(page: Page, name: str) -> None:
    """``docs/screenshots/<name>.png``: the full page, 1280 wide (cut at MAX_HEIGHT),
    in 128 colours (a third of the size, no visible loss on these flat pages)."""
    height = int(page.evaluate("document.documentElement.scrollHeight"))
    clip = {"x": 0, "y": 0, "width": WIDTH, "height": min(height, MAX_HEIGHT)}
    image = Image.open(io.BytesIO(page.screenshot(full_page=True, clip=clip)))
    small = image.convert("RGB").quantize(
        colors=128, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
    )
    path = SCREENSHOTS / f"{name}.png"
    if not path.exists() or changed(Image.open(path), small):
        # encoded only when kept: compression level 9 takes up to half a second
        out = io.BytesIO()
        small.save(out, format="PNG", compress_level=9)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path.write_bytes(out.getvalue())


def changed(old: Image.Image, new: Image.Image) -> bool:
    """Whether a page looks different: another size, or more than 2 % of its pixels.

    Idempotency keys, checkpoint times and login times differ from one run to the
    next; rewriting the file for them would only churn the repository.
    """
    if old.size != new.size:
        return True
    diff = ImageChops.difference(old.convert("RGB"), new.convert("RGB")).convert("L")
    differing = old.size[0] * old.size[1] - diff.histogram()[0]
    return differing > 0.02 * old.size[0] * old.size[1]


class Persona:
    """One user's browser tab (own cookies), on the live server."""

    def __init__(
        self,
        browser: Browser,
        server: LiveServer,
        username: str | None,
        state: Any = None,
    ) -> None:
        self.server = server
        self.username = username
        self.context = browser.new_context(
            viewport={"width": WIDTH, "height": HEIGHT},
            locale="fr-FR",
            timezone_id="UTC",
            accept_downloads=True,
            storage_state=state,
        )
        self.context.set_default_timeout(20_000)
        self.page = self.context.new_page()
        # Irreversible actions ask for confirmation (web/static/sdsi.js): say yes.
        self.page.on("dialog", lambda dialog: dialog.accept())

    @property
    def main(self) -> Any:
        return self.page.locator("main")

    def open(self, path: str) -> int:
        """Type an address (or follow a bookmark); the HTTP status of the page."""
        response = self.page.goto(self.server.url + path)
        assert response is not None
        return int(response.status)

    def login(self, password: str = PASSWORD) -> None:
        """Sign in through the login form; lands on the home page."""
        assert self.username is not None
        self.open("/connexion")
        self.page.get_by_label("Identifiant").fill(self.username)
        self.page.get_by_label("Mot de passe").fill(password)
        self.page.get_by_role("button", name="Se connecter").click()
        expect(self.page.get_by_role("heading", level=1)).to_contain_text("Bonjour")

    def nav(self, label: str) -> None:
        """Follow a link of the main navigation."""
        self.page.get_by_role("navigation", name="Navigation principale").get_by_role(
            "link", name=label, exact=True
        ).click()

    def click(self, name: str, role: str = "button", exact: bool = True) -> None:
        self.page.get_by_role(role, name=name, exact=exact).click()  # type: ignore[arg-type]

    def fill(self, label: str, value: str, exact: bool = True) -> None:
        self.page.get_by_label(label, exact=exact).fill(value)

    def select(self, label: str, value: str, exact: bool = True) -> None:
        self.page.get_by_label(label, exact=exact).select_option(value)

    def flash(self, text: str) -> None:
        """The page reports ``text`` (a success or information message)."""
        expect(self.page.locator(".flash").filter(has_text=text)).to_be_visible()

    def look(self, shot: str | None = None) -> None:
        """Check the page with axe-core (no serious or critical violation) and keep a
        full-page screenshot as ``docs/screenshots/<shot>.png``.

        Done on the SQLite run only: both backends render the same templates, and
        axe-core takes seconds on the longest pages (CI time goes to the flows).
        """
        if not self.server.inspect:
            return
        self.page.wait_for_load_state("load")
        violations = axe_violations(self.page)
        url = self.page.url.removeprefix(self.server.url)
        assert not violations, (
            f"axe-core on {url} ({self.username}):\n{describe(violations)}"
        )
        if shot:
            keep_screenshot(self.page, shot)

    def meta(self, term: str) -> Any:
        """The value of ``term`` in the page's description list (``dl.meta``)."""
        return self.main.locator(f"dl.meta dt:text-is('{term}') + dd").first

    def text(self) -> str:
        """The visible text of the main content, whitespace collapsed."""
        return re.sub(r"\s+", " ", self.main.inner_text()).strip()

    def close(self) -> None:
        self.context.close()


@contextmanager
def person(
    browser: Browser, server: LiveServer, username: str | None
) -> Iterator[Persona]:
    """``username`` signed in (anonymous if None) for the length of a ``with`` block.

    The first time, through the login form; afterwards with the cookies that login
    left (a returning user), which keeps the run short.
    """
    cookies = server.story.setdefault("cookies", {})
    who = Persona(browser, server, username, cookies.get(username))
    try:
        if username is not None and username not in cookies:
            who.login()
            cookies[username] = who.context.storage_state()
        elif username is not None:
            who.open("/")
        yield who
    finally:
        who.close()
