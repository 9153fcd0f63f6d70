"""PostgreSQL guards beyond the append-only triggers: a least-privilege app role.

The triggers created by ``sdsi init`` (``ledger/storage.py``) refuse UPDATE, DELETE and
TRUNCATE on the event, seal and checkpoint tables for every role. They do not stop the
tables' owner, who may disable them; so the application should not connect as the
owner but as a role that can only read and append. :func:`create_app_role` makes one.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import psycopg
from psycopg import sql

from ledger.errors import ConfigError
from ledger.migrations import (
    COSIGNATURES_TABLE,
    DELIVERIES_TABLE,
    KEYS_TABLE,
    NOTIFICATION_TABLES,
)

_ROLE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def create_app_role(ledger: Any, role: str, password: str | None = None) -> str:
    """Create (or update) ``role``: login, SELECT+INSERT on the ledger; its password."""
    db = ledger.settings.database
    if not db.is_postgres:
        raise ConfigError("--app-role needs PostgreSQL (SQLite has no roles)")
    if not _ROLE.match(role):
        raise ConfigError(
            f"--app-role {role!r}: lower-case letters, digits and underscores only"
        )
    if role == db.user:
        raise ConfigError(
            f"--app-role {role!r} is the owner the ledger was created with"
        )
    password = password or secrets.token_urlsafe(18)
    schema = sql.Identifier(ledger.storage.schema)
    prefix = ledger.recorder.table_prefix

    def table(name: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(schema, sql.Identifier(prefix + name))

    who = sql.Identifier(role)
    with psycopg.connect(**db.libpq_kwargs(), autocommit=True) as conn:  # type: ignore[arg-type]
        exists = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)
        ).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(
            sql.SQL(
                verb + " ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD {}"
            ).format(who, sql.Literal(password))
        )
        row = conn.execute(
            "SELECT pg_get_serial_sequence(%s, 'notification_id')",
            (f'"{ledger.storage.schema}".{prefix}events',),
        ).fetchone()
        statements = [
            sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
                sql.Identifier(db.dbname), who
            ),
            sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, who),
            # Append-only tables: read and append, nothing else.
            sql.SQL("GRANT SELECT, INSERT ON {}, {}, {}, {} TO {}").format(
                table("events"),
                table("seals"),
                table("checkpoints"),
                table("commands"),
                who,
            ),
            # The library takes LOCK TABLE ... IN EXCLUSIVE MODE on the event table
            # before each insert (so ids become visible in commit order); PostgreSQL
            # allows that mode only with UPDATE, DELETE or TRUNCATE privilege. The
            # append-only trigger refuses any actual UPDATE.
            sql.SQL("GRANT UPDATE ON {} TO {}").format(table("events"), who),
            sql.SQL("GRANT SELECT, INSERT, UPDATE ON {} TO {}").format(
                table("credentials"), who
            ),
            sql.SQL("GRANT SELECT ON {} TO {}").format(table("meta"), who),
        ]
        # Sessions and failed-login counters are rewritten as people sign in (schema
        # version 4; a database being upgraded gets them from that migration).
        for name in ("auth_sessions", "login_throttle"):
            found = conn.execute(
                "SELECT to_regclass(%s)", (f'"{ledger.storage.schema}".{prefix}{name}',)
            ).fetchone()
            if found and found[0]:
                statements.append(
                    sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
                        table(name), who
                    )
                )
        # The accessibility statement's messages are received, never rewritten
        # (schema version 7).
        messages = f'"{ledger.storage.schema}".{prefix}accessibility_messages'
        found = conn.execute(
            "SELECT CASE WHEN to_regclass(%s) IS NOT NULL"
            " THEN pg_get_serial_sequence(%s, 'id') END",
            (messages, messages),
        ).fetchone()
        if found and found[0]:
            statements += [
                sql.SQL("GRANT SELECT, INSERT ON {} TO {}").format(
                    table("accessibility_messages"), who
                ),
                sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                    sql.SQL(found[0]), who
                ),
            ]
        # The mail outbox is claimed and marked by the worker, reset tokens are
        # marked used (schema version 8).
        for name, privileges, serial in (
            ("mail_outbox", "SELECT, INSERT, UPDATE", True),
            ("password_resets", "SELECT, INSERT, UPDATE, DELETE", False),
            # witness cosignatures and their delivery state (schema version 10)
            (COSIGNATURES_TABLE, "SELECT, INSERT, UPDATE", False),
            (DELIVERIES_TABLE, "SELECT, INSERT, UPDATE", False),
            # data keys, created on first write, destroyed on erasure (version 11)
            (KEYS_TABLE, "SELECT, INSERT, UPDATE", False),
        ):
            qualified = f'"{ledger.storage.schema}".{prefix}{name}'
            found = conn.execute("SELECT to_regclass(%s)", (qualified,)).fetchone()
            if not (found and found[0]):
                continue  # an older schema: its migration grants them
            statements.append(
                sql.SQL("GRANT {} ON {} TO {}").format(
                    sql.SQL(privileges), table(name), who
                )
            )
            if serial:
                sequence = conn.execute(
                    "SELECT pg_get_serial_sequence(%s, 'id')", (qualified,)
                ).fetchone()
                if sequence and sequence[0]:
                    statements.append(
                        sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(
                            sql.SQL(sequence[0]), who
                        )
                    )
        # Notification preferences, follows, read marks and cursors (schema
        # version 9) are a person's settings, changed and removed at will.
        for name in NOTIFICATION_TABLES:
            qualified = f'"{ledger.storage.schema}".{prefix}{name}'
            found = conn.execute("SELECT to_regclass(%s)", (qualified,)).fetchone()
            if found and found[0]:
                statements.append(
                    sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {} TO {}").format(
                        table(name), who
                    )
                )
        # The witnesses' cosignatures and delivery state (schema version 10), and
        # the data keys of personal values, which an erasure sets to NULL (11).
        for name in ("witness_cosignatures", "witness_deliveries", "personal_keys"):
            qualified = f'"{ledger.storage.schema}".{prefix}{name}'
            found = conn.execute("SELECT to_regclass(%s)", (qualified,)).fetchone()
            if found and found[0]:
                statements.append(
                    sql.SQL("GRANT SELECT, INSERT, UPDATE ON {} TO {}").format(
                        table(name), who
                    )
                )
        # An erasure replaces the person's name and e-mail in the results of the
        # commands that wrote them (schema version 11): that column only.
        statements.append(
            sql.SQL("GRANT UPDATE (result) ON {} TO {}").format(table("commands"), who)
        )
        statements += _view_grants(conn, ledger, who)
        if row and row[0]:
            statements.append(
                sql.SQL("GRANT USAGE ON SEQUENCE {} TO {}").format(sql.SQL(row[0]), who)
            )
        for statement in statements:
            conn.execute(statement)
    ledger.storage.set_meta("app_role", role)  # `sdsi projections rebuild` re-grants
    return password


def _view_grants(conn: Any, ledger: Any, who: sql.Identifier) -> list[sql.Composed]:
    """The read models (projections' ``<prefix>v_*`` tables in the same schema) are
    rewritten by their followers, which run in the application's processes."""
    schema = sql.Identifier(ledger.storage.schema)
    prefix = ledger.recorder.table_prefix
    views = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = %s"
        " AND tablename LIKE %s ORDER BY tablename",
        (ledger.storage.schema, prefix.replace("_", "\\_") + "v\\_%"),
    ).fetchall()
    return [
        sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON {}.{} TO {}").format(
            schema, sql.Identifier(name), who
        )
        for (name,) in views
    ]


def regrant_views(ledger: Any) -> str | None:
    """After the owner rebuilt the views (new tables), give them back to the app role
    recorded by ``sdsi init --app-role``; returns its name (None if there is none)."""
    role = ledger.storage.get_meta("app_role")
    if role is None or not ledger.settings.database.is_postgres:
        return None
    db = ledger.settings.database
    with psycopg.connect(**db.libpq_kwargs(), autocommit=True) as conn:  # type: ignore[arg-type]
        exists = conn.execute(
            "SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)
        ).fetchone()
        if not exists:
            return None
        for statement in _view_grants(conn, ledger, sql.Identifier(role)):
            conn.execute(statement)
    return role
