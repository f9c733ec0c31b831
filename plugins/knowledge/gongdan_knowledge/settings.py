"""The knowledge plugin's per-tenant settings."""

from __future__ import annotations

from marshmallow import Schema, fields


class KnowledgeSettings(Schema):
    """Settings the console renders as a form."""

    suggest_on_tickets = fields.Boolean(
        load_default=True, metadata={"description": "Suggest articles on new and changed tickets"}
    )
    builtin_synonyms = fields.Boolean(
        load_default=True,
        metadata={"description": "Use the built-in e-commerce synonyms (优惠券/满减券/红包, 烂/坏, 压扁/破损 …)"},
    )
