"""`gongdan plugin new NAME [--connector]`: write a complete, installable, tested plugin.

The files come from `gongdan/data/scaffold/base` (and `connector` on top with `--connector`);
`@@name@@`-style markers in their paths and text are replaced, and the zh_CN catalogue is
written and compiled here, so the new plugin speaks Chinese and English from the start.
"""

from __future__ import annotations

import re
from importlib.metadata import version
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

from gongdan.errors import ValidationError

TEMPLATES = Path(__file__).parent / "data" / "scaffold"
NAME_RULE = re.compile(r"^[a-z][a-z0-9_]{1,30}$")

CONNECTOR_PARTS = {
    "category": "connector",
    "connector_imports": (
        "from .connector import (\n"
        "    gongdan_channels,\n"
        "    gongdan_connectors,\n"
        "    gongdan_event_kinds,\n"
        "    gongdan_scheduled_jobs,\n"
        "    gongdan_schema,\n"
        "    gongdan_ticket_actions,\n"
        "    gongdan_ticket_panels,\n"
        ")\n"
    ),
    "marshmallow_extra": ", validates",
    "gongdan_imports": "\nfrom gongdan import outbound\nfrom gongdan.schemas import Secret\n",
    "connector_settings": """
    gateway_url = fields.Url(
        load_default=None,
        allow_none=True,
        require_tld=False,
        metadata={"label": _l("Gateway URL"), "description": _l("The marketplace API's address.")},
    )
    shop_id = fields.String(load_default="", validate=validate.Length(max=64), metadata={"label": _l("Shop id")})
    api_key = Secret(metadata={"label": _l("API key"), "description": _l("Stored encrypted, never shown.")})

    @validates("gateway_url")
    def _reachable(self, value: str | None, **_: object) -> None:
        outbound.check_url(value, allow_http=True)  # checked when saved, and again on every call""",
    "cli_imports": "from gongdan.dispatcher import finish_and_report, prepare\n",
    "cli_local_imports": "from .sync import sync_tenant\n",
    "cli_commands": """

@group.command("sync")
@click.option("--tenant", "slug", help="Only this tenant (default: every tenant with the plugin on).")
def sync(slug: str | None) -> None:
    \"\"\"Sync now. Then the plugins' work on the stored tickets (assignment, SLA clocks, triggers)
    runs here, as the worker's job `core.dispatch` would: nothing waits for `gongdan worker`.\"\"\"
    open_db()
    tenants = [accounts.tenant(slug)] if slug else get_host().tenants_with(NAME)
    prepare()  # jobs acting on what a sync records (triggers on plugin events) start before it
    for tenant in tenants:
        if not get_host().is_enabled(tenant, NAME):
            raise click.ClickException(f"{NAME} is not enabled for {tenant.slug}")
        click.echo(f"{tenant.slug}: {sync_tenant(tenant)} records stored")
    finish_and_report([tenant.id for tenant in tenants])  # the hooks `upsert` left to the worker
""",
}
BASE_PARTS = dict.fromkeys(CONNECTOR_PARTS, "") | {"category": "automation"}
HOOKS = ["gongdan_api_blueprints", "gongdan_cli_commands", "gongdan_console_views", "gongdan_settings_schema"]
HOOKS += ["gongdan_ticket_created"]
CONNECTOR_HOOKS = ["gongdan_channels", "gongdan_connectors", "gongdan_scheduled_jobs", "gongdan_schema"]
CONNECTOR_HOOKS += ["gongdan_event_kinds", "gongdan_ticket_actions", "gongdan_ticket_panels"]

# (English, Chinese) of every string the new plugin shows a person
MESSAGES = [
    ("Tag for new tickets", "新工单的标签"),
    ("Added to every new ticket.", "添加到每张新工单。"),
    ("Status", "状态"),
    ("@@Title@@ status", "@@Title@@ 状态"),
    ("Enabled for this tenant.", "已在本租户启用。"),
    ("set", "已设置"),
    ("not set", "未设置"),
    ("@@Title@@", "@@Title@@"),
]
CONNECTOR_MESSAGES = [
    ("Gateway URL", "网关地址"),
    ("The marketplace API's address.", "平台接口的地址。"),
    ("Shop id", "店铺编号"),
    ("API key", "接口密钥"),
    ("Stored encrypted, never shown.", "加密保存，从不显示。"),
    ("@@Title@@ record %(id)s", "@@Title@@ 售后单 %(id)s"),
    ("On the marketplace", "平台上的状态"),
]


def markers(name: str, connector: bool) -> dict[str, str]:
    """What each `@@marker@@` becomes for plugin `name`."""
    core = version("gongdan").split(".")
    exported = sorted(["PLUGIN", *HOOKS, *(CONNECTOR_HOOKS if connector else [])])
    return {
        "all": "".join(f'\n    "{name}",' for name in exported),
        "name": name,
        "module": f"gongdan_{name}",
        "dist": f"gongdan-{name.replace('_', '-')}",
        "area": name.replace("_", "-"),
        "Title": name.replace("_", " ").title(),
        "core_version": ".".join(core[:2]),
        **(CONNECTOR_PARTS if connector else BASE_PARTS),
    }


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"@@(\w+)@@", lambda m: values[m.group(1)], text)


def _catalogue(values: dict[str, str], connector: bool) -> tuple[bytes, bytes]:
    """The zh_CN catalogue as `.po` and compiled `.mo` bytes."""
    catalog = Catalog(locale="zh_CN", project=values["dist"], fuzzy=False)
    for english, chinese in MESSAGES + (CONNECTOR_MESSAGES if connector else []):
        catalog.add(_fill(english, values), _fill(chinese, values))
    po, mo = BytesIO(), BytesIO()
    write_po(po, catalog, omit_header=False)
    write_mo(mo, catalog)
    return po.getvalue(), mo.getvalue()


def create(name: str, target: Path, *, connector: bool = False) -> list[Path]:
    """Write plugin `name` into the new folder `target`; returns the files written.

    ValidationError for a name that is not a lower-case identifier or a target that exists.
    """
    if not NAME_RULE.match(name):
        raise ValidationError(
            "invalid plugin name", {"name": ["2–31 characters: a lower-case letter, then letters, digits or _"]}
        )
    if target.exists() and any(target.iterdir()):
        raise ValidationError("the folder is not empty", {"path": [f"{target} exists and is not empty"]})
    values = markers(name, connector)
    written: list[Path] = []
    for layer in ["base", "connector"] if connector else ["base"]:
        root = TEMPLATES / layer
        for source in sorted(root.rglob("*.tmpl")):
            relative = _fill(str(source.relative_to(root).with_suffix("")), values)
            path = target / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(_fill(source.read_text(encoding="utf-8"), values), encoding="utf-8")
            written.append(path)
    messages = target / values["module"] / "translations" / "zh_CN" / "LC_MESSAGES"
    messages.mkdir(parents=True, exist_ok=True)
    po, mo = _catalogue(values, connector)
    (messages / "messages.po").write_bytes(po)
    (messages / "messages.mo").write_bytes(mo)
    return [*written, messages / "messages.po", messages / "messages.mo"]
