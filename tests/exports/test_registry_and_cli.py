"""The registry the web lists, ``sdsi export``, and PDFs that render to images."""

from __future__ import annotations

from pathlib import Path

import pypdfium2
import pytest
from click.testing import CliRunner

from exports import registry
from exports.base import MIME_TYPES, UnknownExport, UnsupportedFormat
from sdsi.cli import main
from tests.exports.conftest import TEST_SESSION, DemoEnv


def test_registry_lists_every_export_with_label_formats_and_roles() -> None:
    names = [info.name for info in registry.available()]
    assert names[:6] == [
        "budget",
        "apcp",
        "minutes",
        "plan",
        "certificate",
        "opendata",
    ]
    for info in registry.available():
        assert info.label and info.description and info.formats and info.roles
        assert set(info.formats) <= {"csv", "xlsx", "pdf", "json"}
        assert info.to_json()["name"] == info.name
    assert [i.name for i in registry.available() if i.needs_session] == ["minutes"]
    referent = {i.name for i in registry.available(["referent"])}
    assert "plan" in referent and "opendata" in referent
    assert not {"budget", "minutes", "certificate"} & referent
    assert registry.allowed("budget", ["finance"])
    assert registry.allowed("certificate", ["auditor"])
    assert not registry.allowed("minutes", ["referent"])
    with pytest.raises(UnknownExport):
        registry.exporter("nothing")


def test_render_gives_bytes_a_file_name_and_a_mime_type(demo_env: DemoEnv) -> None:
    rm = demo_env.read_model
    for name, fmt, kw, filename in (
        ("budget", "xlsx", {}, "budget.xlsx"),
        (
            "minutes",
            "pdf",
            {"session": TEST_SESSION},
            f"minutes-{TEST_SESSION.lower()}.pdf",
        ),
        ("opendata", "json", {}, "opendata-json.zip"),
        ("opendata-budget", "csv", {}, "opendata-budget.csv"),
    ):
        out = registry.render(rm, name, fmt, **kw)
        assert out.filename == filename and out.content
        assert out.mime_type == MIME_TYPES[filename.rsplit(".", 1)[1]]
    dated = registry.render(rm, "budget", "csv", as_of="position:1000")
    assert dated.filename == "budget-position-1000.csv"
    with pytest.raises(UnsupportedFormat):
        registry.render(rm, "plan", "csv")


@pytest.mark.parametrize(
    "name, kw",
    [
        ("minutes", {"session": "COPIL-2021-11-16"}),
        ("plan", {}),
        ("certificate", {}),
    ],
)
def test_pdfs_render_to_images(
    demo_env: DemoEnv, name: str, kw: dict[str, str]
) -> None:
    pdf = pypdfium2.PdfDocument(demo_env.render(name, "pdf", **kw))
    try:
        assert len(pdf) >= 1
        for page in pdf:
            image = page.render(scale=0.5).to_pil().convert("L")
            assert image.size[0] > 200
            assert image.getextrema()[0] < 100  # something dark was drawn
    finally:
        pdf.close()


def _cli(env: DemoEnv, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main,
        ["export", *args],
        env={
            "SDSI_DATA_DIR": str(env.settings.data_dir),
            "SDSI_DATABASE_URL": env.url,
            "SDSI_PASSWORD_HASHING": "fast",
        },
    )
    return result.exit_code, result.output


def test_sdsi_export_writes_the_file(demo_env: DemoEnv, tmp_path: Path) -> None:
    target = tmp_path / "budget.csv"
    code, out = _cli(demo_env, "budget", "--format", "csv", "-o", str(target))
    assert code == 0, out
    assert target.read_bytes() == demo_env.render("budget", "csv")
    code, out = _cli(
        demo_env,
        "minutes",
        "--session",
        "COPIL-2021-03-18",
        "--as-of",
        "2022-01-01T00:00:00Z",
        "--no-record",  # the shared demo stays as it is (recording: test_cli_issued)
        "-o",
        str(tmp_path / "m.pdf"),
    )
    assert code == 0, out
    assert (tmp_path / "m.pdf").read_bytes().startswith(b"%PDF")


@pytest.mark.parametrize(
    "args, message",
    [
        (["budget", "--format", "pdf"], "ne propose pas le format 'pdf'"),
        (["minutes", "--format", "pdf"], "demande une séance"),
        (["minutes", "--session", "COPIL-1999"], "séance inconnue"),
        (["nothing"], "export inconnu"),
        (["budget", "--as-of", "yesterday"], "as_of"),
    ],
)
def test_sdsi_export_refuses_bad_usage_with_exit_2_and_one_line(
    demo_env: DemoEnv, tmp_path: Path, args: list[str], message: str
) -> None:
    code, out = _cli(demo_env, *args, "-o", str(tmp_path / "x"))
    assert code == 2
    lines = out.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("sdsi: error: ") and message in out
    assert not (tmp_path / "x").exists()


def test_every_export_renders_on_a_ledger_without_data(ledger, settings) -> None:  # type: ignore[no-untyped-def]
    from ledger.keys import ensure_signing_key
    from projections.service import ReadModel, init_views

    ensure_signing_key(settings)
    init_views(settings, ledger)
    rm = ReadModel(ledger, settings)
    try:
        rm.projector().catch_up()
        for info in registry.available():
            if info.needs_session:
                continue
            for fmt in info.formats:
                assert registry.render(rm, info.name, fmt).content, (info.name, fmt)
    finally:
        rm.close()
