"""Every error of a refused form at once: a summary at the top of the form that
links to each field in error (the RGAA / DSFR pattern).

Each form's template shows a field's message next to it and marks the field with
``aria-invalid="true"`` and ``aria-describedby`` naming the message; the summary is
built from that rendered form, so it can never disagree with the fields. The macro
``error_summary`` (``_form_bits.html``, called by ``form_open`` and
``form_confirm``) leaves a placeholder carrying the form's general message; after
the page is rendered, :func:`fill` replaces it with a box whose heading says how many
errors the form holds ("Le formulaire contient 3 erreurs") followed by one link
``href="#field-id"`` per error ("Intitulé : Champ obligatoire."). ``sdsi.js`` moves
the focus to that heading, so the page scrolls to it.

Forms do not nest and templates escape text, so a form is the text between
``<form`` and the next ``</form>``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from flask import Response
from flask_babel import gettext as _
from markupsafe import escape

from web.ui.blueprint import bp

FORM = re.compile(r"<form\b.*?</form>", re.S)
PLACEHOLDER = re.compile(r'<div data-error-summary="([^"]*)" hidden></div>')
CONTROLS = {"input", "select", "textarea", "button"}
VOID = {"input", "br", "img", "hr", "meta", "link", "col", "wbr", "source"}


@dataclass
class Control:
    """A form control as rendered."""

    id: str
    kind: str
    invalid: bool
    described_by: list[str]
    label: str = ""
    legend: str = ""


@dataclass
class _Open:
    tag: str
    attrs: dict[str, str]
    hidden: bool
    text: list[str] = field(default_factory=list)
    controls: list[Control] = field(default_factory=list)  # of a fieldset
    legend: str = ""


class _FormReader(HTMLParser):
    """The controls of one form, the text of its labels, legends and messages."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.controls: list[Control] = []
        self.labels: dict[str, str] = {}
        self.texts: dict[str, str] = {}  # id → text of any element with an id
        self.stack: list[_Open] = []
        self.wrapped: list[tuple[Control, _Open]] = []  # controls inside a <label>
        self.in_legend: list[Control] = []  # controls of each open fieldset

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag in CONTROLS and a.get("type") not in ("hidden", "submit"):
            control = Control(
                id=a.get("id", ""),
                kind=a.get("type", tag),
                invalid=a.get("aria-invalid") == "true",
                described_by=a.get("aria-describedby", "").split(),
            )
            self.controls.append(control)
            label = next((o for o in reversed(self.stack) if o.tag == "label"), None)
            if label is not None:
                self.wrapped.append((control, label))
            fieldset = next(
                (o for o in reversed(self.stack) if o.tag == "fieldset"), None
            )
            if fieldset is not None:
                fieldset.controls.append(control)
        if tag in VOID:
            return
        hidden = a.get("aria-hidden") == "true" or bool(
            self.stack and self.stack[-1].hidden
        )
        self.stack.append(_Open(tag, a, hidden))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            done = self.stack.pop()
            self._close(done)
            if done.tag == tag:
                break

    def handle_data(self, data: str) -> None:
        for o in self.stack:
            if not self._hidden_below(o):
                o.text.append(data)

    def _hidden_below(self, o: _Open) -> bool:
        """Whether the text now read sits in an aria-hidden element inside ``o``."""
        return bool(self.stack and self.stack[-1].hidden and not o.hidden)

    def _close(self, o: _Open) -> None:
        text = re.sub(r"[ \t\r\n]+", " ", "".join(o.text)).strip(" \t\r\n")
        if o.attrs.get("id"):
            self.texts[o.attrs["id"]] = text
        if o.tag == "label" and o.attrs.get("for"):
            self.labels[o.attrs["for"]] = text
        if o.tag == "label":
            for control, label in self.wrapped:
                if label is o and not control.label:
                    control.label = text
        if o.tag == "legend":
            parent = next(
                (p for p in reversed(self.stack) if p.tag == "fieldset"), None
            )
            if parent is not None:
                parent.legend = text
        if o.tag == "fieldset":
            for control in o.controls:
                control.legend = control.legend or o.legend


def entries(form: str) -> list[tuple[str, str, str]]:
    """``(field id, label, message)`` for each error of a rendered form, in the
    order of its fields (a message shared by several fields counts once)."""
    reader = _FormReader()
    reader.feed(form)
    reader.close()
    seen: set[str] = set()
    out = []
    for control in reader.controls:
        if not control.invalid:
            continue
        label = (
            control.legend
            if control.kind in ("radio", "checkbox") and control.legend
            else reader.labels.get(control.id) or control.label or control.legend
        )
        for ident in control.described_by:
            message = reader.texts.get(ident)
            if ident in seen or not message:
                continue
            seen.add(ident)
            out.append((control.id, label, message))
    return out


def summary(form: str, message: str, number: int) -> str:
    """The box at the top of a refused form (``message``: its general message)."""
    found = entries(form)
    ident = f"error-summary-{number}"
    if not found:
        return f'<p class="flash error" role="alert" id="{ident}">{escape(message)}</p>'
    title = (
        _("Le formulaire contient 1 erreur")
        if len(found) == 1
        else _("Le formulaire contient %(num)s erreurs", num=len(found))
    )
    links = "".join(
        f'<li><a href="#{escape(fid)}">'
        f"{escape(label)}{' : ' if label else ''}{escape(text)}</a></li>"
        for fid, label, text in found
    )
    general = (
        f"<p>{escape(message)}</p>"
        if message and message not in {t for _f, _l, t in found}
        else ""
    )
    return (
        f'<div class="error-summary" role="alert" aria-labelledby="{ident}-title"'
        f' id="{ident}"><h2 id="{ident}-title" tabindex="-1">{escape(title)}</h2>'
        f"{general}<ul>{links}</ul></div>"
    )


def fill(page: str) -> str:
    """``page`` with the placeholder of each refused form replaced by its summary."""
    count = 0

    def one_form(match: re.Match[str]) -> str:
        nonlocal count
        form = match.group(0)
        hole = PLACEHOLDER.search(form)
        if hole is None:
            return form
        count += 1
        box = summary(form, html.unescape(hole.group(1)), count)
        return form[: hole.start()] + box + form[hole.end() :]

    return FORM.sub(one_form, page)


@bp.after_request
def _summaries(response: Response) -> Response:
    """Fill the error summaries of a page re-rendered with its form's errors."""
    if (
        response.mimetype == "text/html"
        and not response.is_streamed
        and b"data-error-summary=" in response.get_data()
    ):
        response.set_data(fill(response.get_data(as_text=True)))
    return response


@bp.app_template_global("cell_error")
def cell_error(
    errors: dict[str, str] | None, name: str, i: int, column: str, row: bool = False
) -> str:
    """The message of cell ``column`` of row ``i`` of the list ``name`` (errors are
    named ``costs.0.amount`` by the schemas, ``costs[0].amount`` by the domain);
    ``row``: this cell also carries the messages about the whole row."""
    if not errors:
        return ""
    keys = [f"{name}.{i}.{column}", f"{name}[{i}].{column}"]
    if row:
        keys += [f"{name}.{i}", f"{name}[{i}]", f"{name}.{i}._schema"]
    return "; ".join(errors[k] for k in keys if errors.get(k))
