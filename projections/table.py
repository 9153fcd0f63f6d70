"""A view table, portable between SQLite and PostgreSQL, and how rows are written to it
by column name.

Three kinds of table:

- *document* tables: one row per entity (a proposal, a session, an envelope…), with a
  JSON ``doc`` holding its whole state and a few columns extracted for SQL filters;
- *derived* tables: rows rewritten from a document whenever it changes (a proposal's
  per-grid values, a project's budget lines…), keyed by the document's key first;
- *append-only* tables: one row per event of some kind (audit trail, votes, score
  history, budget moves…), keyed by the ledger position.

Money is integer cents (``_c`` columns), scores are integer hundredths (``_x100``),
times are fixed-width UTC ISO text; booleans are 0/1 integers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from operator import itemgetter
from typing import Any


@dataclass(frozen=True)
class Table:
    """A table: its columns (name → portable type), primary key and indexes."""

    name: str
    cols: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    kind: str  # "doc", "derived" or "append"
    indexes: tuple[tuple[str, ...], ...] = ()
    parent: str | None = None  # for derived tables: the document table they belong to
    parent_cols: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _t in self.cols)

    @cached_property
    def written(self) -> tuple[str, ...]:
        """The columns a handler gives (a document table's ``doc`` is the projector's)."""
        return self.columns[:-1] if self.kind == "doc" else self.columns

    @cached_property
    def _pick(self) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
        cols = self.written
        if len(cols) == 1:
            return lambda values: (values[cols[0]],)
        return itemgetter(*cols)  # type: ignore[return-value]

    def row(self, **values: Any) -> tuple[Any, ...]:
        """A row from its values by column name, in the table's column order: every
        column must be given (``doc`` of a document table excepted), none other."""
        try:
            if len(values) == len(self.written):
                return self._pick(values)
        except KeyError:
            pass
        unknown = sorted(set(values) - set(self.written))
        missing = sorted(set(self.written) - set(values))
        raise ValueError(f"{self.name}: unknown columns {unknown}, missing {missing}")

    def ddl(self, qualified: str, *, postgres: bool, indexes: bool = True) -> list[str]:
        types = {"text": "TEXT", "int": "BIGINT" if postgres else "INTEGER"}
        cols = ", ".join(f"{c} {types[t]}" for c, t in self.cols)
        out = [
            f"CREATE TABLE IF NOT EXISTS {qualified} ({cols}, PRIMARY KEY ({', '.join(self.key)}))"
        ]
        return out + (self.index_ddl(qualified) if indexes else [])

    def index_ddl(self, qualified: str) -> list[str]:
        """Secondary indexes (created after a bulk rebuild, which is much faster)."""
        return list(self.named_index_ddl(qualified).values())

    def named_index_ddl(self, qualified: str) -> dict[str, str]:
        """The secondary indexes by name (as the catalogs list them)."""
        bare = qualified.split(".")[-1].strip('"')
        return {
            f"{bare}_{'_'.join(idx)}": f"CREATE INDEX IF NOT EXISTS {bare}_{'_'.join(idx)} ON {qualified} ({', '.join(idx)})"
            for idx in self.indexes
        }


def table(
    name: str,
    kind: str,
    key: tuple[str, ...],
    cols: str,
    indexes: tuple[tuple[str, ...], ...] = (),
    parent: str | None = None,
) -> Table:
    parsed = tuple(
        (c.split(":")[0], c.split(":")[1] if ":" in c else "text") for c in cols.split()
    )
    return Table(name, parsed, key, kind, indexes, parent, key[:1] if parent else ())
