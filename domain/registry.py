"""Every aggregate class of the domain, in one place (imports every domain module)."""

from __future__ import annotations

from domain.accounts import Account

AGGREGATES = (Account,)
