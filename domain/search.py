"""The text a search compares: folded to lowercase without accents, the same on
SQLite and PostgreSQL.

A view stores, beside each searchable row, the folded text of its searchable fields
(``search`` columns); a query folds the words typed the same way and asks for rows
whose folded text contains every word (``LIKE`` with the wildcards escaped, see
``projections.paging.matching``). Folding in Python rather than in SQL gives the same
answer on both backends: SQLite has no ``unaccent`` and its ``lower`` only knows
ASCII, PostgreSQL's ``LIKE`` is case-sensitive.
"""

from __future__ import annotations

import unicodedata

# letters NFKD does not decompose
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ø": "o", "đ": "d", "ł": "l"})
# control characters (NUL, which PostgreSQL refuses in text), lone surrogates, private
# use and unassigned code points: never searched, a space instead
_INVISIBLE = frozenset({"Cc", "Cs", "Co", "Cn"})
MAX_WORDS = 8
MAX_QUERY = 200


def fold(*parts: object) -> str:
    """``parts`` (``None`` skipped) as one lowercase text without accents, each run of
    whitespace a single space: ``fold("Élan", "CŒUR")`` is ``"elan coeur"``."""
    text = " ".join(str(p) for p in parts if p is not None and p != "")
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LIGATURES))
    bare = "".join(
        " " if unicodedata.category(c) in _INVISIBLE else c
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return " ".join(bare.translate(_LIGATURES).split())


def words(query: str | None) -> list[str]:
    """The folded words of a search (at most :data:`MAX_WORDS`, from the first
    :data:`MAX_QUERY` characters); none for a blank one."""
    return fold((query or "")[:MAX_QUERY]).split()[:MAX_WORDS]
