"""The COPIL convocation by e-mail: one message per member with an address, each
with an ``.ics`` invitation (RFC 5545: METHOD:REQUEST, a VEVENT whose UID is stable
per session and whose SEQUENCE grows with each send, times in UTC).

``ledger.send_convocation`` records the fact on the session (hours, place, the
agenda's SHA-256, how many recipients); :func:`queue_convocation` then queues the
e-mails in the outbox under keys derived from the session, the send's sequence and
the member, so a repeated request (same idempotency key) never queues twice.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from domain.accounts import Account
from domain.localtime import zone
from domain.sessions import Session
from ledger.mail_config import MailSettings
from ledger.outbox import MailAttachment, Outbox

ICS_MEDIA_TYPE = "text/calendar; method=REQUEST"


def _escape(value: str) -> str:
    """A TEXT value (RFC 5545 §3.3.11)."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\n", "\\n")
    )


def _param(value: str) -> str:
    """A parameter value: quoted, without the characters a quoted one may not hold."""
    return '"' + "".join(ch for ch in value if ch not in '"\r\n' and ch >= " ") + '"'


def _fold(line: str) -> bytes:
    """One content line folded at 75 octets (never inside a UTF-8 sequence)."""
    out, current = [], b""
    for ch in line:
        encoded = ch.encode("utf-8")
        limit = 75 if not out else 74  # continuation lines start with a space
        if len(current) + len(encoded) > limit:
            out.append(current)
            current = b""
        current += encoded
    out.append(current)
    return b"\r\n ".join(out) + b"\r\n"


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def local_to_utc(value: str, timezone: str) -> datetime:
    """A local ISO date-time of ``timezone`` as an aware UTC datetime."""
    return datetime.fromisoformat(value).replace(tzinfo=zone(timezone)).astimezone(UTC)


def uid(session_code: str, domain: str) -> str:
    """The invitation's UID: the same for every send of one session."""
    return f"copil-{Session.id_for(session_code)}@{domain}"


def invitation(
    agenda: Mapping[str, Any],
    *,
    sequence: int,
    stamp: datetime,
    description: str,
    url: str,
    organizer: tuple[str, str],
    attendee: tuple[str, str],
    domain: str,
) -> bytes:
    """The ``.ics`` file inviting ``attendee`` (name, address) to the session."""
    starts = local_to_utc(agenda["starts_at"], agenda["timezone"])
    ends = local_to_utc(agenda["ends_at"], agenda["timezone"])
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//SDSI Ledger//Convocation COPIL//FR",
        "CALSCALE:GREGORIAN",
        "METHOD:REQUEST",
        "BEGIN:VEVENT",
        f"UID:{uid(agenda['session'], domain)}",
        f"SEQUENCE:{int(sequence)}",
        f"DTSTAMP:{_utc(stamp)}",
        f"DTSTART:{_utc(starts)}",
        f"DTEND:{_utc(ends)}",
        f"SUMMARY:{_escape(agenda['title'])}",
        f"LOCATION:{_escape(agenda['place'])}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL;VALUE=URI:{url}",
        "STATUS:CONFIRMED",
        f"ORGANIZER;CN={_param(organizer[0])}:mailto:{organizer[1]}",
        f"ATTENDEE;CN={_param(attendee[0])};ROLE=REQ-PARTICIPANT;"
        f"PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:{attendee[1]}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return b"".join(_fold(line) for line in lines)


def queue_convocation(
    ledger: Any,
    result: Mapping[str, Any],
    mail: MailSettings,
    *,
    url: str,
    subject: str,
    text: Callable[[str], str],
    description: str,
    stamp: datetime,
) -> int:
    """Queue the convocation of ``result`` (what ``send_convocation`` returned) to
    each recipient; ``text(name)`` is a member's message. How many were queued now."""
    agenda = result["agenda"]
    outbox = Outbox(ledger.storage)
    chair = ledger.load(Account, Account.id_for(agenda_chair(ledger, result)))
    organizer = (chair.display_name if chair else "", mail.sender)
    queued = 0
    for name in result["recipients"]:
        account = ledger.load(Account, Account.id_for(name))
        if account is None or not account.email:
            continue
        person = account.display_name or account.username
        ics = invitation(
            agenda,
            sequence=result["sequence"],
            stamp=stamp,
            description=description,
            url=url,
            organizer=organizer,
            attendee=(person, account.email),
            domain=mail.domain,
        )
        queued += outbox.add(
            key=f"convocation:{result['session']}:{result['sequence']}:{name}",
            recipient=account.email,
            subject=subject,
            text=text(person),
            attachments=[MailAttachment("convocation.ics", ICS_MEDIA_TYPE, ics)],
        )
    return queued


def agenda_chair(ledger: Any, result: Mapping[str, Any]) -> str:
    session = ledger.load(Session, Session.id_for(result["session"]))
    return str(session.chair) if session is not None else ""
