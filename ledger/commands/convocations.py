"""The COPIL convocation: recorded on the session, then e-mailed (``ledger.convocation``)."""

from __future__ import annotations

from typing import Any

from domain.accounts import Account
from domain.convocation import AgendaItem, convocation
from domain.sessions import Session
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command
from ledger.outbox import InvalidMail, check_recipient


def _reachable(account: Account | None) -> bool:
    if account is None or not account.active:
        return False
    try:
        check_recipient(account.email)
    except InvalidMail:
        return False
    return True


class ConvocationCommands(LedgerCore):
    """Sending a session's convocation."""

    @command()
    def send_convocation(
        self, caller: Caller, session_code: str, starts: str, ends: str, place: str
    ) -> CommandResult:
        """Record ``Session.ConvocationSent`` (hours, place, the agenda's SHA-256,
        how many members have an address); the result names who gets the e-mail
        and who has no address. The caller then queues the e-mails."""

        def body(unit: Unit) -> dict[str, Any]:
            session = unit.get(
                Session,
                Session.id_for(str(session_code)),
                kind="Séance",
                label=session_code,
            )
            items = [
                AgendaItem(code, Lookups.proposal(unit, code).content.title)
                for code in session.agenda
            ]
            found = convocation(
                session.code,
                session.title,
                session.on,
                starts,
                ends,
                place,
                self.settings.timezone,
                items,
            )
            members = sorted({*session.members, session.chair})
            reachable = [
                name
                for name in members
                if _reachable(unit.find(Account, Account.id_for(name)))
            ]
            sequence = session.send_convocation(found, len(reachable))
            return {
                "session": session.code,
                "sequence": sequence,
                "agenda_sha256": found.agenda_sha256,
                "agenda": found.agenda(),
                "recipients": reachable,
                "without_email": [m for m in members if m not in reachable],
            }

        return self.execute("send_convocation", caller, body)
