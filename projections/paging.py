"""Paging and sorting of a view's list, done by the database.

A list read (the portfolio, the budget's projects and lines, the audit trail) asks for
one page: ``LIMIT``/``OFFSET`` on an ``ORDER BY`` built from a whitelist of the view's
typed columns (``sort``: a column name, or ``-name`` for descending), with the number
of matching rows counted in the same statement (``COUNT(*) OVER ()``).
"""

from __future__ import annotations

from dataclasses import dataclass

from domain.search import words

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class Page:
    """Which rows to read: page ``number`` (from 1) of ``size`` rows, sorted by
    ``sort`` (a whitelisted key, ``-key`` descending; ``None``: the list's order)."""

    number: int = 1
    size: int = DEFAULT_PER_PAGE
    sort: str | None = None

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    def last(self, count: int) -> int:
        """The last page's number for ``count`` rows (1 when there is none)."""
        return max(1, -(-count // self.size))

    def clamped(self, count: int) -> Page:
        """This page, or the last one if it is beyond ``count`` rows."""
        return Page(min(self.number, self.last(count)), self.size, self.sort)


def order_by(sort: str | None, columns: dict[str, str], default: str) -> str:
    """The ORDER BY list for ``sort`` (a key of ``columns``, ``-key`` descending),
    ``default`` following as the tie-break; an unknown key is :class:`KeyError`."""
    if not sort:
        return default
    descending = sort.startswith("-")
    expression = columns[sort.lstrip("-")]
    direction = "DESC" if descending else "ASC"
    # NULLs last either way (SQLite and PostgreSQL disagree on their default place)
    return (
        f"CASE WHEN {expression} IS NULL THEN 1 ELSE 0 END, "
        f"{expression} {direction}, {default}"
    )


def like_escape(word: str) -> str:
    """``word`` with the ``LIKE`` wildcards (``%``, ``_``) and the escape character
    (``\\``) escaped, for ``LIKE ? ESCAPE '\\'``."""
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def matching(column: str, query: str | None) -> tuple[list[str], list[str]]:
    """The conditions (one per word, to AND) and parameters finding ``query`` in a
    folded ``search`` column (``domain.search.fold``): every folded word of the query
    must appear in it, anywhere, literally (``%`` and ``_`` are not wildcards)."""
    found = words(query)
    return (
        [f"{column} LIKE ? ESCAPE '\\'" for _w in found],
        [f"%{like_escape(w)}%" for w in found],
    )
