"""Validation messages in the user's language, each field named by its label.

Marshmallow and webargs write their refusals in English (``Length must be between 1
and 4000.``, ``Missing data for required field.``, ``Unknown field.``, ``Invalid JSON
body.``); our schemas write theirs in French. Every refusal a schema gives, to a page
or to the API, goes through :func:`localise` (each message) and :func:`field_label`
(each field): one table of the libraries' message templates, each with its French
text (a message id of the catalog, so English pages get the catalog's English), and
one table of field labels. ``tests/web/test_validation_messages.py`` checks that every
default message of marshmallow's fields and validators is in the table, and sweeps
the API's schemas with bad values.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _

from web.domain_messages import phrase
from web.field_labels import field_label
from web.formatting import num
from web.i18n import N_

# The libraries' templates (placeholders as they write them) → our French message
# ids (same placeholders). The first template that matches a message wins, so the
# exact cases (a minimum length of 1: the field is required) come first.
LIBRARY: tuple[tuple[str, str], ...] = (
    # marshmallow.Schema
    ("Unknown field.", N_("Champ inconnu.")),
    ("Invalid input type.", N_("Objet attendu.")),
    # marshmallow.fields
    ("Missing data for required field.", N_("Champ obligatoire.")),
    ("Field may not be null.", N_("Champ obligatoire (null refusé).")),
    ("Invalid value.", N_("Valeur invalide.")),
    ("Invalid type.", N_("Type de valeur invalide.")),
    ("Not a valid integer.", N_("Nombre entier attendu.")),
    ("Not a valid number.", N_("Nombre attendu.")),
    ("Number too large.", N_("Nombre trop grand.")),
    (
        "Special numeric values (nan or infinity) are not permitted.",
        N_("Nombre attendu (ni nan ni infini)."),
    ),
    ("Not a valid string.", N_("Texte attendu.")),
    ("Not a valid utf-8 string.", N_("Texte attendu (UTF-8).")),
    ("Not a valid boolean.", N_("Vrai ou faux attendu.")),
    ("Not a valid date.", N_("Date attendue (AAAA-MM-JJ).")),
    ("Not a valid datetime.", N_("Date-heure ISO 8601 attendue (AAAA-MM-JJTHH:MM).")),
    ("Not a valid time.", N_("Heure attendue (HH:MM).")),
    ("Not a valid period of time.", N_("Durée attendue.")),
    ("Not a valid list.", N_("Liste attendue.")),
    ("Not a valid tuple.", N_("Liste attendue.")),
    ("Not a valid mapping type.", N_("Objet attendu.")),
    ("Not a valid email address.", N_("Adresse électronique invalide.")),
    ("Not a valid URL.", N_("Adresse web (URL) invalide.")),
    ("Not a valid UUID.", N_("Identifiant UUID invalide.")),
    ("Not a valid IP address.", N_("Adresse IP invalide.")),
    ("Not a valid IPv4 address.", N_("Adresse IPv4 invalide.")),
    ("Not a valid IPv6 address.", N_("Adresse IPv6 invalide.")),
    ("Not a valid IP interface.", N_("Interface IP invalide.")),
    ("Not a valid IPv4 interface.", N_("Interface IPv4 invalide.")),
    ("Not a valid IPv6 interface.", N_("Interface IPv6 invalide.")),
    (
        '"{input}" cannot be formatted as a date.',
        N_("« {input} » ne peut pas être écrit comme une date."),
    ),
    (
        '"{input}" cannot be formatted as a {obj_type}.',
        N_("« {input} » ne peut pas être écrit comme une valeur {obj_type}."),
    ),
    (
        "{input!r} cannot be formatted as a timedelta.",
        N_("« {input} » ne peut pas être écrit comme une durée."),
    ),
    # marshmallow.validate
    ("Shorter than minimum length 1.", N_("Champ obligatoire.")),
    (
        "Length must be between 1 and {max}.",
        N_("Obligatoire, au plus {max} caractères."),
    ),
    ("Shorter than minimum length {min}.", N_("Au moins {min} caractères.")),
    ("Longer than maximum length {max}.", N_("Au plus {max} caractères.")),
    ("Length must be between {min} and {max}.", N_("De {min} à {max} caractères.")),
    ("Length must be {equal}.", N_("Exactement {equal} caractères.")),
    (
        "Must be greater than or equal to {min} and less than or equal to {max}.",
        N_("Valeur entre {min} et {max} attendue."),
    ),
    (
        "Must be greater than {min} and less than {max}.",
        N_("Valeur strictement entre {min} et {max} attendue."),
    ),
    (
        "Must be greater than or equal to {min} and less than {max}.",
        N_("Valeur d'au moins {min} et inférieure à {max} attendue."),
    ),
    (
        "Must be greater than {min} and less than or equal to {max}.",
        N_("Valeur supérieure à {min} et d'au plus {max} attendue."),
    ),
    (
        "Must be greater than or equal to {min}.",
        N_("Valeur d'au moins {min} attendue."),
    ),
    ("Must be greater than {min}.", N_("Valeur supérieure à {min} attendue.")),
    ("Must be less than or equal to {max}.", N_("Valeur d'au plus {max} attendue.")),
    ("Must be less than {max}.", N_("Valeur inférieure à {max} attendue.")),
    ("Must be one of: {choices}.", N_("Valeurs possibles : {choices}.")),
    ("Must be equal to {other}.", N_("Valeur {other} attendue.")),
    (
        "One or more of the choices you made was in: {values}.",
        N_("Choix refusés : {values}."),
    ),
    (
        "One or more of the choices you made was not in: {choices}.",
        N_("Choix possibles : {choices}."),
    ),
    ("String does not match expected pattern.", N_("Format invalide.")),
    ("Invalid input.", N_("Valeur refusée.")),
    # lists and mappings: their lengths are counts of items (web.api.schemas.Base)
    ("Fewer than 1 item.", N_("Champ obligatoire.")),  # an empty list
    ("Fewer than {min} items.", N_("Au moins {min} éléments attendus.")),
    ("More than {max} items.", N_("Au plus {max} éléments.")),
    ("Between {min} and {max} items.", N_("De {min} à {max} éléments attendus.")),
    ("Exactly {equal} items.", N_("Exactement {equal} éléments attendus.")),
    # webargs
    ("Invalid JSON body.", N_("Corps de requête illisible : JSON attendu.")),
    # the catch-alls of marshmallow's "Not a valid …", after every exact one
    ("Not a valid {obj_type}.", N_("Valeur invalide ({obj_type}).")),
    (
        "Not a valid {awareness} {obj_type}.",
        N_("Date-heure invalide (fuseau horaire : {awareness}, {obj_type})."),
    ),
)

# The same lengths said of a list or a mapping (set on their validators by
# web.api.schemas.Base, so a list is never "shorter than 1 character").
ITEM_LENGTHS = {
    "message_min": "Fewer than {min} items.",
    "message_max": "More than {max} items.",
    "message_all": "Between {min} and {max} items.",
    "message_equal": "Exactly {equal} items.",
}


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{(\w+)(?:![rs])?\}", template)
    regex = ""
    for i, part in enumerate(parts):
        regex += re.escape(part) if i % 2 == 0 else f"(?P<{part}>.+?)"
    return re.compile(regex, re.S)


_TABLE = tuple((_pattern(source), french) for source, french in LIBRARY)


def _shown(value: str) -> str:
    """A number of a message written as the page writes numbers (``100 000``,
    ``0,5``); years and other numbers of four digits or fewer stay as they are."""
    text = value.strip("'\"")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return text
    if not number.is_finite() or (
        number == number.to_integral() and abs(number) < 10_000
    ):
        return text
    digits = max(0, -number.as_tuple().exponent)  # type: ignore[operator]
    return num(number, digits)


def localise(message: str) -> str:
    """One refusal in the language of the request: a library's message through the
    table, any other (our French ones) through the domain's phrases."""
    for pattern, french in _TABLE:
        match = pattern.fullmatch(message)
        if match:
            return _(french).format(
                **{k: _shown(v) for k, v in match.groupdict().items()}
            )
    return phrase(message)


def localise_all(messages: Any) -> Any:
    """Every message of a marshmallow/webargs error structure localised; the keys
    (field names, list indexes) kept, as the API's ``details`` promise them."""
    if isinstance(messages, dict):
        return {k: localise_all(v) for k, v in messages.items()}
    if isinstance(messages, list | tuple):
        return [localise_all(m) for m in messages]
    return localise(str(messages))


def flat(messages: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """``(path, message)`` for each message: ``costs.0.amount``, ``scores.VAL2.level``."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from flat(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(messages, list | tuple) and not all(
        isinstance(m, str) for m in messages
    ):
        for i, value in enumerate(messages):
            yield from flat(value, f"{prefix}.{i}" if prefix else str(i))
    elif isinstance(messages, list | tuple):
        for message in messages:
            yield prefix, localise(message)
    else:
        yield prefix, localise(str(messages))


def summary(messages: Any) -> str:
    """The one-line message of a refusal: the fields concerned, by their labels."""
    labels = list(dict.fromkeys(field_label(path) for path, _m in flat(messages)))
    if not labels:
        return _("Champs invalides.")
    return _("Champs invalides : %(fields)s.", fields=", ".join(labels))
