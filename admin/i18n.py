"""Languages of the console: zh_CN and English, chosen from the browser and switchable.

The console's catalogue (`admin/translations`, domain `messages`) is merged with the
`translations` directory of every loaded plugin module into one; Flask-Admin's own strings come
from `admin/translations/<lang>/LC_MESSAGES/admin.po` (a copy of Flask-Admin's zh_Hans_CN catalogue).

One meaning per msgid: when two catalogues translate a msgid differently, the one merged later
wins (Flask-Babel), so the order is fixed — plugins by name, then the core, so a plugin cannot
re-translate the core's words; directories the deployment configures come last, to override.
`tests/admin/test_i18n_catalogues.py` fails when first-party catalogues disagree.
"""

from __future__ import annotations

import gettext as pygettext
import logging
import os
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from babel import Locale
from flask import Flask, request, session
from flask_babel import Babel
from flask_login import current_user

from gongdan.plugins import PluginHost

log = logging.getLogger(__name__)
LANGUAGES = {"zh_CN": "中文", "en": "English"}
LANG_KEY = "console_lang"
TRANSLATIONS = Path(__file__).parent / "translations"


def plugin_translation_dirs(host: PluginHost) -> list[str]:
    """The `translations` directory of every loaded plugin module that ships one, by plugin name."""
    return [folder for _name, folder in _named_plugin_dirs(host)]


def _named_plugin_dirs(host: PluginHost) -> list[tuple[str, str]]:
    dirs = []
    for name in sorted(host.loaded):
        module = host.records[name].module
        path = getattr(module, "__file__", None)
        if path:
            candidate = Path(path).parent / "translations"
            if candidate.is_dir():
                dirs.append((name, str(candidate)))
    return dirs


def compiled_catalogue(folder: str | os.PathLike[str], language: str = "zh_CN") -> dict[Any, str]:
    """The messages of `folder/<language>/LC_MESSAGES/messages.mo` as {msgid: translation}
    (plural msgids are `(msgid, n)`); empty when there is none."""
    mo = Path(folder) / language / "LC_MESSAGES" / "messages.mo"
    if not mo.is_file():
        return {}
    with mo.open("rb") as f:
        compiled = pygettext.GNUTranslations(f)
    return {msgid: text for msgid, text in compiled._catalog.items() if msgid}


def clashes(catalogues: Mapping[str, Mapping[Any, str]]) -> list[str]:
    """One line per msgid that two of `catalogues` ({name: {msgid: translation}}) translate
    differently, naming each catalogue and its words: what must stay empty, as the console
    merges them into one catalogue where only one translation can win."""
    by_msgid: dict[Any, dict[str, str]] = defaultdict(dict)
    for name, catalogue in catalogues.items():
        for msgid, text in catalogue.items():
            by_msgid[msgid][name] = text
    lines = []
    for msgid, texts in sorted(by_msgid.items(), key=lambda item: str(item[0])):
        if len(set(texts.values())) > 1:
            lines.append(f"{msgid!r}: " + ", ".join(f"{name} {text!r}" for name, text in texts.items()))
    return lines


def _warn_of_clashes(host: PluginHost) -> None:
    """Log, once when the console starts, every msgid the loaded plugins translate unlike the core
    or each other (the merge order decides; a first-party clash fails tests/admin instead)."""
    catalogues = {name: compiled_catalogue(folder) for name, folder in _named_plugin_dirs(host)}
    catalogues["core"] = compiled_catalogue(TRANSLATIONS)
    for line in clashes(catalogues):
        log.warning("console catalogues disagree on %s (the core, else the later plugin name, wins)", line)


KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}


def untranslated(folder: str | os.PathLike[str], language: str = "zh_CN") -> list[str]:
    """The console strings of a package (its `.py` files and `templates/`) that its
    `translations/<language>/LC_MESSAGES/messages.po` does not translate, or its `.mo` not yet
    compiled: what a plugin's test asserts is empty."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.pofile import read_po

    root = Path(folder)
    found = set()
    methods = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
    for _file, _line, message, _comments, _context in extract_from_dir(
        str(root), methods, keywords=KEYWORDS, options_map={"**/templates/**.html": {}}
    ):
        found.add(message if isinstance(message, str) else message[0])
    catalogue = root / "translations" / language / "LC_MESSAGES"
    with (catalogue / "messages.po").open("rb") as po:
        translated = {m.id: m.string for m in read_po(po) if m.id and m.string}
    with (catalogue / "messages.mo").open("rb") as mo:
        compiled = pygettext.GNUTranslations(mo)
    return sorted(s for s in found if s not in translated or compiled.gettext(s) != translated[s])


def _locale(code: str) -> Locale:
    locale = Locale.parse(code)
    # Babel says zh_Hans_CN; catalogues (ours, the plugins') live in zh_CN folders
    locale.script = None
    return locale


def select_locale() -> Locale:
    """The session's choice, else the signed-in user's, else the browser's best match."""
    return _locale(_chosen_code())


def _chosen_code() -> str:
    chosen = session.get(LANG_KEY)
    if chosen in LANGUAGES:
        return chosen
    user_lang = getattr(current_user, "language", None) if getattr(current_user, "is_authenticated", False) else None
    if user_lang in LANGUAGES:
        return user_lang
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"]) if request else None
    return "en" if best == "en" else ("zh_CN" if best else "en")


def init_i18n(app: Flask, host: PluginHost) -> None:
    """Set up Flask-Babel with the console's and the plugins' catalogues, merged in a fixed order
    where a later catalogue wins: the plugins by name, then the core (its words are never
    re-translated by a plugin), then any `BABEL_TRANSLATION_DIRECTORIES` already configured."""
    dirs = [os.path.abspath(d) for d in (*plugin_translation_dirs(host), str(TRANSLATIONS))]
    configured = app.config.get("BABEL_TRANSLATION_DIRECTORIES")
    if configured:
        for extra in (os.path.abspath(d) for d in configured.split(";") if d):
            if extra not in dirs:
                dirs.append(extra)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = ";".join(dirs)
    _warn_of_clashes(host)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    if "babel" in app.extensions:
        app.extensions["babel"].locale_selector = select_locale
        return
    Babel(app, locale_selector=select_locale)
