"""The command machinery of the ledger: context, idempotency, retries, unit of work.

Every command of :class:`ledger.app.Ledger` runs through :meth:`LedgerCore.execute`:

1. a client-supplied idempotency key that already landed returns the first result
   (detected when the repeat is refused, writes nothing, or fails to save) if the
   same actor sent the same command with the same arguments and reason (compared by
   the hash of :mod:`ledger.idempotency`), and is refused otherwise;
2. the actor's roles are read from their account, and the command context (actor, roles,
   UTC time, origin, reason, key, command name) is set for every event triggered;
3. the command body loads aggregates through a :class:`Unit`, checks the rules (raising
   a named domain error writes nothing) and triggers events;
4. one save writes all events and the command record in one transaction;
5. an ``IntegrityError`` is either the same key landing first — including our own commit
   whose acknowledgement was lost and was retried by the library — or a version conflict
   with a concurrent command: the first returns the landed result, the second is
   retried from step 2 a bounded number of times, then reported as a conflict.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    IntegrityError,
    InterfaceError,
    JSONTranscoder,
    Mapper,
    OperationalError,
)
from eventsourcing.utils import Environment, EnvType

from domain.accounts import DIRECTORY, SYSTEM, Account
from domain.base import LedgerAggregate, command_context
from domain.errors import DomainError, InvalidValue, NotFound, UnknownActor
from domain.values import CommandContext, Origin, enum_value, text
from ledger.config import Settings
from ledger.errors import (
    CommitOutcomeUnknown,
    ConflictError,
    IdempotencyKeyReused,
    StorageUnavailable,
)
from ledger.idempotency import Call, arguments_hash, current_call
from ledger.outage import OUTAGE_ERRORS, install_idle_check
from ledger.personal_keys import (
    Erasure,
    LedgerMapper,
    PersonalAsCiphertext,
    PersonalDataError,
    PersonalKeys,
)
from ledger.storage import (
    ActorCheck,
    CommandRecord,
    Credential,
    EndSessions,
    LedgerStorage,
)
from ledger.transcodings import register_all

A = TypeVar("A", bound=LedgerAggregate)

MAX_ATTEMPTS = 12
MAX_KEY_LENGTH = 200


@dataclass(frozen=True)
class Caller:
    """Who sends a command, from where, why, and under which idempotency key."""

    actor: str
    origin: Origin = Origin.CLI
    reason: str | None = None
    key: str | None = None

    @classmethod
    def system(cls, reason: str) -> Caller:
        """The bootstrap pseudo-actor (``sdsi init``); never reachable from the web."""
        return cls(actor=SYSTEM, origin=Origin.CLI, reason=reason)

    def with_key(self, key: str | None) -> Caller:
        return Caller(self.actor, self.origin, self.reason, key)


@dataclass(frozen=True)
class CommandResult:
    """What a command returned; the same on a repeated idempotency key."""

    command: str
    key: str
    data: dict[str, Any]
    notification_id: int | None
    replayed: bool = False

    def __getitem__(self, name: str) -> Any:
        return self.data[name]


def jsonable(value: Any) -> Any:
    """Plain JSON form of a command result (ids, money and dates as strings)."""
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


class Unit:
    """The aggregates one command reads and changes; saved together, atomically."""

    def __init__(self, ledger: LedgerCore) -> None:
        self._ledger = ledger
        self._seen: dict[UUID, LedgerAggregate] = {}
        self._guarded: dict[UUID, int | None] = {}  # None: must not exist
        self.credential: Credential | None = None
        self.end_sessions: EndSessions | None = None
        self.void_resets: str | None = None  # an account whose reset links die
        self.erasure: Erasure | None = None

    def find(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The aggregate, or ``None`` if it does not exist."""
        if aggregate_id in self._seen:
            agg = self._seen[aggregate_id]
        else:
            try:
                agg = self._ledger.repository.get(aggregate_id)
            except AggregateNotFoundError:
                return None
            self._seen[aggregate_id] = agg
        return agg if isinstance(agg, cls) else None

    def get(self, cls: type[A], aggregate_id: UUID, *, kind: str, label: object) -> A:
        """The aggregate, or :class:`NotFound` naming ``kind`` and ``label``."""
        agg = self.find(cls, aggregate_id)
        if agg is None:
            raise NotFound(kind=kind, id=str(label))
        return agg

    def add(self, agg: A) -> A:
        """A newly created aggregate, to be saved with the others."""
        self._seen[agg.id] = agg
        return agg

    def guard(self, agg: A) -> A:
        """A rule of the command relies on ``agg`` as read: if a concurrent command
        changes it before this one is saved, the save fails and the command is retried
        on the new state (the aggregate need not be written)."""
        self._guarded.setdefault(agg.id, agg.version)
        return agg

    def guard_absent(self, aggregate_id: UUID) -> None:
        """A rule of the command relies on the aggregate not existing: if a
        concurrent command creates it before this one is saved, the command is retried
        (as :meth:`guard`)."""
        self._guarded.setdefault(aggregate_id, None)

    def pending(self) -> list[LedgerAggregate]:
        return [a for a in self._seen.values() if a.pending_events]

    def reads(self) -> list[ActorCheck]:
        """The guarded versions to check at save (those not written: a write checks
        its own version)."""
        written = {a.id for a in self.pending()}
        return [
            ActorCheck(agg_id, version)
            for agg_id, version in self._guarded.items()
            if agg_id not in written
        ]


@dataclass
class _Stats:
    commands: int = 0
    conflicts: int = 0
    replays: int = 0
    lost_acks: int = 0
    by_command: dict[str, int] = field(default_factory=dict)


class LedgerCore(Application[UUID]):
    """The only writer of events. Subclasses add one method per command."""

    name = "sdsi"

    def __init__(self, settings: Settings, env: EnvType) -> None:
        self.settings = settings
        # the data keys of personal values (the transcoding and mapper use them)
        self.personal_keys = PersonalKeys()
        super().__init__(env=env)
        self.storage = LedgerStorage(self.recorder)  # type: ignore[arg-type]
        self.personal_keys.bind(self.storage)
        datastore = getattr(self.recorder, "datastore", None)
        if hasattr(datastore, "pool"):  # PostgreSQL: no dead connection after a restart
            install_idle_check(datastore.pool)
        self.stats = _Stats()
        # actor → (account version, roles): read once, re-checked by every save
        self._actors: dict[str, tuple[UUID, int, tuple[str, ...]]] = {}
        # The time stamped on commands. Only the demo loader replaces it (to date its
        # synthetic history along the scenario); no web, API or CLI path can.
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        # Only the explicit configuration: the process environment must not be able to
        # switch persistence or enable unsafe options behind the ledger's back.
        return Environment(name, dict(env or {}))

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        register_all(transcoder)
        transcoder.register(PersonalAsCiphertext(self.personal_keys))

    def construct_mapper(self) -> Mapper[UUID]:
        mapper = self.factory.mapper(
            transcoder=self.construct_transcoder(), mapper_class=LedgerMapper
        )
        assert isinstance(mapper, LedgerMapper)
        mapper.keys = self.personal_keys
        return mapper

    # --- the command loop ----------------------------------------------------------

    def execute(
        self,
        command: str,
        caller: Caller,
        body: Callable[[Unit], Mapping[str, Any] | None],
    ) -> CommandResult:
        """Run ``body`` as the command ``command`` for ``caller``; see module doc.

        Only from a method decorated with :func:`~ledger.idempotency.command` (named
        ``command``), whose arguments make the idempotency hash.
        """
        call = current_call()
        if call is None or call.command != command:
            raise TypeError(
                f"the command {command!r} must run from a method decorated with"
                " @command, which captures its arguments for idempotency"
            )
        digest = arguments_hash(caller.actor, caller.reason, call.arguments)
        origin = enum_value(Origin, caller.origin, "origin")
        client_key = self._check_key(caller.key)
        # No lookup of the key up front (it would cost a read on every command): the
        # command record's primary key makes a repeated key's save fail atomically, and
        # every way a repeat can end — refused by a rule, writing nothing, or failing to
        # save — first checks whether the key already landed.
        key = client_key or "auto-" + uuid4().hex
        try:
            reason = (
                text(caller.reason, "reason", max_len=4000, required=False)
                if caller.reason
                else None
            )
        except DomainError:
            landed = self.storage.get_command(key) if client_key else None
            if landed is not None:  # a landed key sent again with another reason
                return self._replay(landed, call, digest)
            raise
        for attempt in range(1, MAX_ATTEMPTS + 1):
            cached = caller.actor in self._actors
            actor = self._actor(caller.actor)
            ctx = CommandContext(
                actor=caller.actor,
                roles=actor[2] if actor else (caller.actor,),
                at=self.clock(),
                origin=origin.value,
                command=command,
                key=key,
                reason=reason or None,
            )
            unit = Unit(self)
            try:
                with command_context(ctx):
                    data = jsonable(dict(body(unit) or {}))
            except DomainError:
                landed = self.storage.get_command(key) if client_key else None
                if landed is not None:
                    return self._replay(landed, call, digest)
                if cached:  # refused with cached roles: re-check once with fresh ones
                    self._actors.pop(caller.actor, None)
                    continue
                raise
            pending = unit.pending()
            if not pending:
                landed = self.storage.get_command(key) if client_key else None
                if landed is not None:
                    return self._replay(landed, call, digest)
                return CommandResult(command, key, data, None)
            record = CommandRecord(
                key, command, caller.actor, ctx.at.isoformat(), None, None, data, digest
            )
            # The roles came from a cached account: the save checks it did not change
            # (unless the command writes that account itself: its version key checks it).
            check = None
            if actor is not None and all(a.id != actor[0] for a in pending):
                check = ActorCheck(actor[0], actor[1])
            try:
                recordings = self.save(
                    *pending,
                    sdsi_command=record,
                    sdsi_credential=unit.credential,
                    sdsi_end_sessions=unit.end_sessions,
                    sdsi_void_resets=unit.void_resets,
                    sdsi_erasure=unit.erasure,
                    sdsi_actor=check,
                    sdsi_reads=unit.reads(),
                )
            except PersonalDataError:
                # A subject of a personal value was erased after the rule read it (an
                # e-mail change racing ``erase_user``): nothing was written; the next
                # attempt reads the erased account and its rule refuses.
                self.stats.conflicts += 1
                self._actors.pop(caller.actor, None)
                continue
            except IntegrityError:
                landed = self.storage.get_command(key)
                if landed is not None:
                    # Either our own commit, whose acknowledgement was lost and which the
                    # library retried, or an earlier or twin request with the same key.
                    ours = landed.recorded_at == record.recorded_at
                    self.stats.lost_acks += ours
                    return self._replay(landed, call, digest, replayed=not ours)
                self.stats.conflicts += 1
                self._actors.pop(caller.actor, None)  # maybe the actor's roles changed
                time.sleep(random.uniform(0, 0.002 * attempt))
                continue
            except (OperationalError, InterfaceError) as exc:
                try:
                    landed = self.storage.get_command(key)
                except (OperationalError, InterfaceError, *OUTAGE_ERRORS) as again:
                    raise CommitOutcomeUnknown(
                        f"the database went away while {command!r} was being saved "
                        f"and cannot say whether it landed ({again}): send it again "
                        f"with the same idempotency key ({key})"
                    ) from exc
                if landed is not None:
                    ours = landed.recorded_at == record.recorded_at
                    self.stats.lost_acks += ours
                    return self._replay(landed, call, digest, replayed=not ours)
                raise StorageUnavailable(
                    f"the ledger database did not accept the command: {exc}"
                ) from exc
            for agg in pending:  # accounts changed here: their cached roles are stale
                if isinstance(agg, Account):
                    self._actors.pop(agg.username, None)
            self.stats.commands += 1
            self.stats.by_command[command] = self.stats.by_command.get(command, 0) + 1
            return CommandResult(command, key, data, recordings[-1].notification.id)
        raise ConflictError(command=command, attempts=MAX_ATTEMPTS)

    def _check_key(self, key: str | None) -> str | None:
        if key is None:
            return None
        if (
            not isinstance(key, str)
            or not key.strip()
            or len(key) > MAX_KEY_LENGTH
            or not key.isprintable()
        ):
            raise InvalidValue(
                "idempotency_key", key, f"1 à {MAX_KEY_LENGTH} caractères imprimables"
            )
        return key

    def landed(self, caller: Caller) -> CommandResult | None:
        """Inside a command method: the first result if ``caller``'s key already
        landed and this call repeats it (``IdempotencyKeyReused`` if it differs)."""
        call = current_call()
        if caller.key is None or call is None:
            return None
        record = self.storage.get_command(caller.key)
        if record is None:
            return None
        digest = arguments_hash(caller.actor, caller.reason, call.arguments)
        return self._replay(record, call, digest)

    def _replay(
        self,
        landed: CommandRecord,
        call: Call,
        digest: str,
        *,
        replayed: bool = True,
    ) -> CommandResult:
        same = landed.command == call.command and (
            # Records written before schema version 3 have no hash: for those keys
            # only, the command name is all that is compared (the old behaviour).
            landed.arguments_hash is None
            or (landed.arguments_hash == digest and self._secrets_match(call))
        )
        if not same:
            raise IdempotencyKeyReused(
                key=landed.key, previous=landed.command, command=call.command
            )
        self.stats.replays += replayed
        nid = None
        if (
            landed.last_originator_id is not None
            and landed.last_originator_version is not None
        ):
            nid = self.storage.notification_id_of(
                landed.last_originator_id, landed.last_originator_version
            )
        return CommandResult(
            landed.command, landed.key, landed.result, nid, replayed=replayed
        )

    def _secrets_match(self, call: Call) -> bool:
        """Whether a repeat's secret arguments (never hashed) are the first send's:
        commands with secrets override it (accounts: the password stored)."""
        return not call.secrets

    def _actor(self, actor: str) -> tuple[UUID, int, tuple[str, ...]] | None:
        """(account id, version, roles) of an actor; ``None`` for the system and the
        directory pseudo-actors (which hold no account)."""
        if actor in (SYSTEM, DIRECTORY):
            return None
        cached = self._actors.get(actor)
        if cached is not None:
            return cached
        try:  # read-only use: no deep copy of the cached account
            account = self.repository.get(
                Account.id_for(actor), deepcopy_from_cache=False
            )
        except AggregateNotFoundError:
            raise UnknownActor(actor=actor) from None
        if not isinstance(account, Account) or not account.active:
            raise UnknownActor(actor=actor)
        entry = (account.id, account.version, tuple(sorted(account.grants)))
        self._actors[actor] = entry
        return entry

    def _roles_of(self, actor: str) -> tuple[str, ...]:
        entry = self._actor(actor)
        return entry[2] if entry else (SYSTEM,)

    # --- reads the write side needs --------------------------------------------------

    def load(self, cls: type[A], aggregate_id: UUID) -> A | None:
        """The current state of one aggregate (for the write side and the CLI)."""
        try:
            agg = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            return None
        return agg if isinstance(agg, cls) else None

    def head(self) -> int:
        """Notification id of the newest event (0 when empty)."""
        return int(self.recorder.max_notification_id() or 0)


def result_json(result: CommandResult) -> str:
    """A command result as JSON, for the CLI."""
    return json.dumps(
        {
            "command": result.command,
            "key": result.key,
            "replayed": result.replayed,
            "notification_id": result.notification_id,
            **result.data,
        },
        ensure_ascii=False,
        sort_keys=True,
    )
