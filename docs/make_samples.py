"""Regenerate docs/sample-minutes.png, sample-plan.png and sample-certificate.png.

Loads the demo municipality into a temporary SQLite ledger, projects and seals it,
renders the COPIL minutes (session of 17 March 2026), the SDSI plan and the audit
certificate, and saves the first page of each as a PNG beside this file.

Run: ``.venv/bin/python docs/make_samples.py``
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLES = (
    ("minutes", {"session": "COPIL-2026-03-17"}, "sample-minutes.png"),
    ("plan", {}, "sample-plan.png"),
    ("certificate", {}, "sample-certificate.png"),
)


def main() -> None:
    import pypdfium2

    from exports.registry import render
    from ledger.app import open_ledger
    from ledger.config import Settings
    from ledger.keys import ensure_signing_key
    from ledger.sealing import Sealer
    from projections.service import ReadModel, init_views
    from sdsi.demo.loader import DemoLoader

    with tempfile.TemporaryDirectory(prefix="sdsi-samples-") as tmp:
        settings = Settings.from_env(
            {
                "SDSI_DATA_DIR": tmp,
                "SDSI_DATABASE_URL": f"sqlite:///{tmp}/ledger.db",
                "SDSI_PASSWORD_HASHING": "fast",
            }
        )
        ensure_signing_key(settings)
        ledger = open_ledger(settings, create=True)
        ledger.bootstrap_admin("admin", "Administrateur", "admin-password-1")
        init_views(settings, ledger)
        DemoLoader(ledger).run()
        read_model = ReadModel(ledger, settings)
        read_model.projector().catch_up()
        Sealer(ledger).checkpoint_now("samples")
        try:
            for name, kw, target in SAMPLES:
                pdf = pypdfium2.PdfDocument(
                    render(read_model, name, "pdf", **kw).content
                )
                image = pdf[0].render(scale=1.5).to_pil()
                image.save(ROOT / "docs" / target, optimize=True)
                pdf.close()
                print(f"wrote docs/{target}")
        finally:
            read_model.close()
            ledger.close()


if __name__ == "__main__":
    main()
