"""Errors of the ledger's infrastructure (configuration, storage, concurrency).

Domain rules raise the errors of ``domain.errors``; these are the ones a rule cannot
explain: a bad setting, an unreachable or uninitialised database, a conflict that
outlived its retries, an idempotency key reused for another command.
"""

from __future__ import annotations

from domain.errors import DomainError


class ConfigError(Exception):
    """A setting is missing or malformed; the message names the variable."""


class StorageUnavailable(Exception):
    """The database cannot be reached; the message says which and why."""


class CommitOutcomeUnknown(StorageUnavailable):
    """The database went away while a command was being saved, and could not be asked
    whether the save landed: the client retries with the same idempotency key."""


class NotInitialised(Exception):
    """The database has no ledger tables yet."""

    def __init__(self, where: str) -> None:
        super().__init__(
            f"the ledger database at {where} is not initialised: run `sdsi init` first"
        )


class SchemaOutdated(Exception):
    """The database's schema is not the one this program needs, and could not be
    brought to it (e.g. the least-privilege role may not alter tables)."""


class SealingError(Exception):
    """Sealing stopped; the message names the event or checkpoint at fault and the
    command to run (``ledger.sealing``)."""


class ConflictError(DomainError):
    """Concurrent commands kept changing the same record; retrying did not help."""

    status = 409
    code = "conflict"
    template = (
        "Conflit : « {command} » a été refusée après {attempts} tentatives, "
        "d'autres modifications concurrentes touchant les mêmes données. Réessayez."
    )


class IdempotencyKeyReused(DomainError):
    """The same idempotency key was sent with another request: another command, or
    the same one by another actor, with another reason or other arguments."""

    status = 422
    code = "idempotency_key_reused"
    template = (
        "La clé d'idempotence {key} a déjà servi à une autre requête (« {previous} ») :"
        " elle ne sert qu'à répéter la même commande avec les mêmes arguments, pas à"
        " envoyer « {command} » avec ceux-ci. Prenez une nouvelle clé."
    )


class EventOutsideLog(DomainError):
    """A stored event row lies outside the log (id <= 0): nothing reads it but the
    write side would, so the write side refuses it (docs/integrity.md)."""

    status = 409
    code = "event_outside_log"
    template = (
        "Le registre contient un événement hors de son journal (agrégat "
        "{originator_id}, version {version}, identifiant {notification_id}) : ni "
        "scellé, ni exporté, ni visible, il ne peut pas compter ; rien n'a été fait. "
        "Faites lancer « sdsi verify »."
    )


class LedgerCorrupted(DomainError):
    """An aggregate's stored versions do not follow each other (a gap, a duplicate):
    its events cannot be replayed, so nothing is done (docs/integrity.md). The guards
    of schema version 6 refuse such rows; the tables' owner may have removed them."""

    status = 500
    code = "ledger_corrupted"
    template = (
        "Intégrité du registre compromise : les versions enregistrées de l'agrégat "
        "{originator_id} ne se suivent pas (version {found} après la version "
        "{previous}) ; rien n'a été fait. Faites lancer « sdsi verify »."
    )
