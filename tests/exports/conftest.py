"""The demo municipality, loaded once per backend for all export tests, and helpers.

After the demo, one more project goes through the whole COPIL flow by ledger commands
with a title and a rationale a spreadsheet would read as formulas, so the escaping of
every tabular export is tested on real data. The ledger is then projected and sealed
(a checkpoint at every session closure).
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import psycopg
import pytest

from exports.base import ExportRequest, ExportSource
from exports.registry import exporter
from ledger.app import Ledger, open_ledger
from ledger.config import Settings
from ledger.core import Caller
from ledger.sealing import Sealer
from projections.service import ReadModel
from sdsi.demo import data as D
from tests.conftest import make_settings
from tests.demo_template import demo_copy

INJECTED_CODE = "INJECT"
INJECTED_TITLE = '=HYPERLINK("https://example.org";"Cliquer ici")'
INJECTED_RATIONALE = "@SOMME(A1:A9) — motif qui commence par une arobase"
TEST_SESSION = "COPIL-2026-12-01"
CHAIR = "dgs.lefebvre"


@dataclass
class DemoEnv:
    """A loaded, projected and sealed demo ledger on one backend."""

    backend: str
    url: str
    settings: Settings
    ledger: Ledger
    read_model: ReadModel
    tmp: Path

    def render(self, name: str, fmt: str, **kw: Any) -> bytes:
        return self.rendered(name, fmt, **kw).content

    def rendered(self, name: str, fmt: str, **kw: Any) -> Any:
        return exporter(name).render(
            ExportSource(self.read_model), ExportRequest(fmt, **kw)
        )


def _pg_schema(server_url: str) -> Iterator[str]:
    schema = "x_" + uuid.uuid4().hex[:12]
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in server_url else "?"
    try:
        yield f"{server_url}{sep}schema={schema}"
    finally:
        with psycopg.connect(server_url, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


def add_injected_project(ledger: Ledger) -> None:
    """A project whose title and rationale start with formula characters, approved."""
    ref, dsi, chair = Caller("ref.dsn"), Caller("dsi.martin"), Caller(CHAIR)
    costs = [{"year": 2026, "section": "investissement", "amount": "1234.56"}]
    workloads = [{"team": "DSI-APPS", "year": 2026, "days": 5}]
    content = {
        "title": INJECTED_TITLE,
        "description": "Projet de test de l'échappement des formules.",
        "components": [
            {"kind": k, "description": "Volet", "owner": "dsi.martin"}
            for k in ("organisation", "si", "rh", "communication")
        ],
        "axes": [{"axis": "A1", "indicator": "A1-I1", "expected_effect": "Test"}],
        "costs": costs,
        "workloads": workloads,
        "dependencies": [],
        "mandatory": False,
        "legal_basis": "",
        "risks": [{"label": "Aucun", "level": 1}],
    }
    ledger.draft_proposal(ref, INJECTED_CODE, "DSN", content)
    ledger.submit_proposal(ref, INJECTED_CODE)
    ledger.qualify_proposal(
        dsi,
        INJECTED_CODE,
        {
            "costs": costs,
            "workloads": workloads,
            "dependencies": [],
            "risks": [],
            "note": "Chiffrage de test",
        },
    )
    ledger.convene_session(
        chair,
        TEST_SESSION,
        "Comité de pilotage du SDSI — séance de test",
        date(2026, 12, 1),
        D.VOTING,
        D.NON_VOTING,
    )
    ledger.add_agenda_item(chair, TEST_SESSION, INJECTED_CODE)
    ledger.open_session(chair, TEST_SESSION, D.VOTING + D.NON_VOTING)
    for member in D.VOTING:
        ledger.cast_vote(Caller(member), TEST_SESSION, INJECTED_CODE, "for")
    ledger.record_decision(
        chair,
        TEST_SESSION,
        INJECTED_CODE,
        "approved",
        INJECTED_RATIONALE,
        ap_amount="1234.56",
        cp=costs,
    )
    ledger.close_session(chair, TEST_SESSION)


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def demo_env(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DemoEnv]:
    """The demo plus the injected project, projected and sealed, once per backend."""
    backend = str(request.param)
    tmp = tmp_path_factory.mktemp(f"exports-{backend}")
    # A copy of the demo, projected (tests/demo_template.py)
    url = demo_copy(request, backend, tmp, "projected")
    settings = make_settings(tmp / "data", url)
    led = open_ledger(settings)
    add_injected_project(led)
    rm = ReadModel(led, settings)
    rm.projector().catch_up()
    Sealer(led).run_once()
    try:
        yield DemoEnv(backend, url, settings, led, rm, tmp)
    finally:
        rm.close()
        led.close()


# --- parsing helpers -----------------------------------------------------------------

DECORATION_PREFIXES = ("Registre SDSI — données", "Page ", "Vérification du ")


def pdf_pages(content: bytes) -> list[str]:
    """The text of each page (pypdf), spaces normalised, page decorations removed."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    pages = []
    for page in reader.pages:
        lines = [norm(line) for line in page.extract_text().split("\n")]
        pages.append("\n".join(line for line in lines if line))
    return pages


def pdf_lines(content: bytes, municipality: str, title: str) -> list[str]:
    """Every text line of a PDF, without the running header and footer."""
    out = []
    for page in pdf_pages(content):
        for line in page.split("\n"):
            if line in (municipality, title) or line.startswith(DECORATION_PREFIXES):
                continue
            out.append(line)
    return out


def raw_text(content: bytes) -> str:
    """The text as extracted, typographic spaces kept."""
    import pypdf

    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(p.extract_text() for p in reader.pages)


def norm(text: str) -> str:
    """Typographic no-break spaces as plain spaces (as text comparisons want them)."""
    return text.replace("\u202f", " ").replace("\u00a0", " ").strip()


def fr_money(value: Decimal | str) -> str:
    """Euros as the PDFs print them, spaces normalised: ``1 234,56 €``."""
    from exports.french import money

    return norm(money(value))
