"""One meaning per console string: the catalogues the console merges never disagree.

The console merges the core's catalogue with every loaded plugin's into ONE (`init_i18n`), so a
msgid two catalogues translate differently would read as whichever is merged last — a plugin's
"Closed" (an SLA calendar's day off: 休息) turned every ticket's status badge into 休息. A plugin
whose string means something else gives it its own English msgid; one that means the same uses
the same Chinese.
"""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo

import gongdan.admin
from gongdan import tickets
from gongdan.actors import Actor
from gongdan.admin.i18n import TRANSLATIONS, clashes, compiled_catalogue, plugin_translation_dirs
from gongdan.plugins import PluginRecord, get_host

ROOT = Path(gongdan.admin.__file__).resolve().parent.parent
FIRST_PARTY = ("analytics", "assignment", "automation", "email", "knowledge", "pdd_connector", "portal", "sla")


def first_party_catalogues() -> dict[str, dict]:
    """`{"core" or plugin folder: {msgid: translation}}` of the compiled zh_CN catalogues the
    console merges: the core's and every first-party plugin's (in this repository)."""
    catalogues = {"core": compiled_catalogue(TRANSLATIONS)}
    for name in FIRST_PARTY:
        found = sorted((ROOT / "plugins" / name).glob("gongdan_*/translations"))
        assert found, f"plugin {name} ships no translations directory"
        catalogues[name] = compiled_catalogue(found[0])
    return catalogues


def test_no_msgid_is_translated_differently_by_two_first_party_catalogues():
    catalogues = first_party_catalogues()
    assert all(len(c) > 20 for c in catalogues.values()), {n: len(c) for n, c in catalogues.items()}
    found = clashes(catalogues)
    assert found == [], "msgids translated differently by two catalogues (one meaning per msgid: give the "
    "plugin's own meaning its own English msgid, or use the same Chinese):\n" + "\n".join(found)


def test_the_clash_check_names_the_msgid_and_both_catalogues():
    lines = clashes({"core": {"Closed": "已关闭", "Open": "处理中"}, "sla": {"Closed": "休息", "Open": "处理中"}})
    assert lines == ["'Closed': core '已关闭', sla '休息'"]


def test_every_first_party_plugin_loaded_here_is_checked():
    """A new first-party plugin with a catalogue must join FIRST_PARTY, or it escapes the check."""
    merged = {Path(d).resolve() for d in plugin_translation_dirs(get_host())}
    in_repo = {d for d in merged if (ROOT / "plugins") in d.parents}
    checked = {sorted((ROOT / "plugins" / n).glob("gongdan_*/translations"))[0].resolve() for n in FIRST_PARTY}
    assert in_repo <= checked, sorted(str(d) for d in in_repo - checked)


@pytest.fixture
def retranslating_plugin(tmp_path):
    """Two loaded plugin modules, `aaa_words` and `zzz_words`: both re-translate the core's
    "Closed", and translate "Rota" differently."""
    host = get_host()
    added = []
    for name, closed, rota in (("aaa_words", "甲", "值班表甲"), ("zzz_words", "乙", "值班表乙")):
        package = tmp_path / f"gongdan_{name}"
        folder = package / "translations/zh_CN/LC_MESSAGES"
        folder.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        catalogue = Catalog(locale="zh_CN")
        catalogue.add("Closed", closed)
        catalogue.add("Rota", rota)
        with (folder / "messages.mo").open("wb") as out:
            write_mo(out, catalogue)
        host.records[name] = PluginRecord(name=name, module=SimpleNamespace(__file__=str(package / "__init__.py")))
        added.append(name)
    yield
    for name in added:
        host.records.pop(name, None)


def test_the_core_wins_and_plugins_merge_in_name_order(retranslating_plugin, caplog, gongdan_db):
    from flask_babel import gettext

    from gongdan.web import create_app

    with caplog.at_level("WARNING", logger="gongdan.admin.i18n"):
        app = create_app()
    warned = [r.getMessage() for r in caplog.records if r.name == "gongdan.admin.i18n"]
    closed = [m for m in warned if "disagree on 'Closed':" in m]
    assert closed, warned
    for words in ("aaa_words '甲'", "zzz_words '乙'", "core '已关闭'"):
        assert words in closed[0]
    assert any("'Rota': aaa_words '值班表甲', zzz_words '值班表乙'" in m for m in warned), warned

    dirs = app.config["BABEL_TRANSLATION_DIRECTORIES"].split(";")
    assert Path(dirs[-1]) == TRANSLATIONS.resolve()
    with app.test_request_context("/console/", headers={"Accept-Language": "zh-CN"}):
        assert gettext("Closed") == "已关闭"  # a plugin cannot re-translate the core's words
        assert gettext("Rota") == "值班表乙"  # between plugins, the later name wins


def test_status_badges_read_the_cores_words_with_every_plugin_enabled(tenant, enable_plugin, console_client):
    for name in get_host().loaded:
        enable_plugin(name)
    assert set(FIRST_PARTY) <= set(get_host().enabled(tenant))
    actor = Actor.system("test")
    shut, _ = tickets.create(tenant, {"subject": "已结束的咨询", "channel": "web"}, actor)
    for status in ("open", "resolved", "closed"):
        tickets.transition(tenant, shut, status, actor)
    working, _ = tickets.create(tenant, {"subject": "还在处理的咨询", "channel": "web"}, actor)
    tickets.transition(tenant, working, "open", actor)
    browser = console_client("admin", language="zh-CN")
    closed_page = browser.text(f"/console/tickets/{shut.id}")
    assert '<span class="badge badge-primary" id="ticket-status">已关闭</span>' in closed_page
    open_page = browser.text(f"/console/tickets/{working.id}")
    assert '<span class="badge badge-primary" id="ticket-status">处理中</span>' in open_page
    listing = browser.text("/console/tickets/?status=closed")
    assert '<td class="d-none d-sm-table-cell">已关闭</td>' in listing
