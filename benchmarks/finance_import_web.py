"""The finance import through the web page, as finance uploads it: is the request path
linear in the file's lines?

For each size (default 5,000, 10,000 and 20,000 lines, half engagements, half
mandats, all in ONE project: the worst case for the budget rules, which look at the
project's commitments), on a fresh ledger: the upload and dry run (``POST
/budget/import``: parse, plan, check of every line against the budget rules, the
preview page) and the confirmation (``POST /budget/import/<token>``: the same again,
then the writes in batches of 5,000 and the wait for the views, bounded). The table
gives each time per 1,000 lines as a ratio to the smallest size's, measured in the
same run: about 1x means linear; a quadratic step shows as a ratio growing with the
size (2x at twice the lines, 4x at four times).

    python -m benchmarks.finance_import_web [--sizes 5000,10000,20000] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import io
import re
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.finance_import import generated_file
from benchmarks.write import open_bench
from tests.domain.builders import YEAR, Town
from tests.web.ui_client import open_site


def measure(backend: str, lines: int) -> tuple[float, float]:
    """(dry run seconds, confirmation seconds) of ``lines`` through the page."""
    with (
        tempfile.TemporaryDirectory(prefix="sdsi-finweb-") as tmp,
        open_bench(backend, Path(tmp)) as bench,
    ):
        ledger = bench.ledger
        town = Town(ledger)
        town.envelope(YEAR, "investissement", "1000000000.00")
        town.decided("P0", "approved", "1000000000.00")
        site = open_site(bench.ledger.settings, ledger)
        try:
            client = site.client("fin")
            data = generated_file(lines, 1)
            start = time.perf_counter()
            preview = client.post(
                "/budget/import",
                data={"profile": "generique", "file": (io.BytesIO(data), "f.csv")},
                content_type="multipart/form-data",
            )
            dry = time.perf_counter() - start
            assert preview.status_code == 200, preview.status_code
            page = preview.get_data(as_text=True)
            token = re.search(r"/budget/import/([0-9a-f]{32})", page)
            assert token is not None, page[:2000]
            start = time.perf_counter()
            done = client.post(f"/budget/import/{token.group(1)}")
            confirm = time.perf_counter() - start
            assert done.status_code == 200, done.status_code
            assert f"Import terminé : {lines} ligne(s)" in done.get_data(as_text=True)
        finally:
            site.app.extensions["sdsi"].follower.close()
        return dry, confirm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,10000,20000")
    parser.add_argument("--backend", default="sqlite")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"finance import through /budget/import, one project, {args.backend}")
    print("lines     dry_s  confirm_s  dry_ms/1k  ratio  confirm_ms/1k  ratio")
    base: tuple[float, float] | None = None
    for n in sizes:
        dry, confirm = measure(args.backend, n)
        per = (dry / n * 1000, confirm / n * 1000)
        base = base or per
        print(
            f"{n:>6} {dry:>8.2f} {confirm:>10.2f} {per[0] * 1000:>10.0f} "
            f"{per[0] / base[0]:>5.1f}x {per[1] * 1000:>14.0f} {per[1] / base[1]:>5.1f}x",
            flush=True,
        )


if __name__ == "__main__":
    main()
