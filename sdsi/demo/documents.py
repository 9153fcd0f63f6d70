"""The demo's document review (phase 2): a dozen documents the SDSI of
Saint-Aubin-sur-Loire reviewed — the previous plan and its assessment, the security
audit and the ANSSI assessment, the GDPR study, maintenance contracts of a few
applications of the inventory, the regional audit chamber's report… — registered by
the DSI and the consultant (AMO), one corrected (its history shows the change), and
cited by findings of the diagnosis and proposals of the catalogue. Deterministic;
a few dozen events. Called by the loader after the diagnosis (``diagnosis.load``)."""

from __future__ import annotations

from typing import Any

from domain.findings import Finding, ProposalLinks
from domain.proposals import Proposal

DSI = "dsi.martin"
AMO = "amo.bonnet"

# (who registers, kind, date, author, title, summary, axes) — DOC-001… in this order
DOCUMENTS: list[tuple[str, str, str, str, str, str, list[str]]] = [
    (DSI, "plan", "2014-06-30", "Ville de Saint-Aubin-sur-Loire — service informatique",
     "Schéma directeur informatique 2014-2019",
     "Le plan précédent : informatisation des services à la population, premier "
     "site internet, raccordement des écoles.", ["A1", "A2"]),
    (AMO, "report", "2019-11-15", "Cabinet Numérique & Territoires (AMO)",
     "Bilan du schéma directeur 2014-2019",
     "Deux tiers des projets réalisés ; la sécurité et la gouvernance des données "
     "sont restées en retrait ; recommandations pour le plan suivant.",
     ["A1", "A2", "A3", "A4"]),
    (DSI, "deliberation", "2019-12-16", "Conseil municipal",
     "Délibération n° 2019-112 : lancement du schéma directeur du numérique",
     "Le conseil approuve l'élaboration d'un schéma directeur 2020-2026 et la "
     "constitution d'un comité de pilotage.", ["A1", "A2", "A3", "A4", "A5"]),
    (AMO, "contract", "2021-01-01", "Civitas Logiciels",
     "Contrat de maintenance des logiciels de finances et de paie (2021-2025)",
     "Maintenance corrective et réglementaire, hébergement exclu ; fin au "
     "31 décembre 2025, reconduction impossible.", ["A2"]),
    (AMO, "study", "2021-09-30", "Cabinet Lex Data Conseil",
     "Étude de conformité RGPD et registre des traitements",
     "Registre incomplet (42 traitements sur environ 70), durées de conservation "
     "non définies, sous-traitants sans clauses à jour.", ["A3", "A4"]),
    (DSI, "contract", "2020-07-01", "Tutela",
     "Contrat de maintenance des sauvegardes",
     "Support des lecteurs de bandes et du logiciel de sauvegarde ; pas de test de "
     "restauration prévu au contrat.", ["A3"]),
    (DSI, "report", "2022-05-17", "ANSSI — parcours de cybersécurité",
     "Parcours de cybersécurité : rapport d'état des lieux",
     "Pré-diagnostic de l'ANSSI : annuaire vieillissant, absence de supervision de "
     "sécurité, sauvegardes non isolées.", ["A3"]),
    (DSI, "contract", "2022-03-01", "Municipia",
     "Contrat de maintenance état civil, élections et cimetières",
     "Maintenance des modules état civil, élections et cimetières ; version "
     "actuelle supportée jusqu'en 2026.", ["A1", "A2"]),
    (AMO, "study", "2023-02-14", "Agence Lumen",
     "Étude d'usages du site internet et des démarches en ligne",
     "Enquête auprès de 1 200 usagers : démarches jugées difficiles à trouver, "
     "site peu lisible sur mobile.", ["A1", "A5"]),
    (AMO, "report", "2023-06-20", "Chambre régionale des comptes",
     "Rapport d'observations définitives sur la gestion de la commune (2017-2022)",
     "La chambre relève l'absence de pilotage pluriannuel des dépenses numériques "
     "et recommande un suivi des coûts par application.", ["A2", "A4"]),
    (DSI, "audit", "2023-10-12", "Cabinet Vigie Cyber (prestataire qualifié PASSI)",
     "Audit de sécurité du système d'information",
     "Tests d'intrusion et revue de configuration : comptes à privilèges partagés, "
     "serveurs hors support, restauration des sauvegardes jamais testée.", ["A3"]),
    (DSI, "note", "2024-04-03", "Direction générale des services",
     "Note de cadrage : sobriété numérique et renouvellement du parc",
     "Allonger la durée de vie des postes à six ans, reconditionner, réduire les "
     "impressions.", ["A2", "A5"]),
]  # fmt: skip
# one document corrected after its registration (its page shows the change)
CORRECTED = ("DOC-010", {"date": "2023-07-04"}, "Date de notification du rapport")

# finding code → documents it rests on (the diagnosis' findings, in their order)
FINDING_DOCUMENTS = {
    "CST-001": ["DOC-007", "DOC-011"],  # servers and directory out of support
    "CST-004": ["DOC-009"],  # citizen relationship
    "CST-005": ["DOC-006", "DOC-011"],  # untested backups
    "CST-006": ["DOC-012"],  # office tools and workstations
    "CST-007": ["DOC-004"],  # payroll: end of support
    "CST-008": ["DOC-008"],  # civil registry: end of support
}
# proposal code → documents it cites
PROPOSAL_DOCUMENTS = {
    "SAUVEG": ["DOC-006", "DOC-011"],
    "SOC": ["DOC-007", "DOC-011"],
    "IAM": ["DOC-007"],
    "SIRH": ["DOC-004", "DOC-010"],
    "FINSI": ["DOC-004", "DOC-010"],
    "RGPD": ["DOC-005"],
    "SITEWEB": ["DOC-009"],
    "PORTAIL": ["DOC-009", "DOC-002"],
    "ETACIV": ["DOC-008"],
    "RECOND": ["DOC-012"],
    "DECISION": ["DOC-010"],
}


def load(loader: Any) -> None:
    """Record the register and its citations through the ledger's commands."""
    led, as_ = loader.ledger, loader.as_
    for who, kind, day, author, title, summary, axes in DOCUMENTS:
        values = {"kind": kind, "date": day, "author": author, "title": title}
        led.register_document(as_(who), {**values, "summary": summary, "axes": axes})
        loader.stats.add("documents de la revue documentaire")
    code, change, reason = CORRECTED
    row = DOCUMENTS[int(code[4:]) - 1]
    current = dict(zip(("kind", "date", "author", "title", "summary", "axes"), row[1:], strict=True))  # fmt: skip
    led.change_document(as_(AMO, reason), code, {**current, **change})
    for finding, documents in FINDING_DOCUMENTS.items():
        if led.load(Finding, Finding.id_for(finding)) is not None:
            led.cite_documents_in_finding(as_(DSI), finding, documents)
    for proposal, documents in PROPOSAL_DOCUMENTS.items():
        if led.load(Proposal, Proposal.id_for(proposal)) is None:
            continue
        links = led.load(ProposalLinks, ProposalLinks.id_for(proposal))
        led.link_proposal(
            as_(DSI),
            proposal,
            applications={k: v.value for k, v in links.applications.items()}
            if links
            else {},
            findings=list(links.findings) if links else [],
            documents=documents,
        )
        loader.stats.add("citations de documents par les fiches")
