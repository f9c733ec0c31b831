"""The portal's per-tenant settings (the console renders its form from this schema)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from gongdan import outbound

WHO_MAY_SUBMIT = ("anyone", "known_customers")


def category_paths() -> list[str]:
    """The category paths of the tenant whose settings are shown or saved (none outside that)."""
    from gongdan.models import Category
    from gongdan.plugins import settings_tenant

    tenant = settings_tenant()
    return [] if tenant is None else [c.path for c in Category.of(tenant).order_by(Category.path)]


def team_names() -> list[str]:
    """'' (no team) and the names of that tenant's teams."""
    from gongdan.models import Team
    from gongdan.plugins import settings_tenant

    tenant = settings_tenant()
    return [""] + ([] if tenant is None else [t.name for t in Team.of(tenant).order_by(Team.name)])


def _refused(zh: str, en: str) -> ValidationError:
    """A refusal in the language of the request (the console's page, the API's Accept-Language)."""
    return ValidationError(zh if outbound.request_language().lower().startswith("zh") else en)


class PortalSettings(Schema):
    """Branding, what is public, who may submit, and how ratings are followed up."""

    open = fields.Boolean(
        load_default=True,
        metadata={
            "label_zh": "开放门户",
            "label_en": "Portal open",
            "description_zh": "关闭后门户的每个页面都显示“页面不存在”",
            "description_en": "off: every portal page answers “not found”",
        },
    )
    display_name = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={
            "label_zh": "显示名称",
            "label_en": "Name shown",
            "description_zh": "留空：用店铺名称",
            "description_en": "empty: the shop's name",
        },
    )
    colour = fields.String(
        load_default="#1f6feb",
        validate=validate.Regexp(r"^#[0-9a-fA-F]{6}$", error="must be a colour like #1f6feb"),
        metadata={
            "label_zh": "品牌颜色",
            "label_en": "Brand colour",
            "description_zh": "页眉、按钮和链接的颜色，例如 #1f6feb",
            "description_en": "header, buttons and links, e.g. #1f6feb",
        },
    )
    welcome_text = fields.String(
        load_default="",
        validate=validate.Length(max=1000),
        metadata={
            "label_zh": "欢迎语",
            "label_en": "Welcome text",
            "description_zh": "显示在“有什么可以帮您？”下面",
            "description_en": "shown under “How can we help?”",
        },
    )
    public_categories = fields.List(
        fields.String(validate=validate.Length(min=1, max=320)),
        load_default=list,
        metadata={
            "label_zh": "公开的分类",
            "label_en": "Public categories",
            "description_zh": "客户可选的分类（含其下级）；都不选：全部",
            "description_en": "the categories customers may pick (and those under them); none ticked: all",
            "choices": category_paths,
        },
    )
    who_may_submit = fields.String(
        load_default="anyone",
        validate=validate.OneOf(WHO_MAY_SUBMIT),
        metadata={
            "label_zh": "谁可以提交请求",
            "label_en": "Who may submit",
            "choice_labels_zh": {"anyone": "任何人", "known_customers": "只限已登录的老客户"},
            "choice_labels_en": {"anyone": "Anyone", "known_customers": "Only signed-in known customers"},
        },
    )
    submits_per_ip_hour = fields.Integer(
        load_default=20,
        validate=validate.Range(min=1, max=100_000),
        metadata={
            "label_zh": "每个 IP 每小时可提交",
            "label_en": "Requests per IP address an hour",
            "description_zh": "同一 IP 地址每小时最多提交的请求数（办公室共用出口时调高）",
            "description_en": "requests one IP address may submit an hour (raise it for a shared office NAT)",
        },
    )
    reopen_days = fields.Integer(
        load_default=7,
        validate=validate.Range(min=0, max=365),
        metadata={
            "label_zh": "可重新打开的天数",
            "label_en": "Days to reopen",
            "description_zh": "解决后多少天内客户可以重新打开",
            "description_en": "days after resolution a customer may reopen",
        },
    )
    low_rating_followup = fields.Boolean(
        load_default=False,
        metadata={
            "label_zh": "差评自动跟进",
            "label_en": "Follow up low ratings",
            "description_zh": "客户评“不满意”时新建一张跟进工单",
            "description_en": "an “unsatisfied” rating opens a follow-up ticket",
        },
    )
    followup_team = fields.String(
        load_default="",
        validate=validate.Length(max=100),
        metadata={
            "label_zh": "跟进团队",
            "label_en": "Follow-up team",
            "description_zh": "跟进工单交给的团队",
            "description_en": "the team follow-up tickets go to",
            "choices": team_names,
            "choice_labels_zh": {"": "不指定"},
            "choice_labels_en": {"": "None"},
        },
    )
    public_url = fields.String(
        load_default="",
        validate=validate.Regexp(r"^(https?://[^\s/]+)?$", error="must be like https://help.example.com"),
        metadata={
            "label_zh": "门户网址",
            "label_en": "Portal address",
            "description_zh": "发给客户的链接里用的本服务器地址，例如 https://help.example.com；留空：用服务器配置的地址",
            "description_en": (
                "this server's address in links sent to customers, e.g. https://help.example.com; "
                "empty: the server's configured address"
            ),
        },
    )

    @validates("public_categories")
    def _known_categories(self, value: list[str], **_: Any) -> None:
        from gongdan.plugins import settings_tenant

        if settings_tenant() is None:  # stored settings loading: a since-deleted category is skipped
            return
        known = set(category_paths())
        unknown = [path for path in value if path.strip().strip("/") not in known]
        if unknown:
            shown = "、".join(unknown)
            raise _refused(
                f"公开的分类：本店没有分类「{shown}」", f"Public categories: this shop has no category {shown}"
            )

    @validates("followup_team")
    def _known_team(self, value: str, **_: Any) -> None:
        from gongdan.plugins import settings_tenant

        if settings_tenant() is None or not value or value in team_names():
            return
        raise _refused(f"跟进团队：本店没有团队「{value}」", f"Follow-up team: this shop has no team {value}")
