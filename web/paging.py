"""Pages of a list, for the pages and the API: the query parameters ``page``,
``per_page`` and ``sort``, the links to the other pages, and the API's ``Link``
header (RFC 8288).

``page`` counts from 1, ``per_page`` is 50 by default and at most 500, ``sort`` is one
of the list's whitelisted keys, ``-key`` for descending. A page takes them leniently (a
value it cannot read is its default, a page beyond the last shows the last); the API
validates them (``web.api.schemas.Paged``) and answers 422 otherwise.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Response, g, request

from projections.paging import DEFAULT_PER_PAGE, MAX_PER_PAGE, Page

PARAMETERS = ("page", "per_page", "sort")
SEARCH = "q"  # the search box of a list page


def _number(raw: str | None, default: int, high: int) -> int:
    text = (raw or "").strip()
    if not text.isascii() or not text.isdigit():
        return default
    if len(text) > 18:  # past any bound (int() refuses more than 4,300 digits)
        return high
    return min(int(text), high) if int(text) >= 1 else default


def from_args(
    args: Mapping[str, str], sorts: Collection[str], *, prefix: str = ""
) -> Page:
    """The page a UI page's query string asks for (``prefix``: a second list's
    parameters, e.g. ``detail_page``); an unreadable value is its default."""
    sort = (args.get(f"{prefix}sort") or "").strip() or None
    if sort is not None and sort.lstrip("-") not in sorts:
        sort = None
    return Page(
        _number(args.get(f"{prefix}page"), 1, 10**9),
        _number(args.get(f"{prefix}per_page"), DEFAULT_PER_PAGE, MAX_PER_PAGE),
        sort,
    )


def from_query(args: dict[str, Any]) -> Page:
    """The page an API query asks for (validated by its schema), taken out of ``args``."""
    return Page(
        args.pop("page", 1) or 1,
        args.pop("per_page", DEFAULT_PER_PAGE) or DEFAULT_PER_PAGE,
        args.pop("sort", None),
    )


def page_links(page: Page, count: int) -> dict[str, int]:
    """The relations (RFC 8288) to the other pages: first, prev, next, last."""
    last = page.last(count)
    links = {"first": 1, "last": last}
    if page.number > 1:
        links["prev"] = page.number - 1
    if page.number < last:
        links["next"] = page.number + 1
    return links


def url_of(number: int, **changes: Any) -> str:
    """This request's URL with ``page`` (and ``changes``) replaced."""
    args = {k: v for k, v in request.args.items() if k not in changes}
    args.update({k: v for k, v in changes.items() if v not in (None, "")})
    args["page"] = str(number)
    return request.base_url + "?" + urlencode(args)


def link_header(page: Page, count: int) -> str:
    """The ``Link`` header of an API page (absolute URLs, this request's parameters)."""
    return ", ".join(
        f'<{url_of(number)}>; rel="{rel}"'
        for rel, number in page_links(page, count).items()
    )


def paged(body: dict[str, Any], page: Page, count: int) -> dict[str, Any]:
    """An API list's body with its paging fields (``count``, ``page``, ``per_page``)."""
    return {**body, "count": count, "page": page.number, "per_page": page.size}


def add_link(response: Response, page: Page, count: int) -> Response:
    response.headers["Link"] = link_header(page, count)
    return response


def search_of(args: Mapping[str, str], name: str = SEARCH) -> str:
    """The words a list page's search box asks for (trimmed, at most 200 characters;
    ``domain.search.words`` folds them)."""
    return (args.get(name) or "").strip()[:200]


def here(**changes: Any) -> str:
    """This page's address (path and query, relative to the site) with ``changes``
    to its query string: a value ``None`` or ``""`` removes the parameter. Every
    other parameter is kept — the filters, the sort, the search and ``as_of`` — so a
    pager or sort link shows the same list at the same moment."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v not in (None, "")]
    path = g.get("list_path") or request.script_root + request.path
    return path + ("?" + urlencode(args) if args else "")


def pages_around(number: int, last: int, width: int = 2) -> list[int | None]:
    """The page numbers a pager shows: the first, the last, and ``width`` either side
    of ``number``; ``None`` where numbers are left out (an ellipsis)."""
    shown = sorted(
        {1, last} | set(range(max(1, number - width), min(last, number + width) + 1))
    )
    out: list[int | None] = []
    for n in shown:
        if out and n - (out[-1] or 0) > 1:
            out.append(None)
        out.append(n)
    return out


def init_paging(app: Any) -> None:
    """The templates' helpers of list pages (``templates/_table.html``)."""
    app.jinja_env.globals.update(here=here, pages_around=pages_around)
