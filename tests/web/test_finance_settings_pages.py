"""The finance import's past imports and their reconciliation on demand (page, CSV,
XLSX, API), its column-mapping profiles and code mappings (pages and API, finance and
administrators), on both backends: totals to the cent, per-field errors in French,
nothing written on error."""

from __future__ import annotations

import io
import re
from decimal import Decimal as D
from typing import Any

import openpyxl
import pytest

from domain.budget import ProjectBudget
from domain.values import Origin
from ledger.core import Caller
from setupfile.finance_file import run_import
from tests.ledger.test_finance_import import HEADER
from tests.web.demo_site import ADMIN, FINANCE, field_error, page, shared_site, token
from tests.web.ui_client import Site, text

PROJECT = "SITEWEB"
CENT = D("0.01")


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest) -> Site:
    return shared_site(request, str(request.param))


def engagement(number: str, amount: str, op: str = PROJECT) -> str:
    return (
        f"engagement;2026;principal;I;réel;;;;{op};;{number};;;;;1;02/04/2026;"
        f"{amount};Titulaire"
    )


def mandat(number: str, piece: str, amount: str) -> str:
    return (
        f"mandat;2026;principal;I;réel;;;;{PROJECT};;{number};1;;BX;{piece};1;"
        f"15/05/2026;{amount};Titulaire"
    )


def csv(*lines: str) -> bytes:
    return ("\ufeff" + "\r\n".join([HEADER, *lines]) + "\r\n").encode()


def imported(site: Site, name: str, data: bytes) -> str:
    """Import ``data`` as finance; the import's key."""
    caller = Caller(actor=FINANCE, origin=Origin.IMPORT, reason="import financier")
    outcome = run_import(site.ledger, data, name, "generique", caller, dry_run=False)
    assert outcome.written, outcome.report()
    return str(site.ledger.finance_import_list()[0]["key"])


def ledger_totals(site: Site) -> tuple[D, D, D]:
    """SITEWEB's CP, committed and paid of 2026 in the ledger, to the cent."""
    budget = site.ledger.load(ProjectBudget, ProjectBudget.id_for(PROJECT))
    cp = sum((a for k, a in budget.cp.items() if k.startswith("2026/")), D(0))
    mine = [c for c in budget.commitments.values() if c["year"] == 2026]
    return (
        cp,
        sum((c["amount"] for c in mine), D(0)),
        sum((c["paid"] for c in mine), D(0)),
    )


def csrf(client: Any, url: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page(client.get(url)))
    assert found is not None
    return found.group(1)


def test_past_imports_are_listed_each_with_its_own_reconciliation(site: Site) -> None:
    n = len(site.ledger.finance_import_list())
    first = imported(
        site,
        f"janvier-{n}.csv",
        csv(engagement(f"A{n}", "1234,56"), mandat(f"A{n}", f"P{n}", "0,01")),
    )
    second = imported(site, f"fevrier-{n}.csv", csv(engagement(f"B{n}", "10,00")))
    client = site.client(FINANCE)
    listing = page(client.get("/budget/import"))
    rows = re.findall(r'<tr data-key="([^"]+)">(.*?)</tr>', listing, re.S)
    assert [k for k, _ in rows][:2] == [second, first]  # newest first
    cells = [
        re.sub(r"<[^>]+>", "", c)
        for c in re.findall(r"<td>(.*?)</td>", rows[1][1], re.S)
    ]
    sha = site.ledger.finance_import(first)["sha256"]
    assert cells[1:9] == [
        f"janvier-{n}.csv",
        sha[:12],
        "generique",
        "2",
        "0",
        "0",
        "0",
        FINANCE,
    ]
    assert cells[9] == "Page · CSV · XLSX"
    cp, committed, paid = ledger_totals(site)
    reconciliation = client.get(f"/budget/imports/{first}/rapprochement")
    assert reconciliation.status_code == 200
    assert f"Rapprochement avec le fichier janvier-{n}.csv" in text(reconciliation)
    workbook = client.get(f"/budget/imports/{first}/rapprochement.xlsx")
    assert workbook.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(workbook.data)).worksheets[0]
    cells = [c.value for c in next(ws.iter_rows(min_row=2, max_row=2))]
    assert cells[:2] == [PROJECT, 2026]
    assert [D(str(v)).quantize(CENT) for v in cells[2:]] == [
        cp, committed, D("1234.56"), committed - D("1234.56"),
        paid, D("0.01"), paid - D("0.01"),
    ]  # fmt: skip
    lines = client.get(f"/budget/imports/{first}/rapprochement.csv").data
    row = lines.decode("utf-8-sig").splitlines()[1].split(";")
    assert row[:2] == [PROJECT, "2026"]
    assert row[4] == "1234,56" and row[7] == "0,01"
    last = client.get("/budget/rapprochement.csv").data.decode("utf-8-sig")
    assert last.splitlines()[1].split(";")[4] == "10,00"  # the last import's file
    assert client.get("/budget/imports/inconnu/rapprochement").status_code == 404


def test_the_api_lists_imports_and_reconciles_a_chosen_one(site: Site) -> None:
    n = len(site.ledger.finance_import_list())
    key = imported(site, f"api-{n}.csv", csv(engagement(f"C{n}", "99,99")))
    headers = token(site, FINANCE)
    client = site.client()
    listed = client.get("/api/v1/finance/imports", headers=headers).get_json()
    newest = listed["imports"][0]
    assert {k: newest[k] for k in ("key", "file_name", "profile", "actor")} == {
        "key": key, "file_name": f"api-{n}.csv", "profile": "generique",
        "actor": FINANCE,
    }  # fmt: skip
    assert newest["counts"]["create"] == 1 and len(newest["sha256"]) == 64
    answer = client.get(
        f"/api/v1/finance/imports/{key}/reconciliation", headers=headers
    ).get_json()
    assert answer["import"]["key"] == key
    cp, committed, paid = ledger_totals(site)
    assert answer["rows"] == [
        {
            "project": PROJECT, "year": 2026, "cp": str(cp),
            "committed": str(committed), "file_committed": "99.99",
            "diff_committed": str(committed - D("99.99")), "paid": str(paid),
            "file_paid": "0.00", "diff_paid": str(paid),
        }
    ]  # fmt: skip
    missing = client.get("/api/v1/finance/imports/nope/reconciliation", headers=headers)
    assert missing.status_code == 404
    assert missing.get_json()["error"]["code"] == "not_found"


PROFILE = {
    "name": "maison",
    "label": "Export maison",
    "kind": "engagement",
    "columns.exercice": "EXER",
    "columns.section": "SECT",
    "columns.ligne": "LIG",
    "columns.date": "DATE_ENG",
    "columns.montant": "MONTANT",
    "columns.operation": "OPER",
    "columns.engagement": "NUM",
}


def test_a_profile_form_names_every_bad_field_in_french_and_saves_nothing(
    site: Site,
) -> None:
    client = site.client(FINANCE)
    head = site.head()
    bad = {
        **PROFILE,
        "csrf_token": csrf(client, "/budget/import/profils"),
        "name": "Maison!",
        "kind": "",
        "kind_values": "E engagement",
        "columns.montant": "",
        "columns.date": "EXER",
    }
    refused = client.post("/budget/import/profils", data=bad)
    assert refused.status_code == 422
    body = page(refused)
    assert field_error(body, "f-columns.montant") == (
        "Valeur invalide pour « Colonne du champ montant » : «  » (en-tête "
        "obligatoire)."
    )
    assert field_error(body, "f-columns.date") == (
        "Valeur invalide pour « Colonne du champ date » : « EXER » (en-tête déjà "
        "donné au champ exercice)."
    )
    assert "paires valeur=sens" in field_error(body, "f-kind_values")
    assert "un type fixe" in field_error(body, "f-kind")
    assert site.head() == head


def test_finance_saves_a_profile_and_admin_replaces_it(site: Site) -> None:
    client = site.client(FINANCE)
    saved = client.post(
        "/budget/import/profils",
        data={**PROFILE, "csrf_token": csrf(client, "/budget/import/profils")},
    )
    assert saved.status_code == 302, text(saved)
    listing = text(client.get("/budget/import/profils"))
    assert "maison Export maison enregistré engagement" in listing
    assert "generique" in listing and "livré" in listing
    admin = site.client(ADMIN)
    start = page(admin.get("/budget/import/profils?depuis=maison"))
    assert (
        'id="f-columns.montant" name="columns.montant" type="text" value="MONTANT"'
        in start
    )
    again = admin.post(
        "/budget/import/profils",
        data={
            **PROFILE,
            "label": "Export maison v2",
            "csrf_token": csrf(admin, "/budget/import/profils"),
        },
    )
    assert again.status_code == 302
    headers = token(site, ADMIN)
    profiles = site.client().get("/api/v1/finance/profiles", headers=headers)
    mine = [p for p in profiles.get_json()["profiles"] if p["name"] == "maison"]
    assert [(p["label"], p["origin"], p["definition"]["columns"]["montant"])
            for p in mine] == [("Export maison v2", "saved", "MONTANT")]  # fmt: skip


def test_codes_are_mapped_to_projects_and_unmapped_from_the_page(site: Site) -> None:
    client = site.client(FINANCE)
    head = site.head()
    token_ = csrf(client, "/budget/import/correspondances")
    unknown = client.post(
        "/budget/import/correspondances",
        data={"csrf_token": token_, "source": "OP-77", "project": "NOPE"},
    )
    assert unknown.status_code == 404
    assert "NOPE" in field_error(page(unknown), "f-project")
    assert site.head() == head
    added = client.post(
        "/budget/import/correspondances",
        data={"csrf_token": token_, "source": "OP-77", "project": PROJECT},
    )
    assert added.status_code == 302
    listing = page(client.get("/budget/import/correspondances"))
    assert f'<tr data-source="OP-77"><td>OP-77</td><td>{PROJECT}</td>' in listing
    api = site.client().get("/api/v1/finance/mappings", headers=token(site, FINANCE))
    assert {"source": "OP-77", "project": PROJECT} in api.get_json()["mappings"]
    removed = client.post(
        "/budget/import/correspondances/OP-77/retrait", data={"csrf_token": token_}
    )
    assert removed.status_code == 302
    assert 'data-source="OP-77"' not in page(
        client.get("/budget/import/correspondances")
    )
    gone = client.post(
        "/budget/import/correspondances/OP-77/retrait", data={"csrf_token": token_}
    )
    assert gone.status_code == 302  # refused, told, nothing written
    assert "introuvable" in text(client.get("/budget/import/correspondances"))


def test_a_file_larger_than_ordinary_forms_is_previewed_and_imported(
    site: Site,
) -> None:
    """An export past the 2 MB of ordinary forms (a year of a finance software's
    lines, here 300 lines padded by a column the profile does not read) goes through
    the dry run and the import: every line counted, shown up to the page's limit,
    then written."""
    n = len(site.ledger.finance_import_list())
    pad = "x" * 8000
    lines = []
    for i in range(150):
        lines.append(engagement(f"G{n}x{i}", "1,00") + f";{pad}")
        lines.append(mandat(f"G{n}x{i}", f"G{n}x{i}", "0,50") + f";{pad}")
    data = ("\ufeff" + "\r\n".join([HEADER + ";commentaire", *lines]) + "\r\n").encode()
    assert len(data) > 2 * 1024 * 1024
    client = site.client(FINANCE)
    head = site.head()
    preview = client.post(
        "/budget/import",
        data={
            "csrf_token": csrf(client, "/budget/import"),
            "profile": "generique",
            "file": (io.BytesIO(data), "annee.csv"),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, text(preview)[:500]
    counts = re.findall(r"<td>(\d+)</td>", page(preview).split('id="import-counts"')[1])
    assert counts[:5] == ["300", "0", "0", "0", "0"]
    assert site.head() == head
    confirm = re.search(r'action="(/budget/import/[0-9a-f]{32})"', page(preview))
    assert confirm is not None
    done = client.post(
        confirm.group(1), data={"csrf_token": csrf(client, "/budget/import")}
    )
    assert "Import terminé : 300 ligne(s) enregistrée(s)." in text(done)
    budget = site.ledger.load(ProjectBudget, ProjectBudget.id_for(PROJECT))
    assert budget.commitments[f"E-2026-G{n}x149-1"]["paid"] == D("0.50")


def test_a_profile_changed_between_preview_and_confirm_writes_nothing(
    site: Site,
) -> None:
    """The confirmation reads the file as its preview did: a profile saved again in
    between (another reading of the columns) refuses it, nothing written."""
    import json
    from pathlib import Path

    import setupfile

    shipped = Path(setupfile.__file__).with_name("finance_profiles") / "generique.json"
    definition = {**json.loads(shipped.read_text(encoding="utf-8")), "name": "copie"}
    finance = Caller(actor=FINANCE, reason="profil de test")
    site.ledger.save_finance_profile(finance, definition)
    n = len(site.ledger.finance_import_list())
    client = site.client(FINANCE)
    preview = client.post(
        "/budget/import",
        data={
            "csrf_token": csrf(client, "/budget/import"),
            "profile": "copie",
            "file": (io.BytesIO(csv(engagement(f"C{n}", "10,00"))), "c.csv"),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200, text(preview)[:500]
    confirm = re.search(r'action="(/budget/import/[0-9a-f]{32})"', page(preview))
    assert confirm is not None
    site.ledger.save_finance_profile(finance, {**definition, "decimal": "."})
    head = site.head()
    refused = client.post(
        confirm.group(1), data={"csrf_token": csrf(client, "/budget/import")}
    )
    assert refused.status_code == 409
    assert (
        "Le profil « copie » a été modifié depuis l'aperçu : le fichier serait lu "
        "autrement. Rien n'a été écrit ; refaites l'aperçu."
    ) in text(refused)
    assert site.head() == head
