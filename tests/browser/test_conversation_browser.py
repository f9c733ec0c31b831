"""The conversation in a real Chromium: an agent attaches a photo to a reply, sees it as a thumbnail,
and sees the reply's delivery state change from queued to sent (and a failure with its retry)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

from gongdan import delivery, tickets
from gongdan.actors import Actor
from gongdan.contributions import Channel, DeliveryReceipt
from gongdan.errors import DeliveryError
from gongdan.hookspecs import hookimpl
from gongdan.models import Tenant

from .conftest import wait_until
from .test_console_browser import sign_in

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("GONGDAN_SCREENSHOTS")  # a directory to keep the screenshots in


class Courier:
    """A channel that reaches customers; the first send fails for good, the others go through."""

    def __init__(self) -> None:
        self.failures = [DeliveryError("550 mailbox unavailable / 邮箱不存在", permanent=True)]

    def deliver(self, message):
        if self.failures:
            raise self.failures.pop(0)
        return DeliveryReceipt(external_id=f"c-{message.delivery_id}")

    @hookimpl
    def gongdan_channels(self):
        return [Channel(name="courier", label="Courier", deliver=self.deliver)]


@pytest.fixture
def photo(tmp_path: Path) -> Path:
    path = tmp_path / "破损照片.png"
    image = Image.new("RGB", (1200, 900), "#d9e6f2")
    for x in range(300, 900):
        for y in range(400, 420):
            image.putpixel((x, y), (200, 40, 40))
    out = io.BytesIO()
    image.save(out, "PNG")
    path.write_bytes(out.getvalue())
    return path


def shoot(page, tmp_path: Path, name: str) -> None:
    target = Path(SHOTS) if SHOTS else tmp_path
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / f"{name}.png"), full_page=True)


def test_a_reply_with_a_photo_shows_a_thumbnail_and_its_delivery_state(
    register_plugin, app, live_server, chromium, tenant, make_user, photo, tmp_path
):
    register_plugin(Courier(), "courier")
    Tenant.update(notify_acknowledgement=False).where(Tenant.id == tenant.id).execute()
    agent, _ = make_user("agent", email="li.na@acme.example.com", name="李娜")
    ticket, _ = tickets.create(
        Tenant.get_by_id(tenant.id),
        {"subject": "收到的羽绒服有破洞", "channel": "courier", "customer": {"name": "赵先生"}},
        Actor.system("channel:courier"),
    )
    tickets.comment(tenant, ticket, "袖口有个洞，能退吗？", Actor.system("channel:courier"), from_customer=True)
    sent_label = {"zh-CN": "已发送", "en-US": "Sent"}
    for locale, width in (("zh-CN", 1366), ("en-US", 1366), ("zh-CN", 390), ("en-US", 390)):
        context = chromium.new_context(locale=locale, viewport={"width": width, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15000)
        sign_in(page, live_server, agent.email)
        page.wait_for_selector("#dashboard")
        page.goto(f"{live_server}/console/tickets/{ticket.id}")
        if (locale, width) == ("zh-CN", 1366):
            page.fill("#reply-body", "您好，照片已收到，已为您登记退货。")
            page.set_input_files("#reply-files", str(photo))
            page.click("#send-reply")
            page.wait_for_selector("#timeline li.reply .delivery-queued")
            assert "排队中" in page.locator("#timeline li.reply .delivery").inner_text()
            assert "回复已保存，正在排队发送给客户。" in page.content()
            thumb = page.locator("#timeline li.reply .attachment-thumb img")
            thumb.wait_for()
            wait_until(page, "img => img.complete && img.naturalWidth > 0", thumb.element_handle())
            assert thumb.evaluate("img => img.naturalWidth") == 320
            delivery.flush()  # the first send fails for good
            page.reload()
            assert "发送失败：550 mailbox unavailable" in page.locator("#timeline li.reply .delivery").inner_text()
            shoot(page, tmp_path, f"ticket-failed-{locale}-{width}")
            page.click("#timeline li.reply .retry-delivery")
            page.wait_for_selector("#timeline li.reply .delivery-queued")
            delivery.flush()
            page.reload()
            assert page.locator("#timeline li.reply .delivery").inner_text() == "已发送"
        else:
            assert page.locator("#timeline li.reply .delivery").inner_text() == sent_label[locale]
            box = page.locator("#timeline li.reply .attachment-thumb img").bounding_box()
            assert box["width"] <= 160  # the thumbnail fits a phone's timeline
            assert page.evaluate("document.documentElement.scrollWidth") <= width + 1  # no sideways scrolling
        shoot(page, tmp_path, f"ticket-{locale}-{width}")
        context.close()
