"""From flat HTML form fields to the nested data the schemas load.

Rows are named ``costs-0-year``, ``costs-0-amount``…; empty rows are dropped. Values
stay strings (the schemas convert and validate them); empty optional fields are left
out so schema defaults apply.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.datastructures import MultiDict

ROW = re.compile(r"^(?P<list>[a-z_]+)-(?P<index>[0-9]{1,4})-(?P<field>[a-z_]+)$")
# An integer a person types: ASCII digits only (``\d`` takes any script's digits), and
# short (``int()`` refuses more than 4,300 digits: a 500); anything else stays text and
# the schema refuses it, naming the field.
INTEGER = re.compile(r"-?[0-9]{1,12}")
INTEGER_FIELDS = {
    "year",
    "days",
    "level",
    "revision",
    "grid_version",
    "number",
    "based_on",
}


def rows(form: MultiDict[str, str], name: str) -> list[dict[str, Any]]:
    """Rows of the list ``name`` (ignoring entirely empty rows)."""
    found: dict[int, dict[str, Any]] = {}
    for key, value in form.items(multi=True):
        m = ROW.match(key)
        if m and m["list"] == name:
            found.setdefault(int(m["index"]), {})[m["field"]] = value.strip()
    out = []
    for _i, row in sorted(found.items()):
        if any(v for v in row.values()):
            out.append({k: _typed(k, v) for k, v in row.items() if v != ""})
    return out


def _typed(field: str, value: str) -> Any:
    if field in INTEGER_FIELDS and INTEGER.fullmatch(value):
        return int(value)
    return value


def scalars(
    form: MultiDict[str, str],
    *names: str,
    integers: tuple[str, ...] = (),
    booleans: tuple[str, ...] = (),
) -> dict[str, Any]:
    """The named single fields (empty ones omitted, so defaults apply)."""
    out: dict[str, Any] = {}
    for name in names:
        value = form.get(name, "").strip()
        if value != "":
            out[name] = (
                int(value) if name in integers and INTEGER.fullmatch(value) else value
            )
    for name in booleans:
        out[name] = form.get(name) in ("on", "true", "1", "yes")
    return out


def proposal_content(form: MultiDict[str, str]) -> dict[str, Any]:
    """A proposal revision from its form (components are four fixed blocks)."""
    data = scalars(form, "title", "description", "legal_basis", booleans=("mandatory",))
    components = []
    for kind in ("organisation", "si", "rh", "communication"):
        description = form.get(f"component_{kind}_description", "").strip()
        owner = form.get(f"component_{kind}_owner", "").strip()
        if description or owner:
            components.append(
                {"kind": kind, "description": description, "owner": owner}
            )
    data["components"] = components
    data["axes"] = [
        {**r, "indicator": r.get("indicator") or None} for r in rows(form, "axes")
    ]
    for name in ("costs", "workloads", "dependencies", "risks"):
        data[name] = rows(form, name)
    return data
