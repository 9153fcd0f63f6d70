"""Named domain errors. Each names the offending id and value, in French.

Every error carries a stable ``code`` (for the API), an HTTP-like ``status`` (422 for
an invalid field, 404 for an unknown record, 403 for a role that may not act, 409 for a
rule of the domain), a French ``template`` and the ``params`` that fill it, so the web
layer can show it next to the field concerned (``field``) or translate the template.
Raising one means nothing was written.
"""

from __future__ import annotations

from typing import Any, ClassVar


class DomainError(Exception):
    """Base class: a command was refused by a rule; nothing was written."""

    status: ClassVar[int] = 409
    code: ClassVar[str] = "rule_violated"
    template: ClassVar[str] = "Règle non respectée."

    def __init__(self, *, field: str | None = None, **params: Any) -> None:
        self.field = field
        self.params = params
        super().__init__(self.message)

    @property
    def message(self) -> str:
        try:
            return self.template.format(**self.params)
        except (KeyError, IndexError):  # a template/params mismatch must not hide the error
            return f"{self.template} {self.params}"

    @property
    def details(self) -> dict[str, Any]:
        out = {k: _plain(v) for k, v in self.params.items()}
        if self.field:
            out["field"] = self.field
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | bool) or value is None:
        return value
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return str(value)


# --- generic ---------------------------------------------------------------------


class InvalidValue(DomainError):
    """A field has a value outside its type or range."""

    status = 422
    code = "invalid_value"
    template = "Valeur invalide pour « {field_label} » : {value!r} ({reason})."

    def __init__(self, field: str, value: Any, reason: str) -> None:
        super().__init__(field=field, field_label=field, value=value, reason=reason)


class NotFound(DomainError):
    """The record named by a command does not exist."""

    status = 404
    code = "not_found"
    template = "{kind} introuvable : {id}."


class AlreadyExists(DomainError):
    """A record with the same natural key already exists."""

    code = "already_exists"
    template = "{kind} existe déjà : {id}."


class NotAllowed(DomainError):
    """The actor's roles do not allow this action."""

    status = 403
    code = "forbidden"
    template = "{actor} n'a pas le droit de {action} (rôles : {roles})."


class UnknownActor(DomainError):
    """The actor of a command has no active account."""

    status = 403
    code = "unknown_actor"
    template = "Compte inconnu ou désactivé : {actor}."


class ReasonRequired(DomainError):
    """A judgement was recorded without its reason."""

    status = 422
    code = "reason_required"
    template = "Un motif est obligatoire pour {action}."

    def __init__(self, action: str, field: str = "reason") -> None:
        super().__init__(field=field, action=action)


# --- accounts --------------------------------------------------------------------


class RoleAlreadyGranted(DomainError):
    """The account already holds this role."""

    code = "role_already_granted"
    template = "{username} a déjà le rôle {role}."


class RoleNotHeld(DomainError):
    """A revocation names a role the account does not hold."""

    code = "role_not_held"
    template = "{username} n'a pas le rôle {role}."


class LastAdministrator(DomainError):
    """Revoking or disabling would leave no administrator."""

    code = "last_administrator"
    template = "{username} est le dernier administrateur : le rôle admin ne peut pas lui être retiré."


class AccountDisabled(DomainError):
    """The account is disabled."""

    code = "account_disabled"
    template = "Le compte {username} est désactivé."
