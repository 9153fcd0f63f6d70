"""The SDSI plan and the audit certificate, parsed back and checked."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from exports.french import STATUSES, plain_number
from exports.integrity import key_info
from exports.plan import ADOPTED
from ledger.core import Caller
from ledger.sealing import Sealer
from ledger.verify import verify_ledger
from projections import queries as q
from projections.service import ReadModel, init_views
from sdsi.cli import main
from tests.conftest import ADMIN
from tests.exports.conftest import DemoEnv, fr_money, norm, pdf_lines
from tests.ledger.integrity_helpers import Tamperer


def _plan_lines(env: DemoEnv) -> list[str]:
    store = env.read_model.store
    plan = q.plan(store)
    return pdf_lines(env.render("plan", "pdf"), plan["municipality"], plan["name"])


def _section(lines: list[str], start: str, stop: str) -> str:
    i = lines.index(start)
    j = lines.index(stop, i + 1)
    return "\n".join(lines[i:j])


def test_plan_shows_the_axes_indicators_and_their_last_measurements(
    demo_env: DemoEnv,
) -> None:
    lines = _plan_lines(demo_env)
    text = _section(
        lines, "Axes stratégiques et indicateurs", "Portefeuille adopté par axe"
    )
    axes = q.axes(demo_env.read_model.store)
    assert len(axes) == 5
    for axis in axes:
        assert f"{axis['code']} — {axis['label']}" in text
        for ind in axis["indicators"]:
            last = ind["last"]["realised"]
            target = norm(plain_number(ind["target"]))
            assert f"{target} ({ind['target_year']})" in text
            assert f"{norm(plain_number(last['value']))} au " in text
            assert ind["label"].split(" ")[0] in text


def test_plan_portfolio_roadmap_budget_and_execution_match_the_projections(
    demo_env: DemoEnv,
) -> None:
    store = demo_env.read_model.store
    lines = _plan_lines(demo_env)
    text = "\n".join(lines)
    portfolio = q.portfolio(store)
    adopted = [p for p in portfolio if p["status"] in ADOPTED]
    assert len(adopted) > 30
    by_axis = _section(
        lines, "Portefeuille adopté par axe", "Portefeuille adopté par pôle"
    )
    roadmap = _section(
        lines, "Feuille de route pluriannuelle", "Budget par exercice et section"
    )
    for p in adopted:
        assert f"{p['code']}\n" in by_axis
        assert f"\n{p['code']}\n" in roadmap  # one Gantt bar each
        assert fr_money(p["ap"]) in by_axis
    budget = q.budget_consumption(store)
    assert fr_money(budget["total"]["paid"]) in text  # key figures
    table = _section(lines, "Budget par exercice et section", "État d'exécution")
    for env in budget["envelopes"]:
        sums = budget["totals"]["year_section"].get(f"{env['year']}/{env['section']}")
        row = [str(env["year"]), env["section"], fr_money(env["total"])]
        if sums:
            row += [fr_money(sums[k]) for k in ("allocated", "committed", "paid")]
        assert "\n".join(row) in table, row
    execution = _section(lines, "État d'exécution", "Projets en cours")
    counts: dict[str, int] = {}
    for p in portfolio:
        counts[p["status"]] = counts.get(p["status"], 0) + 1
    for status, n in counts.items():
        assert f"{STATUSES[status]}\n{n}" in execution


def test_certificate_reports_a_full_verification_with_checkpoint_and_key(
    demo_env: DemoEnv,
) -> None:
    rendered = demo_env.rendered("certificate", "pdf")
    assert rendered.ok and rendered.mime_type == "application/pdf"
    plan = q.plan(demo_env.read_model.store)
    lines = pdf_lines(
        rendered.content, plan["municipality"], "Certificat d'intégrité du registre"
    )
    text = "\n".join(lines)
    report = verify_ledger(demo_env.ledger)
    assert "RÉSULTAT : REGISTRE INTÈGRE." in text
    assert f"Événements scellés (taille de\nl'arbre)\n{report.sealed}" in text
    assert report.root.hex() in text.replace("\n", "")
    latest = report.latest
    assert latest is not None
    assert f"Taille de l'arbre\n{latest.tree_size}" in text
    i = lines.index("Texte signé du point de contrôle :")
    assert lines[i + 1 : i + 3] == ["sdsi-ledger.local/ledger", str(latest.tree_size)]
    assert lines[i + 4].startswith("— sdsi-ledger.local/ledger ")
    assert key_info(demo_env.ledger)["fingerprint"] in text.replace("\n", "")
    assert "python verifier.py REGISTRE.zip --key signing_key.pub --checkpoint" in text


def test_certificate_as_of_a_position_certifies_the_checkpoint_then_in_force(
    demo_env: DemoEnv,
) -> None:
    store = demo_env.read_model.store
    first = q.sessions(store)[0]["positions"]["closed"]
    content = demo_env.render("certificate", "pdf", as_of=f"position:{first + 10}")
    plan = q.plan(store)
    text = "\n".join(
        pdf_lines(content, plan["municipality"], "Certificat d'intégrité du registre")
    )
    assert f"Point de contrôle en vigueur à la position {first + 10}" in text
    assert f"Taille de l'arbre\n{first}" in text


@pytest.fixture
def small_sealed(ledger, settings, backend, request):  # type: ignore[no-untyped-def]
    """A small ledger with a plan, projected and sealed (one checkpoint)."""
    from ledger.keys import ensure_signing_key

    ensure_signing_key(settings)
    ledger.add_user(ADMIN, "anna", "Anna", "anna-password-1", roles=[("dsi", None)])
    ledger.define_plan(Caller("anna"), "SDSI", "Ville de Test", 2024, 2026)
    ledger.create_pole(Caller("anna"), "P1", "Pôle 1")
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    rm.projector().catch_up()
    Sealer(ledger).checkpoint_now("test")
    server = request.getfixturevalue("pg_server_url") if backend == "postgres" else None
    yield rm, Tamperer(backend, settings, server)
    rm.close()


def test_certificate_of_a_tampered_ledger_says_so_and_the_cli_exits_1(
    small_sealed,
    settings,
    database_url,
    tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    rm, tamperer = small_sealed
    tamperer.change_state_byte(3)
    from exports.registry import render

    rendered = render(rm, "certificate", "pdf")
    assert not rendered.ok
    lines = pdf_lines(
        rendered.content, "Ville de Test", "Certificat d'intégrité du registre"
    )
    assert any(line.startswith("RÉSULTAT : INTÉGRITÉ ROMPUE.") for line in lines)
    assert "position 3" in "\n".join(lines)
    env = {
        "SDSI_DATA_DIR": str(settings.data_dir),
        "SDSI_DATABASE_URL": database_url,
        "SDSI_PASSWORD_HASHING": "fast",
    }
    out = tmp_path / "certificat.pdf"
    result = CliRunner().invoke(
        main, ["export", "certificate", "-o", str(out)], env=env
    )
    assert result.exit_code == 1, result.output
    assert out.read_bytes().startswith(b"%PDF")
