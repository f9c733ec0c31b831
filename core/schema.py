"""Creating and upgrading the schema of the core and of every loaded plugin (`gongdan init`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import peewee
from playhouse.migrate import PostgresqlMigrator, SchemaMigrator, SqliteMigrator, migrate

from gongdan import audit, clock, limits
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


def upgrade(host: PluginHost) -> list[SchemaChange]:
    """Create missing tables and run pending migrations; safe to repeat."""
    migrator = PostgresqlMigrator(db.obj) if is_postgres() else SqliteMigrator(db.obj)
    SchemaVersion.create_table(safe=True)
    changes = []
    for schema in schemas(host):
        row = SchemaVersion.get_or_none(SchemaVersion.owner == schema.owner)
        before = row.version if row else None
        with db.atomic():
            if row is None:
                db.create_tables(schema.models, safe=True)
                SchemaVersion.create(owner=schema.owner, version=schema.version)
            else:
                for version in range(row.version + 1, schema.version + 1):
                    step = schema.migrations.get(version)
                    if step is None:
                        raise RuntimeError(f"{schema.owner}: no migration to version {version}")
                    step(migrator)
                _add_new_columns(migrator, schema.models)
                db.create_tables(schema.models, safe=True)
                if schema.version != row.version:
                    row.version, row.applied_at = schema.version, clock.now()
                    row.save()
        changes.append(SchemaChange(schema.owner, before, schema.version))
    audit.protect()
    limits.prepare()
    return changes


def _add_new_columns(migrator: SchemaMigrator, models: Sequence[type]) -> None:
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
        if missing:
            migrate(*(migrator.add_column(table, f.column_name, f) for f in missing))


def all_models(host: PluginHost) -> list[type[peewee.Model]]:
    """Every model of every schema (the test harness truncates them between tests)."""
    return [model for schema in schemas(host) for model in schema.models]
