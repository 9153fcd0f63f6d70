"""Recording a handed-out PDF in the ledger (``issue_document``): kind, subject, file
name, SHA-256 and size, by whom and when, so a copy can be checked later on the audit
page. One function for every way a PDF leaves the system: the web download
(``web/ui/exports.py``) and ``sdsi export`` (``sdsi/cli_exports.py``)."""

from __future__ import annotations

import hashlib
from typing import Any

from exports.base import MIME_TYPES, Rendered


def is_issued(rendered: Rendered) -> bool:
    """Whether handing out this file is recorded (every PDF is)."""
    return rendered.mime_type == MIME_TYPES["pdf"]


def issue_subject(session: str | None, plan: int | None, moment: str | None) -> str:
    """What the document is about, as the audit page lists it."""
    subject = []
    if session:
        subject.append(f"séance {session}")
    if plan is not None:
        subject.append(f"plan n° {plan}")
    if moment:
        subject.append(f"au {moment}")
    return ", ".join(subject)


def record_issue(
    ledger: Any,
    caller: Any,
    name: str,
    rendered: Rendered,
    *,
    session: str | None,
    plan: int | None,
    moment: str | None,
) -> Any:
    """Record that ``caller`` was handed ``rendered`` (export ``name``); the
    command's result (its ``sha256``, ``issuances``)."""
    return ledger.issue_document(
        caller,
        hashlib.sha256(rendered.content).hexdigest(),
        kind=name,
        subject=issue_subject(session, plan, moment),
        filename=rendered.filename,
        size=len(rendered.content),
    )
