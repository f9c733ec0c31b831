"""Every encrypted value of the installation: key rotation and the data step of `gongdan init`.

Encrypted values are found generically: each `EncryptedTextField` of every model the core and
the loaded plugins declare, and each `gongdan.schemas.Secret` in the plugins' stored settings.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import peewee

from gongdan import crypto, customers
from gongdan.db import db, is_postgres
from gongdan.fields import EncryptedTextField
from gongdan.models import SystemSetting, TenantPlugin
from gongdan.plugins import PluginHost
from gongdan.schema import all_models

BATCH = 500
LEGACY_SECRET_KEY = "secret_key"  # noqa: S105 - the setting's name; where the secret key lived before (finding H2)

Progress = Callable[[int], None]


@dataclass
class Rotation:
    """What `rotate` did."""

    new_key: str
    old_keys: list[str]
    rewritten: int = 0
    dropped: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def encrypted_columns(host: PluginHost) -> list[tuple[type[peewee.Model], EncryptedTextField]]:
    """`(model, field)` for every encrypted column of the core's and the loaded plugins' models."""
    return [
        (model, item)
        for model in all_models(host)
        for item in model._meta.sorted_fields
        if isinstance(item, EncryptedTextField)
    ]


def _stored(model: type[peewee.Model], item: EncryptedTextField) -> Iterator[list[tuple[object, str]]]:
    """Pages of `(primary key, value as stored)` of the column's non-empty values, in key order."""
    table, column = model._meta.table_name, item.column_name
    key = model._meta.primary_key.column_name
    select = f'SELECT "{key}", "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL AND "{column}" != \'\''
    order = f' ORDER BY "{key}" LIMIT {BATCH}'
    page = db.execute_sql(select + order).fetchall()
    while page:
        yield page
        page = db.execute_sql(f'{select} AND "{key}" > {db.param}{order}', (page[-1][0],)).fetchall()


def _rewrite_column(
    model: type[peewee.Model], item: EncryptedTextField, wanted: Callable[[str], bool]
) -> Iterator[int]:
    """Re-encrypt the column's values `wanted` picks under the active key; yields per value seen."""
    table, column = model._meta.table_name, item.column_name
    key = model._meta.primary_key.column_name
    update = f'UPDATE "{table}" SET "{column}" = {db.param} WHERE "{key}" = {db.param} AND "{column}" = {db.param}'
    for page in _stored(model, item):
        with db.atomic():
            for pk, raw in page:
                changed = 0
                if wanted(raw):  # compare-and-set: a value written meanwhile is already current
                    changed = db.execute_sql(update, (crypto.encrypt(crypto.plain(raw) or ""), pk, raw)).rowcount
                yield changed


def _rewrite_settings(host: PluginHost, wanted: Callable[[str], bool]) -> Iterator[int]:
    """The same for the `Secret` values in plugins' stored settings (one step per settings row)."""
    for row in TenantPlugin.select().order_by(TenantPlugin.id):
        secrets = host.secret_settings(row.plugin) if row.plugin in host.loaded else []
        fresh = dict(row.settings)
        for name in secrets:
            value = fresh.get(name)
            if value and wanted(value):
                fresh[name] = crypto.encrypt(crypto.plain(value) or "")
        changed = 0
        if fresh != row.settings:
            changed = (
                TenantPlugin.update(settings=fresh)
                .where((TenantPlugin.id == row.id) & (TenantPlugin.settings == row.settings))
                .execute()
            )
        yield changed


def count_values(host: PluginHost) -> int:
    """How many steps a full pass takes (non-empty encrypted values plus settings rows)."""
    total = TenantPlugin.select().count()
    for model, item in encrypted_columns(host):
        total += model.select().where(item.is_null(False) & (item != "")).count()
    return total


def _rewrite_all(host: PluginHost, wanted: Callable[[str], bool], progress: Progress | None) -> int:
    done = 0
    steps = [_rewrite_column(model, item, wanted) for model, item in encrypted_columns(host)]
    steps.append(_rewrite_settings(host, wanted))
    for step in steps:
        for changed in step:
            done += changed
            if progress is not None:
                progress(1)
    return done


def _under(keys: set[str]) -> Callable[[str], bool]:
    """A picker of the values that are plain text or encrypted under one of `keys`."""
    return lambda raw: not crypto.is_encrypted(raw) or crypto.key_id(raw) in keys


def rotate(host: PluginHost, progress: Progress | None = None) -> Rotation:
    """Add a new data key, re-encrypt every value under it, then drop the old keys.

    The old keys stay readable until every value has moved. Other processes may keep
    encrypting with the old key for up to `crypto.ACTIVE_TTL` seconds, so a second pass after
    that time moves their values too; a key some value still uses is kept (see `Rotation.kept`).
    """
    old = crypto.key_ids()
    new = crypto.create_key()
    crypto.activate(new)
    started = time.monotonic()
    result = Rotation(new_key=new, old_keys=old)
    result.rewritten = _rewrite_all(host, _under(set(old)), progress)
    if old:  # stragglers other processes wrote with an old key before they saw the new one
        time.sleep(max(0.0, crypto.ACTIVE_TTL - (time.monotonic() - started)))
        result.rewritten += _rewrite_all(host, _under(set(old)), None)
    used = _keys_in_use(host)
    for kid in old:
        if kid in used:
            result.kept.append(kid)
        else:
            crypto.drop_key(kid)
            result.dropped.append(kid)
    return result


def _keys_in_use(host: PluginHost) -> set[str]:
    used: set[str] = set()
    for model, item in encrypted_columns(host):
        for page in _stored(model, item):
            used.update(crypto.key_id(raw) for _, raw in page if crypto.is_encrypted(raw))
    for row in TenantPlugin.select():
        used.update(crypto.key_id(v) for v in row.settings.values() if isinstance(v, str) and crypto.is_encrypted(v))
    return used


def _widen_columns(host: PluginHost) -> None:
    """On PostgreSQL, make text of encrypted columns that were created as varchar (ciphertexts are longer)."""
    if not is_postgres():
        return
    for model, item in encrypted_columns(host):
        table = model._meta.table_name
        kind = {c.name: c.data_type for c in db.get_columns(table)}.get(item.column_name, "")
        if kind.startswith("character varying"):
            db.execute_sql(f'ALTER TABLE "{table}" ALTER COLUMN "{item.column_name}" TYPE text')


def encrypt_plain_values(host: PluginHost) -> dict[str, int]:
    """`gongdan init`'s data step: encrypt values stored in clear before their column was encrypted.

    Also fills the customers' blind indexes and deletes the secret key older versions kept in
    the database. Safe to repeat; returns what it did.
    """
    _widen_columns(host)
    encrypted = _rewrite_all(host, lambda raw: not crypto.is_encrypted(raw), None)
    indexed = customers.migrate_plain_rows()
    removed = SystemSetting.delete().where(SystemSetting.key == LEGACY_SECRET_KEY).execute()
    return {"encrypted": encrypted, "indexed": indexed, "legacy_key_removed": removed}
