"""Layout of the PDF tables, parsed back with pdftotext: no word broken mid-word (the
columns are at least as wide as their widest word), the header repeated on every page
a table runs over, and no heading left alone at the bottom of a page."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any

import pytest
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Paragraph

from exports import pdf
from exports.base import ExportSource
from exports.plan import _Plan
from projections import queries as q
from tests.exports.conftest import TEST_SESSION, DemoEnv

HEADER = ["Projet", "Intitulé", "Statut", "Avancement"]
LONG = "Hébergement"


def pdftotext(content: bytes, page: int | None = None, *, layout: bool = False) -> str:
    """The text of the PDF (or of one page), as poppler's pdftotext reads it."""
    pages = ["-f", str(page), "-l", str(page)] if page else []
    return subprocess.run(
        ["pdftotext", *pages, *(["-layout"] if layout else []), "-", "-"],
        input=content,
        capture_output=True,
        check=True,
    ).stdout.decode("utf-8")


def page_count(content: bytes) -> int:
    info = subprocess.run(
        ["pdfinfo", "-"], input=content, capture_output=True, check=True
    ).stdout.decode()
    return int(re.search(r"^Pages:\s+(\d+)$", info, re.M).group(1))  # type: ignore[union-attr]


def _long_table() -> bytes:
    rows = [
        [f"P{n:03d}", f"{LONG} mutualisé des serveurs n°{n}", "en cours", "50 %"]
        for n in range(120)
    ]
    widths = [2 * pdf.cm, 1.2 * pdf.cm, pdf.CONTENT_WIDTH - 5.2 * pdf.cm, 2 * pdf.cm]
    st = pdf.styles()
    story = [pdf.para("Projets", st.h1), pdf.grid(HEADER, rows, widths, right=(3,))]
    return pdf.build(story, title="Essai", municipality="Ville", footer="Pied")


def test_columns_are_widened_to_their_longest_word_and_keep_the_total() -> None:
    f = pdf.fonts()
    widths = [2 * pdf.cm, 1.2 * pdf.cm, 12 * pdf.cm, 2 * pdf.cm]
    rows = [["P001", f"{LONG} mutualisé", "en cours", "50 %"]]
    out = pdf.fitted(HEADER, rows, widths)
    assert sum(out) == pytest.approx(sum(widths))
    assert out[1] >= stringWidth(LONG, f.regular, 8) + 2 * pdf.CELL_PADDING
    needs = [stringWidth(w, f.bold, 8) for w in HEADER]
    assert all(o >= n + 2 * pdf.CELL_PADDING for o, n in zip(out, needs, strict=True))
    # the width came from the columns with room to spare, the widest giving most
    assert 12 * pdf.cm - out[2] > 2 * pdf.cm - out[0] > 0
    assert pdf.fitted(HEADER, rows, [4 * pdf.cm] * 4) == [4 * pdf.cm] * 4


def test_a_long_table_never_breaks_a_word_and_repeats_its_header() -> None:
    content = _long_table()
    pages = page_count(content)
    assert pages >= 3
    words = pdftotext(content).split()
    assert words.count(LONG) == 120
    assert not [w for w in words if w.startswith("Héb") and w != LONG]
    for n in range(1, pages + 1):
        lines = [
            re.split(r"\s{2,}", x.strip())
            for x in pdftotext(content, n, layout=True).splitlines()
            if x.strip()
        ]
        body = [x for x in lines if x[0] not in ("Ville", "Pied", "Projets")]
        assert body[0] == HEADER, (n, body[:3])
        assert re.fullmatch(r"P\d{3}", body[1][0]), (n, body[:3])


def _source_text(env: DemoEnv) -> str:
    store = env.read_model.store
    return json.dumps(
        [q.plan(store), q.axes(store), q.portfolio(store)],
        ensure_ascii=False,
        default=str,
    )


def test_the_plan_breaks_no_word_and_adds_no_hyphen(demo_env: DemoEnv) -> None:
    content = demo_env.render("plan", "pdf")
    text = pdftotext(content)
    source = _source_text(demo_env)
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        if line.endswith("-") and not line.endswith("--"):
            nxt = lines[i + 1].split()
            joined = line.split()[-1] + (nxt[0] if nxt else "")
            assert joined in source, (line, lines[i + 1])
    running = text[text.index("Projets en cours") :]
    tokens = set(running.split())
    store = demo_env.read_model.store
    titles = [
        p["title"]
        for p in q.portfolio(store)
        if p["status"] in ("planned", "in_progress")
    ]
    assert titles
    for title in titles:
        for word in title.split():
            assert word in tokens, (title, word)
    every = set(text.split())
    for p in q.portfolio(store):
        if p["status"] in ("approved", "planned", "in_progress", "done"):
            assert all(w in every for w in p["title"].split()), p["title"]


def _headings(story: list[Any]) -> set[str]:
    st = pdf.styles()
    out = set()
    for flowable in story:
        inner = getattr(flowable, "_content", None) or [flowable]
        for f in inner:
            if isinstance(f, Paragraph) and f.style.name in (st.h1.name, st.h2.name):
                out.add(pdf.clean(f.getPlainText()).replace("\u202f", " "))
    return out


@pytest.mark.parametrize("name", ["plan", "minutes"])
def test_no_heading_ends_a_page(demo_env: DemoEnv, name: str) -> None:
    kw = {"session": TEST_SESSION} if name == "minutes" else {}
    content = demo_env.render(name, "pdf", **kw)
    if name == "plan":
        snapshot = ExportSource(demo_env.read_model).snapshot(None)
        headings = _headings(_Plan(snapshot, q.plan(snapshot.store) or {}).story())
        assert "Projets en cours" in headings
    else:
        headings = {"Délibérations", "Présences et quorum", "Ordre du jour"}
        headings |= {"Scellement du registre"}
    for n in range(1, page_count(content) + 1):
        lines = [
            x.strip().replace("\u202f", " ").replace("\u00a0", " ")
            for x in pdftotext(content, n).splitlines()
            if x.strip() and not x.startswith(("Page ", "Registre SDSI"))
        ]
        assert lines, n
        assert lines[-1] not in headings, (n, lines[-3:])


def test_label_value_tables_widen_their_columns_too() -> None:
    f = pdf.fonts()
    table = pdf.key_values(
        [(f"{LONG} du serveur", "valeur"), ("Clé", "une valeur assez longue")],
        [1 * pdf.cm, 10 * pdf.cm],
    )
    assert table._colWidths[0] >= stringWidth(LONG, f.bold, 8) + 2 * pdf.CELL_PADDING
    assert sum(table._colWidths) == pytest.approx(11 * pdf.cm)
