"""The knowledge plugin's per-tenant settings."""

from __future__ import annotations

from marshmallow import Schema, fields


class KnowledgeSettings(Schema):
    """Settings the console renders as a form."""

    suggest_on_tickets = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Suggest articles on new and changed tickets",
            "label_zh": "在工单上推荐文章",
            "label_en": "Suggest articles on tickets",
            "description_zh": "新建和修改的工单上显示可能有用的文章",
        },
    )
    builtin_synonyms = fields.Boolean(
        load_default=True,
        metadata={
            "description": "Use the built-in e-commerce synonyms (优惠券/满减券/红包, 烂/坏, 压扁/破损 …)",
            "label_zh": "使用内置电商同义词",
            "label_en": "Built-in e-commerce synonyms",
            "description_zh": "搜索时把常见说法视为同义（优惠券/满减券/红包、烂/坏、压扁/破损 …）",
            "description_en": "search treats common wordings as the same (优惠券/满减券/红包, 烂/坏, 压扁/破损 …)",
        },
    )
