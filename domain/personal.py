"""Personal data in events: a person's name or e-mail, or a free text flagged as
naming persons, sealed as ciphertext.

A :class:`Personal` value is what an event holds where it names a person: the data
subject it belongs to (the account's aggregate id, whose data key encrypts it) and its
text. The ledger stores it encrypted under that subject's key
(``ledger.personal_keys``); destroying the key erases it everywhere while the sealed
ciphertext, and so every seal, stays as it was. Read back after the key was destroyed,
the value is ``erased`` and shows as :data:`ERASED`.

A free text flagged as naming several persons (a discussion comment, see
:func:`named_text`) belongs to all of them: ``subject`` is the first, ``also`` the
others, and the text is encrypted under each key in turn, so erasing any one of them
erases it.

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
    also: tuple[UUID, ...] = ()  # the other persons a flagged free text names

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
        return Personal(
            self.subject, "", erased=True, legacy=self.legacy, also=self.also
        )

    @property
    def subjects(self) -> tuple[UUID, ...]:
        """Every data subject whose key seals the text."""
        return (self.subject, *self.also)

    def names(self, subject: UUID) -> bool:
        return subject in self.subjects


def named_text(text: str, subjects: tuple[UUID, ...] | list[UUID]) -> str | Personal:
    """A free text as an event holds it: in clear, or — flagged as naming the persons
    ``subjects`` (account ids, in the order given, duplicates dropped) — sealed under
    their keys."""
    unique = tuple(dict.fromkeys(subjects))
    if not unique:
        return text
    return Personal(unique[0], text, also=unique[1:])


def subjects_of(value: Any) -> list[str]:
    """The data subjects a stored free text is flagged for (none: in clear)."""
    return [str(s) for s in value.subjects] if isinstance(value, Personal) else []


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
