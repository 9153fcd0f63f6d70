"""``sdsi optimise run|list|show|compare|frontier|robustness`` (arbitration support)."""

from __future__ import annotations

import contextlib
import json
import sys
from typing import Any

import click

from domain.values import Origin
from sdsi.cli_common import CliContext, fail, handle_errors, pass_cli

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json"]),
    default="table",
    show_default=True,
)


def parameter_options(func: Any) -> Any:
    """The parameters shared by run, frontier and robustness."""
    for option in reversed(
        [
            click.option(
                "--risk-weight",
                default="0",
                show_default=True,
                help="Objective = value − weight × risk.",
            ),
            click.option(
                "--window",
                default=0,
                show_default=True,
                type=click.IntRange(0, 10),
                help="Years a project's start may be delayed.",
            ),
            click.option(
                "--force-in",
                "forced_in",
                multiple=True,
                metavar="CODE=REASON",
                help="Force a project in, with the reason (repeatable).",
            ),
            click.option(
                "--force-out",
                "forced_out",
                multiple=True,
                metavar="CODE=REASON",
                help="Force a project out, with the reason (repeatable).",
            ),
            click.option(
                "--grid-version",
                type=int,
                default=None,
                help="Grid version for values (default: the adopted one in force).",
            ),
            click.option(
                "--budget-scale",
                default="1",
                show_default=True,
                help="Scale every envelope's total (1.1 = +10 %).",
            ),
            click.option(
                "--time-limit",
                type=int,
                default=None,
                help="Seconds per solve (the gap is reported if reached).",
            ),
        ]
    ):
        func = option(func)
    return func


def _pairs(values: tuple[str, ...], option: str) -> list[list[str]]:
    out = []
    for v in values:
        code, sep, reason = v.partition("=")
        if not sep or not code.strip() or not reason.strip():
            fail(f"{option} expects CODE=REASON, got {v!r}")
        out.append([code.strip(), reason.strip()])
    return out


def _params(kw: dict[str, Any]) -> dict[str, Any]:
    return {
        "risk_weight": kw["risk_weight"],
        "window": kw["window"],
        "forced_in": _pairs(kw["forced_in"], "--force-in"),
        "forced_out": _pairs(kw["forced_out"], "--force-out"),
        "grid_version": kw["grid_version"],
        "budget_scale": kw["budget_scale"],
        "time_limit": kw["time_limit"],
    }


def _store(cli: CliContext) -> Any:
    """The live views, caught up with the ledger first (read-your-writes)."""
    from projections.service import ReadModel, ViewsNotInitialised

    try:
        rm = ReadModel(cli.ledger, cli.settings)
    except ViewsNotInitialised as exc:
        fail(str(exc))
    from projections.projector import OutOfOrder

    projector = rm.projector()
    projector.store.create_tables()  # CREATE IF NOT EXISTS: the scenarios table
    with contextlib.suppress(OutOfOrder):  # a follower moved them: they are fresh
        projector.catch_up()
    return rm


def _json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=1, sort_keys=True))


@click.group()
def optimise() -> None:
    """Optimisation scenarios, frontier and robustness (arbitration support)."""


@optimise.command()
@click.argument("code")
@click.option("--label", default="", help="What the scenario explores.")
@parameter_options
@click.option(
    "--actor",
    envvar="SDSI_ACTOR",
    required=True,
    help="Account recording the scenario (dsi or chair).",
)
@click.option("--reason", "-r", default=None, help="Why (recorded with the event).")
@format_option
@pass_cli
@handle_errors
def run(
    cli: CliContext,
    code: str,
    label: str,
    actor: str,
    reason: str | None,
    fmt: str,
    **kw: Any,
) -> None:
    """Compute a scenario on the current views and record it in the ledger."""
    from ledger.core import Caller
    from optimiser import api

    rm = _store(cli)
    try:
        caller = Caller(actor=actor, origin=Origin.CLI, reason=reason)
        data = api.run_scenario(
            cli.ledger, caller, code, store=rm.store, label=label, **_params(kw)
        )
    finally:
        rm.close()
    if fmt == "json":
        _json(data)
        return
    click.echo(
        f"scenario {data['code']}: {data['status']}, objective {data['objective']}"
        f" (greedy {data['greedy_objective']}), gap {data['gap']}"
    )
    for s in data["selection"]:
        click.echo(f"  {s['code']:<14} start {s['start']}")
    if data["diagnosis"]:
        click.echo(f"  infeasible: {data['diagnosis']['message']}")
    click.echo(f"  inputs sha256 {data['input_hash']}")


@optimise.command("list")
@format_option
@pass_cli
@handle_errors
def list_(cli: CliContext, fmt: str) -> None:
    """Every scenario recorded, newest first."""
    from optimiser import api

    rm = _store(cli)
    try:
        rows = api.list_scenarios(rm.store)
    finally:
        rm.close()
    if fmt == "json":
        _json(rows)
        return
    click.echo(
        f"{'code':<16} {'status':<11} {'objective':>11} {'greedy':>11} {'sel':>4}"
        f"  {'actor':<14} label"
    )
    for r in rows:
        click.echo(
            f"{r['code']:<16} {r['status']:<11} {r['objective'] or '-':>11} "
            f"{r['greedy_objective'] or '-':>11} {r['selected']:>4}  "
            f"{r['actor']:<14} {r['label']}"
        )


@optimise.command()
@click.argument("code")
@format_option
@pass_cli
@handle_errors
def show(cli: CliContext, code: str, fmt: str) -> None:
    """One scenario: optimum, greedy fill, budget and capacity used."""
    from optimiser import api

    rm = _store(cli)
    try:
        doc = api.get_scenario(rm.store, code)
    finally:
        rm.close()
    if doc is None:
        fail(f"Scénario introuvable : {code}.", 1)
    if fmt == "json":
        _json({k: v for k, v in doc.items() if k != "inputs"})
        return
    click.echo(
        f"{doc['code']} — {doc['label']}  [{doc['status']}, {doc['solver_version']}]"
    )
    click.echo(
        f"objective {doc['objective']} (greedy {doc['greedy']['objective']}),"
        f" gap {doc['gap']}, parameters "
        + json.dumps(doc["parameters"], ensure_ascii=False)
    )
    if doc["optimum"]["diagnosis"]:
        click.echo("infeasible: " + doc["optimum"]["diagnosis"]["message"])
    click.echo(
        f"{'project':<14} {'value':>7} {'risk':>7} {'start':>5} {'cost':>14}"
        "  opt greedy"
    )
    for c in doc["candidates"]:
        start = next(
            (s["start"] for s in doc["optimum"]["selection"] if s["code"] == c["code"]),
            "",
        )
        click.echo(
            f"{c['code']:<14} {c['value']:>7} {c['risk']:>7} {start!s:>5} "
            f"{c['cost_c'] / 100:>14,.2f}  {'x' if c['selected'] else '.':^3} "
            f"{'x' if c['greedy'] else '.':^6}"
        )
    for b in doc["optimum"]["budget"]:
        if b["used_c"]:
            click.echo(
                f"  budget {b['year']} {b['section']:<15} {b['used']:>14}"
                f" / {b['available']}"
            )
    for c in doc["optimum"]["capacity"]:
        if c["used"]:
            click.echo(
                f"  capacity {c['team']:<10} {c['year']} {c['used']:>6}"
                f" / {c['available']} d"
            )


@optimise.command()
@click.argument("codes", nargs=-1, required=True)
@click.option("--no-greedy", is_flag=True, help="Leave the greedy columns out.")
@format_option
@pass_cli
@handle_errors
def compare(cli: CliContext, codes: tuple[str, ...], no_greedy: bool, fmt: str) -> None:
    """Scenarios side by side: projects, value, budget per year, capacity per team."""
    from optimiser import api

    rm = _store(cli)
    try:
        data = api.compare_scenarios(rm.store, list(codes), greedy=not no_greedy)
    finally:
        rm.close()
    if data["missing"]:
        fail("Scénario introuvable : " + ", ".join(data["missing"]) + ".", 1)
    if fmt == "json":
        _json(data)
        return
    cols = data["columns"]
    width = max(12, *(len(c) for c in cols))
    click.echo(f"{'':<22}" + "".join(f"{c:>{width + 1}}" for c in cols))
    for key in ("objective", "value", "cost"):
        click.echo(
            f"{key:<22}"
            + "".join(f"{t[key] or '-':>{width + 1}}" for t in data["totals"])
        )
    for p in data["projects"]:
        click.echo(
            f"{p['code']:<22}"
            + "".join(f"{p['starts'][c] or '.'!s:>{width + 1}}" for c in cols)
        )
    for b in data["budget"]:
        cells = [(b["by"][c] or {}).get("used_c", 0) / 100 for c in cols]
        if any(cells):
            label = f"{b['year']} {b['section'][:3]}"
            click.echo(f"{label:<22}" + "".join(f"{v:>{width + 1},.2f}" for v in cells))
    for row in data["capacity"]:
        cells = [(row["by"][c] or {}).get("used", 0) for c in cols]
        if any(cells):
            label = f"{row['team']} {row['year']}"
            click.echo(f"{label:<22}" + "".join(f"{v:>{width + 1}}" for v in cells))


@optimise.command()
@click.option("--from", "low", default="0.5", show_default=True, help="Lowest scale.")
@click.option("--to", "high", default="1.5", show_default=True, help="Highest scale.")
@click.option("--steps", default=11, show_default=True, type=click.IntRange(1, 101))
@parameter_options
@format_option
@pass_cli
@handle_errors
def frontier(
    cli: CliContext, low: str, high: str, steps: int, fmt: str, **kw: Any
) -> None:
    """Best value (and greedy value) against the total envelope (not recorded)."""
    from optimiser import api

    rm = _store(cli)
    try:
        data = api.frontier(rm.store, low=low, high=high, steps=steps, **_params(kw))
    finally:
        rm.close()
    if fmt == "json":
        _json(data)
        return
    click.echo(
        f"{'scale':>7} {'envelopes':>16} {'available':>15} {'cost':>14} {'value':>10}"
        f" {'greedy':>10}  selection"
    )
    for p in data["points"]:
        click.echo(
            f"{p['scale']:>7} {p['envelope']:>16} {p['available']:>15} {p['cost']:>14}"
            f" {p['objective'] or p['status']:>10} {p['greedy_objective'] or '-':>10}"
            f"  {' '.join(p['selection'])}"
        )


@optimise.command()
@click.option("--draws", default=200, show_default=True, type=click.IntRange(0, 10_000))
@click.option("--seed", default=1, show_default=True)
@click.option(
    "--spread",
    default="0.25",
    show_default=True,
    help="Default bounds: each weight ± this share of itself.",
)
@click.option(
    "--bound",
    "bounds",
    multiple=True,
    metavar="CRITERION=LOW:HIGH",
    help="Agreed bounds of one criterion's weight (repeatable).",
)
@click.option(
    "--tolerance",
    default="0.1",
    show_default=True,
    help="Precision of the weight intervals (weight points).",
)
@parameter_options
@format_option
@pass_cli
@handle_errors
def robustness(
    cli: CliContext,
    draws: int,
    seed: int,
    spread: str,
    bounds: tuple[str, ...],
    tolerance: str,
    fmt: str,
    **kw: Any,
) -> None:
    """Weight intervals, Monte Carlo frequencies, evaluator disagreement."""
    from optimiser import api

    parsed = {}
    for b in bounds:
        code, _sep, rng = b.partition("=")
        lo, sep, hi = rng.partition(":")
        if not sep:
            fail(f"--bound expects CRITERION=LOW:HIGH, got {b!r}")
        parsed[code] = (lo, hi)
    rm = _store(cli)
    try:
        data = api.robustness(
            rm.store,
            draws=draws,
            seed=seed,
            spread=spread,
            bounds=parsed,
            tolerance=tolerance,
            **_params(kw),
        )
    finally:
        rm.close()
    if fmt == "json":
        _json(data)
        return
    base = data["baseline"]
    click.echo(
        f"grid v{data['grid_version']}: selection {' '.join(base['selection']) or '-'}"
        f" ({base['status']}, objective {base['objective']})"
    )
    click.echo(
        f"{'criterion':<10} {'family':<6} {'weight':>7} {'interval':>17}  change beyond"
    )
    for r in data["intervals"]["criteria"]:
        beyond = []
        for side in ("below", "above"):
            if r[side]:
                beyond.append(
                    f"{side}: +{','.join(r[side]['enters']) or '-'}"
                    f" -{','.join(r[side]['leaves']) or '-'}"
                )
        click.echo(
            f"{r['criterion']:<10} {r['family']:<6} {r['weight']:>7} "
            f"{r['low'] + ' – ' + r['high']:>17}  "
            + ("; ".join(beyond) or r["note"] or "")
        )
    mc = data["monte_carlo"]
    click.echo(f"Monte Carlo: {mc['draws']} draws, seed {mc['seed']}")
    for p in mc["projects"]:
        click.echo(f"  {p['code']:<14} {p['frequency']:>6}  {p['class']}")
    click.echo("largest disagreement (spread as a share of the scale):")
    for p in data["disagreement"]["pairs"]:
        click.echo(f"  {p['proposal']:<14} {p['criterion']:<10} {p['spread']}")
    sys.stdout.flush()
