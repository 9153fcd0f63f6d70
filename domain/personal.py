"""Personal data in events: a person's name or e-mail, sealed as ciphertext.

A :class:`Personal` value is what an event holds where it names a person: the data
subject it belongs to (the account's aggregate id, whose data key encrypts it) and its
text. The ledger stores it encrypted under that subject's key
(``ledger.personal_keys``); destroying the key erases it everywhere while the sealed
ciphertext, and so every seal, stays as it was. Read back after the key was destroyed,
the value is ``erased`` and shows as :data:`ERASED`.

Events stored before issue 19 hold the text in clear: their upcasters wrap it as a
``legacy`` value (see ``docs/privacy.md``: those rows cannot be rewritten).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

ERASED = "personne effacée"


@dataclass(frozen=True, slots=True)
class Personal:
    """A person's name or e-mail, belonging to the data subject ``subject``."""

    subject: UUID
    text: str
    erased: bool = False  # the subject's key was destroyed: the text is gone
    legacy: bool = False  # read from an event stored in clear (before issue 19)

    @property
    def shown(self) -> str:
        """The text, or « personne effacée » once erased."""
        return ERASED if self.erased else self.text

    @property
    def address(self) -> str:
        """An e-mail address, or "" once erased (nothing is sent to it)."""
        return "" if self.erased else self.text

    def forgotten(self) -> Personal:
        """The same value, erased."""
        return Personal(self.subject, "", erased=True, legacy=self.legacy)


def shown(value: Any) -> Any:
    """What a reader sees of an event value: a personal value's text or the marker."""
    return value.shown if isinstance(value, Personal) else value


def wrap_legacy(state: dict[str, Any], *names: str) -> None:
    """Upcaster step: the plain-text fields ``names`` of an event stored before
    issue 19, wrapped as legacy personal values of the event's aggregate."""
    subject = state["originator_id"]
    for name in names:
        value = state.get(name)
        if not isinstance(value, Personal):
            state[name] = Personal(subject, str(value or ""), legacy=True)
