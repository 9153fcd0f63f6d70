"""The errors of a spreadsheet import (``setupfile.sheets.Issue``: sheet, row,
column, why) in the language of the page: the French wording of ``str(issue)``
(« inventaire, ligne 3, colonne type : … ») in French, its translation otherwise,
the reason put into English as the domain's refusals are (``phrase``). The sheet and
column names stay as in the file: they are the file's own headings."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import gettext as _

from web.domain_messages import phrase


def issue_line(issue: Any) -> str:
    """One error of the file, placed by sheet, line and column when it has them."""
    why = phrase(issue.message)
    if issue.row and issue.column:
        return _(
            "%(sheet)s, ligne %(row)s, colonne %(column)s : %(why)s",
            sheet=issue.sheet, row=issue.row, column=issue.column, why=why,
        )  # fmt: skip
    if issue.row:
        return _(
            "%(sheet)s, ligne %(row)s : %(why)s",
            sheet=issue.sheet, row=issue.row, why=why,
        )  # fmt: skip
    if issue.column:
        return _(
            "%(sheet)s, colonne %(column)s : %(why)s",
            sheet=issue.sheet, column=issue.column, why=why,
        )  # fmt: skip
    return _("%(sheet)s : %(why)s", sheet=issue.sheet, why=why)


def issue_lines(issues: Iterable[Any]) -> list[str]:
    return [issue_line(i) for i in issues]
