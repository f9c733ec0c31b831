"""The portal's language: the visitor's switch (a cookie), else the browser's Accept-Language.

The portal keeps its own choice apart from the console's (a customer is not a console user);
its strings live in this plugin's `translations` catalogue, which the console merges too.
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.support import NullTranslations, Translations
from flask import request

LANGUAGES = {"zh_CN": "中文", "en": "English"}
LANG_COOKIE = "gongdan_portal_lang"
TRANSLATIONS = Path(__file__).parent / "translations"


def choose(default: str = "zh_CN") -> str:
    """`zh_CN` or `en` for this request; `default` (the tenant's language) when the browser says neither."""
    chosen = request.args.get("lang") or request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    best = request.accept_languages.best_match(["zh-CN", "zh", "en"])
    if best is None:
        return default if default in LANGUAGES else "zh_CN"
    return "en" if best == "en" else "zh_CN"


@functools.cache
def catalogue(lang: str) -> NullTranslations:
    """The compiled catalogue of `lang` (English is the source language)."""
    if lang == "en":
        return NullTranslations()
    return Translations.load(str(TRANSLATIONS), [lang])
