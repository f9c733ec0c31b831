"""Reading the portal's forms: each problem is a (field, message) pair in the visitor's words."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from gongdan import attachments
from gongdan.api.common import storable
from gongdan.models import Category, Tenant
from gongdan.queries import ShapedQuery

MAX_FILES = 6
MAX_SUBJECT = 200
MAX_TEXT = 10_000
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
PHONE = re.compile(r"^\+?[0-9][0-9 \-]{4,19}$")
ORDER = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")
HONEYPOT = "website"


@dataclass
class Checked:
    """The cleaned values of a form and the problems found, by field."""

    values: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def text(self, form: Any, name: str, t: Any, *, required: bool = False, limit: int = MAX_TEXT) -> str:
        """A trimmed text field, checked for presence, length and storable characters."""
        value = (form.get(name) or "").strip()
        if not storable(value):
            self.errors[name] = t("This contains characters that cannot be stored.")
        elif required and not value:
            self.errors[name] = t("Please fill this in.")
        elif len(value) > limit:
            self.errors[name] = t("At most %(n)s characters.", n=limit)
        self.values[name] = value
        return value


# the form and each submit read every path of the tenant's tree: plain rows, SQL compiled once
_PATHS = ShapedQuery(
    lambda p: Category.select(Category.path).where(Category.tenant == p("tenant")).order_by(Category.path)
)


def public_categories(tenant: Tenant, prefixes: list[str]) -> list[str]:
    """Paths of the categories customers may pick: under a public prefix (all when none)."""
    paths = [path for (path,) in _PATHS.cursor((), {"tenant": tenant.id}).fetchall()]
    cleaned = [p.strip().strip("/") for p in prefixes if p.strip().strip("/")]
    if not cleaned:
        return paths
    return [p for p in paths if any(p == c or p.startswith(c + "/") for c in cleaned)]


def email_ok(address: str) -> bool:
    """Whether `address` looks like an e-mail address."""
    return bool(EMAIL.match(address)) and len(address) <= 254


def submit(form: Any, files: list[Any], t: Any, categories: list[str], verified_email: str | None) -> Checked:
    """The request form: subject, description, category, order number, contact, files."""
    checked = Checked()
    checked.text(form, "subject", t, required=True, limit=MAX_SUBJECT)
    checked.text(form, "description", t)
    category = checked.text(form, "category", t, limit=320)
    if category and category not in categories:
        checked.errors["category"] = t("Please choose a category from the list.")
    order = checked.text(form, "order_number", t, limit=64)
    if order and not ORDER.match(order):
        checked.errors["order_number"] = t("Letters, digits and dashes only.")
    email = checked.text(form, "email", t, limit=254).lower()
    checked.values["email"] = verified_email or email
    if email and not verified_email and not email_ok(email):
        checked.errors["email"] = t("This does not look like an e-mail address.")
    phone = checked.text(form, "phone", t, limit=32)
    if phone and not PHONE.match(phone):
        checked.errors["phone"] = t("This does not look like a phone number.")
    if not checked.values["email"] and not phone and "email" not in checked.errors:
        checked.errors["email"] = t("Give an e-mail address or a phone number so we can reach you.")
    _files(checked, files, t)
    return checked


def _files(checked: Checked, files: list[Any], t: Any) -> None:
    """Read the uploads as `(filename, bytes, declared type)`, checked against the core's limits
    before anything is created (the core's `attachments.store` checks again when storing)."""
    chosen = [f for f in files if f and f.filename]
    checked.values["files"] = []
    if len(chosen) > MAX_FILES:
        checked.errors["files"] = t("At most %(n)s files.", n=MAX_FILES)
        return
    limit = attachments.max_bytes()
    read = [(f.filename, f.stream.read(limit + 1), f.mimetype) for f in chosen]
    for name, data, _ in read:
        if not data:
            checked.errors["files"] = t("%(name)s is empty.", name=name)
        elif len(data) > limit:
            checked.errors["files"] = t("%(name)s is too large: at most %(mb)s MB a file.", name=name, mb=_mb(limit))
    together = attachments.message_max_bytes()
    if sum(len(d) for _, d, _ in read) > together:
        checked.errors["files"] = t("The files are too large together: at most %(mb)s MB.", mb=_mb(together))
    checked.values["files"] = read


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):g}"


def reply(form: Any, files: list[Any], t: Any) -> Checked:
    """A customer's reply: text (required) and files."""
    checked = Checked()
    checked.text(form, "body", t, required=True)
    _files(checked, files, t)
    return checked
