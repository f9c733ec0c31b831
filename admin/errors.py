"""Showing the core's domain errors to console users."""

from __future__ import annotations

from flask import flash
from flask_babel import gettext

from gongdan.errors import GongdanError


def error_text(exc: GongdanError) -> str:
    """The message of a domain error, with its field messages."""
    text = exc.message
    fields = getattr(exc, "fields", None) or {}
    if fields:
        details = "; ".join(f"{name}: {', '.join(map(str, why))}" for name, why in fields.items())
        text = f"{text} ({details})"
    return text


def flash_error(exc: GongdanError, prefix: str = "") -> None:
    """Flash a domain error for the next page."""
    flash(prefix + gettext("Not done: %(why)s", why=error_text(exc)), "danger")
