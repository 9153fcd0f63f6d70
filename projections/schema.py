"""The tables of every view, in one place, portable between SQLite and PostgreSQL.

Three kinds of table:

- *document* tables: one row per entity (a proposal, a session, an envelope…), with a
  JSON ``doc`` holding its whole state and a few columns extracted for SQL filters;
- *derived* tables: rows rewritten from a document whenever it changes (a proposal's
  per-grid values, a project's budget lines…), keyed by the document's key first;
- *append-only* tables: one row per event of some kind (audit trail, votes, score
  history, budget moves…), keyed by the ledger position.

Money is integer cents (``_c`` columns), scores are integer hundredths (``_x100``),
times are fixed-width UTC ISO text; booleans are 0/1 integers.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    """A table: its columns (name → portable type), primary key and indexes."""

    name: str
    cols: tuple[tuple[str, str], ...]
    key: tuple[str, ...]
    kind: str  # "doc", "derived" or "append"
    indexes: tuple[tuple[str, ...], ...] = ()
    parent: str | None = None  # for derived tables: the document table they belong to
    parent_cols: tuple[str, ...] = field(default=())

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(c for c, _t in self.cols)

    def ddl(self, qualified: str, *, postgres: bool, indexes: bool = True) -> list[str]:
        types = {"text": "TEXT", "int": "BIGINT" if postgres else "INTEGER"}
        cols = ", ".join(f"{c} {types[t]}" for c, t in self.cols)
        out = [
            f"CREATE TABLE IF NOT EXISTS {qualified} ({cols}, PRIMARY KEY ({', '.join(self.key)}))"
        ]
        return out + (self.index_ddl(qualified) if indexes else [])

    def index_ddl(self, qualified: str) -> list[str]:
        """Secondary indexes (created after a bulk rebuild, which is much faster)."""
        bare = qualified.split(".")[-1].strip('"')
        return [
            f"CREATE INDEX IF NOT EXISTS {bare}_{'_'.join(idx)} ON {qualified} ({', '.join(idx)})"
            for idx in self.indexes
        ]


def _t(
    name: str,
    kind: str,
    key: tuple[str, ...],
    cols: str,
    indexes: tuple[tuple[str, ...], ...] = (),
    parent: str | None = None,
) -> Table:
    parsed = tuple(
        (c.split(":")[0], c.split(":")[1] if ":" in c else "text") for c in cols.split()
    )
    return Table(name, parsed, key, kind, indexes, parent, key[:1] if parent else ())


T = _t  # short alias for the table list below

TABLES: tuple[Table, ...] = (
    # --- tracking -------------------------------------------------------------------------
    T(
        "tracking",
        "meta",
        ("view",),
        "view position:int notification_id:int updated_at",
    ),
    T("aggregates", "doc", ("id",), "id type key doc"),
    # --- reference: municipality, plan, organisation, axes, grid, accounts, COPIL --------
    T("municipality", "doc", ("id",), "id doc"),
    T("plan", "doc", ("id",), "id doc"),
    T("poles", "doc", ("code",), "code name doc"),
    T("directions", "doc", ("code",), "code name pole doc", (("pole",),)),
    T("teams", "doc", ("code",), "code name kind direction doc"),
    T(
        "team_capacity",
        "derived",
        ("team", "year"),
        "team year:int days:int",
        parent="teams",
    ),
    T("axes", "doc", ("code",), "code label doc"),
    T("indicators", "doc", ("code",), "code axis label doc", (("axis",),)),
    T(
        "measurements",
        "append",
        ("position",),
        "position:int indicator on_date value kind comment at",
        (("indicator",),),
    ),
    T("grids", "doc", ("number",), "number:int label status adopted_on doc"),
    T("accounts", "doc", ("username",), "username display_name active:int roles doc"),
    T(
        "grants",
        "append",
        ("position",),
        "position:int username action role scope actor reason at",
        (("username",),),
    ),
    T("committee", "doc", ("username",), "username kind voting:int sitting:int doc"),
    # --- portfolio ------------------------------------------------------------------------
    T(
        "proposals",
        "doc",
        ("code",),
        "code title direction pole axis status revision:int mandatory:int referent session "
        "first_year:int last_year:int cost_inv_c:int cost_ope_c:int days:int value_x100:int "
        "risk_x100:int grid_version:int evaluators:int stale:int outcome ap_c:int "
        "progress_x100:int planned_start planned_end updated_position:int doc",
        (("status",), ("direction",), ("pole",)),
    ),
    T(
        "proposal_values",
        "derived",
        ("proposal", "grid_version"),
        "proposal grid_version:int revision:int value_x100:int risk_x100:int evaluators:int complete:int",
        (("grid_version",),),
        parent="proposals",
    ),
    T(
        "proposal_axes",
        "derived",
        ("proposal", "axis"),
        "proposal axis indicator",
        (("axis",),),
        parent="proposals",
    ),
    T(
        "proposal_years",
        "derived",
        ("proposal", "year"),
        "proposal year:int",
        (("year",),),
        parent="proposals",
    ),
    T(
        "workloads",
        "derived",
        ("proposal", "team", "year"),
        "proposal team year:int days:int",
        (("team", "year"),),
        parent="proposals",
    ),
    T(
        "revisions",
        "append",
        ("position",),
        "position:int proposal revision:int at actor reason doc",
        (("proposal",),),
    ),
    # --- budget ---------------------------------------------------------------------------
    T(
        "envelopes",
        "doc",
        ("year", "section"),
        "year:int section bp_c:int dm_c:int total_c:int allocated_c:int overrides:int doc",
    ),
    T(
        "envelope_moves",
        "append",
        ("position",),
        "position:int year:int section kind amount_c:int deliberation on_date actor at",
    ),
    T(
        "allocations",
        "append",
        ("position",),
        "position:int year:int section proposal amount_c:int previous_c:int override_reason actor at",
        (("proposal",),),
    ),
    T(
        "project_budgets",
        "doc",
        ("proposal",),
        "proposal ap_initial_c:int ap_c:int revisions:int session doc",
    ),
    T(
        "project_lines",
        "derived",
        ("proposal", "year", "section"),
        "proposal year:int section cp_initial_c:int cp_c:int committed_c:int paid_c:int "
        "override_alloc:int override_commit:int override_pay:int",
        (("year", "section"),),
        parent="project_budgets",
    ),
    T(
        "commitments",
        "derived",
        ("proposal", "reference"),
        "proposal reference year:int section amount_c:int paid_c:int on_date supplier override_reason position:int",
        parent="project_budgets",
    ),
    T(
        "payments",
        "derived",
        ("proposal", "reference"),
        "proposal reference commitment amount_c:int on_date override_reason position:int",
        parent="project_budgets",
    ),
    # --- decisions ------------------------------------------------------------------------
    T(
        "sessions",
        "doc",
        ("code",),
        "code title on_date chair status quorum_required:int present_voting:int doc",
    ),
    T(
        "votes",
        "append",
        ("position",),
        "position:int session proposal member choice at",
        (("session", "proposal"),),
    ),
    T(
        "decisions",
        "append",
        ("position",),
        "position:int session proposal session_date decided_at outcome ap_c:int grid_version:int revision:int "
        "scenario votes_for:int votes_against:int abstentions:int present_voting:int quorum_required:int "
        "departs:int override:int chair doc",
        (("session",), ("proposal",)),
    ),
    T(
        "scenarios",
        "doc",
        ("code",),
        "code label status objective input_hash actor at position:int doc",
    ),
    # --- audit trail ------------------------------------------------------------------------
    T(
        "events",
        "append",
        ("position",),
        "position:int notification_id:int at actor roles origin command idem_key reason "
        "aggregate_type aggregate_id aggregate_key version:int event_type changes payload",
        (
            ("actor",),
            ("aggregate_key",),
            ("event_type",),
            ("aggregate_type",),
            ("at",),
            ("aggregate_id",),
        ),
    ),
)

BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}
DERIVED: dict[str, list[Table]] = {}
for _table in TABLES:
    if _table.parent:
        DERIVED.setdefault(_table.parent, []).append(_table)

VIEWS = ("portfolio", "budget", "decisions", "capacity", "audit")
