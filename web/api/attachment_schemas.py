"""Schemas of the attachments' API and forms: the fields besides the file (which a
multipart ``file`` part carries), and the attachments as listed."""

from __future__ import annotations

from marshmallow import fields, validate

from web.api.schemas import Base


class AttachmentForm(Base):
    """The fields sent with a file (multipart form)."""

    description = fields.String(
        load_default="",
        validate=validate.Length(max=500),
        metadata={"description": "Description (facultative)"},
    )


class FilePart(Base):
    """The file of a multipart upload (its ``file`` part)."""

    file = fields.Raw(
        required=True,
        metadata={"type": "string", "format": "binary", "description": "Le fichier"},
    )


class RemoveForm(Base):
    """Why an attachment is removed (its files and history stay)."""

    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class AttachmentFileOut(Base):
    """One file an attachment had (the current one first)."""

    position = fields.Integer()
    event = fields.String(metadata={"description": "attached, replaced or removed"})
    sha256 = fields.String()
    size = fields.Integer()
    media_type = fields.String()
    filename = fields.String()
    description = fields.String()
    previous = fields.String(allow_none=True)
    actor = fields.String()
    reason = fields.String(allow_none=True)
    at = fields.String()
    url = fields.String(metadata={"description": "Téléchargement de ce fichier"})


class AttachmentOut(Base):
    """An attachment: its current file and every file it had."""

    id = fields.String()
    subject = fields.String()
    ref = fields.String()
    uploader = fields.String()
    removed = fields.Boolean()
    current = fields.Nested(AttachmentFileOut)
    history = fields.List(fields.Nested(AttachmentFileOut))


class AttachmentList(Base):
    attachments = fields.List(fields.Nested(AttachmentOut))
