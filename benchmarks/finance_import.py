"""Import of engagements and mandats from the finance software, against plain commands.

For each backend: the rate of plain single-event ledger commands (``ours`` of
``benchmarks/write.py``, one writer, measured in the same run on the same ledger),
then a generated file of ``--lines`` lines (half engagements, half mandats each paying
one of them, spread over ``--projects`` approved projects) in the ``generique``
profile: the dry run's time (parse + plan), the import's time (parse + plan + writes
in batches of 5,000 lines, one transaction each) and its rate in lines per second as
a ratio to the plain command rate (target >= 1x). A second import of the same file
must record nothing: checked, and timed.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.write import measure, open_bench
from domain.values import Origin
from ledger.core import Caller
from setupfile.finance_file import run_import
from tests.domain.builders import YEAR, Town

HEADER = (
    "type;exercice;budget;section;sens;chapitre;nature;fonction;operation;ap;"
    "engagement;ligne_engagement;exercice_engagement;bordereau;piece;ligne;date;"
    "montant;tiers"
)
FIN = Caller(actor="fin", origin=Origin.IMPORT, reason="benchmark")


def generated_file(lines: int, projects: int) -> bytes:
    """Half engagements, half mandats each paying one of them."""
    out = [HEADER]
    for i in range(lines // 2):
        p = f"P{i % projects}"
        imputation = f"{YEAR};principal;I;réel;20;2051;020;{p};"
        out.append(f"engagement;{imputation};E{i};;;;;1;02/04/{YEAR};10,00;Titulaire")
        out.append(
            f"mandat;{imputation};E{i};1;;B{i // 1000};M{i};1;15/05/{YEAR};9,99;Tit"
        )
    return ("\ufeff" + "\r\n".join(out) + "\r\n").encode()


def timed(fn, *args, **kw):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    result = fn(*args, **kw)
    return result, time.perf_counter() - start


def run(backend: str, lines: int, projects: int, seconds: float) -> list[str]:
    with (
        tempfile.TemporaryDirectory(prefix="sdsi-fin-") as tmp,
        open_bench(backend, Path(tmp)) as bench,
    ):
        ops, elapsed = measure(bench.ours, 1, seconds)
        command_rate = ops / elapsed
        ledger = bench.ledger
        town = Town(ledger)
        town.envelope(YEAR, "investissement", "1000000000.00")
        for p in range(projects):
            town.decided(f"P{p}", "approved", "1000000.00")
        data = generated_file(lines, projects)
        dry, dry_s = timed(
            run_import, ledger, data, "f.csv", "generique", FIN, dry_run=True
        )
        assert dry.parsed.ok and dry.plan.count("create") == lines, dry.report()[:3]
        done, import_s = timed(
            run_import, ledger, data, "f.csv", "generique", FIN, dry_run=False
        )
        assert done.written
        head = ledger.head()
        again, again_s = timed(
            run_import, ledger, data, "f.csv", "generique", FIN, dry_run=False
        )
        assert not again.written and ledger.head() == head
        rate = lines / import_s
        return [
            f"{backend:<8} {command_rate:>9.0f} {dry_s:>9.2f} {import_s:>9.2f} "
            f"{rate:>10.0f} {rate / command_rate:>7.1f}x {again_s:>9.2f}"
        ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=5.0, help="command rate")
    parser.add_argument("--backends", default="sqlite,postgres")
    args = parser.parse_args()
    print(f"{args.lines} lines over {args.projects} projects (target ratio >= 1x)")
    print("backend    cmd/s     dry_s  import_s    lines/s   ratio  reimport_s")
    for backend in args.backends.split(","):
        for line in run(backend.strip(), args.lines, args.projects, args.seconds):
            print(line, flush=True)


if __name__ == "__main__":
    main()
