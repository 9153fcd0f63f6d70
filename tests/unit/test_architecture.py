"""The package graph, read from the source (no database, nothing imported).

Every module's imports are parsed with ``ast`` — at the top, inside functions, under
``if TYPE_CHECKING:``, and ``__import__``/``importlib.import_module`` of a literal
name — and turned into a graph of modules. Importing ``a.b`` is an edge to ``a.b``
only: that Python runs ``a/__init__.py`` first is not counted, or every package
whose ``__init__`` gathers its submodules would be a cycle.

(a) The layers, from the bottom: domain ← ledger ← projections ← {exports,
optimiser} ← setupfile ← web ← sdsi. Nothing imports a package above its own, and
the two packages of one layer (exports, optimiser) do not import each other.
``setupfile`` (the organisation's set-up spreadsheet and its import) sits between
{exports, optimiser} and web: it imports domain, ledger and exports (its sheets
escape spreadsheet formulas as the exports do, ``exports.tabular``), and web and sdsi
import it. The write side in particular never reads the views nor runs the
optimiser: a scenario is computed by ``optimiser.scenarios`` and only recorded by
the ledger. Inside ``web``, the API never imports the UI (the UI's forms load the
API's schemas, one way, never its routes); what both need lives in neutral modules of
``web/`` (``web.extensions``, ``web.signin``).

(b) No import cycle between modules: the strongly connected components of the graph
are single modules — except the known ones listed in ``KNOWN_CYCLES``.

The independent verifier (``verifier.py``) imports nothing from the project.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# package → layer; a module may import its own layer's package and lower layers.
LAYERS = {
    "domain": 0,
    "ledger": 1,
    "projections": 2,
    "exports": 3,
    "optimiser": 3,
    "setupfile": 4,
    "web": 5,
    "sdsi": 6,
}
# Packages of one layer that may import each other: none.
SIDEWAYS: set[tuple[str, str]] = set()

# What the UI's forms load from the API: its schemas, never its routes.
UI_READS_FROM_API = {
    "web.api.schemas",
    "web.api.scenario_schemas",
    "web.api.attachment_schemas",
    "web.api.discussion_schemas",
    "web.api.diagnosis_schemas",
    "web.api.document_review_schemas",
    "web.api.grid_schemas",
    "web.api.phase_schemas",
}

# Cycles still in the tree, each with why and when it goes (name → which modules).
KNOWN_CYCLES: dict[str, Callable[[str], bool]] = {}  # none left


def modules() -> dict[str, Path]:
    """Every module of the project's packages, by dotted name."""
    found = {}
    for package in LAYERS:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_names(path: Path, module: str) -> Iterator[tuple[str, str, int]]:
    """(module named, name imported from it or "", line) of every import in
    ``path``, wherever it stands."""
    source = path.read_text(encoding="utf-8")
    yield from imports_in(source, module, package=path.name == "__init__.py")


def imports_in(
    source: str, module: str, *, package: bool = False
) -> Iterator[tuple[str, str, int]]:
    """The imports of ``source``, the text of ``module`` (a package's ``__init__``
    if ``package``), as :func:`imported_names` gives them."""
    parent = module if package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, "", node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = parent.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            for alias in node.names:
                yield base, alias.name, node.lineno
        elif isinstance(node, ast.Call) and _dynamic_import(node):
            yield node.args[0].value, "", node.lineno  # type: ignore[attr-defined]


def _dynamic_import(node: ast.Call) -> bool:
    func = node.func
    named = (isinstance(func, ast.Name) and func.id == "__import__") or (
        isinstance(func, ast.Attribute) and func.attr == "import_module"
    )
    return (
        named
        and bool(node.args)
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[0].value, str)
    )


def graph() -> dict[str, dict[str, int]]:
    """module → {module of the project it imports: the first line doing so}.

    ``from a import b`` is an edge to ``a.b`` when that is a module, else to ``a``;
    ``import a.b.c`` to the longest of ``a.b.c``, ``a.b``, ``a`` that is one."""
    mods = modules()
    edges: dict[str, dict[str, int]] = {m: {} for m in mods}
    for module, path in mods.items():
        for named, name, line in imported_names(path, module):
            target = f"{named}.{name}" if f"{named}.{name}" in mods else named
            while target and target not in mods:
                target = target.rpartition(".")[0]
            if target and target != module:
                edges[module].setdefault(target, line)
    return edges


def strongly_connected(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Tarjan's components of more than one module, each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


EDGES = graph()


def layer(module: str) -> int:
    return LAYERS[module.partition(".")[0]]


def test_every_package_of_the_project_has_a_layer() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = pyproject["tool"]["setuptools"]["packages"]["find"]["include"]
    assert {name.rstrip("*") for name in include} == set(LAYERS)
    assert len(EDGES) > 150 and {"ledger.app", "web.app", "sdsi.cli"} <= set(EDGES)


def test_nothing_imports_a_layer_above_its_own() -> None:
    upward = sorted(
        f"{module}:{line} imports {target}"
        for module, targets in EDGES.items()
        for target, line in targets.items()
        if layer(target) > layer(module)
    )
    assert upward == []


def test_the_packages_of_one_layer_do_not_import_each_other() -> None:
    sideways = sorted(
        f"{module}:{line} imports {target}"
        for module, targets in EDGES.items()
        for target, line in targets.items()
        if layer(target) == layer(module)
        and target.partition(".")[0] != module.partition(".")[0]
        and (module.partition(".")[0], target.partition(".")[0]) not in SIDEWAYS
    )
    assert sideways == []


def test_the_write_side_never_reads_the_views_nor_runs_the_optimiser() -> None:
    reads = sorted(
        f"{module}:{line} imports {target}"
        for module, targets in EDGES.items()
        for target, line in targets.items()
        if module.startswith(("domain", "ledger"))
        and target.startswith(("projections", "optimiser"))
    )
    assert reads == []


def test_the_api_never_imports_the_ui_which_reads_only_its_schemas() -> None:
    found = sorted(
        f"{module}:{line} imports {target}"
        for module, targets in EDGES.items()
        for target, line in targets.items()
        if (module.startswith("web.api") and target.startswith("web.ui"))
        or (
            module.startswith("web.ui")
            and target.startswith("web.api")
            and target not in UI_READS_FROM_API
        )
    )
    assert found == []


def test_no_import_cycle_but_the_known_ones() -> None:
    unknown = [
        c
        for c in strongly_connected(EDGES)
        if not any(all(known(m) for m in c) for known in KNOWN_CYCLES.values())
    ]
    assert unknown == []


def test_each_known_cycle_is_still_there() -> None:
    """When a known cycle is gone, delete it from ``KNOWN_CYCLES``."""
    cycles = strongly_connected(EDGES)
    stale = [
        name
        for name, known in KNOWN_CYCLES.items()
        if not any(all(known(m) for m in c) for c in cycles)
    ]
    assert stale == []


def test_the_independent_verifier_imports_nothing_from_the_project() -> None:
    path = ROOT / "verifier.py"
    project = [
        f"verifier.py:{line} imports {named}"
        for named, _name, line in imported_names(path, "verifier")
        if named.partition(".")[0] in LAYERS
    ]
    assert project == []


def test_the_graph_sees_imports_inside_functions_and_dynamic_ones() -> None:
    source = (
        "from __future__ import annotations\n"
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from web.app import create_app\n"
        "def f():\n"
        "    from . import sibling\n"
        "    import sdsi.cli\n"
        "    return __import__('optimiser.api')\n"
    )
    found = [(n, name) for n, name, _line in imports_in(source, "ledger.probe")]
    assert found == [
        ("__future__", "annotations"),
        ("typing", "TYPE_CHECKING"),
        ("web.app", "create_app"),
        ("ledger", "sibling"),
        ("sdsi.cli", ""),
        ("optimiser.api", ""),
    ]


def test_a_cycle_is_found_as_one_component() -> None:
    edges = {"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1, "d": 1}, "d": {}}
    assert strongly_connected(edges) == [["a", "b", "c"]]
