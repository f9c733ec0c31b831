"""Showing the core's domain errors to console users."""

from __future__ import annotations

from typing import Any

from flask import flash
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from gongdan.accounts import MIN_PASSWORD_LENGTH, EmailTaken, PasswordRejected
from gongdan.errors import GongdanError
from gongdan.permissions import Denied

# why `gongdan.permissions` refused, in the console's language
DENIED_TEXT = {
    "role": _l("your role does not allow this"),
    "colleague_ticket": _l("reassigning a colleague's ticket needs the supervisor role"),
    "colleague_merge": _l("merging a colleague's ticket needs the supervisor role"),
    "above_you": _l("this is out of reach of your role"),
}


# why the password policy refused a password (`gongdan.accounts.PasswordRejected.reason`)
PASSWORD_TEXT = {
    "too_short": _l("the password needs at least %(n)s characters", n=MIN_PASSWORD_LENGTH),
    "common": _l("this password is too common or too easy to guess: choose another"),
}
EMAIL_TAKEN_TEXT = _l("this e-mail address cannot be used: choose another")


def error_text(exc: GongdanError) -> str:
    """The message of a domain error, with its field messages (a refusal in the console's language)."""
    if isinstance(exc, PasswordRejected):
        return str(PASSWORD_TEXT[exc.reason])
    if isinstance(exc, EmailTaken):
        return str(EMAIL_TAKEN_TEXT)
    if isinstance(exc, Denied) and exc.reason in DENIED_TEXT:
        return str(DENIED_TEXT[exc.reason])
    text = exc.message
    fields = getattr(exc, "fields", None) or {}
    if fields:
        details = "; ".join(f"{name}: {', '.join(map(str, why))}" for name, why in fields.items())
        text = f"{text} ({details})"
    return text


def flash_error(exc: GongdanError, prefix: str = "") -> None:
    """Flash a domain error for the next page."""
    flash(prefix + gettext("Not done: %(why)s", why=error_text(exc)), "danger")


# the console's own pages for the refusals people meet by following a link (not the API's)
ERROR_PAGES = {
    403: (_l("Not for your role"), _l("Your role does not open this page. Ask an admin if you need it.")),
    404: (_l("Not found"), _l("This page or the thing it shows is not there (any more), or not in your tenant.")),
}


def error_page(exc: Any) -> Any:
    """A console page in the user's language for a 403 or 404 under `/console/` (Werkzeug's
    English page otherwise); None for anything else, which keeps its default answer."""
    from flask import render_template, request

    code = getattr(exc, "code", None)
    if code not in ERROR_PAGES or not request.path.startswith("/console"):
        return None
    title, explanation = ERROR_PAGES[code]
    return render_template("console/error.html", title=title, explanation=explanation, status=code), code
