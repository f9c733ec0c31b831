"""The demo installation `gongdan demo` (and `make demo`) serves."""

from __future__ import annotations

import os

from gongdan import accounts, categories, hooks, tickets
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.models import AgentSkill, Skill, Team, Tenant, Ticket, User
from gongdan.plugins import get_host
from gongdan.schema import upgrade

DEMO_SLUG = "demo"
OUTBOUND_ALLOW, LOOPBACK = "GONGDAN_OUTBOUND_ALLOW", "127.0.0.0/8,::1"
ADMIN = ("admin@demo.gongdan.cn", "gongdan-demo")

CATEGORIES = (
    "售后/退货退款/质量问题",
    "售后/退货退款/七天无理由",
    "售后/仅退款/未收到货",
    "售后/换货/尺码不合适",
    "售后/补寄/少件漏发",
    "物流/配送/物流停滞",
    "物流/配送/催发货",
    "咨询/商品/尺码建议",
    "咨询/发票/开具发票",
    "咨询/活动/优惠券",
)

AGENTS = (
    ("li.na@demo.gongdan.cn", "李娜", "售后组", {"退货退款": 4, "质量问题": 3}),
    ("wang.wei@demo.gongdan.cn", "王伟", "售后组", {"退货退款": 2, "换货": 3}),
    ("zhang.min@demo.gongdan.cn", "张敏", "物流组", {"物流": 4, "催发货": 3}),
    ("chen.jing@demo.gongdan.cn", "陈静", "资深组", {"退货退款": 5, "发票": 3, "物流": 3}),
    ("liu.yang@demo.gongdan.cn", "刘洋", "咨询组", {"尺码": 4, "优惠券": 3}),
)

CUSTOMERS = (
    ("赵先生", "zhao@example.com", "vip", "收到的羽绒服有破洞", "售后/退货退款/质量问题", "high"),
    ("孙女士", "sun@example.com", "normal", "快递三天没更新了", "物流/配送/物流停滞", "normal"),
    ("周同学", "zhou@example.com", "normal", "鞋子偏小想换大一码", "售后/换货/尺码不合适", "normal"),
    ("吴女士", "wu@example.com", "vip", "少发了一件赠品", "售后/补寄/少件漏发", "normal"),
    ("郑先生", "zheng@example.com", "normal", "需要开具增值税发票", "咨询/发票/开具发票", "low"),
)


def allow_local_simulators() -> None:
    """The demo's simulators listen on loopback: add `127.0.0.0/8,::1` to `GONGDAN_OUTBOUND_ALLOW`
    for this process, so `gongdan.outbound` lets the demo reach them (and nothing else private)."""
    current = os.environ.get(OUTBOUND_ALLOW, "")
    os.environ[OUTBOUND_ALLOW] = ",".join(part for part in (current, LOOPBACK) if part)


def prepare() -> tuple[str, str]:
    """Create (once) the demo tenant with agents, skills, customers, categories and tickets.

    Enables every loaded plugin there and lets each add its demo data. Returns the login.
    """
    host = get_host()
    upgrade(host)
    tenant = Tenant.get_or_none(Tenant.slug == DEMO_SLUG)
    if tenant is not None:
        return ADMIN
    tenant = accounts.create_tenant(DEMO_SLUG, "拼多多演示旗舰店")
    admin = accounts.create_user(tenant, ADMIN[0], "admin", "演示管理员", ADMIN[1])
    accounts.create_user(tenant, "supervisor@demo.gongdan.cn", "supervisor", "客服主管", ADMIN[1])
    with write_transaction():
        for path in CATEGORIES:
            categories.ensure(tenant, path)
        for email, name, team_name, skills in AGENTS:
            team, _ = Team.get_or_create(tenant=tenant, name=team_name)
            agent = User.create(
                tenant=tenant,
                email=email,
                name=name,
                role="agent",
                team=team,
                password_hash=accounts.hash_password(ADMIN[1]),
            )
            for skill_name, level in skills.items():
                skill, _ = Skill.get_or_create(tenant=tenant, name=skill_name)
                AgentSkill.create(tenant=tenant, user=agent, skill=skill, level=level)
    for name in host.loaded:
        host.set_enabled(tenant, name, enabled=True)
    for name, email, tier, subject, category, priority in CUSTOMERS:
        tickets.create(
            tenant,
            {
                "subject": subject,
                "description": f"{name}：{subject}，请尽快处理。",
                "channel": "web",
                "priority": priority,
                "category": category,
                "customer": {"name": name, "email": email, "tier": tier},
            },
            Actor.system("demo"),
        )
    host.notify(tenant, "gongdan_demo_prepared", tenant=tenant, admin=admin)
    from gongdan import demo_history

    demo_history.build(tenant, list(User.of(tenant).where(User.role == "agent").order_by(User.id)))
    hooks.demo_history_built(tenant, list(Ticket.of(tenant).order_by(Ticket.id)))
    return ADMIN
