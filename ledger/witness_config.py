"""``SDSI_WITNESSES``: the witnesses the ledger sends its checkpoints to.

One witness per line (or separated by ``;``), three fields separated by spaces::

    LABEL URL VKEY

- ``LABEL``: a short local name shown on the audit page (letters, digits, ``-_.``);
- ``URL``: the witness's submission prefix (``https://witness.example/w1``; the
  ledger POSTs to ``URL/add-checkpoint``);
- ``VKEY``: the witness's public key, ``name+keyid+base64(0x04||key)``, as
  ``sdsi witness init`` prints it (its name is the witness's key name).

Example: ``SDSI_WITNESSES="prefecture https://w.prefecture.example/sdsi
prefecture.example/w1+1a2b3c4d+BF…"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ledger.cosignature import CosignatureError, Cosigner, parse_vkey
from ledger.errors import ConfigError

_LABEL = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class WitnessConfig:
    """One configured witness."""

    label: str
    url: str
    cosigner: Cosigner

    @property
    def name(self) -> str:
        return self.cosigner.name

    @property
    def endpoint(self) -> str:
        return self.url.rstrip("/") + "/add-checkpoint"


def witnesses_settings(raw: str) -> tuple[WitnessConfig, ...]:
    """Parse ``SDSI_WITNESSES`` (empty: no witness)."""
    out: list[WitnessConfig] = []
    for number, entry in enumerate(re.split(r"[;\n]", raw), start=1):
        entry = entry.strip()
        if not entry or entry.startswith("#"):
            continue
        fields = entry.split()
        if len(fields) != 3:
            raise ConfigError(
                f"SDSI_WITNESSES entry {number}: expected 'LABEL URL VKEY',"
                f" got {entry[:80]!r}"
            )
        label, url, vkey = fields
        if not _LABEL.fullmatch(label):
            raise ConfigError(
                f"SDSI_WITNESSES entry {number}: label {label!r} must be letters,"
                " digits, '-', '_' or '.'"
            )
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ConfigError(
                f"SDSI_WITNESSES entry {number} ({label}): {url!r} is not an"
                " http(s) URL"
            )
        try:
            cosigner = parse_vkey(vkey)
        except CosignatureError as exc:
            raise ConfigError(
                f"SDSI_WITNESSES entry {number} ({label}): {exc}"
            ) from None
        if any(w.label == label or w.name == cosigner.name for w in out):
            raise ConfigError(
                f"SDSI_WITNESSES: witness {label} ({cosigner.name}) is listed twice"
            )
        out.append(WitnessConfig(label, url, cosigner))
    return tuple(out)
