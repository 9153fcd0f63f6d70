"""A person who uses the keyboard only: Tab and Shift+Tab to move, Enter and Space to
act, arrows in lists and radio groups, typing in fields — through ``page.keyboard``,
never a click, ``fill`` or ``focus()``. The page's DOM is read (which element has the
focus, what a list offers) but never acted on.

Every element the focus reaches on the way is checked for a visible focus (RGAA 10.7,
WCAG 2.4.7): a computed outline that is not ``none``, at least 2 px wide, whose colour
contrasts at least 3:1 with the background around it (WCAG 1.4.11).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Page

MAX_TABS = 250  # the longest way to a control of these pages (the API reference aside)

# What the focused element is, and how its focus shows. The outline is drawn around
# the element (outline-offset ≥ 0) on its parents' background, or inside it.
_FOCUSED = """
async () => {
  // a date field hands the focus on between its parts over a frame or two
  const frame = () => new Promise((done) => requestAnimationFrame(done));
  let el = document.activeElement;
  for (let i = 0; i < 20 && el && el !== document.body && !el.matches(":focus-within"); i++) {
    await frame();
    el = document.activeElement;
  }
  if (!el || el === document.body) return null;
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const style = getComputedStyle(el);
  const inside = parseFloat(style.outlineOffset) < 0;
  let node = inside ? el : el.parentElement, bg = [255, 255, 255];
  for (; node; node = node.parentElement) {
    const c = rgb(getComputedStyle(node).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; }
  }
  const ring = rgb(style.outlineColor).slice(0, 3);
  const [hi, lo] = [lum(ring), lum(bg)].sort((a, b) => b - a);
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    tag: el.tagName.toLowerCase(),
    id: el.id,
    type: el.type || "",
    text: (el.getAttribute("aria-label") || label || el.innerText || el.value || "")
      .replace(/\\s+/g, " ").trim(),
    outline: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    contrast: Math.round(((hi + 0.05) / (lo + 0.05)) * 100) / 100,
    describe: el.outerHTML.slice(0, 160),
  };
}
"""


@dataclass
class Keyboard:
    """The keyboard of one tab; ``presses`` counts the keys pressed."""

    page: Page
    presses: int = 0
    seen: list[dict[str, Any]] = field(default_factory=list)
    order: str | None = None  # of a date field's parts: "dmy" or "mdy"

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.presses += len(text)

    def focused(self) -> dict[str, Any] | None:
        found: dict[str, Any] | None = self.page.evaluate(_FOCUSED)
        if found is not None:
            self.seen.append(found)
            assert found["outline"] != "none" and found["width"] >= 2, (
                f"focus not visible on {found['describe']}: outline "
                f"{found['outline']} {found['width']} px"
            )
            assert found["contrast"] >= 3, (
                f"focus ring of {found['describe']} contrasts {found['contrast']}:1 "
                "with its background (3:1 at least)"
            )
        return found

    def tab_to(
        self,
        selector: str | None = None,
        *,
        text: str | None = None,
        back: bool = False,
        limit: int = MAX_TABS,
    ) -> dict[str, Any]:
        """Press Tab (Shift+Tab if ``back``) until the focus is on the element
        matching ``selector`` (CSS) and/or whose accessible text is ``text``."""
        self.page.wait_for_load_state("load")  # its style sheet applied
        trail: list[str] = []
        for _ in range(limit):
            self.press("Shift+Tab" if back else "Tab")
            found = self.focused()
            if found is None:
                trail.append("(page)")
                continue
            trail.append(f"{found['tag']}#{found['id']} {found['text'][:40]!r}")
            if text is not None and found["text"] != text:
                continue
            if selector is not None and not self.page.evaluate(
                "(s) => document.activeElement.matches(s)", selector
            ):
                continue
            return found
        raise AssertionError(
            f"{'Shift+Tab' if back else 'Tab'} never reached {selector or ''} "
            f"{text or ''} in {limit} presses: " + " → ".join(trail[-30:])
        )

    def follow(self, text: str, selector: str = "a", *, loads: bool = True) -> None:
        """Tab to the link ``text`` and follow it with Enter (``loads``: wait for
        the page it opens; not for a download)."""
        self.tab_to(selector, text=text)
        self._act("Enter", loads)

    def push(self, text: str, key: str = "Enter", *, loads: bool = True) -> None:
        """Tab to the button ``text`` and press it (Enter, or Space); the page
        the form answers is waited for."""
        self.tab_to("button, input[type=submit]", text=text)
        self._act(key, loads)

    def _act(self, key: str, loads: bool) -> None:
        if not loads:
            self.press(key)
            return
        with self.page.expect_navigation():
            self.press(key)

    def write(self, selector: str, value: str) -> None:
        """Tab to a field, empty it (Ctrl+A, Delete) and type ``value``."""
        self.tab_to(selector)
        self.press("Control+A")
        self.press("Delete")
        self.type(value)

    def choose(self, selector: str, option: str) -> None:
        """Tab to a list and move to the option whose value or text is ``option``
        with the arrow keys (a closed list changes as the arrows move)."""
        self.tab_to(selector)
        options: list[list[str]] = self.page.evaluate(
            "() => [...document.activeElement.options]"
            ".map(o => [o.value, o.text.trim()])"
        )
        wanted = [i for i, (v, t) in enumerate(options) if option in (v, t)]
        assert wanted, f"{selector} offers no {option!r}: {options}"
        current = int(self.page.evaluate("() => document.activeElement.selectedIndex"))
        step = "ArrowDown" if wanted[0] > current else "ArrowUp"
        for _ in range(abs(wanted[0] - current)):
            self.press(step)
        chosen = self.page.evaluate("() => document.activeElement.value")
        assert chosen == options[wanted[0]][0], (selector, chosen, option)

    def date(self, selector: str, day: str) -> None:
        """Tab to a date field and type ``YYYY-MM-DD`` in the order the browser
        shows its parts (day first in French; Chromium's own locale decides)."""
        self.tab_to(selector)
        self.type(self._digits(day))

    def moment(self, selector: str, moment: str) -> None:
        """Tab to a date-and-time field and type ``YYYY-MM-DDTHH:MM``: the date,
        then → to the hours (a 12-hour field reads 18 as 6 PM)."""
        self.tab_to(selector)
        day, time = moment.split("T")
        self.type(self._digits(day))
        self.press("ArrowRight")
        self.type(time.replace(":", ""))

    def _digits(self, day: str) -> str:
        year, month, dd = day.split("-")
        return (dd + month if self._day_first() else month + dd) + year

    def _day_first(self) -> bool:
        """Whether this browser's date fields start with the day: typed once in a
        blank tab of the same browser (not the application's page)."""
        if self.order is None:
            probe = self.page.context.new_page()
            try:
                probe.set_content("<input type=date>")
                probe.keyboard.press("Tab")
                probe.keyboard.type("01022003")
                value = probe.eval_on_selector("input", "e => e.value")
            finally:
                probe.close()
            assert value in ("2003-02-01", "2003-01-02"), value
            self.order = "dmy" if value == "2003-02-01" else "mdy"
        return self.order == "dmy"
