"""Every aggregate class of the domain, in one place (imports every domain module)."""

from __future__ import annotations

from domain.accounts import Account
from domain.attachments import Attachment
from domain.axes import Axis, Indicator
from domain.budget import Envelope, ProjectBudget
from domain.committee import Committee
from domain.deliverables import PhaseDeliverables
from domain.discussion import Comment
from domain.documents import IssuedDocument
from domain.entities import CostSplit, Entity
from domain.entity_register import EntityRegister
from domain.finance_import import FinanceImports, FinanceSettings
from domain.findings import Finding, ProposalLinks
from domain.grids import GridVersion
from domain.inventory import Application
from domain.municipality import Municipality
from domain.organisation import Direction, Pole, Team
from domain.plan import Plan
from domain.proposals import Proposal
from domain.reviewed_documents import ReviewedDocument
from domain.scenarios import Scenario
from domain.scores import ScoreSheet
from domain.sessions import Session

AGGREGATES = (
    Account,
    Municipality,
    Plan,
    Pole,
    Direction,
    Team,
    Axis,
    Indicator,
    GridVersion,
    Proposal,
    ScoreSheet,
    Session,
    Envelope,
    ProjectBudget,
    Scenario,
    Committee,
    IssuedDocument,
    Attachment,
    Comment,
    FinanceImports,
    FinanceSettings,
    Application,
    Finding,
    ProposalLinks,
    PhaseDeliverables,
    ReviewedDocument,
    Entity,
    EntityRegister,
    CostSplit,
)
