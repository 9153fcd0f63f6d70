"""No English library message and no field's code name in a refusal.

Every message marshmallow's fields and validators (and webargs) can write has a
French message id (web.validation); a sweep over the API's OpenAPI document sends,
to every command, bodies that each schema refuses — an unknown field (and every
required field missing), a value of the wrong type or too long in each field (rows of lists included), a body
that is not JSON — and checks every message of each answer: no English default
text, no field named by its code name (``amount``, ``username``), the fields of the
one-line message named by their labels; in English when ``Accept-Language`` asks
for it. Nothing is written. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from marshmallow import Schema, ValidationError, fields, validate

from ledger.core import Caller
from tests.web.test_api_amounts import body_with, concrete
from tests.web.ui_client import Site
from tests.web.world import OWN_DIRECTION, PASSWORD, bearer, open_world
from web.field_labels import field_label
from web.validation import localise

EVERYONE = "u.messages"
UNKNOWN = "champ_inconnu"


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def site(request: pytest.FixtureRequest, tmp_path_factory: Any) -> Iterator[Site]:
    running = open_world(request, tmp_path_factory, request.param)
    admin = Caller(actor="admin", reason="tests")
    roles = [
        (r, None)
        for r in ("dsi", "chair", "finance", "member", "admin", "evaluator", "auditor")
    ] + [("referent", OWN_DIRECTION)]
    running.ledger.add_user(admin, EVERYONE, "Tous les rôles", PASSWORD, roles=roles)
    running.caught_up()
    yield running
    running.close()


# --- the library's messages ---------------------------------------------------------


def library_templates() -> list[str]:
    """Every message template of marshmallow's fields, schemas and validators."""
    found = set(Schema._default_error_messages.values())
    for _name, cls in inspect.getmembers(fields, inspect.isclass):
        if issubclass(cls, fields.Field):
            for klass in cls.__mro__:
                found.update(getattr(klass, "default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        for attribute, value in vars(cls).items():
            if attribute.startswith(("message", "default_message")) and isinstance(
                value, str
            ):
                found.add(value)
    # Range's templates are written with its operators ("Must be {min_op} {{min}}.")
    found = {t for t in found if "_op}" not in t and t not in OPERATORS}
    for low in (True, False):
        for high in (True, False):
            for lo, hi in ((1, 2), (1, None), (None, 2)):
                rng = validate.Range(lo, hi, min_inclusive=low, max_inclusive=high)
                for value in (-10, 10):
                    try:
                        rng(value)
                    except ValidationError as exc:
                        found.update(exc.messages)
    found.add("Invalid JSON body.")  # webargs
    return sorted(found)


OPERATORS = {
    validate.Range.message_gte,
    validate.Range.message_gt,
    validate.Range.message_lte,
    validate.Range.message_lt,
}


def as_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"\{+\w+(?:![rs])?\}+", template)
    return re.compile(".+?".join(re.escape(p) for p in parts))


ENGLISH_DEFAULTS = [as_regex(t) for t in library_templates()]


def sample(template: str) -> str:
    """The template written with sample values, as the library would write it."""
    values = {"input": "x", "obj_type": "datetime", "awareness": "aware"}
    values |= {"choices": "a, b", "values": "a, b", "other": "3"}
    values |= {"min": 2, "max": 50_000, "equal": 4}
    return re.sub(r"\{(\w+)(?:![rs])?\}", lambda m: str(values[m[1]]), template)


@pytest.fixture(scope="module")
def app() -> Flask:
    from web.formatting import init_formatting

    flask_app = Flask(__name__)
    flask_app.secret_key = "tests"
    init_formatting(flask_app)
    return flask_app


def test_every_message_of_the_library_is_said_in_french_and_english(app: Flask) -> None:
    templates = library_templates()
    assert len(templates) > 45  # the walk really read marshmallow's classes
    for template in templates:
        message = sample(template)
        with app.test_request_context("/"):
            french = localise(message)
        with app.test_request_context("/?lang=en"):
            english = localise(message)
        assert french != message, template
        assert not any(p.search(french) for p in ENGLISH_DEFAULTS), (template, french)
        assert english != french, (template, english)  # the catalog's English


def test_numbers_and_lengths_are_written_the_way_of_the_page(app: Flask) -> None:
    with app.test_request_context("/"):
        assert localise("Length must be between 1 and 4000.") == (
            "Obligatoire, au plus 4000 caractères."
        )
        assert localise("Length must be between 10 and 200.") == (
            "De 10 à 200 caractères."
        )
        assert localise("Shorter than minimum length 1.") == "Champ obligatoire."
        assert localise(
            "Must be greater than or equal to 0 and less than or equal to 100000."
        ) == ("Valeur entre 0 et 100\u202f000 attendue.")
        assert localise(
            "Must be greater than or equal to 2000 and less than or equal to 2100."
        ) == ("Valeur entre 2000 et 2100 attendue.")
        assert localise("Fewer than 1 item.") == "Champ obligatoire."
        assert localise("Invalid JSON body.") == (
            "Corps de requête illisible : JSON attendu."
        )
    with app.test_request_context("/?lang=en"):
        assert localise(
            "Must be greater than or equal to 0 and less than or equal to 100000."
        ) == ("A value between 0 and 100,000 expected.")
        assert localise("Missing data for required field.") == "Required field."


def test_fields_are_named_by_their_labels(app: Flask) -> None:
    with app.test_request_context("/"):
        assert field_label("scores.VAL2.justification") == (
            "Justification du critère VAL2"
        )
        assert field_label("scores.VAL2") == "Notes du critère VAL2"
        assert field_label("costs.0.amount") == "Montant (Coûts, ligne 1)"
        assert field_label("costs[2].year") == "Exercice (Coûts, ligne 3)"
        assert field_label("cp.1") == "CP, ligne 2"
        assert field_label("username") == "Identifiant"
        assert field_label("json") == "Corps de la requête"
        assert field_label("inconnu") == "inconnu"  # as the client sent it
        # a cost split's share is no progress percentage
        assert field_label("shares.0.percent") == (
            "Pourcentage (Répartition entre entités, ligne 1)"
        )
        assert field_label("percent") == "Avancement (%)"
    with app.test_request_context("/?lang=en"):
        assert field_label("scores.VAL2.justification") == (
            "Justification of criterion VAL2"
        )
        assert field_label("costs.0.amount") == "Amount (Costs, line 1)"


# --- the API, swept ------------------------------------------------------------------


def request_fields(doc: dict[str, Any]) -> list[tuple[str, str, str, dict[str, Any]]]:
    """(method, path, dotted field, its schema) of every field of every request
    body (``*`` for the rows of a list)."""
    schemas = doc["components"]["schemas"]

    def resolve(schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = schemas[schema["$ref"].rsplit("/", 1)[1]]
        return schema

    def walk(schema: dict[str, Any], prefix: str) -> Iterator[tuple[str, Any]]:
        schema = resolve(schema)
        if schema.get("type") == "array" and "items" in schema:
            yield from walk(schema["items"], f"{prefix}*.")
        for name, prop in schema.get("properties", {}).items():
            if prop.get("readOnly"):
                continue
            yield prefix + name, resolve(prop)
            yield from walk(prop, f"{prefix}{name}.")

    found = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            body = operation.get("requestBody") if isinstance(operation, dict) else None
            if method in ("post", "put", "patch") and body:
                if "application/json" not in body["content"]:
                    continue  # multipart uploads: tests/web/test_attachments.py
                schema = body["content"]["application/json"]["schema"]
                found.append((method.upper(), path, "", resolve(schema)))
                for field, prop in walk(schema, ""):
                    found.append((method.upper(), path, field, prop))
    return found


def url_of(path: str) -> str:
    """A URL of the operation: path parameters the world holds, or plausible ones
    (the body is refused before any record is looked up)."""
    others = {"{year}": "2026", "{position}": "1", "{phase}": "cadrage"}
    others |= {"{milestone}": "J1", "{identifiant}": "X"}
    url = concrete(path)
    for name, value in others.items():
        url = url.replace(name, value)
    return url


def bad_values(prop: dict[str, Any]) -> list[Any]:
    """Values the field refuses whatever the rest of the body."""
    if prop.get("x-sdsi-money"):
        return [1.5, "12,5,0"]
    kind = prop.get("type")
    if "enum" in prop:
        return ["zzz"]
    if kind == "string" and prop.get("format") in ("date", "date-time"):
        return ["2026-02-30"]
    if kind == "string":
        too_long = ["x" * (prop["maxLength"] + 1)] if "maxLength" in prop else []
        return [12345, *too_long]
    if kind == "integer":
        return ["douze", 10**15]
    if kind == "boolean":
        return ["peut-être"]
    if kind == "array":
        return ["pas une liste"]
    if kind == "object":
        return [5]
    return []


# Field names that are also French words a message may hold ("le plan", "a").
FRENCH_WORDS = {"a", "b", "on", "code", "description", "direction", "note", "page"}
FRENCH_WORDS |= {"plan", "quorum", "section", "siren", "siret", "insee"}


def leaves(details: Any) -> Iterator[str]:
    if isinstance(details, dict):
        for value in details.values():
            yield from leaves(value)
    elif isinstance(details, list):
        for value in details:
            yield from leaves(value)
    else:
        yield str(details)


def problems(error: dict[str, Any], names: set[str], french: bool = True) -> list[str]:
    """What is wrong with the messages of one refusal."""
    found = []
    for message in [error["message"], *leaves(error["details"])]:
        for pattern in ENGLISH_DEFAULTS if french else []:
            if pattern.search(message):
                found.append(f"English library text: {message!r}")
        # the API's accepted values, and the unknown name the client sent, are theirs
        said = re.sub(r"(Valeurs possibles : |Possible values: ).*", "", message)
        said = said.replace(UNKNOWN, "")
        # English labels hold English words ("First year"): a code name is then one
        # no label holds ("display_name")
        for name in names - FRENCH_WORDS if french else {n for n in names if "_" in n}:
            if re.search(rf"(?<![\w\-«“]){re.escape(name)}(?![\w\-])", said):
                found.append(f"field {name!r} by its code name: {message!r}")
    return found


def test_every_refusal_of_the_api_is_french_and_names_fields_by_their_labels(
    site: Site,
) -> None:
    client = site.app.test_client()
    headers = bearer(site, EVERYONE)
    doc = client.get("/api/v1/openapi.json").get_json()
    found = request_fields(doc)
    names = {p for _m, _p, f, _s in found for p in f.split(".") if p not in ("", "*")}
    assert len({(m, p) for m, p, _f, _s in found}) > 40  # every command was found
    head = site.head()
    wrong: list[str] = []
    sent = 0
    for method, path, field, prop in found:
        url = url_of(path)
        bodies: list[Any] = (
            [{UNKNOWN: 1}]  # and every required field missing
            if not field
            else [{**body_with(field, v), UNKNOWN: 1} for v in bad_values(prop)]
        )
        for body in bodies:
            response = client.open(url, method=method, json=body, headers=headers)
            sent += 1
            if response.status_code != 422:
                wrong.append(f"{method} {path} {body}: {response.status_code}")
                continue
            error = response.get_json()["error"]
            wrong += [f"{method} {path}: {p}" for p in problems(error, names)]
            if body and error["message"] != "Champs invalides.":
                assert error["message"].startswith("Champs invalides : "), error
        if not field:
            response = client.open(
                url,
                method=method,
                data="{pas du JSON",
                headers={**headers, "Content-Type": "application/json"},
            )
            error = response.get_json()["error"]
            assert (response.status_code, error["details"]) == (
                422,
                {"json": ["Corps de requête illisible : JSON attendu."]},
            ), (path, error)
            english = client.open(
                url,
                method=method,
                json={UNKNOWN: 1},
                headers={**headers, "Accept-Language": "en-GB,en;q=0.8"},
            )
            error = english.get_json()["error"]
            assert error["details"][UNKNOWN] == ["Unknown field."], (path, error)
            assert error["message"].startswith("Invalid fields: "), (path, error)
            wrong += [
                f"{method} {path} (en): {p}" for p in problems(error, names, False)
            ]
    assert sent > 300
    assert wrong == []
    assert site.head() == head  # nothing was written


def test_a_score_too_long_is_refused_naming_the_criterion(site: Site) -> None:
    response = site.app.test_client().post(
        "/api/v1/proposals/P-OWN/scores",
        json={
            "revision": 1,
            "grid_version": 1,
            "scores": {"VAL2": {"level": 2, "justification": "x" * 4001}},
        },
        headers=bearer(site, EVERYONE),
    )
    assert response.status_code == 422
    assert response.get_json()["error"] == {
        "code": "invalid_fields",
        "message": "Champs invalides : Justification du critère VAL2.",
        "details": {
            "scores": {
                "VAL2": {
                    "value": {
                        "justification": ["Obligatoire, au plus 4000 caractères."]
                    }
                }
            }
        },
    }


def test_a_misspelt_query_parameter_is_refused_in_the_language_asked(
    site: Site,
) -> None:
    client, headers = site.app.test_client(), bearer(site, EVERYONE)
    french = client.get("/api/v1/decisions?outcom=approved", headers=headers)
    english = client.get(
        "/api/v1/decisions?outcom=approved",
        headers={**headers, "Accept-Language": "en"},
    )
    assert (french.status_code, english.status_code) == (422, 422)
    assert french.get_json()["error"]["message"] == (
        "Paramètre de requête inconnu : outcom."
    )
    assert english.get_json()["error"]["message"] == "Unknown query parameter: outcom."
    assert english.get_json()["error"]["details"]["outcom"][0].startswith(
        "Unknown parameter (accepted parameters: as_of, outcome, "
    )
