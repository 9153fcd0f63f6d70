"""The settings of the finance import (finance and administrators): the column-mapping
profiles, shipped and saved, with a form to create or replace one (every field's error
named at once, nothing saved on error), and the mapping of the finance software's
codes (AP numbers, operation codes) to projects."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from marshmallow import fields, validate

from domain.errors import InvalidValue, NotFound
from domain.finance_import import FIELDS, KINDS, REQUIRED_FIELDS
from setupfile.finance_file import mapping_list, profile_list
from web.api import schemas as s
from web.auth import requires
from web.state import state
from web.ui.blueprint import bp
from web.ui.formhelp import on_fields, run
from web.ui.forms import scalars

COLUMN = "columns."  # the form field of a profile field's column: ``columns.montant``
DELIMITERS = {";": ";", ",": ",", "tab": "\t", "|": "|"}
PAIRS = "kind_values", "section_values"


class ProfileForm(s.Base):
    """The profile form as typed: one text field per profile field's column."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=40))
    label = fields.String(load_default=None, validate=validate.Length(max=120))
    kind = fields.String(load_default=None, validate=validate.OneOf(KINDS))
    kind_values = fields.String(load_default=None, validate=validate.Length(max=400))
    section_values = fields.String(load_default=None, validate=validate.Length(max=400))
    delimiter = fields.String(load_default=";", validate=validate.OneOf(DELIMITERS))
    decimal = fields.String(load_default=",", validate=validate.OneOf([",", "."]))
    date_format = fields.String(
        load_default="%d/%m/%Y", validate=validate.OneOf(["%d/%m/%Y", "%Y-%m-%d"])
    )


for _field in FIELDS:  # the column fields, keyed as the form names them
    ProfileForm._declared_fields[COLUMN + _field] = fields.String(
        load_default=None, data_key=COLUMN + _field, validate=validate.Length(max=80)
    )


def pairs(raw: str | None, field: str) -> dict[str, str] | None:
    """``E=engagement; M=mandat`` as a mapping (``None`` when empty)."""
    if not raw:
        return None
    out = {}
    for item in raw.split(";"):
        if not item.strip():
            continue
        value, sep, meaning = item.partition("=")
        if not sep or not value.strip() or not meaning.strip():
            raise InvalidValue(field, raw, "paires valeur=sens séparées par « ; »")
        out[value.strip()] = meaning.strip()
    return out


def definition(data: dict[str, Any]) -> dict[str, Any]:
    """The profile the ledger validates, from the form's loaded data (marshmallow
    nests the ``columns.<field>`` fields under ``columns``)."""
    typed = data.get("columns") or {}
    columns = {f: typed[f].strip() for f in FIELDS if (typed.get(f) or "").strip()}
    out: dict[str, Any] = {
        "name": data["name"],
        "columns": columns,
        "kind": data.get("kind") or None,
        "delimiter": DELIMITERS.get(data.get("delimiter") or ";", ";"),
        "decimal": data.get("decimal") or ",",
        "date_format": data.get("date_format") or "%d/%m/%Y",
    }
    if data.get("label"):
        out["label"] = data["label"]
    for name in PAIRS:
        out[name] = pairs(data.get(name), name)
    return out


def checks(data: dict[str, Any]) -> None:
    """Every field's refusal at once, each naming its field (the ledger checks the
    same, but stops at the first)."""
    found: list[InvalidValue] = []
    seen: dict[str, str] = {}
    for f in FIELDS:
        header = (data.get(COLUMN + f) or "").strip()
        if not header:
            if f in REQUIRED_FIELDS:
                found.append(InvalidValue(COLUMN + f, "", "en-tête obligatoire"))
            continue
        if header in seen:
            reason = f"en-tête déjà donné au champ {seen[header]}"
            found.append(InvalidValue(COLUMN + f, header, reason))
        seen.setdefault(header, f)
    for name in PAIRS:
        try:
            pairs(data.get(name), name)
        except InvalidValue as exc:
            found.append(exc)
    if not data.get("kind") and not (
        (data.get(COLUMN + "type") or "").strip() and data.get("kind_values")
    ):
        found.append(
            InvalidValue(
                "kind", "", "un type fixe, ou la colonne « type » et ses valeurs"
            )
        )
    if found:
        raise ExceptionGroup("profil", found)


def _form_values(name: str | None) -> dict[str, str]:
    """The form prefilled with profile ``name`` (to start from it), or empty."""
    chosen = next((p for p in profile_list(state().ledger) if p["name"] == name), None)
    if chosen is None:
        return {}
    d = chosen["definition"]
    values = {
        "name": d["name"],
        "label": d.get("label") or "",
        "kind": d.get("kind") or "",
        "decimal": d["decimal"],
        "date_format": d["date_format"],
        "delimiter": next(k for k, v in DELIMITERS.items() if v == d["delimiter"]),
    }
    for pair in PAIRS:
        values[pair] = "; ".join(f"{k}={v}" for k, v in (d.get(pair) or {}).items())
    for f, header in d["columns"].items():
        values[COLUMN + f] = header
    return values


@bp.route("/budget/import/profils", methods=["GET", "POST"])
@requires("finance.settings")
def finance_profiles() -> Any:
    """The import profiles (shipped and saved), and the form to save one."""
    errors: Any = {}
    status = 200
    form: Any = request.form
    if request.method == "POST":
        names = ("name", "label", "kind", *PAIRS, "delimiter", "decimal")
        data = scalars(
            request.form, *names, "date_format", *(COLUMN + f for f in FIELDS)
        )
        data.setdefault("name", "")
        led = state().ledger
        result, errors, status = run(
            ProfileForm(),
            data,
            lambda c, d: led.save_finance_profile(c, definition(d)),
            checks=checks,
        )
        if result is not None:
            flash(
                _("Profil « %(name)s » enregistré.", name=result.data["name"]),
                "success",
            )
            return redirect(url_for("ui.finance_profiles"))
    else:
        form = _form_values(request.args.get("depuis"))
    return render_template(
        "finance_profiles.html",
        profiles=profile_list(state().ledger),
        fields=FIELDS,
        required=REQUIRED_FIELDS,
        column=COLUMN,
        form=form,
        errors=errors,
    ), status


class MappingForm(s.Base):
    """A finance code and the project it means."""

    source = fields.String(required=True, validate=s.CODE)
    project = fields.String(required=True, validate=s.CODE)


class NoFields(s.Base):
    """A form that sends nothing but its button."""


@bp.route("/budget/import/correspondances", methods=["GET", "POST"])
@requires("finance.settings")
def finance_mappings() -> Any:
    """The finance codes mapped to projects, and the form to map one."""
    errors: Any = {}
    status = 200
    if request.method == "POST":
        led = state().ledger
        send = on_fields(
            lambda c, d: led.add_finance_mapping(c, d["source"], d["project"]),
            {NotFound: "project"},
        )
        data = scalars(request.form, "source", "project")
        result, errors, status = run(MappingForm(), data, send)
        if result is not None:
            flash(
                _(
                    "Le code %(source)s désigne désormais le projet %(project)s.",
                    source=data["source"],
                    project=data["project"],
                ),
                "success",
            )
            return redirect(url_for("ui.finance_mappings"))
    return render_template(
        "finance_mappings.html",
        mappings=mapping_list(state().ledger),
        form=request.form,
        errors=errors,
    ), status


@bp.route("/budget/import/correspondances/<source>/retrait", methods=["POST"])
@requires("finance.settings")
def finance_mapping_remove(source: str) -> Any:
    """Remove a finance code's mapping."""
    led = state().ledger
    result, errors, _status = run(
        NoFields(), {}, lambda c, d: led.remove_finance_mapping(c, source)
    )
    if result is not None:
        flash(_("Correspondance du code %(source)s retirée.", source=source), "success")
    else:
        flash(errors.message or _("Action refusée : rien n'a été enregistré."), "error")
    return redirect(url_for("ui.finance_mappings"))
