"""Audit certificate (PDF): a full verification, the signed checkpoint, the key."""

from __future__ import annotations

from typing import Any

from domain.values import CERTIFICATE_READERS, Role
from exports import pdf
from exports.base import Exporter, ExportRequest, ExportSource, Rendered, Snapshot
from exports.french import long_datetime, number
from exports.integrity import SignedNote, Verification, checkpoint_at, key_info, verify

W = pdf.CONTENT_WIDTH
REASONS = {
    "session-closed": "clôture d'une séance du COPIL",
    "every-events": "nombre d'événements depuis le précédent",
    "every-seconds": "délai écoulé depuis le précédent",
    "manual": "demande manuelle (sdsi seal --checkpoint)",
    "export": "export du registre",
}


class CertificateExporter(Exporter):
    """Runs a full verification of the ledger and certifies its result."""

    name = "certificate"
    label = "Certificat d'intégrité du registre"
    description = (
        "Résultat d'une vérification complète du registre, taille et racine de "
        "l'arbre, point de contrôle signé, empreinte de la clé publique, et la "
        "marche à suivre pour vérifier soi-même."
    )
    formats = ("pdf",)
    roles = Role.names(CERTIFICATE_READERS)

    def render(self, source: ExportSource, request: ExportRequest) -> Rendered:
        """Verify, then write the certificate; ``ok`` is the verification's result."""
        self.check(request)
        snapshot = source.snapshot(request.as_of)
        result = verify(source.ledger)
        content = self.certify(source, snapshot, request, result)
        return Rendered(
            content,
            self.filename(request, snapshot),
            self.mime_type(request.format),
            ok=result.ok,
        )

    def write(
        self, source: ExportSource, snapshot: Snapshot, request: ExportRequest
    ) -> bytes:
        return self.certify(source, snapshot, request, verify(source.ledger))

    def certify(
        self,
        source: ExportSource,
        snapshot: Snapshot,
        request: ExportRequest,
        result: Verification,
    ) -> bytes:
        """The certificate of ``result``."""
        ledger = source.ledger
        latest = result.report.latest
        position = snapshot.ledger_position if request.as_of else None
        checkpoint = (
            checkpoint_at(ledger, position)
            if position is not None
            else checkpoint_at(ledger, latest.tree_size)
            if latest
            else None
        )
        story = _story(snapshot, result, checkpoint, key_info(ledger), position)
        return pdf.build(
            story,
            title="Certificat d'intégrité du registre",
            municipality=snapshot.municipality,
            footer=f"Vérification du {long_datetime(result.started_at, snapshot.zone)}",
            subject="Vérification complète du registre SDSI",
        )


def _story(
    snapshot: Snapshot,
    result: Verification,
    checkpoint: dict[str, Any] | None,
    key: dict[str, str],
    as_of_position: int | None,
) -> list[Any]:
    st = pdf.styles()
    report = result.report

    def stamp(value: Any) -> str:
        """A time of the verification or a signature: local, with its offset."""
        return long_datetime(value, snapshot.zone, with_offset=True)

    out: list[Any] = [
        pdf.para("Certificat d'intégrité du registre", st.title),
        pdf.para(
            f"Registre de gouvernance du schéma directeur des systèmes "
            f"d'information — {snapshot.municipality}",
            st.subtitle,
        ),
    ]
    if result.ok:
        verdict = pdf.rich(
            [
                ("b", "RÉSULTAT : REGISTRE INTÈGRE. "),
                (
                    "",
                    f"Les {report.checked} événements du registre "
                    f"ont été relus ; leurs sceaux et les {report.checkpoints} points "
                    "de "
                    "contrôle signés ont été recalculés et vérifiés sans aucune "
                    "anomalie.",
                ),
            ],
            st.body,
        )
        colour = pdf.GREEN
    else:
        first = report.first
        verdict = pdf.rich(
            [
                ("b", "RÉSULTAT : INTÉGRITÉ ROMPUE. "),
                (
                    "",
                    f"Première anomalie : {first.where()} ({first.kind}) — "
                    f"{first.detail}.",
                ),
            ],
            st.body,
        )
        colour = pdf.RED
    out += [pdf.boxed([verdict], colour), pdf.space(8)]
    out.append(pdf.para("Vérification", st.h1))
    pairs = [
        ("Date de la vérification", stamp(result.started_at)),
        ("Durée", f"{number(report.seconds, 2)} s"),
        ("Événements relus", str(report.checked)),
        ("Événements scellés (taille de l'arbre)", str(report.sealed)),
        ("Racine recalculée (hexadécimal)", pdf.hashed(report.root.hex())),
        ("Points de contrôle vérifiés", str(report.checkpoints)),
    ]
    if report.unsealed:
        pairs.append(("Événements non encore scellés", str(report.unsealed)))
    out.append(pdf.key_values(pairs, [6 * pdf.cm, W - 6.4 * pdf.cm]))
    if report.problems:
        out.append(pdf.para("Anomalies", st.h2))
        out.append(
            pdf.grid(
                ["Position", "Nature", "Détail"],
                [[p.where(), p.kind, p.detail] for p in report.problems[:200]],
                [3.5 * pdf.cm, 3.5 * pdf.cm, W - 7 * pdf.cm],
            )
        )
    out.append(pdf.para("Point de contrôle certifié", st.h1))
    if as_of_position is not None:
        out.append(
            pdf.para(
                f"Point de contrôle en vigueur à la position {as_of_position} du "
                "registre "
                "(date demandée).",
                st.body,
            )
        )
    if checkpoint is None:
        out.append(pdf.para("Aucun point de contrôle signé à cette date.", st.body))
    else:
        note = SignedNote.parse(checkpoint["note"])
        out.append(
            pdf.key_values(
                [
                    ("Point de contrôle", f"n°{checkpoint['seq']}"),
                    ("Signé le", stamp(checkpoint["issued_at"])),
                    ("Motif", REASONS.get(checkpoint["reason"], checkpoint["reason"])),
                    ("Taille de l'arbre", str(checkpoint["tree_size"])),
                    ("Racine (base64)", pdf.hashed(checkpoint["root"])),
                    ("Racine (hexadécimal)", pdf.hashed(checkpoint["root_hex"])),
                    ("Origine du journal", note.origin),
                ],
                [6 * pdf.cm, W - 6.4 * pdf.cm],
            )
        )
        after = report.sealed - checkpoint["tree_size"]
        if as_of_position is None and after > 0:
            out.append(
                pdf.para(
                    f"Les {after} événements scellés après ce point de contrôle ne "
                    "sont "
                    "pas encore couverts par une signature : ils le seront au prochain "
                    "point de contrôle (« sdsi seal --checkpoint » le signe aussitôt).",
                    st.note,
                )
            )
        out += [
            pdf.space(4),
            pdf.para("Texte signé du point de contrôle :", st.body),
            pdf.boxed([pdf.mono_block(note.text)]),
        ]
    out.append(pdf.para("Clé de signature", st.h1))
    out.append(
        pdf.key_values(
            [
                (
                    "Empreinte SHA-256 de la clé publique",
                    pdf.hashed(key["fingerprint"]),
                ),
                ("Clé de vérification (vkey)", pdf.hashed(key["vkey"])),
                ("Algorithme", "Ed25519 (note signée C2SP, arbre de Merkle RFC 6962)"),
            ],
            [6 * pdf.cm, W - 6.4 * pdf.cm],
        )
    )
    out.append(pdf.mono_block(key["pem"]))
    out += _how_to(st)
    return out


def _how_to(st: pdf.Styles) -> list[Any]:
    steps = [
        ("1. Obtenir l'export complet du registre auprès de la collectivité :", None),
        (None, "sdsi ledger export REGISTRE.zip"),
        (
            "2. Enregistrer la clé publique ci-dessus dans signing_key.pub et vérifier "
            "que son empreinte SHA-256 est celle de ce certificat (sdsi ledger key).",
            None,
        ),
        (
            "3. Enregistrer le texte signé du point de contrôle dans "
            "point-de-controle.txt, puis exécuter le vérificateur indépendant (un seul "
            "fichier Python, sans dépendance au logiciel du registre) :",
            None,
        ),
        (
            None,
            "python verifier.py REGISTRE.zip --key signing_key.pub "
            "--checkpoint point-de-controle.txt",
        ),
        (
            "Le vérificateur recalcule chaque feuille et chaque racine et vérifie "
            "chaque "
            "signature ; il sort avec le code 0 si le registre est intègre et contient "
            "l'arbre signé, 1 sinon, en nommant la première position en défaut. Son "
            "fonctionnement et le format de l'export sont décrits dans "
            "docs/integrity.md.",
            None,
        ),
    ]
    out: list[Any] = [pdf.para("Vérifier soi-même", st.h1)]
    for text, command in steps:
        if text:
            out.append(pdf.para(text, st.body))
        if command:
            out.append(pdf.code(command))
    return out
