"""The knowledge plugin's per-tenant settings."""

from __future__ import annotations

from marshmallow import Schema, fields


class KnowledgeSettings(Schema):
    """Settings the console renders as a form."""

    suggest_on_tickets = fields.Boolean(
        load_default=True, metadata={"description": "Suggest articles on new and changed tickets"}
    )
