"""Masking of personal data as people see it, with the patterns Chinese service teams use.

Mobile numbers `138****5678`, ID card numbers `110101********1234`, e-mail `z***@qq.com`,
addresses cut after the district `广东省深圳市南山区****`. The console, the API and exports
show customers through `customer_dict`; the clear values come only from an audited reveal
(`gongdan.customers.reveal`).
"""

from __future__ import annotations

import re
from typing import Any

STARS = "****"
_MOBILE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?(1[3-9]\d)[- ]?(\d{4})[- ]?(\d{4})(?!\d)")
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[\dXx])(?![0-9A-Za-z])")
_DISTRICT = re.compile(r"^(.+?(?<!自治)(?:区|县|旗))")
_CITY = re.compile(r"^(.+?(?:市|自治州|地区|盟))")


def mask_phone(value: str | None) -> str | None:
    """`13812345678` → `138****5678`; other numbers keep their last four digits."""
    if not value:
        return value
    mobile = _MOBILE.fullmatch(value.strip())
    if mobile:
        return f"{mobile[1]}{STARS}{mobile[3]}"
    digits = re.sub(r"\D", "", value)
    return STARS + digits[-4:] if len(digits) > 4 else STARS


def mask_id_number(value: str | None) -> str | None:
    """An 18-digit resident ID `110101199003071234` → `110101********1234` (region and check kept)."""
    if not value:
        return value
    found = _ID_NUMBER.fullmatch(value.strip())
    if found:
        return f"{found[1]}{'*' * 8}{found[3]}"
    return STARS


def mask_email(value: str | None) -> str | None:
    """`zhao@qq.com` → `z***@qq.com` (the domain stays: it says which mail service)."""
    if not value:
        return value
    local, at, domain = value.strip().rpartition("@")
    if not at or not local:
        return STARS
    return f"{local[0]}***@{domain}"


def mask_address(value: str | None) -> str | None:
    """`广东省深圳市南山区科技园南路88号` → `广东省深圳市南山区****` (cut after the district or county)."""
    if not value:
        return value
    text = value.strip()
    kept = _DISTRICT.match(text) or _CITY.match(text)
    head = kept[1] if kept else text[:3]
    return head + STARS if len(head) < len(text) else head


def mask_text(value: str | None) -> str | None:
    """Free text with every mobile and 18-digit ID number in it masked (notes, exports)."""
    if not value:
        return value
    text = _ID_NUMBER.sub(lambda m: f"{m[1]}{'*' * 8}{m[3]}", value)
    return _MOBILE.sub(lambda m: f"{m[1]}{STARS}{m[3]}", text)


MASKS = {"email": mask_email, "phone": mask_phone, "address": mask_address}


def customer_dict(customer: Any, *, revealed: bool = False) -> dict[str, Any]:
    """A customer as the API, the console and exports show it: contact details masked.

    `revealed=True` only for the answer of an audited reveal (`gongdan.customers.reveal`).
    """
    data = {"id": customer.id, "name": customer.name, "tier": customer.tier}
    for field, mask in MASKS.items():
        value = getattr(customer, field, None)
        data[field] = value if revealed else mask(value)
    data["masked"] = not revealed
    return data
