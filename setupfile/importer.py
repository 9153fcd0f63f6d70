"""Importing the organisation from a set-up file through the ledger's own commands.

``plan`` reads the file, checks every cell with the ledger's rules and every
reference (a direction's pôle, a team's direction, an indicator's axis, a referent's
direction) against the file and the ledger, and compares each row with what exists:
the result is the list of commands to send — a creation for a new record, one
change for a changed value (a rename, a move, a capacity, a target, a role) — or,
if any row is wrong, every error by sheet, row and column and nothing to send.
``apply`` sends them, each with the import as its reason. A row equal to what
exists sends nothing: importing the same file again writes no event.

What the ledger cannot change (a team's type or direction, an indicator's axis, unit
or baseline, an account's name) is an error when the file differs; roles are only
granted (an import never revokes one); closed records are refused.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from eventsourcing.utils import get_topic

from domain.accounts import SYSTEM, Account, has_role, not_reserved, username
from domain.axes import EDITORS, Axis, Indicator
from domain.entities import MAIN, Entity, entity_code
from domain.errors import DomainError, NotAllowed, UnknownActor
from domain.organisation import Direction, Pole, Team
from domain.plan import Plan as SdsiPlan
from domain.values import Role, code, decimal_value, positive_int, text, year
from ledger.core import Caller
from ledger.queries import iter_events
from setupfile.sheets import SHEETS, Issue, Row, read

KINDS = {"dsi": "dsi", "metier": "business", "business": "business"}
KIND_LABEL = {"dsi": "dsi", "business": "metier"}


@dataclass
class Action:
    """One command the import sends: where it comes from and what it does."""

    sheet: str
    row: int
    change: bool  # a change of an existing record (else a creation)
    what: str
    send: Callable[[Any, Caller], Any]
    column: str = ""  # the cell a refusal of the ledger most likely comes from
    login: str = ""  # the account it creates (its password is then shown)

    def __str__(self) -> str:
        verb = "modifie" if self.change else "crée"
        return f"{self.sheet}, ligne {self.row} : {verb} {self.what}"


@dataclass
class Plan:
    """What importing a file would do, or why it is refused."""

    source: str
    errors: list[Issue] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    passwords: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def reason(self) -> str:
        return f"Import du fichier de paramétrage {self.source}"

    def lines(self) -> list[str]:
        if self.errors:
            return [str(e) for e in self.errors]
        return [str(a) for a in self.actions] or ["rien à changer"]


def plan_file(
    ledger: Any,
    path: Path,
    source: str | None = None,
    password_for: Callable[[str], str] | None = None,
) -> Plan:
    """Read ``path`` and plan its import into ``ledger`` (nothing is written);
    ``password_for`` gives a new account its first password (default: generated)."""
    rows, issues = read(path)
    return plan_rows(ledger, rows, source or path.name, issues, password_for)


def plan_rows(
    ledger: Any,
    rows: dict[str, list[Row]],
    source: str,
    issues: list[Issue] | None = None,
    password_for: Callable[[str], str] | None = None,
) -> Plan:
    """Plan the import of rows already read (see :func:`plan_file`)."""
    planner = _Planner(ledger, rows, source, issues or [])
    planner.password_for = password_for or (lambda _login: secrets.token_urlsafe(12))
    return planner.plan()


class ImportInterrupted(Exception):
    """The ledger refused a command the plan had not foreseen (a rule it does not
    check, a change since it was made): the error by sheet, row and column, and the
    commands already written (importing the corrected file again completes it)."""

    def __init__(self, issue: Issue, sent: list[Action], passwords: dict[str, str]) -> None:  # fmt: skip
        self.issue = issue
        self.sent = sent
        self.passwords = passwords
        super().__init__(str(issue))

    def lines(self) -> list[str]:
        out = [f"{self.issue} (refusé par le registre)"]
        if not self.sent:
            return [*out, "rien n'a été écrit"]
        out.append(f"{len(self.sent)} commande(s) déjà écrite(s) :")
        out.extend(f"  {a}" for a in self.sent)
        out.append(
            "corrigez le fichier et importez-le à nouveau : l'import reprend là où il s'est arrêté"
        )
        return out


# The ledger's fields and the columns of the file they come from.
FIELD_COLUMNS = {
    "year": "annee", "capacity_year": "annee", "target_year": "annee_cible",
    "days": "jours", "name": "nom", "display_name": "nom", "label": "libelle",
    "description": "description", "unit": "unite", "baseline": "base",
    "target": "cible", "value": "valeur", "username": "identifiant",
    "email": "courriel", "role": "roles", "scope": "roles", "password": "identifiant",
    "pole": "pole", "direction": "direction", "kind": "type", "axis": "axe",
    "entity": "entite",
}  # fmt: skip


# Who may send each sheet's commands (the roles the domain's ``require`` asks for):
# checked for the caller before anything is written.
ALLOWED: dict[str, tuple[Role, ...]] = {
    "poles": (Role.ADMIN, Role.DSI),
    "directions": (Role.ADMIN, Role.DSI),
    "equipes": (Role.ADMIN, Role.DSI),
    "capacites": (Role.ADMIN, Role.DSI),
    "axes": EDITORS,
    "indicateurs": EDITORS,
    "cibles": EDITORS,
    "comptes": (Role.ADMIN,),
}


def _check_caller(ledger: Any, plan: Plan, caller: Caller) -> None:
    """Refuse, before writing, a caller whose roles do not allow every sheet the
    plan changes (an unknown or disabled caller is refused by the first command)."""
    account = ledger.load(Account, Account.id_for(caller.actor))
    if caller.actor == SYSTEM or account is None or not account.active:
        return
    roles = list(account.grants)
    for sheet in dict.fromkeys(a.sheet for a in plan.actions):
        if not any(has_role(roles, r) for r in ALLOWED[sheet]):
            raise NotAllowed(
                actor=caller.actor,
                action=f"modifier par import la feuille {sheet}",
                roles=", ".join(roles) or "aucun",
            )


def apply(ledger: Any, plan: Plan, caller: Caller) -> int:
    """Send the planned commands, each with the import as its reason; the number
    of commands sent. A refusal of the ledger half-way raises
    :class:`ImportInterrupted` (what was written is named)."""
    if not plan.ok:
        raise ValueError("a refused import is not applied")
    _check_caller(ledger, plan, caller)
    stamped = Caller(actor=caller.actor, origin=caller.origin, reason=plan.reason)
    sent: list[Action] = []
    for action in plan.actions:
        try:
            action.send(ledger, stamped)
        except DomainError as exc:
            if not sent and isinstance(exc, NotAllowed | UnknownActor):
                raise  # about who acts, not about the file: nothing was written
            column = FIELD_COLUMNS.get(exc.field or "", action.column)
            issue = Issue(action.sheet, action.row, column, exc.message)
            created = {a.login for a in sent if a.login}
            passwords = {k: v for k, v in plan.passwords.items() if k in created}
            raise ImportInterrupted(issue, sent, passwords) from exc
        sent.append(action)
    return len(plan.actions)


class _Planner:
    def __init__(
        self, ledger: Any, rows: dict[str, list[Row]], source: str, issues: list[Issue]
    ) -> None:
        self.ledger = ledger
        self.rows = rows
        self.out = Plan(source, errors=list(issues))
        # The codes each sheet declares (references may point to them), and those
        # already met while reading it (a code twice is an error).
        self.declared = {
            sheet: {r.cells.get("code", "") for r in rows[sheet]} - {""}
            for sheet in ("poles", "directions", "equipes", "axes", "indicateurs")
        }
        self.file: dict[str, set[str]] = {k: set() for k in self.declared}
        self.horizon = ledger.load(SdsiPlan, SdsiPlan.id_for())

    # --- cells ---------------------------------------------------------------------

    def cell(self, row: Row, column: str, check: Callable[[Any, str], Any], optional: bool = False) -> Any:  # fmt: skip
        value = row.cells.get(column, "")
        if optional and value == "":
            return None
        try:
            return check(value, column)
        except DomainError as exc:
            self.error(row, column, exc.message)
            return None

    def error(self, row: Row, column: str, message: str) -> None:
        self.out.errors.append(Issue(row.sheet, row.number, column, message))

    def act(self, row: Row, change: bool, what: str, send: Callable[[Any, Caller], Any], column: str = "", login: str = "") -> None:  # fmt: skip
        self.out.actions.append(
            Action(row.sheet, row.number, change, what, send, column, login)
        )

    def load(self, cls: type, *key: str) -> Any:
        return self.ledger.load(cls, cls.id_for(*key))

    def known(self, row: Row, column: str, value: str | None, kind: str, cls: type) -> None:  # fmt: skip
        """``value`` names a record of the ledger, still open."""
        found = self.load(cls, value)
        if found is None:
            self.error(
                row,
                column,
                f"{value} n'est ni dans la feuille {kind} ni dans le référentiel",
            )
        elif getattr(found, "closed_at", None) is not None:
            self.error(row, column, f"{value} est fermé")

    def unique(self, row: Row, kind: str, key: str | None) -> bool:
        if key is None:
            return False
        if key in self.file[kind]:
            self.error(row, "code", f"{key} figure deux fois dans la feuille")
            return False
        self.file[kind].add(key)
        return True

    def open_or_new(self, row: Row, found: Any, label: str) -> bool:
        """A record of the ledger the row changes must be open."""
        if found is not None and getattr(found, "closed_at", None) is not None:
            self.error(
                row, "code", f"{label} est fermé : rien ne peut plus le modifier"
            )
            return False
        return True

    def fixed(self, row: Row, column: str, current: Any, wanted: Any) -> None:
        if wanted is not None and current != wanted:
            self.error(
                row,
                column,
                f"ne peut pas changer (actuellement {current if current is not None else 'vide'})",
            )

    # --- sheets --------------------------------------------------------------------

    def plan(self) -> Plan:
        self.poles()
        self.directions()
        self.teams()
        self.capacities()
        self.axes()
        self.indicators()
        self.targets()
        self.accounts()
        if self.out.errors:
            self.out.actions = []
            self.out.passwords = {}
        return self.out

    def ref(self, row: Row, column: str, value: str | None, kind: str, cls: type) -> None:  # fmt: skip
        if value is None or value in self.declared[kind]:
            return
        self.known(row, column, value, kind, cls)

    def poles(self) -> None:
        for row in self.rows["poles"]:
            key = self.cell(row, "code", code)
            name = self.cell(row, "nom", text)
            if not self.unique(row, "poles", key) or name is None:
                continue
            found = self.load(Pole, key)
            if found is None:
                self.act(
                    row,
                    False,
                    f"le pôle {key}",
                    lambda led, c, k=key, n=name: led.create_pole(c, k, n),
                )
            elif self.open_or_new(row, found, f"Le pôle {key}") and found.name != name:
                self.act(
                    row,
                    True,
                    f"le nom du pôle {key}",
                    lambda led, c, k=key, n=name: led.rename_pole(c, k, n),
                )

    def directions(self) -> None:
        for row in self.rows["directions"]:
            key = self.cell(row, "code", code)
            name = self.cell(row, "nom", text)
            pole = self.cell(row, "pole", code)
            self.ref(row, "pole", pole, "poles", Pole)
            entity = self.cell(row, "entite", entity_code, optional=True) or MAIN
            if entity != MAIN:
                self.known(row, "entite", entity, "entités", Entity)
            if not self.unique(row, "directions", key) or None in (name, pole):
                continue
            found = self.load(Direction, key)
            if found is None:
                self.act(
                    row,
                    False,
                    f"la direction {key}",
                    lambda led, c, k=key, n=name, p=pole, e=entity: (
                        led.create_direction(c, k, n, p, e)
                    ),
                )
                continue
            if not self.open_or_new(row, found, f"La direction {key}"):
                continue
            if found.name != name:
                self.act(
                    row,
                    True,
                    f"le nom de la direction {key}",
                    lambda led, c, k=key, n=name: led.rename_direction(c, k, n),
                )
            if found.pole != pole:
                self.act(
                    row,
                    True,
                    f"le pôle de la direction {key}",
                    lambda led, c, k=key, p=pole: led.move_direction(c, k, p),
                )
            if found.entity != entity:
                self.act(
                    row,
                    True,
                    f"l'entité de la direction {key}",
                    lambda led, c, k=key, e=entity: led.assign_direction_entity(
                        c, k, e
                    ),
                )

    def teams(self) -> None:
        for row in self.rows["equipes"]:
            key = self.cell(row, "code", code)
            name = self.cell(row, "nom", text)
            kind = self.cell(row, "type", _kind)
            direction = self.cell(row, "direction", code, optional=True)
            self.ref(row, "direction", direction, "directions", Direction)
            if kind == "business" and direction is None:
                self.error(
                    row, "direction", "une équipe métier appartient à une direction"
                )
            if not self.unique(row, "equipes", key) or None in (name, kind):
                continue
            found = self.load(Team, key)
            if found is None:
                self.act(
                    row,
                    False,
                    f"l'équipe {key}",
                    lambda led, c, k=key, n=name, t=kind, d=direction: led.create_team(
                        c, k, n, t, d
                    ),
                )
                continue
            if not self.open_or_new(row, found, f"L'équipe {key}"):
                continue
            self.fixed(row, "type", KIND_LABEL[found.kind.value], KIND_LABEL[kind])
            self.fixed(row, "direction", found.direction, direction)
            if found.name != name:
                self.act(
                    row,
                    True,
                    f"le nom de l'équipe {key}",
                    lambda led, c, k=key, n=name: led.rename_team(c, k, n),
                )

    def capacities(self) -> None:
        seen: set[tuple[str, int]] = set()
        for row in self.rows["capacites"]:
            team = self.cell(row, "equipe", code)
            y = self.cell(row, "annee", self._capacity_year)
            days = self.cell(row, "jours", _days)
            self.ref(row, "equipe", team, "equipes", Team)
            if None in (team, y, days):
                continue
            if (team, y) in seen:
                self.error(row, "annee", f"{team} {y} figure deux fois dans la feuille")
                continue
            seen.add((team, y))
            found = self.load(Team, team)
            current = found.capacity.get(y) if found is not None else None
            if current != days:
                self.act(
                    row,
                    current is not None,
                    f"la capacité de {team} en {y} ({days} j)",
                    lambda led, c, t=team, a=y, d=days: led.set_team_capacity(
                        c, t, a, d
                    ),
                    "annee",
                )

    def _capacity_year(self, value: str, column: str) -> int:
        """A year of capacity: inside the plan's horizon once there is a plan (the
        rule of ``set_team_capacity``)."""
        y = _year(value, column)
        return y if self.horizon is None else self.horizon.check_year(y, column)

    def axes(self) -> None:
        for row in self.rows["axes"]:
            key = self.cell(row, "code", code)
            label = self.cell(row, "libelle", text)
            description = self.cell(row, "description", _long_text)
            if not self.unique(row, "axes", key) or None in (label, description):
                continue
            found = self.load(Axis, key)
            if found is None:
                self.act(
                    row,
                    False,
                    f"l'axe {key}",
                    lambda led, c, k=key, lb=label, d=description: led.create_axis(
                        c, k, lb, d
                    ),
                )
            elif self.open_or_new(row, found, f"L'axe {key}") and (
                found.label,
                found.description,
            ) != (label, description):
                self.act(
                    row,
                    True,
                    f"le libellé de l'axe {key}",
                    lambda led, c, k=key, lb=label, d=description: led.rename_axis(
                        c, k, lb, d
                    ),
                )

    def indicators(self) -> None:
        for row in self.rows["indicateurs"]:
            key = self.cell(row, "code", code)
            axis = self.cell(row, "axe", code)
            label = self.cell(row, "libelle", text)
            unit = self.cell(row, "unite", _unit)
            base = self.cell(row, "base", decimal_value)
            target = self.cell(row, "cible", decimal_value)
            target_year = self.cell(row, "annee_cible", _year)
            self.ref(row, "axe", axis, "axes", Axis)
            if not self.unique(row, "indicateurs", key) or None in (
                axis,
                label,
                unit,
                base,
                target,
                target_year,
            ):
                continue
            found = self.load(Indicator, key)
            if found is None:
                self.act(
                    row,
                    False,
                    f"l'indicateur {key}",
                    lambda led, c, k=key, a=axis, lb=label, u=unit, b=base, t=target, ty=target_year: (
                        led.create_indicator(c, k, a, lb, u, b, t, ty)
                    ),
                )
                continue
            if not self.open_or_new(row, found, f"L'indicateur {key}"):
                continue
            self.fixed(row, "axe", found.axis, axis)
            self.fixed(row, "unite", found.unit, unit)
            self.fixed(row, "base", found.baseline, base)
            if found.label != label:
                self.act(
                    row,
                    True,
                    f"le libellé de l'indicateur {key}",
                    lambda led, c, k=key, lb=label: led.rename_indicator(c, k, lb),
                )
            if found.targets.get(target_year) != target:
                self._target(row, key, target_year, target, found)

    def _target(self, row: Row, key: str, y: int, value: Decimal, found: Any) -> None:
        change = found is not None and y in found.targets
        self.act(
            row,
            change,
            f"la cible de {key} en {y} ({value})",
            lambda led, c, k=key, a=y, v=value: led.set_indicator_target(c, k, a, v),
        )

    def targets(self) -> None:
        seen: set[tuple[str, int]] = set()
        for row in self.rows["cibles"]:
            key = self.cell(row, "indicateur", code)
            y = self.cell(row, "annee", _year)
            value = self.cell(row, "valeur", decimal_value)
            self.ref(row, "indicateur", key, "indicateurs", Indicator)
            if None in (key, y, value):
                continue
            if (key, y) in seen:
                self.error(row, "annee", f"{key} {y} figure deux fois dans la feuille")
                continue
            seen.add((key, y))
            found = self.load(Indicator, key)
            where, planned = self._planned_target(key, y)
            if where is not None:
                if planned is not None and planned != value:
                    self.error(row, "valeur", f"la cible de {key} en {y} est déjà fixée à {planned} par la feuille indicateurs, ligne {where} : une seule valeur par année")  # fmt: skip
                continue
            current = found.targets.get(y) if found else None
            if current != value:
                self._target(row, key, y, value, found)

    def _planned_target(self, key: str, y: int) -> tuple[int | None, Decimal | None]:
        """The row of the indicators sheet that sets the target of ``key`` in
        ``y``, and its value, if any."""
        for row in self.rows["indicateurs"]:
            if row.cells.get("code") == key and row.cells.get("annee_cible") == str(y):
                try:
                    return row.number, decimal_value(
                        row.cells.get("cible", ""), "cible"
                    )
                except DomainError:
                    return row.number, None
        return None, None

    def accounts(self) -> None:
        seen: set[str] = set()
        for row in self.rows["comptes"]:
            login = self.cell(row, "identifiant", _login)
            name = self.cell(row, "nom", _display_name)
            email = self.cell(row, "courriel", _email)
            grants = self.cell(row, "roles", self._roles)
            if login is None or None in (name, email, grants):
                continue
            for _role, scope in grants:
                if scope is not None:
                    self.ref(row, "roles", scope, "directions", Direction)
            if login in seen:
                self.error(
                    row, "identifiant", f"{login} figure deux fois dans la feuille"
                )
                continue
            seen.add(login)
            found = self.load(Account, login)
            if found is None:
                password = self.password_for(login)
                self.out.passwords[login] = password
                self.act(
                    row,
                    False,
                    f"le compte {login}",
                    lambda led, c, u=login, n=name, p=password, e=email, g=grants: (
                        led.add_user(c, u, n, p, email=e, roles=list(g))
                    ),
                    "identifiant",
                    login,
                )
                continue
            self.fixed(row, "nom", found.display_name, name)
            if email and email != found.email:
                self.error(row, "courriel", f"ne peut pas changer par un import (actuellement {found.email or 'vide'}) : le registre ne modifie pas l'adresse d'un compte")  # fmt: skip
            missing = [
                (r, s)
                for r, s in grants
                if (r if s is None else f"{r}:{s}") not in found.grants
            ]
            if missing and not found.active:
                self.error(row, "roles", f"le compte {login} est désactivé : un import ne lui attribue pas de rôle")  # fmt: skip
                continue
            for role, scope in missing:
                label = role if scope is None else f"{role}:{scope}"
                self.act(
                    row,
                    True,
                    f"le rôle {label} de {login}",
                    lambda led, c, u=login, r=role, s=scope: led.grant_role(c, u, r, s),
                    "roles",
                )

    @staticmethod
    def _roles(value: str, column: str) -> list[tuple[str, str | None]]:
        out: list[tuple[str, str | None]] = []
        names = {r.value for r in Role}
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            role, _sep, scope = part.partition(":")
            if role not in names:
                raise _invalid(
                    column, part, "rôle inconnu (" + ", ".join(sorted(names)) + ")"
                )
            if (role == "referent") != bool(scope):
                raise _invalid(
                    column,
                    part,
                    "referent:DIRECTION, et seul le référent a une direction",
                )
            grant = (role, code(scope, column) if scope else None)
            if grant in out:
                raise _invalid(column, part, "rôle répété dans la cellule")
            out.append(grant)
        return out


def _invalid(column: str, value: str, reason: str) -> DomainError:
    from domain.errors import InvalidValue

    return InvalidValue(column, value, reason)


def _kind(value: str, column: str) -> str:
    if value not in KINDS:
        raise _invalid(column, value, "dsi ou metier")
    return KINDS[value]


def _year(value: str, column: str) -> int:
    return year(int(value) if value.isascii() and value.isdigit() else value, column)


def _days(value: str, column: str) -> int:
    days = positive_int(
        int(value) if value.isascii() and value.isdigit() else value, column
    )
    if days > 100_000:
        raise _invalid(column, value, "capacité démesurée (jours-personne par an)")
    return days


def _long_text(value: str, column: str) -> str:
    return text(value, column, max_len=2000, required=False)


def _unit(value: str, column: str) -> str:
    return text(value, column, max_len=40)


def _display_name(value: str, column: str) -> str:
    return text(value, column, max_len=120)


def _email(value: str, column: str) -> str:
    email = text(value, column, max_len=200, required=False)
    if email and "@" not in email:
        raise _invalid(column, email, "adresse électronique attendue")
    return email


def _login(value: str, column: str) -> str:
    return not_reserved(username(value, column), column)


# --- the current organisation, as rows of the template ------------------------------


def current_rows(ledger: Any) -> dict[str, list[list[str]]]:
    """The ledger's open records as rows of the set-up file (importing them back
    changes nothing)."""
    out: dict[str, list[list[str]]] = {s.name: [] for s in SHEETS}
    created = (Pole.Created, Direction.Created, Team.Created, Axis.Created, Indicator.Created, Account.Registered)  # fmt: skip
    for _nid, event in iter_events(ledger, [get_topic(c) for c in created]):
        agg = ledger.repository.get(event.originator_id)
        if getattr(agg, "closed_at", None) is not None:
            continue
        if isinstance(agg, Pole):
            out["poles"].append([agg.code, agg.name])
        elif isinstance(agg, Direction):
            entity = "" if agg.entity == MAIN else agg.entity
            out["directions"].append([agg.code, agg.name, agg.pole, entity])
        elif isinstance(agg, Team):
            out["equipes"].append(
                [agg.code, agg.name, KIND_LABEL[agg.kind.value], agg.direction or ""]
            )
            out["capacites"].extend(
                [agg.code, str(y), str(d)] for y, d in sorted(agg.capacity.items())
            )
        elif isinstance(agg, Axis):
            out["axes"].append([agg.code, agg.label, agg.description])
        elif isinstance(agg, Indicator):
            last = agg.target_year  # the latest target on the row, the others below
            out["indicateurs"].append(
                [
                    agg.code,
                    agg.axis,
                    agg.label,
                    agg.unit,
                    str(agg.baseline),
                    str(agg.target),
                    str(last),
                ]
            )
            out["cibles"].extend(
                [agg.code, str(y), str(v)]
                for y, v in sorted(agg.targets.items())
                if y != last
            )
        elif isinstance(agg, Account) and agg.active and agg.username != "system":
            out["comptes"].append(
                [agg.username, agg.display_name, agg.email, ", ".join(agg.grants)]
            )
    return out
