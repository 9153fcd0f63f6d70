"""The response schemas' dump without marshmallow's per-field machinery.

A response schema (``web.api.responses.Out``) dumps a dict (a record's ``as_dict()``,
a decoded document) through marshmallow: for every item and every field,
``Field.serialize`` → ``get_value`` → the accessor → ``_serialize``, then the
``post_dump`` hook keeping the undeclared keys — 30–45 % of an API read. The same
result is written here by one plain function per schema, compiled once from the
schema's fields: a list of (source key, output key, conversion) steps, then the
undeclared keys copied as ``Out.keep_undeclared`` copies them.

Only what it reproduces exactly is compiled: ``String``, ``Integer`` (not
``as_string``), ``Raw`` (inlined), ``Boolean``, ``Nested``, ``List`` and ``Dict`` of
those (their own ``_serialize``, whose nested schemas dump through this module
again); no ``dump_default``, no dotted attribute, no ``only``/``exclude``, no hook but
``keep_undeclared``. Any other schema returns ``None`` from :func:`compile_dumper`
and keeps marshmallow's dump; so does any object that is not a plain ``dict``.
``tests/unit/test_fastdump.py`` checks with hypothesis that both give the same JSON
bytes for every response schema.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import Schema, fields
from marshmallow.decorators import POST_DUMP, PRE_DUMP
from marshmallow.utils import ensure_text_type, missing

Dumper = Callable[[dict[str, Any]], dict[str, Any]]
Convert = Callable[[Any], Any] | None

# Hooks a compiled schema may have: only the one that keeps undeclared keys.
KEEP_UNDECLARED = "keep_undeclared"


def _string(value: Any) -> Any:
    if type(value) is str:
        return value
    return None if value is None else ensure_text_type(value)


def _integer(value: Any) -> Any:
    if type(value) is int:
        return value
    return None if value is None else int(value)


def _serializer(field: fields.Field, attr: str) -> Callable[[Any], Any]:
    serialize = field._serialize

    def convert(value: Any) -> Any:
        return serialize(value, attr, None)

    return convert


def _supported(field: fields.Field) -> bool:
    """Whether ``field``'s ``_serialize`` is reproduced (or called) exactly."""
    kind = type(field)
    if kind in (fields.String, fields.Raw, fields.Boolean):
        return True
    if kind is fields.Integer:
        return not field.as_string
    if kind is fields.Nested:
        return (
            field.only is None
            and not field.exclude
            and isinstance(field.schema, Schema)
        )
    if kind is fields.List:
        return _supported(field.inner)
    if kind is fields.Dict:
        return all(
            sub is None or _supported(sub)
            for sub in (field.key_field, field.value_field)
        )
    return False


def _convert(field: fields.Field, attr: str) -> Convert:
    kind = type(field)
    if kind is fields.Raw:
        return None
    if kind is fields.String:
        return _string
    if kind is fields.Integer:
        return _integer
    return _serializer(field, attr)


def compile_dumper(schema: Schema) -> Dumper | None:
    """A function dumping one ``dict`` exactly as ``schema.dump`` does, or ``None``
    when the schema uses something it does not reproduce."""
    hooks = schema._hooks
    if hooks.get(PRE_DUMP):
        return None
    post = [(name, many, kw) for name, many, kw in hooks.get(POST_DUMP, ())]
    if post not in ([], [(KEEP_UNDECLARED, False, {"pass_original": True})]):
        return None
    steps: list[tuple[str, str, Convert]] = []
    for name, field in schema.dump_fields.items():
        source = name if field.attribute is None else field.attribute
        if "." in source or field.dump_default is not missing:
            return None
        if not _supported(field):
            return None
        key = name if field.data_key is None else field.data_key
        steps.append((source, key, _convert(field, name)))
    keep = bool(post)
    # exactly the keys Out.keep_undeclared leaves alone
    fields_ = schema.dump_fields.items()
    declared = frozenset(
        {f.data_key or n for n, f in fields_} | {f.attribute or n for n, f in fields_}
    )

    def dump(obj: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for source, key, convert in steps:
            if source in obj:
                value = obj[source]
            else:  # marshmallow then looks for an attribute of the dict
                value = getattr(obj, source, missing)
                if value is missing:
                    continue
            out[key] = value if convert is None else convert(value)
        if keep:
            for key, value in obj.items():
                if key not in declared and key not in out:
                    out[key] = value
        return out

    return dump
