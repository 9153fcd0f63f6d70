"""Commands of a grid's adoption put to the COPIL's vote (issue 20): the grid on a
session's agenda, the members' votes, the decision, and the grid adopted by it.

The chair's direct adoption (``adopt_grid``) stays possible; this is the other path,
recorded like any COPIL decision.
"""

from __future__ import annotations

from typing import Any

from domain.base import current_context
from domain.errors import InvalidValue
from domain.localtime import local_date
from domain.sessions import Session, count_votes
from ledger.commands.organisation import Lookups
from ledger.core import Caller, CommandResult, LedgerCore, Unit
from ledger.idempotency import command


def _number(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidValue("number", value, "numéro de version de grille entier")
    return value


def _session(unit: Unit, session_code: str) -> Session:
    return unit.get(
        Session, Session.id_for(str(session_code)), kind="Séance", label=session_code
    )


class GridAdoptionCommands(LedgerCore):
    """A grid draft's adoption put to the vote of a COPIL session."""

    @command()
    def put_grid_on_agenda(
        self, caller: Caller, session_code: str, number: int | str
    ) -> CommandResult:
        """Put the adoption of grid draft ``number`` on the session's agenda."""

        def body(unit: Unit) -> dict[str, Any]:
            session = _session(unit, session_code)
            grid = Lookups.grid(unit, _number(number))
            session.add_grid_item(grid)
            return {"session": session.code, "grids": list(session.grid_agenda)}

        return self.execute("put_grid_on_agenda", caller, body)

    @command()
    def vote_on_grid(
        self, caller: Caller, session_code: str, number: int | str, choice: str
    ) -> CommandResult:
        """A present voting member votes on adopting the grid (never a consultant)."""

        def body(unit: Unit) -> dict[str, Any]:
            session = _session(unit, session_code)
            n = _number(number)
            session.vote_on_grid(n, choice)
            votes_for, against, abstain = count_votes(
                session.grid_votes.get(n, {}).values()
            )
            return {
                "session": session.code,
                "number": n,
                "for": votes_for,
                "against": against,
                "abstain": abstain,
            }

        return self.execute("vote_on_grid", caller, body)

    @command()
    def decide_grid(
        self,
        caller: Caller,
        session_code: str,
        number: int | str,
        adopted: bool,
        rationale: str,
        justification: str = "",
    ) -> CommandResult:
        """The COPIL's decision on the grid (the session's chair): adopted — the
        grid is then adopted by this decision, on the day it is recorded — or not."""

        def body(unit: Unit) -> dict[str, Any]:
            session = _session(unit, session_code)
            grid = Lookups.grid(unit, _number(number))
            today = local_date(current_context().at, self.settings.timezone)
            decision = session.decide_grid(
                grid, adopted, rationale, today, justification
            )
            if decision.adopted:
                grid.adopt_by_committee(today, session.code)
            return {
                "session": session.code,
                "number": grid.number,
                "adopted": decision.adopted,
                "for": decision.votes_for,
                "against": decision.votes_against,
                "abstain": decision.abstentions,
            }

        return self.execute("decide_grid", caller, body)
