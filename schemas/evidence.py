"""Responses of the evidence routes (the bundle itself is a ZIP, not JSON)."""

from __future__ import annotations

from marshmallow import Schema, fields


class AttachmentOut(Schema):
    sha256 = fields.String(required=True, metadata={"description": "content address: SHA-256 of the bytes, hex"})
    bytes = fields.Integer(required=True)
