"""The demo municipality's reference data: organisation, axes, grid and project catalogue.

A fictional city of ~55,000 inhabitants, Saint-Aubin-sur-Loire, building its 2020–2026
SDSI. Everything here is static; the loader turns it into ledger commands.
"""

from __future__ import annotations

from datetime import date

MUNICIPALITY = "Ville de Saint-Aubin-sur-Loire"
# Fictional identifiers (check digits valid, INSEE commune number 999 unused in the
# Loiret): the open data's SCDL deliberations need a SIRET (COLL_SIRET).
SIREN = "214509994"
SIRET = "21450999400015"
INSEE = "45999"
PLAN_NAME = "Schéma directeur des systèmes d'information 2020-2026"
FIRST_YEAR, LAST_YEAR = 2020, 2026
DEMO_PASSWORD = "sdsi-demo-2026"

POLES = [
    ("PDG", "Pôle Direction générale"),
    ("PRS", "Pôle Ressources"),
    ("PSP", "Pôle Services à la population"),
    ("PAM", "Pôle Aménagement et cadre de vie"),
    ("PSO", "Pôle Solidarités"),
    ("PCU", "Pôle Culture et vie locale"),
]

# code, name, pôle, referent login, referent name
DIRECTIONS = [
    ("DSN", "Direction du numérique (DSI)", "PDG", "ref.dsn", "Nadia Benali"),
    ("COM", "Direction de la communication", "PDG", "ref.com", "Hugo Lambert"),
    ("SEC", "Police municipale et sécurité", "PDG", "ref.sec", "Marc Chevalier"),
    ("FIN", "Direction des finances", "PRS", "ref.fin", "Claire Rousseau"),
    ("DRH", "Direction des ressources humaines", "PRS", "ref.drh", "Sophie Mercier"),
    ("ACH", "Commande publique", "PRS", "ref.ach", "Julien Faure"),
    ("JUR", "Affaires juridiques et assemblées", "PRS", "ref.jur", "Isabelle Blanc"),
    ("ECI", "État civil et citoyenneté", "PSP", "ref.eci", "Karim Haddad"),
    ("EDU", "Éducation", "PSP", "ref.edu", "Élise Garnier"),
    ("PEN", "Petite enfance", "PSP", "ref.pen", "Laure Fontaine"),
    ("SPO", "Sports", "PSP", "ref.spo", "Thomas Robin"),
    ("URB", "Urbanisme", "PAM", "ref.urb", "Antoine Girard"),
    ("VOI", "Voirie et mobilités", "PAM", "ref.voi", "Pauline Henry"),
    ("BAT", "Bâtiments et énergie", "PAM", "ref.bat", "Olivier Perrin"),
    ("EVE", "Espaces verts et propreté", "PAM", "ref.eve", "Camille Morel"),
    ("CCAS", "Action sociale (CCAS)", "PSO", "ref.ccas", "Fatou Diallo"),
    ("SEN", "Seniors et autonomie", "PSO", "ref.sen", "Bernard Lemoine"),
    ("SAN", "Santé publique", "PSO", "ref.san", "Inès Carpentier"),
    ("CUL", "Culture et patrimoine", "PCU", "ref.cul", "Mathieu Caron"),
    ("MED", "Médiathèques", "PCU", "ref.med", "Agathe Renard"),
    ("ASS", "Vie associative", "PCU", "ref.ass", "Yannick Gauthier"),
]

# code, name, kind, direction, capacity (person-days per year)
TEAMS = [
    ("DSI-INFRA", "DSI — Infrastructures et réseaux", "dsi", None, 880),
    ("DSI-APPS", "DSI — Applications métier", "dsi", None, 1320),
    ("DSI-DATA", "DSI — Données et SIG", "dsi", None, 440),
    ("DSI-SUP", "DSI — Support et proximité", "dsi", None, 660),
    ("DSI-PMO", "DSI — Pilotage de projets", "dsi", None, 440),
    ("MET-FIN", "Finances — référents applicatifs", "business", "FIN", 220),
    ("MET-DRH", "RH — cellule SIRH", "business", "DRH", 220),
    ("MET-ECI", "État civil — cellule métier", "business", "ECI", 180),
    ("MET-EDU", "Éducation — cellule métier", "business", "EDU", 200),
    ("MET-URB", "Urbanisme — instructeurs référents", "business", "URB", 160),
    ("MET-TEC", "Services techniques — cellule métier", "business", "BAT", 260),
    ("MET-SOC", "Solidarités — cellule métier", "business", "CCAS", 180),
]

AXES = [
    (
        "A1",
        "Des services en ligne simples pour tous les usagers",
        [
            ("A1-I1", "Démarches réalisables en ligne", "%", "35", "90", 2026),
            (
                "A1-I2",
                "Satisfaction des usagers des services en ligne",
                "/10",
                "6.2",
                "8",
                2026,
            ),
            ("A1-I3", "Délai moyen de réponse aux demandes", "jours", "12", "5", 2026),
        ],
    ),
    (
        "A2",
        "Une administration efficiente et modernisée",
        [
            ("A2-I1", "Processus internes dématérialisés", "%", "20", "80", 2026),
            ("A2-I2", "Impressions papier", "pages/agent/an", "4200", "1500", 2026),
            ("A2-I3", "Agents formés aux outils numériques", "%", "30", "85", 2025),
        ],
    ),
    (
        "A3",
        "Un système d'information sûr et résilient",
        [
            (
                "A3-I1",
                "Disponibilité des applications critiques",
                "%",
                "97.5",
                "99.5",
                2025,
            ),
            (
                "A3-I2",
                "Délai de restauration après incident majeur",
                "heures",
                "72",
                "8",
                2024,
            ),
            ("A3-I3", "Postes couverts par l'EDR", "%", "0", "100", 2024),
        ],
    ),
    (
        "A4",
        "Des données ouvertes au service du pilotage",
        [
            ("A4-I1", "Jeux de données publiés en open data", "jeux", "3", "60", 2026),
            (
                "A4-I2",
                "Tableaux de bord de pilotage en service",
                "tableaux",
                "2",
                "25",
                2026,
            ),
            (
                "A4-I3",
                "Référentiels de données maîtrisés",
                "référentiels",
                "1",
                "8",
                2025,
            ),
        ],
    ),
    (
        "A5",
        "Un numérique inclusif et sobre",
        [
            (
                "A5-I1",
                "Personnes accompagnées par les conseillers numériques",
                "pers./an",
                "150",
                "1500",
                2026,
            ),
            ("A5-I2", "Consommation électrique du SI", "MWh/an", "410", "300", 2026),
            ("A5-I3", "Équipements reconditionnés ou réemployés", "%", "5", "40", 2026),
        ],
    ),
]

SCALE4 = [
    (1, "Faible ou nul"),
    (2, "Modéré"),
    (3, "Important"),
    (4, "Majeur"),
]
RISK4 = [
    (1, "Risque faible"),
    (2, "Risque modéré"),
    (3, "Risque élevé"),
    (4, "Risque critique"),
]

# code, label, family, weight v1, weight v2 (None: removed in v2), axis
CRITERIA = [
    ("V-STRAT", "Alignement sur les axes stratégiques", "value", "20", "18", "A1"),
    ("V-USAG", "Bénéfice pour les usagers", "value", "15", "15", "A1"),
    ("V-EFF", "Gains d'efficience interne", "value", "15", "12", "A2"),
    ("V-REG", "Obligation réglementaire", "value", "10", "10", None),
    ("V-MUT", "Mutualisation et réutilisation", "value", "10", "8", None),
    ("V-DATA", "Qualité et ouverture des données", "value", "10", "10", "A4"),
    ("V-SECU", "Contribution à la sécurité du SI", "value", "10", "10", "A3"),
    ("V-VIS", "Visibilité pour les élus et les habitants", "value", "10", None, None),
    ("R-TECH", "Complexité technique", "risk", "30", "30", None),
    ("R-FOUR", "Dépendance à un fournisseur", "risk", "20", "20", None),
    ("R-CHG", "Conduite du changement", "risk", "30", "30", None),
    ("R-SECU", "Risque pour la sécurité et les données", "risk", "20", "20", "A3"),
]
# added in v2
CRITERIA_V2_NEW = [("V-SOBR", "Sobriété et inclusion numériques", "value", "17", "A5")]

# The v2 draft built with the directions (issue 20): propositions on its discussion.
# (day, who, criterion of CRITERIA_V2_NEW, why) — taken into the draft by the chair
GRID_V2_ACCEPTED = [
    (
        date(2022, 11, 22),
        "ref.dsn",
        CRITERIA_V2_NEW[0],
        "Les directions demandent que la sobriété et l'inclusion numériques "
        "comptent dans la valeur d'un projet (axe A5).",
    ),
]
# (day, who, proposition, why, the chair's reason) — declined
GRID_V2_DECLINED = [
    (
        date(2022, 11, 29),
        "ref.edu",
        {
            "criterion_label": "Bénéfice pour les familles",
            "criterion_code": "V-FAM",
            "family": "value",
            "weight": "10",
        },
        "Un critère propre aux services aux familles.",
        "Couvert par le critère de service rendu aux usagers, commun à toutes "
        "les directions.",
    ),
    (
        date(2022, 12, 6),
        "amo.bonnet",
        {
            "criterion_label": "Poids du risque de réversibilité",
            "family": "risk",
            "weight": "20",
        },
        "L'AMO propose de distinguer la réversibilité des contrats.",
        "Reporté à la prochaine révision, avec la revue des contrats.",
    ),
]

# Project catalogue: code, title, direction, axis, base cost (k€, investment), teams
CATALOGUE = [
    ("PORTAIL", "Portail citoyen unifié", "DSN", "A1", 420, ["DSI-APPS", "DSI-PMO"]),
    ("GRC", "Gestion de la relation citoyen", "COM", "A1", 260, ["DSI-APPS"]),
    (
        "ETACIV",
        "Dématérialisation des actes d'état civil",
        "ECI",
        "A1",
        140,
        ["DSI-APPS", "MET-ECI"],
    ),
    (
        "RDV",
        "Prise de rendez-vous en ligne (titres d'identité)",
        "ECI",
        "A1",
        45,
        ["DSI-APPS", "MET-ECI"],
    ),
    (
        "FAMILLE",
        "Portail famille et paiement en ligne",
        "EDU",
        "A1",
        180,
        ["DSI-APPS", "MET-EDU"],
    ),
    ("CRECHE", "Gestion des places en crèche", "PEN", "A1", 90, ["DSI-APPS"]),
    (
        "SALLES",
        "Réservation en ligne des salles municipales",
        "ASS",
        "A1",
        60,
        ["DSI-APPS"],
    ),
    ("SPORTS", "Gestion des équipements sportifs", "SPO", "A1", 75, ["DSI-APPS"]),
    ("BILLET", "Billetterie en ligne des spectacles", "CUL", "A1", 55, ["DSI-APPS"]),
    (
        "SIGB",
        "Nouveau système de gestion des médiathèques",
        "MED",
        "A1",
        130,
        ["DSI-APPS"],
    ),
    (
        "SUBV",
        "Dématérialisation des demandes de subvention",
        "ASS",
        "A2",
        70,
        ["DSI-APPS", "MET-FIN"],
    ),
    (
        "SIRH",
        "Refonte du SIRH et de la paie",
        "DRH",
        "A2",
        480,
        ["DSI-APPS", "MET-DRH", "DSI-PMO"],
    ),
    (
        "GTA",
        "Gestion des temps et des activités",
        "DRH",
        "A2",
        150,
        ["DSI-APPS", "MET-DRH"],
    ),
    (
        "FINSI",
        "Nouveau logiciel financier",
        "FIN",
        "A2",
        390,
        ["DSI-APPS", "MET-FIN", "DSI-PMO"],
    ),
    ("PARAPH", "Parapheur et signature électroniques", "JUR", "A2", 65, ["DSI-APPS"]),
    ("GEC", "Gestion électronique du courrier", "JUR", "A2", 110, ["DSI-APPS"]),
    (
        "MARCHES",
        "Profil acheteur et dématérialisation des marchés",
        "ACH",
        "A2",
        80,
        ["DSI-APPS"],
    ),
    ("ASSEMB", "Gestion des assemblées délibérantes", "JUR", "A2", 70, ["DSI-APPS"]),
    (
        "COLLAB",
        "Messagerie et suite collaborative",
        "DSN",
        "A2",
        310,
        ["DSI-INFRA", "DSI-SUP"],
    ),
    (
        "TELETRAV",
        "Équipement pour le télétravail",
        "DRH",
        "A2",
        220,
        ["DSI-SUP", "DSI-INFRA"],
    ),
    ("IMPRIM", "Rationalisation du parc d'impression", "DSN", "A2", 95, ["DSI-SUP"]),
    (
        "FORMNUM",
        "Plan de formation au numérique des agents",
        "DRH",
        "A2",
        40,
        ["DSI-SUP", "MET-DRH"],
    ),
    (
        "EDR",
        "Détection et réponse sur les postes (EDR)",
        "DSN",
        "A3",
        120,
        ["DSI-INFRA"],
    ),
    ("SAUVEG", "Sauvegardes externalisées immuables", "DSN", "A3", 150, ["DSI-INFRA"]),
    ("PRA", "Plan de reprise d'activité", "DSN", "A3", 340, ["DSI-INFRA", "DSI-PMO"]),
    ("RESEAU", "Renouvellement du cœur de réseau", "DSN", "A3", 280, ["DSI-INFRA"]),
    (
        "IAM",
        "Gestion des identités et des accès",
        "DSN",
        "A3",
        160,
        ["DSI-INFRA", "DSI-APPS"],
    ),
    ("SOC", "Supervision de sécurité mutualisée", "DSN", "A3", 200, ["DSI-INFRA"]),
    (
        "VIDEO",
        "Modernisation de la vidéoprotection",
        "SEC",
        "A3",
        450,
        ["DSI-INFRA", "MET-TEC"],
    ),
    (
        "MAINCOUR",
        "Main courante de la police municipale",
        "SEC",
        "A3",
        50,
        ["DSI-APPS"],
    ),
    (
        "SIG",
        "Système d'information géographique mutualisé",
        "URB",
        "A4",
        240,
        ["DSI-DATA", "MET-URB"],
    ),
    ("OPENDATA", "Plateforme open data", "DSN", "A4", 85, ["DSI-DATA"]),
    (
        "DECISION",
        "Entrepôt de données et tableaux de bord",
        "FIN",
        "A4",
        210,
        ["DSI-DATA", "MET-FIN"],
    ),
    (
        "REFTIERS",
        "Référentiel unique des tiers",
        "FIN",
        "A4",
        95,
        ["DSI-DATA", "MET-FIN"],
    ),
    (
        "ADS",
        "Dématérialisation des autorisations d'urbanisme",
        "URB",
        "A4",
        130,
        ["DSI-APPS", "MET-URB"],
    ),
    ("PATRIM", "Inventaire du patrimoine arboré", "EVE", "A4", 45, ["DSI-DATA"]),
    (
        "VOIRIE",
        "Gestion des interventions de voirie",
        "VOI",
        "A4",
        95,
        ["DSI-APPS", "MET-TEC"],
    ),
    ("MOBIL", "Information voyageurs et stationnement", "VOI", "A4", 170, ["DSI-DATA"]),
    (
        "GTB",
        "Gestion technique des bâtiments",
        "BAT",
        "A5",
        360,
        ["DSI-INFRA", "MET-TEC"],
    ),
    (
        "TELEREL",
        "Télérelève des compteurs d'énergie",
        "BAT",
        "A5",
        190,
        ["DSI-DATA", "MET-TEC"],
    ),
    ("RECOND", "Filière de reconditionnement des postes", "DSN", "A5", 60, ["DSI-SUP"]),
    (
        "CONSNUM",
        "Conseillers numériques et lieux d'accompagnement",
        "CCAS",
        "A5",
        80,
        ["MET-SOC"],
    ),
    (
        "DOSSOC",
        "Dossier usager unique de l'action sociale",
        "CCAS",
        "A1",
        160,
        ["DSI-APPS", "MET-SOC"],
    ),
    ("TELEASS", "Téléassistance des seniors", "SEN", "A5", 70, ["DSI-APPS"]),
    (
        "PORTSEN",
        "Portail seniors et transport à la demande",
        "SEN",
        "A1",
        90,
        ["DSI-APPS"],
    ),
    ("VACCIN", "Gestion des centres de vaccination", "SAN", "A1", 35, ["DSI-APPS"]),
    ("HYGIENE", "Suivi des inspections d'hygiène", "SAN", "A4", 40, ["DSI-APPS"]),
    (
        "ENT",
        "Espace numérique de travail des écoles",
        "EDU",
        "A5",
        120,
        ["DSI-SUP", "MET-EDU"],
    ),
    (
        "TABLETTE",
        "Tablettes et tableaux numériques des écoles",
        "EDU",
        "A5",
        380,
        ["DSI-SUP", "MET-EDU"],
    ),
    ("WIFI", "Wifi public dans les équipements", "DSN", "A5", 140, ["DSI-INFRA"]),
    ("FIBRE", "Raccordement fibre des sites distants", "DSN", "A3", 230, ["DSI-INFRA"]),
    (
        "CLOUD",
        "Hébergement en cloud de confiance",
        "DSN",
        "A3",
        260,
        ["DSI-INFRA", "DSI-PMO"],
    ),
    ("SITEWEB", "Refonte du site internet", "COM", "A1", 110, ["DSI-APPS"]),
    ("INTRANET", "Nouvel intranet des agents", "COM", "A2", 75, ["DSI-APPS"]),
    (
        "SIGNAL",
        "Signalements citoyens géolocalisés",
        "EVE",
        "A1",
        65,
        ["DSI-APPS", "DSI-DATA"],
    ),
    ("CIMET", "Gestion des cimetières", "ECI", "A2", 40, ["DSI-APPS"]),
    (
        "ARCHIVE",
        "Archivage électronique à valeur probante",
        "JUR",
        "A2",
        170,
        ["DSI-APPS", "DSI-DATA"],
    ),
    ("RGPD", "Registre et conformité RGPD", "JUR", "A3", 35, ["DSI-DATA"]),
    (
        "ACCESS",
        "Mise en accessibilité RGAA des services en ligne",
        "COM",
        "A1",
        90,
        ["DSI-APPS"],
    ),
    (
        "FLOTTE",
        "Gestion de la flotte de véhicules",
        "BAT",
        "A2",
        55,
        ["DSI-APPS", "MET-TEC"],
    ),
]

# Mandatory projects, with their legal basis
MANDATORY = {
    "RGPD": "Règlement (UE) 2016/679 (RGPD), art. 30",
    "ADS": "Loi ELAN, art. 62 : saisine par voie électronique des autorisations d'urbanisme",
    "ACCESS": "Loi n° 2005-102, art. 47 ; décret n° 2019-768 (RGAA)",
    "MARCHES": "Code de la commande publique, art. R. 2132-7",
}

# Dependencies: (proposal, kind, target)
DEPENDENCIES = [
    ("GRC", "requires", "PORTAIL"),
    ("FAMILLE", "requires", "PORTAIL"),
    ("RDV", "requires", "PORTAIL"),
    ("GTA", "requires", "SIRH"),
    ("DECISION", "requires", "FINSI"),
    ("REFTIERS", "requires", "FINSI"),
    ("SOC", "requires", "EDR"),
    ("PRA", "requires", "SAUVEG"),
    ("CLOUD", "excludes", "PRA"),
    ("OPENDATA", "requires", "SIG"),
    ("ADS", "requires", "SIG"),
    ("SIGNAL", "requires", "SIG"),
    ("TELEREL", "requires", "GTB"),
    ("PORTSEN", "requires", "PORTAIL"),
    ("INTRANET", "excludes", "COLLAB"),
]

# People: login, name, roles (ROLE or referent:DIR)
PEOPLE = [
    ("admin.sdsi", "Rémi Vidal", ["admin"]),
    ("dsi.martin", "Nathalie Martin", ["dsi", "evaluator"]),
    ("dsi.leroy", "Pierre Leroy", ["dsi"]),
    ("dgs.lefebvre", "Hélène Lefebvre", ["chair", "member", "evaluator"]),
    ("dga.roux", "François Roux", ["member", "evaluator"]),
    ("dga.fournier", "Valérie Fournier", ["member", "evaluator"]),
    ("elu.dubois", "Jean Dubois", ["member"]),
    ("elu.moreau", "Catherine Moreau", ["member"]),
    ("elu.laurent", "Ahmed Laurent", ["member"]),
    ("elu.simon", "Sylvie Simon", ["member"]),
    ("eval.petit", "Lucas Petit", ["evaluator"]),
    ("fin.garnier", "Martine Garnier", ["finance"]),
    ("audit.crc", "Paul Mathieu (CRC)", ["auditor"]),
    ("amo.bonnet", "Claire Bonnet (AMO)", ["consultant"]),
]


def name_of(login: str) -> str:
    """The display name of one of ``PEOPLE``."""
    return next(name for who, name, _roles in PEOPLE if who == login)


VOTING = [
    "dgs.lefebvre",
    "dga.roux",
    "dga.fournier",
    "elu.dubois",
    "elu.moreau",
    "elu.laurent",
    "elu.simon",
]
NON_VOTING = ["dsi.martin", "fin.garnier"]
EVALUATORS = ["dsi.martin", "dgs.lefebvre", "dga.roux", "dga.fournier", "eval.petit"]


def setup_rows() -> dict[str, list[list[str]]]:
    """The demo municipality's organisation as the rows of its set-up file
    (``sample-setup.xlsx``, beside this module: the loader imports that file)."""
    years = range(FIRST_YEAR, LAST_YEAR + 1)
    return {
        "poles": [[code, name] for code, name in POLES],
        "directions": [[code, name, pole] for code, name, pole, _l, _p in DIRECTIONS],
        "equipes": [
            [code, name, "metier" if kind == "business" else kind, direction or ""]
            for code, name, kind, direction, _c in TEAMS
        ],
        "capacites": [
            [code, str(y), str(capacity)]
            for code, _n, _k, _d, capacity in TEAMS
            for y in years
        ],
        "axes": [[code, label, ""] for code, label, _i in AXES],
        "indicateurs": [
            [icode, code, ilabel, unit, str(baseline), str(target), str(target_year)]
            for code, _label, indicators in AXES
            for icode, ilabel, unit, baseline, target, target_year in indicators
        ],
        "cibles": [],
        "comptes": [
            [login, name, "", ", ".join(roles)] for login, name, roles in PEOPLE
        ]
        + [
            [login, person, "", f"referent:{code}"]
            for code, _n, _p, login, person in DIRECTIONS
        ],
    }
