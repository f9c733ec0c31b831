"""What a person reads on every console page, in a real Chromium: a crawl of the console in
Chinese on a 390 px phone as an admin with every plugin on.

A walk through screenshots of every page (zh/en, 1366/390) found codes and English on Chinese
pages — forms labelled "Is Active"/"Tier", settings "Who may submit: anyone", "known_customers",
"pdd_connector.refund_amount", "-390 min left", tables wider than the phone, the browser's own
"Choose Files · No file chosen". Each page here must show none of these classes of defect in its
visible text (a `<code>` element, which shows what a person types, is left out):

* an ISO timestamp (`2026-12-01T04:53`, `+00:00`, seconds with microseconds);
* a Python value (`None`, `True`, `False`);
* a snake_case code (`known_customers`, `pdd_connector`) outside an e-mail address, a URL or a token's prefix;
* a field label Flask-Admin took from a model ("Is Active", "Tier", "Email") or a page wider
  than the screen, or a native file input (it reads in the browser's language, not the page's).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.models import Customer, Team
from gongdan.plugins import get_host

from .test_console_browser import sign_in

pytestmark = pytest.mark.browser

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d|[+-]00:00\b|\d\d:\d\d:\d\d\.\d+")
PYTHON = re.compile(r"\b(None|True|False)\b")
SNAKE = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
ADDRESS = re.compile(r"\S+@\S+|https?://\S+|\bgd_[A-Za-z0-9_-]{7}\b")  # and a token's shown prefix, `gd_` + 7
# the model field names Flask-Admin would show as labels when a view does not label them
MODEL_LABELS = re.compile(
    r"^(Is Active|Email|Name|Role|Team|Language|Tier|Phone|Address|Description|Level|Skill|User)$"
)
ALLOWED_SNAKE = {"access_token"}  # the name of a robot address's parameter, which an admin pastes
SKIP = re.compile(r"logout|/export|/download|/raw|/files/|/logo|\.csv|\.xlsx")

VISIBLE = r"""
() => {
  const hidden = new Set(['CODE', 'PRE', 'SCRIPT', 'STYLE', 'TEMPLATE']);
  const parts = [];
  const walk = (node) => {
    for (const child of node.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) { parts.push(child.textContent); continue; }
      if (child.nodeType !== Node.ELEMENT_NODE || hidden.has(child.tagName)) continue;
      const style = getComputedStyle(child);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      walk(child);
      parts.push('\n');
    }
  };
  walk(document.body);
  const labels = [...document.querySelectorAll('form label')].map(l => l.textContent.trim());
  const files = [...document.querySelectorAll('input[type=file]')]
    .filter(i => i.getBoundingClientRect().width > 2).map(i => i.name);
  const dates = [...document.querySelectorAll('input[type=date], input[type=month], input[type=week], '
    + 'input[type=time], input[type=datetime-local]')].map(i => i.type + ' ' + i.name);
  return {text: parts.join(' '), labels, files, dates,
          wide: document.documentElement.scrollWidth - document.documentElement.clientWidth};
}
"""


@pytest.fixture
def busy_shop(tenant, make_user):
    """acme with every loaded plugin on, a team, a customer and a few tickets (one with a reply)."""
    host = get_host()
    for name, record in host.records.items():
        if record.status == "loaded":
            host.set_enabled(tenant, name, enabled=True)
    Team.create(tenant=tenant, name="售后组")
    Customer.create(tenant=tenant, name="王女士", tier="vip")
    admin, _ = make_user("admin", name="店长")
    first, _ = tickets.create(tenant, {"subject": "快递一直没到", "channel": "web"}, Actor.system("t"))
    tickets.create(tenant, {"subject": "收到破损商品", "channel": "email", "priority": "urgent"}, Actor.system("t"))
    tickets.comment(tenant, first, "您好，正在为您查询。", Actor.of(admin))
    return admin


def _pattern(url: str) -> str:
    parts = urlsplit(url)
    return re.sub(r"\d+", "N", parts.path) + ("?" if parts.query and "/new" in parts.path else "")


def _cache_assets(page) -> None:
    """Serve each stylesheet, script and font once: the crawl's time is the pages', not ~20
    revalidated assets a page."""
    kept: dict[str, dict] = {}

    def serve(route) -> None:
        url = route.request.url
        if url not in kept:
            response = route.fetch()
            kept[url] = {"status": response.status, "headers": response.headers, "body": response.body()}
        route.fulfill(**kept[url])

    page.route(re.compile(r"\.(css|js|woff2?|ttf|svg|png)(\?.*)?$"), serve)


def test_no_console_page_shows_codes_or_spills_off_a_phone(busy_shop, live_server, chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.set_default_timeout(15000)
    _cache_assets(page)
    sign_in(page, live_server, busy_shop.email)
    page.wait_for_url(re.compile("/console/"))
    queue, seen, problems = [f"{live_server}/console/"], {}, []
    while queue and len(seen) < 45:
        url = queue.pop(0)
        key = _pattern(url)
        if key in seen or SKIP.search(url):
            continue
        seen[key] = url
        response = page.goto(url, wait_until="domcontentloaded")
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        shown = page.evaluate(VISIBLE)
        text = ADDRESS.sub(" ", shown["text"])
        found = {
            "ISO time": sorted(set(ISO.findall(text))),
            "Python value": sorted(set(PYTHON.findall(text))),
            "code": sorted(set(SNAKE.findall(text)) - ALLOWED_SNAKE),
            "model label": sorted({label for label in shown["labels"] if MODEL_LABELS.match(label)}),
            "native file input": shown["files"],
            "native date input": shown["dates"],
        }
        problems += [f"{url}: {kind} {values}" for kind, values in found.items() if values]
        if shown["wide"] > 1:
            problems.append(f"{url}: {shown['wide']} px wider than the phone")
        for href in page.evaluate("() => [...document.querySelectorAll('a[href]')].map(a => a.href.split('#')[0])"):
            if href.startswith(f"{live_server}/console/") and _pattern(href) not in seen:
                queue.append(href)
    context.close()
    assert len(seen) >= 30, sorted(seen)  # the crawl reached the plugins' pages, not only the menu
    assert problems == []
