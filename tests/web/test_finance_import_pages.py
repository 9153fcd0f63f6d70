"""The finance import page refuses bad uploads in French, writes nothing, never a 500;
an invalid file shows every error by line and column (demo site, SQLite)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest

from tests.web.demo_site import FINANCE, shared_site
from tests.web.ui_client import Site, text


@pytest.fixture(scope="module")
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, "sqlite")


def send(site: Site, name: str, body: bytes, profile: str = "generique") -> Any:
    client = site.client(FINANCE)
    form = client.get("/budget/import")
    assert form.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True))
    assert csrf is not None
    return client.post(
        "/budget/import",
        data={
            "csrf_token": csrf.group(1),
            "profile": profile,
            "file": (io.BytesIO(body), name),
        },
        content_type="multipart/form-data",
    )


def test_bad_uploads_are_refused_in_french_and_write_nothing(site: Site) -> None:
    head = site.head()
    wrong_type = send(site, "export.pdf", b"%PDF")
    assert wrong_type.status_code == 422
    assert "Le fichier doit être un CSV ou un XLSX." in text(wrong_type)
    unknown = send(site, "export.csv", b"a;b\r\n", profile="nope")
    assert unknown.status_code == 422
    assert "profil inconnu : nope" in text(unknown)
    broken = send(site, "export.xlsx", b"not a workbook")
    assert broken.status_code == 422
    assert "fichier illisible" in text(broken)
    missing = send(site, "export.csv", b"exercice;montant\r\n2026;1,00\r\n")
    assert missing.status_code == 422
    assert "ligne 1 : colonne « section » (section) absente" in text(missing)
    assert site.head() == head


def test_the_preview_shows_each_line_m57_imputation_and_refuses_a_bad_code(
    site: Site,
) -> None:
    from tests.ledger.test_finance_import import HEADER

    def line(chapitre: str) -> str:
        return (
            f"engagement;2026;principal;I;réel;{chapitre};2059;020;ZZZ;;EJ9;;;;;1;"
            "02/04/2026;10,00;Titulaire"
        )

    head = site.head()
    shown = send(site, "export.csv", f"{HEADER}\r\n{line('20')}\r\n".encode())
    assert shown.status_code == 200
    page = text(shown)
    assert "Imputation M57" in page
    assert "E-2026-EJ9-1 — 10,00 € sans projet 20/2059/020/ZZZ Avertissement" in page
    assert "Avertissement : article 2059 hors de la nomenclature M57 livrée" in page
    refused = send(site, "export.csv", f"{HEADER}\r\n{line('2X')}\r\n".encode())
    assert refused.status_code == 422
    assert (
        "ligne 2, colonne « chapitre » : chapitre M57 : 2 ou 3 chiffres "
        "(valeur : « 2X »)"
    ) in text(refused)
    assert site.head() == head


def test_a_preview_never_confirmed_is_removed_after_a_day(site: Site) -> None:
    import os
    import time
    from pathlib import Path

    from tests.ledger.test_finance_import import HEADER

    folder = Path(site.app.extensions["sdsi"].settings.data_dir) / "finance-imports"
    folder.mkdir(parents=True, exist_ok=True)
    stale, fresh = "a" * 32, "b" * 32
    for token, age in ((stale, 25 * 3600), (fresh, 3600)):
        for suffix in (".data", ".name"):
            path = folder / f"{token}{suffix}"
            path.write_text("x", encoding="utf-8")
            os.utime(path, (time.time() - age, time.time() - age))
    line = (
        "engagement;2026;principal;I;réel;20;2051;020;ZZZ;;EJ9;;;;;1;02/04/2026;1,00;T"
    )
    shown = send(site, "export.csv", f"{HEADER}\r\n{line}\r\n".encode())
    assert shown.status_code == 200
    left = {p.name for p in folder.iterdir()}
    assert {f"{stale}.data", f"{stale}.name"} & left == set()
    assert {f"{fresh}.data", f"{fresh}.name"} <= left
