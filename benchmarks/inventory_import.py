"""Import of the SI inventory from a spreadsheet, against plain commands.

For each backend: the rate of plain single-event ledger commands (``ours`` of
``benchmarks/write.py``, one writer, measured in the same run on the same ledger),
then a generated inventory of ``--components`` components (applications and
infrastructure, owned by the town's two directions, every column filled) in CSV and
in XLSX: the dry run's time (read + check every cell + plan), the import's time (the
same, then one ledger command for all the lines) and its rate in components per
second as a ratio to the plain command rate; a second import of the same file must
record nothing (checked, and timed); then the same file with one cost changed on every
tenth line, which must change exactly those.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook

from benchmarks.finance_import import timed
from benchmarks.write import measure, open_bench
from domain.values import Origin
from ledger.core import Caller
from setupfile.inventory_file import COLUMNS, apply_inventory, plan_bytes
from tests.domain.builders import Town

DSI = Caller(actor="dsi", origin=Origin.IMPORT, reason="benchmark")


def rows(components: int, bump: bool = False) -> list[list[str]]:
    """``components`` lines; with ``bump``, every tenth line's cost plus one euro."""
    out = []
    for i in range(components):
        cost = 1000 + i + (1 if bump and i % 10 == 0 else 0)
        out.append(
            [
                f"APP-{i:05d}",
                "infrastructure" if i % 5 == 0 else "application",
                f"Composant {i}",
                "FIN" if i % 2 else "EDU",
                f"Éditeur {i % 37}",
                "Java" if i % 3 else "PHP",
                f"{i % 9}.{i % 4}",
                f"{2027 + i % 6}-06-30",
                str(10 + i % 400),
                f"{cost},50",
                str(1 + i % 4),
            ]
        )
    return out


def csv_file(lines: list[list[str]]) -> bytes:
    text = "\r\n".join(";".join(r) for r in [list(COLUMNS), *lines])
    return ("\ufeff" + text + "\r\n").encode()


def xlsx_file(lines: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "inventaire"
    for r in [list(COLUMNS), *lines]:
        sheet.append(r)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def imported(ledger: Any, body: bytes, name: str) -> dict[str, Any]:
    """Plan then apply the import of ``body``."""
    return apply_inventory(ledger, plan_bytes(ledger, body, name), DSI)


def run(backend: str, components: int, seconds: float) -> list[str]:
    out = []
    for fmt, make in (("csv", csv_file), ("xlsx", xlsx_file)):
        with (
            tempfile.TemporaryDirectory(prefix="sdsi-inv-") as tmp,
            open_bench(backend, Path(tmp)) as bench,
        ):
            ops, elapsed = measure(bench.ours, 1, seconds)
            command_rate = ops / elapsed
            ledger = bench.ledger
            Town(ledger)
            data, name = make(rows(components)), f"inventaire.{fmt}"
            dry, dry_s = timed(plan_bytes, ledger, data, name)
            assert dry.ok and len(dry.lines) == components, dry.report()[:3]
            head = ledger.head()

            done, import_s = timed(imported, ledger, data, name)
            assert len(done["created"]) == components and ledger.head() > head
            head = ledger.head()
            again, again_s = timed(imported, ledger, data, name)
            assert again["created"] == again["changed"] == [] and ledger.head() == head
            bumped, bump_s = timed(
                imported, ledger, make(rows(components, bump=True)), name
            )
            assert len(bumped["changed"]) == (components + 9) // 10, bumped["changed"]
            rate = components / import_s
            out.append(
                f"{backend:<8} {fmt:<5} {command_rate:>8.0f} {dry_s:>7.2f} "
                f"{import_s:>9.2f} {rate:>8.0f} {rate / command_rate:>7.1f}x "
                f"{again_s:>10.2f} {bump_s:>8.2f}"
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--components", type=int, default=2_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="command rate")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{args.components} components (ratio: components/s over plain commands/s)")
    print(
        "backend  file     cmd/s   dry_s  import_s  comp/s   ratio  reimport_s  bump_s"
    )
    for backend in args.backends.split(","):
        for line in run(backend.strip(), args.components, args.seconds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
