"""Security messages about an account, queued in the outbox (``ledger.outbox``).

When an account's e-mail address changes, its previous address is told: whoever
took over a session (or an administrator's account) and redirected the mail — and
with it the password-reset links — cannot do so unseen by the account's holder.
The message names neither the new address nor anything of the plan.
"""

from __future__ import annotations

from typing import Any

from ledger.outbox import InvalidMail, Outbox
from ledger.storage import LedgerStorage

SUBJECT = "Registre SDSI : l'adresse électronique de votre compte a changé"


def tell_old_address(storage: LedgerStorage, result: Any, old: str, actor: str) -> bool:
    """Queue the notice to ``old`` for the change ``result`` recorded (once per
    command key); False when it was queued before or the address cannot take it."""
    username = str(result.data.get("username", ""))
    who = "vous-même" if actor == username else f"le compte « {actor} »"
    text = (
        "Bonjour,\n\n"
        f"L'adresse électronique du compte « {username} » du registre SDSI vient "
        f"d'être changée par {who}. Les notifications et les liens de nouveau mot "
        "de passe n'arrivent plus à cette adresse-ci.\n\n"
        "Si vous n'êtes pas à l'origine de ce changement, prévenez sans attendre "
        "l'administrateur du registre : il peut rétablir votre adresse et "
        "désactiver le compte.\n"
    )
    try:
        return Outbox(storage).add(
            key=f"email-changed:{result.key}", recipient=old, subject=SUBJECT, text=text
        )
    except InvalidMail:  # an address stored before the current rules: skip it
        return False
