"""The compiled dump (``web.api.fastdump``, what ``Out.dump`` uses) writes the same JSON
bytes as marshmallow's own dump, for every response schema and whatever the values:
generated dicts with every field present, absent, ``None`` or of another type than
declared, undeclared keys, nested schemas and lists; and the view records' public
forms (``as_dict``) with generated field values. Database-free."""

from __future__ import annotations

import dataclasses
import inspect
import json
from decimal import Decimal
from typing import Any
from unittest import mock

import pytest
from flask.json.provider import _default
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields

from tests.unit.test_view_records import PAIRS
from web.api import (
    attachment_schemas,
    discussion_schemas,
    public_schemas,
    scenario_schemas,
)
from web.api import responses as r
from web.api.fastdump import compile_dumper

SCHEMAS = sorted(
    {
        cls
        for module in (
            r,
            scenario_schemas,
            discussion_schemas,
            attachment_schemas,
            public_schemas,
        )
        for cls in vars(module).values()
        if inspect.isclass(cls) and issubclass(cls, r.Out) and cls is not r.Out
    },
    key=lambda cls: cls.__name__,
)
# What the JSON provider does with what it is handed (Decimal, dates...).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=8)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.text(max_size=8)
    | st.decimals(allow_nan=False, allow_infinity=False, places=2)
    | st.sampled_from(["1", "0", "true", "False", "on", "12"])
)


def values_for(field: fields.Field, depth: int) -> st.SearchStrategy[Any]:
    """Values a field may be handed: its own type, ``None``, and others."""
    kind = type(field)
    if kind is fields.Nested:
        if depth <= 0:
            return st.none()
        nested = type(field.schema)
        one = objects(nested, depth - 1)
        return st.none() | (st.lists(one, max_size=3) if field.many else one)
    if kind is fields.List:
        return st.none() | st.lists(values_for(field.inner, depth), max_size=3)
    if kind is fields.Dict:
        inner = (
            values_for(field.value_field, depth)
            if field.value_field is not None
            else JSON_VALUES
        )
        return st.none() | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    if kind is fields.Raw:
        return JSON_VALUES
    if kind is fields.Integer:
        return (
            st.none()
            | st.booleans()
            | st.integers(-(2**70), 2**70)
            | st.decimals(allow_nan=False, allow_infinity=False, places=2)
            | st.sampled_from(["12", "-3"])
        )
    if kind is fields.Float:
        return st.none() | st.integers(-1000, 1000) | st.floats(-1e6, 1e6)
    return SCALARS


def objects(schema: type[Schema], depth: int = 2) -> st.SearchStrategy[Any]:
    """A dict for ``schema``: each field present or not, plus undeclared keys."""
    instance = schema()
    per_field = {
        (f.attribute or name): values_for(f, depth)
        for name, f in instance.dump_fields.items()
    }
    return st.fixed_dictionaries({}, optional=per_field) | st.builds(
        lambda declared, extra: {**extra, **declared},
        st.fixed_dictionaries({}, optional=per_field),
        st.dictionaries(st.sampled_from(["extra", "doc", "note", "x_y"]), JSON_VALUES),
    )


def as_json(data: Any) -> str:
    return json.dumps(data, default=_default, sort_keys=True, ensure_ascii=False)


def marshmallow_dump(schema: Schema, obj: Any, many: bool | None = None) -> Any:
    """marshmallow's own dump, nested schemas included."""
    with mock.patch.object(r.Out, "dump", Schema.dump):
        return schema.dump(obj, many=many)


def strictly_equal(a: Any, b: Any) -> bool:
    """Equal and of the same types all the way down (``True`` is not ``1``)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(strictly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(strictly_equal, a, b))
    return bool(a == b)


def test_every_response_schema_but_one_is_compiled() -> None:
    """Only a schema with a field it does not reproduce keeps marshmallow's dump."""
    assert len(SCHEMAS) >= 90
    kept = [s.__name__ for s in SCHEMAS if compile_dumper(s()) is None]
    assert kept == ["Verification"]  # a Float field


@pytest.mark.parametrize("schema", SCHEMAS, ids=lambda s: s.__name__)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_compiled_dump_writes_marshmallows_json(
    schema: type[Schema], data: Any
) -> None:
    obj = data.draw(objects(schema))
    one = schema()
    expected = marshmallow_dump(one, obj)
    got = one.dump(obj)
    assert as_json(got) == as_json(expected)
    assert strictly_equal(got, expected)
    many = data.draw(st.lists(objects(schema, 1), max_size=3))
    listed = schema(many=True)
    assert as_json(listed.dump(many)) == as_json(marshmallow_dump(listed, many))


def record_values(record: type) -> st.SearchStrategy[Any]:
    """A view record with generated values of its fields' types (JSON columns get
    JSON text)."""
    per_field = {}
    for f in dataclasses.fields(record):
        kind = str(f.type)
        if kind.startswith("int"):
            per_field[f.name] = st.integers(-(2**40), 2**40)
        elif "None" in kind and "int" in kind:
            per_field[f.name] = st.none() | st.integers(-(2**40), 2**40)
        else:
            per_field[f.name] = st.sampled_from(["{}", "[]", "12.5", '"a"', '{"k": 1}'])
    return st.fixed_dictionaries(per_field)


@pytest.mark.parametrize("record,schema", PAIRS, ids=lambda x: x.__name__)
@settings(max_examples=15, deadline=None)
@given(data=st.data())
def test_view_records_dump_as_with_marshmallow(
    record: type, schema: type[Schema], data: Any
) -> None:
    values = data.draw(record_values(record))
    try:
        row = record(**values).as_dict()
    except Exception:  # values the record itself refuses
        return  # (a list where a dict is read, text where a decimal is)
    one = schema()
    assert outcome(one.dump, row) == outcome(lambda x: marshmallow_dump(one, x), row)


def outcome(dump: Any, obj: Any) -> tuple[str, str]:
    """The JSON written, or the error raised (a JSON text where a list is read)."""
    try:
        return "json", as_json(dump(obj))
    except Exception as exc:
        return "error", type(exc).__name__


def test_a_non_dict_and_a_decimal_go_the_same_way() -> None:
    """Objects that are not plain dicts keep marshmallow's path; Decimal money is
    written as the same text."""

    class Row:
        code = "A"
        value = Decimal("12.50")

    schema = r.PortfolioRow()
    assert schema.dump(Row()) == {"code": "A", "value": "12.50"}
    assert schema.dump({"code": "A", "value": Decimal("12.50"), "x": 1}) == {
        "code": "A",
        "value": "12.50",
        "x": 1,
    }
