"""Portable field types: UTC timestamps and JSON that behave alike on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import peewee


class UTCDateTimeField(peewee.DateTimeField):
    """Stores naive UTC, gives back aware UTC datetimes; accepts any aware datetime."""

    def db_value(self, value: datetime | None) -> Any:
        if isinstance(value, datetime) and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return super().db_value(value)

    def python_value(self, value: Any) -> datetime | None:
        if isinstance(value, str):
            try:  # SQLite's text: one C call instead of peewee's trial of formats
                value = datetime.fromisoformat(value)
            except ValueError:
                value = super().python_value(value)
        else:
            value = super().python_value(value)
        if isinstance(value, datetime):
            return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value


class JSONField(peewee.TextField):
    """JSON stored as text, so one schema serves both databases."""

    def db_value(self, value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True)

    def python_value(self, value: str | None) -> Any:
        return None if value is None else json.loads(value)


class EncryptedTextField(peewee.TextField):
    """Text encrypted at rest with the installation's data key (`gongdan.crypto`), transparently.

    Reads give the plain text; a value not yet encrypted (a row from before the column was
    encrypted, which `gongdan init` converts) is given back as stored. `gongdan keys rotate`
    finds these fields on every model and re-encrypts them.
    """

    def db_value(self, value: str | None) -> str | None:
        from gongdan import crypto

        return None if value is None else crypto.encrypt(str(value))

    def python_value(self, value: str | None) -> str | None:
        from gongdan import crypto

        return crypto.plain(value)
