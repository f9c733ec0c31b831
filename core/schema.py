"""Creating and upgrading the schema of the core and of every loaded plugin (`gongdan init`)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import peewee
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator, migrate

from gongdan import audit, citus, clock, limits
from gongdan.contributions import Schema
from gongdan.db import db, is_postgres
from gongdan.models import SchemaVersion
from gongdan.plugins import PluginHost


@dataclass
class SchemaChange:
    """What `upgrade` did for one owner."""

    owner: str
    before: int | None
    after: int


def schemas(host: PluginHost) -> list[Schema]:
    """Every schema the core and the loaded plugins declare, the core's first."""
    found = [item for _, item in host.collect("gongdan_schema")]
    return sorted(found, key=lambda s: (s.owner != "core", s.owner))


def upgrade(host: PluginHost, report: list[str] | None = None) -> list[SchemaChange]:
    """Create missing tables and run pending migrations; safe to repeat.

    On PostgreSQL every tenant-owned table's keys are then made to carry `tenant_id`, and on a
    database with the `citus` extension the tables are distributed or referenced (see
    `gongdan.citus`); one line per such change is appended to `report`.
    """
    with _sqlite_foreign_keys_off():
        return _upgrade(host, report)


@contextmanager
def _sqlite_foreign_keys_off() -> Iterator[None]:
    """SQLite adds a NOT NULL column by rebuilding the table (copy, DROP, rename): with foreign keys
    on, the DROP deletes or nulls every row that refers to it (a new column on `tenant` would cascade
    to every ticket). The pragma only takes effect outside a transaction, so it is set here, around
    the whole upgrade, and restored after."""
    if is_postgres() or db.in_transaction() or not db.pragma("foreign_keys"):
        yield
        return
    db.pragma("foreign_keys", 0)
    try:
        yield
    finally:
        db.pragma("foreign_keys", 1)


def _upgrade(host: PluginHost, report: list[str] | None) -> list[SchemaChange]:
    migrator = PostgresqlMigrator(db.obj) if is_postgres() else SqliteMigrator(db.obj)
    SchemaVersion.create_table(safe=True)
    changes = []
    found = schemas(host)
    kinds = citus.kinds(found)
    tenant_tables = {t for t, k in kinds.items() if k.kind == citus.TENANT}
    for schema in found:
        row = SchemaVersion.get_or_none(SchemaVersion.owner == schema.owner)
        before = row.version if row else None
        with db.atomic():
            if row is None:
                with citus.inline_foreign_keys_off(schema.models, tenant_tables):
                    db.create_tables(schema.models, safe=True)
                SchemaVersion.create(owner=schema.owner, version=schema.version)
            else:
                for version in range(row.version + 1, schema.version + 1):
                    step = schema.migrations.get(version)
                    if step is None:
                        raise RuntimeError(f"{schema.owner}: no migration to version {version}")
                    step(migrator)
                _add_new_columns(migrator, schema.models, tenant_tables)
                with citus.inline_foreign_keys_off(schema.models, tenant_tables):
                    db.create_tables(schema.models, safe=True)
                if schema.version != row.version:
                    row.version, row.applied_at = schema.version, clock.now()
                    row.save()
        changes.append(SchemaChange(schema.owner, before, schema.version))
    with db.atomic():
        layout = citus.shard_keys(kinds, foreign_keys=not citus.has_citus())
        _fill_sign_in_names(layout)
    audit.protect()
    limits.prepare()
    layout += citus.distribute(kinds)
    if report is not None:
        report.extend(layout)
    return changes


def _fill_sign_in_names(layout: list[str]) -> None:
    """Users created before `sign_in_name` existed get their row (migration; idempotent)."""
    cursor = db.execute_sql(
        'INSERT INTO "sign_in_name" (email, tenant_id, user_id) SELECT u.email, u.tenant_id, u.id FROM "user" u '
        'WHERE NOT EXISTS (SELECT 1 FROM "sign_in_name" s WHERE s.email = u.email) ON CONFLICT DO NOTHING'
    )
    if cursor.rowcount and cursor.rowcount > 0:
        layout.append(f"sign_in_name: {cursor.rowcount} users' addresses recorded for sign-in")


def _add_new_columns(migrator: SchemaMigrator, models: Sequence[type], tenant_tables: set[str] = frozenset()) -> None:
    """Add each model field that an existing table lacks (additive changes need no migration).

    A new column on an existing table must be nullable or have a default; renames, drops and
    type changes still go through a numbered migration.
    """
    tables = set(db.get_tables())
    for model in models:
        table = model._meta.table_name
        if table not in tables:
            continue
        present = {column.name for column in db.get_columns(table)}
        missing = [f for f in model._meta.sorted_fields if f.column_name not in present]
        for field in missing:
            if not field.null and field.default is None:
                raise ValueError(
                    f"{table}.{field.column_name}: the table exists without this column, and a column added to an"
                    " existing table must allow NULL or have a default. Give the field null=True or a default,"
                    " or change the table in a numbered migration (Schema(version=N + 1, migrations={N + 1: fn}))."
                    " In a test database, a table of this name left by an older version of the plugin: drop it."
                )
        if missing:
            migrate(*(migrator.add_column(table, f.column_name, _plain_column(f, tenant_tables)) for f in missing))


def _plain_column(field: peewee.Field, tenant_tables: set[str]) -> peewee.Field:
    """On PostgreSQL a new foreign key to a tenant-owned table is added as a plain column;
    `citus.shard_keys` adds its composite `(tenant_id, x_id)` constraint."""
    if not (is_postgres() and isinstance(field, peewee.ForeignKeyField)):
        return field
    if field.rel_model._meta.table_name not in tenant_tables or field.column_name == citus.TENANT_COLUMN:
        return field
    return peewee.IntegerField(null=field.null, default=field.default, index=field.index)


def all_models(host: PluginHost) -> list[type[peewee.Model]]:
    """Every model of every schema (the test harness truncates them between tests)."""
    return [model for schema in schemas(host) for model in schema.models]
