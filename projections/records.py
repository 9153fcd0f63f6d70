"""Rows read by column name into typed records.

A view's queries read rows into frozen dataclasses (``projections.views.<view>.tables``):
the SELECT list is made from the record's field names (:func:`select`), so a row's values
arrive in the record's fields by name (:func:`fetch`), never by a column index. A record's
``as_dict`` is the one place its public form (money in ``Decimal`` euros, scores on
0–100, flags as booleans) is built; the API's response schema declares the same keys
(``tests/unit/test_view_records.py`` checks it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import fields
from decimal import Decimal
from functools import cache
from typing import Any, Protocol, TypeVar


class Store(Protocol):
    """What reading rows needs of a view store (``projections.store.ViewStore``, not
    imported: the store imports the schema, which imports the views' tables)."""

    def fetchall(
        self, statement: str, params: Sequence[Any] = ()
    ) -> list[tuple[Any, ...]]: ...


R = TypeVar("R")
CENT = Decimal("0.01")


def eur(c: int | None) -> Decimal | None:
    """Integer cents as exact euros."""
    return None if c is None else (Decimal(c) / 100).quantize(CENT)


def score(x100: int | None) -> Decimal | None:
    """Integer hundredths as a score on 0–100 (two decimals)."""
    return None if x100 is None else (Decimal(x100) / 100).quantize(CENT)


@cache
def names(record: type) -> tuple[str, ...]:
    """The field names of a record, in order: the columns it is read from."""
    return tuple(f.name for f in fields(record))


def select(
    record: type, alias: str = "", *, skip: Sequence[str] = (), **exprs: str
) -> str:
    """The SELECT list reading ``record``'s fields by name: ``alias.field``, or
    ``expression AS field`` for the fields given in ``exprs``; ``skip`` leaves some out
    (a subquery that computes them afterwards)."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(
        f"{exprs[n]} AS {n}" if n in exprs else f"{prefix}{n}"
        for n in names(record)
        if n not in skip
    )


def fetch(
    store: Store, record: type[R], sql: str, params: Sequence[Any] = ()
) -> list[R]:
    """The rows of ``sql`` — whose SELECT list is ``select(record, …)`` — as records."""
    rows = store.fetchall(sql, params)
    if rows and len(rows[0]) != len(names(record)):
        raise ValueError(
            f"{record.__name__}: {len(rows[0])} columns selected, fields {names(record)}"
        )
    return [record(*r) for r in rows]


def fetch_one(
    store: Store, record: type[R], sql: str, params: Sequence[Any] = ()
) -> R | None:
    rows = fetch(store, record, sql, params)
    return rows[0] if rows else None


def documents(store: Store, sql: str, params: Sequence[Any] = ()) -> list[Any]:
    """The JSON documents ``sql`` selects (``SELECT doc FROM …``), decoded."""
    return [json.loads(doc) for (doc,) in store.fetchall(sql, params)]


def document(store: Store, sql: str, params: Sequence[Any] = ()) -> Any:
    """The one JSON document ``sql`` selects, decoded, or None."""
    found = documents(store, sql, params)
    return found[0] if found else None


def scalar(store: Store, sql: str, params: Sequence[Any] = ()) -> Any:
    """The one value ``sql`` selects (first row's only column), or None without a row."""
    rows = store.fetchall(sql, params)
    if not rows:
        return None
    (only,) = rows[0]
    return only
