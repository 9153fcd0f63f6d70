"""The document review (phase 2) through the API and the pages, on both backends:
the DSI and the consultant keep the register, the others read it; the register is
searched and filtered; a proposal and a finding cite documents and the document's
page lists them back; a change and a withdrawal are in the history; the file is an
attachment with its SHA-256; hostile input is refused naming the field, nothing
written."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from domain.reviewed_documents import KIND_LABELS
from ledger.core import Caller
from tests.web.test_diagnosis_pages import api
from tests.web.ui_client import Site, text
from tests.web.world import OWN, login, open_world
from web.ui.document_review import KIND_NAMES

AUDIT = {
    "kind": "audit",
    "date": "2024-03-15",
    "author": "Cabinet Sécurité & Conseil",
    "title": "Audit de sécurité du SI",
    "summary": "Sauvegardes non testées, comptes à privilèges partagés.",
    "axes": ["SECU"],
}
PLAN = {
    "kind": "plan",
    "date": "2019-01-20",
    "author": "Ville de test",
    "title": "Schéma directeur 2019-2023",
    "summary": "Le plan précédent : dématérialisation et réseau.",
    "axes": ["USAGERS", "SECU"],
}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    dsi = Caller(actor=login("dsi"), reason="préparation des tests")
    running.ledger.create_axis(dsi, "SECU", "Sécurité du SI")
    running.ledger.create_axis(dsi, "USAGERS", "Services aux usagers")
    running.caught_up()
    yield running
    running.close()


def test_the_kind_names_shown_are_the_domain_s() -> None:
    assert KIND_NAMES == KIND_LABELS


def test_the_register_end_to_end_through_the_api(site: Site) -> None:
    for who in ("referent", "chair", "auditor", "member", "finance"):
        refused = api(site, who, "POST", "/reviewed-documents", AUDIT)
        assert refused.status_code == 403, who
    first = api(site, "dsi", "POST", "/reviewed-documents", AUDIT)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["result"] == {
        "code": "DOC-001",
        "kind": "audit",
        "title": "Audit de sécurité du SI",
    }
    second = api(site, "consultant", "POST", "/reviewed-documents", PLAN)
    assert second.get_json()["result"]["code"] == "DOC-002"

    listed = api(site, "referent", "GET", "/reviewed-documents").get_json()
    assert [(d["code"], d["date"], d["axes"]) for d in listed["documents"]] == [
        ("DOC-001", "2024-03-15", ["SECU"]),
        ("DOC-002", "2019-01-20", ["SECU", "USAGERS"]),
    ]
    searched = api(site, "chair", "GET", "/reviewed-documents?q=SECURITE+sauvegardes")
    assert [d["code"] for d in searched.get_json()["documents"]] == ["DOC-001"]
    by_axis = api(site, "chair", "GET", "/reviewed-documents?axis=USAGERS")
    assert [d["code"] for d in by_axis.get_json()["documents"]] == ["DOC-002"]
    by_kind = api(site, "chair", "GET", "/reviewed-documents?kind=plan&q=schema")
    assert [d["code"] for d in by_kind.get_json()["documents"]] == ["DOC-002"]
    assert (
        api(site, "chair", "GET", "/reviewed-documents?kind=roman").status_code == 422
    )

    # a proposal and a finding cite the audit; the document lists them back
    links = {"applications": {}, "findings": [], "documents": ["DOC-001"]}
    linked = api(site, "referent", "PUT", f"/proposals/{OWN}/links", links)
    assert linked.status_code == 201, linked.get_json()
    finding = api(
        site,
        "consultant",
        "POST",
        "/findings",
        {"kind": "weakness", "title": "Sauvegardes", "documents": ["DOC-001"]},
    )
    assert finding.status_code == 201, finding.get_json()
    code = finding.get_json()["result"]["code"]
    cited = api(site, "dsi", "PUT", f"/findings/{code}/documents", {"documents": ["DOC-001", "DOC-002"]})  # fmt: skip
    assert cited.get_json()["result"]["documents"] == ["DOC-001", "DOC-002"]
    record = api(site, "auditor", "GET", "/reviewed-documents/DOC-001").get_json()
    assert (record["proposals"], record["findings"]) == ([OWN], [code])
    assert api(site, "chair", "GET", f"/proposals/{OWN}/links").get_json()[
        "documents"
    ] == ["DOC-001"]
    # setting the other links without ``documents`` keeps the documents cited
    api(site, "referent", "PUT", f"/proposals/{OWN}/links", {"findings": [code]})
    assert api(site, "chair", "GET", f"/proposals/{OWN}/links").get_json()[
        "documents"
    ] == ["DOC-001"]

    # a change needs a reason; the history names the fields changed
    change = {**PLAN, "title": "SDSI 2019-2023"}
    no_reason = api(site, "dsi", "PUT", "/reviewed-documents/DOC-002", change)
    assert list(no_reason.get_json()["error"]["details"]) == ["reason"]
    changed = api(site, "dsi", "PUT", "/reviewed-documents/DOC-002", {**change, "reason": "titre officiel"})  # fmt: skip
    assert changed.get_json()["result"]["changed"] is True
    history = api(site, "chair", "GET", "/reviewed-documents/DOC-002").get_json()["history"]  # fmt: skip
    assert [(h["event"], h["reason"]) for h in history] == [
        ("changed", "titre officiel"),
        ("registered", None),
    ]
    assert history[0]["detail"] == {
        "title": {"old": "Schéma directeur 2019-2023", "new": "SDSI 2019-2023"}
    }

    # withdrawn: still listed as withdrawn, no longer citable
    gone = api(site, "dsi", "POST", "/reviewed-documents/DOC-002/withdraw", {"reason": "doublon"})  # fmt: skip
    assert gone.status_code == 201
    assert [d["code"] for d in api(site, "chair", "GET", "/reviewed-documents").get_json()["documents"]] == ["DOC-001"]  # fmt: skip
    withdrawn = api(site, "chair", "GET", "/reviewed-documents?status=withdrawn")
    (w,) = withdrawn.get_json()["documents"]
    assert (w["code"], w["withdrawn_reason"]) == ("DOC-002", "doublon")
    again = api(site, "referent", "PUT", f"/proposals/{OWN}/links", {"documents": ["DOC-002"]})  # fmt: skip
    assert again.get_json()["error"]["code"] == "document_withdrawn"


def test_the_pages_search_show_who_cites_and_attach_the_file(site: Site) -> None:
    client = site.client(login("chair"))
    page = client.get("/revue-documentaire?q=audit")
    table = page.get_data(as_text=True).split('id="register"', 1)[1].split("</table>")[0]  # fmt: skip
    assert "DOC-001" in table and "Schéma" not in table
    one = text(client.get("/revue-documentaire/DOC-001"))
    assert "Fiches projet : " + OWN in one
    assert "Audit de sécurité du SI" in one and "Sécurité du SI" in one
    proposal = text(site.client(login("referent")).get(f"/fiches/{OWN}"))
    assert "Documents de la revue documentaire cités : DOC-001 — Audit de sécurité du SI" in proposal  # fmt: skip
    assert "DOC-001 — Audit de sécurité du SI" in text(client.get("/diagnostic"))

    # the file: only the register's keepers attach it; its SHA-256 is recorded
    pdf = b"%PDF-1.4\n%audit\n"
    upload = {"file": (io.BytesIO(pdf), "audit.pdf"), "description": "rapport"}
    refused = client.post(
        "/revue-documentaire/DOC-001/pieces-jointes",
        data=upload,
        content_type="multipart/form-data",
    )
    assert refused.status_code == 403
    dsi = site.client(login("dsi"))
    sent = dsi.post(
        "/revue-documentaire/DOC-001/pieces-jointes",
        data={"file": (io.BytesIO(pdf), "audit.pdf"), "description": "rapport"},
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302, text(sent)
    site.caught_up()
    files = api(site, "auditor", "GET", "/reviewed-documents/DOC-001/attachments")
    (item,) = files.get_json()["attachments"]
    assert item["current"]["sha256"] == hashlib.sha256(pdf).hexdigest()
    assert "audit.pdf" in text(client.get("/revue-documentaire/DOC-001"))


def test_the_register_form_refuses_then_registers(site: Site) -> None:
    client = site.client(login("consultant"))
    head = site.head()
    bad = client.post(
        "/revue-documentaire",
        data={"kind": "contract", "date": "2023-13-01", "author": "", "title": "X"},
    )
    assert bad.status_code == 422
    page = text(bad)
    assert "Date du document" in page and "Auteur" in page
    assert site.head() == head
    unknown_axis = client.post(
        "/revue-documentaire",
        data={
            "kind": "contract",
            "date": "2023-01-01",
            "author": "Éditeur",
            "title": "Contrat",
            "axes": ["NOPE"],
        },
    )
    assert unknown_axis.status_code == 404
    assert "Axe stratégique introuvable : NOPE." in text(unknown_axis)
    assert site.head() == head
    good = client.post(
        "/revue-documentaire",
        data={
            "kind": "contract",
            "date": "2022-06-01",
            "author": "Éditeur Paie",
            "title": "Contrat de maintenance Paie",
            "axes": ["SECU"],
        },
    )
    assert good.status_code == 302
    site.caught_up()
    assert site.events_since(head) == ["ReviewedDocument.Registered"]


FIELDS = ("kind", "date", "author", "title", "summary", "axes")
hostile = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=300),
    st.lists(st.text(max_size=50), max_size=30),
    st.just("\x00"),
    st.just("a" * 5000),
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(field=st.sampled_from(FIELDS), value=hostile)
def test_hostile_fields_are_refused_naming_the_field(
    site: Site, field: str, value: Any
) -> None:
    body = {**AUDIT, field: value}
    head = site.head()
    answer = api(site, "dsi", "POST", "/reviewed-documents", body)
    if answer.status_code == 201:  # the value happened to be acceptable
        site.caught_up()
        return
    assert answer.status_code in (404, 422), answer.get_json()
    error = answer.get_json()["error"]
    if answer.status_code == 422:
        # the schema names the field or an item of it (``axes[0]``), the domain
        # names it in ``details.field`` (a blank author once trimmed)
        details = error["details"]
        named = [details["field"]] if error["code"] == "invalid_value" else details
        # (a list where a text is expected: each item named, ``kind[0]``, ``kind[1]``)
        assert {k.split("[")[0] for k in named} == {field}, error
    assert site.head() == head


def test_the_register_downloads_as_filtered_in_csv_and_xlsx(site: Site) -> None:
    from openpyxl import load_workbook

    client = site.client(login("referent"))
    csv = client.get("/revue-documentaire/registre.csv?q=audit")
    assert csv.status_code == 200
    lines = csv.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].split(";")[:4] == ["Code", "Nature", "Date", "Auteur"]
    searched = api(site, "chair", "GET", "/reviewed-documents?q=audit").get_json()
    assert [line.split(";")[0] for line in lines[1:]] == [
        d["code"] for d in searched["documents"]
    ]
    doc1 = next(x.split(";") for x in lines[1:] if x.startswith("DOC-001;"))
    assert doc1[1:4] == ["audit", "2024-03-15", "Cabinet Sécurité & Conseil"]
    book = load_workbook(io.BytesIO(client.get("/revue-documentaire/registre.xlsx?status=all").data))  # fmt: skip
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    codes = [r[0] for r in rows if r and str(r[0]).startswith("DOC-")]
    listed = api(site, "chair", "GET", "/reviewed-documents?status=all").get_json()
    assert codes == [d["code"] for d in listed["documents"]]
    assert {"DOC-001", "DOC-002", "DOC-003"} <= set(codes)
    assert client.get("/revue-documentaire/registre.pdf").status_code == 404
