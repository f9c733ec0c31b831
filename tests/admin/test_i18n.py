"""Chinese and English: from the browser, switchable, every string translated, plugin catalogues merged."""

from __future__ import annotations

import gettext as pygettext
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

import gongdan.admin
from gongdan.plugins import PluginRecord, get_host

ADMIN_DIR = Path(gongdan.admin.__file__).parent
PO = ADMIN_DIR / "translations/zh_CN/LC_MESSAGES/messages.po"
MO = ADMIN_DIR / "translations/zh_CN/LC_MESSAGES/messages.mo"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def _console_strings() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(ADMIN_DIR), METHODS, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_console_string_has_a_chinese_translation_in_the_compiled_catalogue():
    with PO.open("rb") as f:
        catalogue = read_po(f)
    translated = {m.id: m.string for m in catalogue if m.id and m.string}
    strings = _console_strings()
    assert len(strings) > 150
    missing = sorted(s for s in strings if s not in translated)
    assert missing == [], f"untranslated console strings: {missing}"
    with MO.open("rb") as f:
        compiled = pygettext.GNUTranslations(f)
    stale = [s for s in strings if compiled.gettext(s) != translated[s]]
    assert stale == [], f"messages.mo is older than messages.po for: {stale[:5]}"


def test_the_browser_language_is_used_before_sign_in(client, tenant):
    chinese = client.get("/console/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert "登录" in chinese.get_data(as_text=True)
    english = client.get("/console/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in english.get_data(as_text=True)


def test_switching_language_is_remembered_for_the_user(signed_in, console, tenant):
    user, browser = signed_in("admin")
    assert "Dashboard" in browser.text("/console/")
    response = browser.post("/console/language", {"lang": "zh_CN", "next": "/console/tickets/"})
    assert response.headers["Location"].endswith("/console/tickets/")
    page = browser.text("/console/")
    assert "仪表盘" in page
    assert "各渠道每日工单量" in page
    # Flask-Admin's own strings come from the zh_CN copy of its catalogue
    assert "列表" in browser.text("/console/teams/")
    again = console(user)
    assert "仪表盘" in again.text("/console/")
    browser.post("/console/language", {"lang": "en"})
    assert "Dashboard" in browser.text("/console/")
    assert browser.post("/console/language", {"lang": "fr"}).status_code == 400


@pytest.fixture
def plugin_with_catalogue(tmp_path):
    """A loaded plugin module whose translations directory holds one zh_CN message."""
    package = tmp_path / "gongdan_polyglot"
    folder = package / "translations/zh_CN/LC_MESSAGES"
    folder.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    po = folder / "messages.po"
    header = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    po.write_text(header + 'msgid "Order actions"\nmsgstr "订单操作"\n')
    with po.open("rb") as f, (folder / "messages.mo").open("wb") as out:
        write_mo(out, read_po(f))
    host = get_host()
    module = SimpleNamespace(__file__=str(package / "__init__.py"))
    host.records["polyglot"] = PluginRecord(name="polyglot", module=module)
    yield str(package / "translations")
    host.records.pop("polyglot", None)


def test_plugin_catalogues_are_merged_with_the_console(plugin_with_catalogue, app):
    from flask_babel import gettext

    assert plugin_with_catalogue in app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    with app.test_request_context("/console/", headers={"Accept-Language": "zh-CN"}):
        assert gettext("Order actions") == "订单操作"
        assert gettext("Dashboard") == "仪表盘"
