"""Per-tenant settings of the connector (the console renders its form from this schema)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from gongdan.models import PRIORITIES

TICKET_TARGETS = ("open", "pending", "resolved")
KINDS = ("refund_only", "return_refund", "exchange", "resend", "repair")
# what the console shows for each after-sales type (never the code)
KIND_WORDS = {
    "choice_labels_zh": {
        "refund_only": "仅退款",
        "return_refund": "退货退款",
        "exchange": "换货",
        "resend": "补寄",
        "repair": "维修",
    },
    "choice_labels_en": {
        "refund_only": "Refund only",
        "return_refund": "Return and refund",
        "exchange": "Exchange",
        "resend": "Resend",
        "repair": "Repair",
    },
}


def words(zh: str, en: str, help_zh: str, help_en: str) -> dict[str, str]:
    """A setting's label and help in both languages (the console form reads them; `description` is the
    English for the API's documents)."""
    return {
        "label_zh": zh,
        "label_en": en,
        "description_zh": help_zh,
        "description_en": help_en,
        "description": help_en,
    }


class PddSettingsSchema(Schema):
    """How after-sales records become tickets, and how often the connector syncs."""

    status_map = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,3}$")),
        values=fields.String(validate=validate.OneOf(TICKET_TARGETS)),
        load_default=dict,
        metadata=words(
            "售后状态对应的工单状态",
            "Ticket status per after-sales status",
            "拼多多售后状态码 → 工单状态，在默认对应之上追加",
            "Pinduoduo's after-sales status code → ticket status; adds to the defaults",
        ),
    )
    categories = fields.Dict(
        keys=fields.String(validate=validate.OneOf(KINDS), metadata=KIND_WORDS),
        values=fields.String(validate=validate.Length(min=1, max=320)),
        load_default=dict,
        metadata=words(
            "售后类型对应的分类",
            "Category per after-sales type",
            "例如 仅退款 → 售后/仅退款",
            "e.g. Refund only → 售后/仅退款",
        ),
    )
    priorities = fields.Dict(
        keys=fields.String(validate=validate.OneOf(KINDS), metadata=KIND_WORDS),
        values=fields.String(validate=validate.OneOf(PRIORITIES)),
        load_default=dict,
        metadata=words(
            "售后类型对应的优先级", "Priority per after-sales type", "工单的基础优先级", "the ticket's base priority"
        ),
    )
    high_amount_yuan = fields.Float(
        load_default=300.0,
        validate=validate.Range(min=0),
        metadata=words(
            "高额退款（元）",
            "High refund (yuan)",
            "等待商家处理、金额不低于此数的退款为高优先级",
            "a refund of at least this much waiting for the merchant is high priority",
        ),
    )
    urgent_hours = fields.Float(
        load_default=12.0,
        validate=validate.Range(min=0),
        metadata=words(
            "紧急时限（小时）",
            "Urgent within (hours)",
            "在此时间内到期的售后申请为紧急",
            "a request that expires within this many hours is urgent",
        ),
    )
    extra_tags = fields.List(
        fields.String(validate=validate.Length(min=1, max=50)),
        load_default=list,
        metadata=words(
            "附加标签", "Extra tags", "加到每张拼多多工单上的标签", "tags added to every ticket from Pinduoduo"
        ),
    )
    reason_subcategory = fields.Boolean(
        load_default=True,
        metadata=words(
            "按买家原因细分",
            "File under the buyer's reason",
            "存在「分类/买家原因」时归入该子分类",
            "file under category/<buyer's reason> when that category exists",
        ),
    )
    fetch_detail = fields.Boolean(
        load_default=True,
        metadata=words(
            "读取售后详情",
            "Read each record's detail",
            "读取每条变更记录的详情（买家描述、图片、截止时间）",
            "read each changed record's detail (buyer's words, images, deadline)",
        ),
    )
    sync_interval_seconds = fields.Integer(
        load_default=60,
        validate=validate.Range(min=30, max=3600),
        metadata=words("同步间隔（秒）", "Sync interval (seconds)", "多久同步一次", "how often to sync"),
    )
    overlap_minutes = fields.Integer(
        load_default=5,
        validate=validate.Range(min=1, max=25),
        metadata=words(
            "窗口重叠（分钟）",
            "Window overlap (minutes)",
            "每个同步窗口回溯进上一个窗口的时长",
            "how far each window reaches back into the previous one",
        ),
    )
    lag_minutes = fields.Integer(
        load_default=3,
        validate=validate.Range(min=3, max=60),
        metadata=words(
            "窗口延后（分钟）",
            "Window lag (minutes)",
            "同步窗口至少落后网关时钟这么久（≥ 3）",
            "windows end at least this far behind the gateway clock (≥ 3)",
        ),
    )
    initial_days = fields.Integer(
        load_default=1,
        validate=validate.Range(min=0, max=90),
        metadata=words(
            "首次同步天数",
            "First sync (days back)",
            "新店铺首次同步回溯的天数",
            "how far back a new shop's first sync reaches",
        ),
    )
