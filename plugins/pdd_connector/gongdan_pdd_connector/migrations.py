"""The connector's schema migrations (`Schema.migrations`)."""

from __future__ import annotations

import base64
import hashlib
import logging
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from gongdan import crypto
from gongdan.db import db
from gongdan.models import SystemSetting
from gongdan_pdd_connector.claims import claim_existing
from gongdan_pdd_connector.models import PddShop

log = logging.getLogger("gongdan_pdd_connector.migrations")

SECRET_FIELDS = ("client_secret", "access_token", "refresh_token")
_LEGACY_CONTEXT = b"gongdan-pdd-connector:v1:"


def _legacy_fernet() -> Fernet | None:
    """Version 1's key: Fernet from the secret key the core kept in the database (finding H2)."""
    row = SystemSetting.get_or_none(SystemSetting.key == "secret_key")
    if row is None:
        return None
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(_LEGACY_CONTEXT + row.value.encode()).digest()))


def to_core_encryption(migrator: Any) -> None:
    """v2: shop secrets and tokens move to `gongdan.crypto` (a key outside the database).

    Each value version 1 encrypted is decrypted with its old key and stored again through
    `EncryptedTextField`. A shop whose values cannot be recovered is marked `reauthorize`.
    """
    legacy = _legacy_fernet()
    columns = ", ".join(f'"{PddShop._meta.fields[name].column_name}"' for name in SECRET_FIELDS)
    stored = db.execute_sql(f'SELECT "id", {columns} FROM "{PddShop._meta.table_name}"').fetchall()
    for row in stored:  # as stored: the field would decrypt the values
        shop_id, values = row[0], dict(zip(SECRET_FIELDS, row[1:], strict=True))
        try:
            plain = {name: _recover(legacy, value) for name, value in values.items()}
        except ValueError:
            log.warning("pdd shop %s: its credentials cannot be decrypted; connect it again", shop_id)
            PddShop.update(
                client_secret="",
                access_token="",
                refresh_token="",
                auth_status="reauthorize",
                auth_error="credentials could not be recovered after the key change; connect the shop again",
            ).where(PddShop.id == shop_id).execute()
            continue
        PddShop.update(**plain).where(PddShop.id == shop_id).execute()


def _recover(legacy: Fernet | None, value: str | None) -> str:
    if not value or crypto.is_encrypted(value):
        return crypto.plain(value) or ""
    if legacy is None:
        raise ValueError("no legacy key")
    try:
        return legacy.decrypt(value.encode("ascii")).decode("utf-8")
    except (InvalidToken, UnicodeError):
        raise ValueError("not a legacy token") from None


MIGRATIONS = {2: to_core_encryption, 3: claim_existing}
