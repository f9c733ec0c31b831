"""Shard-ready keys and Citus (distributed PostgreSQL): table kinds, keys, distribution, doctor.

Every table of the core and of each plugin has a *kind* (`Schema.kinds`, by table name):

* `tenant` — a client's rows (every `TenantModel`, unless declared otherwise). On PostgreSQL
  `gongdan init` makes its primary key `(tenant_id, id)` (peewee still finds rows by `id`, drawn
  from the same sequence), puts `tenant_id` first in each of its unique indexes, and makes each
  foreign key to another tenant-owned table composite: `(tenant_id, x_id)` references
  `(tenant_id, id)`. On Citus it is distributed by `tenant_id`, co-located with the others, so
  everything of one tenant lives on one shard and joins stay there.
* `reference` — small installation-wide tables (tenants, schema versions, settings, the sign-in
  lookup): one copy on every node.
* `distributed:<column>` — installation-wide rows sharded by their own key (the limiter's counters).

SQLite (one machine, never Citus) keeps the declared keys: `INTEGER PRIMARY KEY id` and the
declared unique indexes; nothing there needs the tenant in a key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import peewee as pw

from gongdan.db import db, is_postgres

TENANT = "tenant"
REFERENCE = "reference"
DISTRIBUTED = "distributed:"
TENANT_COLUMN = "tenant_id"


@dataclass(frozen=True)
class TableKind:
    """One table's kind: `tenant`, `reference` or `distributed:<column>`, and its owner."""

    table: str
    kind: str
    owner: str
    model: type[pw.Model]

    @property
    def column(self) -> str | None:
        """The distribution column, or None for a reference table."""
        if self.kind == TENANT:
            return TENANT_COLUMN
        if self.kind.startswith(DISTRIBUTED):
            return self.kind[len(DISTRIBUTED) :]
        return None


def _has_tenant(model: type[pw.Model]) -> bool:
    field = model._meta.fields.get("tenant")
    return isinstance(field, pw.ForeignKeyField) and field.column_name == TENANT_COLUMN


def kinds(schemas: Iterable[Any]) -> dict[str, TableKind]:
    """Every table's kind, by table name (undeclared tables without a tenant are left out)."""
    found: dict[str, TableKind] = {}
    for schema in schemas:
        declared = dict(getattr(schema, "kinds", {}) or {})
        for model in schema.models:
            table = model._meta.table_name
            kind = declared.get(table) or (TENANT if _has_tenant(model) else None)
            if kind is not None:
                found[table] = TableKind(table, kind, schema.owner, model)
    return found


def problems(schemas: Sequence[Any]) -> list[str]:
    """What breaks the shard-ready rule in the declared schemas (empty when all is well).

    Each message names the owner, the table and what to do about it.
    """
    found = kinds(schemas)
    out: list[str] = []
    for schema in schemas:
        declared = dict(getattr(schema, "kinds", {}) or {})
        tables = {m._meta.table_name for m in schema.models}
        for table in sorted(set(declared) - tables):
            out.append(f"{schema.owner}: kinds names {table!r}, which is not one of its tables")
        for model in schema.models:
            table = model._meta.table_name
            item = found.get(table)
            if item is None:
                out.append(
                    f"{schema.owner}: table {table!r} has no tenant_id and no declared kind: make it a "
                    "TenantModel (tenant-owned) or declare it in Schema(kinds={...}) as 'reference' "
                    "or 'distributed:<column>'"
                )
                continue
            kind = item.kind
            if kind not in (TENANT, REFERENCE) and not (kind.startswith(DISTRIBUTED) and item.column):
                out.append(f"{schema.owner}: table {table!r} has an unknown kind {kind!r}")
                continue
            if kind == TENANT and not _has_tenant(model):
                out.append(f"{schema.owner}: table {table!r} is declared tenant-owned but has no tenant_id column")
                continue
            if kind.startswith(DISTRIBUTED) and item.column not in {f.column_name for f in model._meta.sorted_fields}:
                out.append(f"{schema.owner}: table {table!r} is distributed by {item.column!r}, which it lacks")
            if kind == TENANT:
                pk = model._meta.primary_key
                if isinstance(pk, pw.CompositeKey):
                    columns = [model._meta.fields[n].column_name for n in pk.field_names]
                    if columns[0] != TENANT_COLUMN:
                        out.append(f"{schema.owner}: table {table!r}: its composite primary key must start with tenant")
                elif not isinstance(pk, pw.AutoField) and pk.column_name != TENANT_COLUMN:
                    out.append(
                        f"{schema.owner}: table {table!r}: a tenant-owned table needs an `id` AutoField, a "
                        "composite primary key starting with tenant, or the tenant itself (one row a tenant)"
                    )
            for field in model._meta.refs:
                target = found.get(field.rel_model._meta.table_name)
                if target is None or target.kind != TENANT or field.column_name == TENANT_COLUMN:
                    continue
                if kind != TENANT:
                    out.append(
                        f"{schema.owner}: table {table!r} ({kind}) has a foreign key {field.column_name!r} to the "
                        f"tenant-owned table {target.table!r}: only a tenant-owned table may point at tenant-owned "
                        "rows (add a tenant to it: make it a TenantModel)"
                    )
    return out


# --- PostgreSQL: the keys ---------------------------------------------------------------------


def _tenant_fk_fields(model: type[pw.Model], tenant_tables: set[str]) -> list[pw.ForeignKeyField]:
    return [
        f for f in model._meta.refs if f.column_name != TENANT_COLUMN and f.rel_model._meta.table_name in tenant_tables
    ]


class inline_foreign_keys_off:  # noqa: N801 - used as a context manager
    """While active, `create_tables` leaves out foreign keys between tenant-owned tables on
    PostgreSQL (`shard_keys` adds them composite afterwards)."""

    def __init__(self, models: Sequence[type[pw.Model]], tenant_tables: set[str]) -> None:
        self.fields = [
            f for m in models if m._meta.table_name in tenant_tables for f in _tenant_fk_fields(m, tenant_tables)
        ]
        self.saved: list[bool] = []

    def __enter__(self) -> None:
        self.saved = [f.deferred for f in self.fields]
        if is_postgres():
            for f in self.fields:
                f.deferred = True

    def __exit__(self, *exc: object) -> None:
        for f, saved in zip(self.fields, self.saved, strict=True):
            f.deferred = saved


def _rows(sql: str, params: Sequence[Any] = ()) -> list[tuple]:
    return list(db.execute_sql(sql, params).fetchall())


def _fk_name(table: str, column: str) -> str:
    return f"{table}_{column}_tenant_fkey"[:63]


_ON_DELETE = {"CASCADE": "CASCADE", "SET NULL": "SET NULL", "RESTRICT": "RESTRICT", "NO ACTION": "NO ACTION"}


def shard_keys(table_kinds: dict[str, TableKind], *, foreign_keys: bool = True) -> list[str]:
    """Make every tenant-owned table's keys carry `tenant_id` (PostgreSQL; idempotent).

    Returns one line per change. Old single-column foreign keys between tenant-owned tables are
    dropped first, then primary keys become `(tenant_id, id)`, unique indexes gain `tenant_id`
    first, and the foreign keys come back composite.
    """
    if not is_postgres():
        return _sqlite_unique_indexes(table_kinds)
    tenant_tables = {t for t, k in table_kinds.items() if k.kind == TENANT}
    present = {r[0] for r in _rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    tables = sorted(tenant_tables & present)
    done: list[str] = []
    if not tables:
        return done
    # 1. foreign keys between tenant-owned tables that lack tenant_id
    for table, name in _rows(
        """SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c
           WHERE c.contype = 'f' AND c.connamespace = current_schema()::regnamespace
             AND c.conrelid::regclass::text = ANY(%s) AND c.confrelid::regclass::text = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid
                             AND a.attnum = ANY(c.conkey) AND a.attname = %s)""",
        (_quoted(tables), _quoted(tables), TENANT_COLUMN),
    ):
        db.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        done.append(f"{_plain(table)}: dropped foreign key {name} (no tenant_id)")
    # 2. primary keys
    for table in tables:
        pk = _rows(
            """SELECT c.conname, array_agg(a.attname ORDER BY k.i) FROM pg_constraint c
               CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, i)
               JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
               WHERE c.contype = 'p' AND c.conrelid = %s::regclass GROUP BY c.conname""",
            (f'"{table}"',),
        )
        if pk and pk[0][1][0] == TENANT_COLUMN:
            continue
        if pk:
            db.execute_sql(f'ALTER TABLE "{table}" DROP CONSTRAINT "{pk[0][0]}"')
        db.execute_sql(f'ALTER TABLE "{table}" ADD PRIMARY KEY ({TENANT_COLUMN}, id)')
        done.append(f"{table}: primary key (tenant_id, id)")
    # 3. unique indexes without tenant_id
    for table, index, definition, constraint in _rows(
        """SELECT i.indrelid::regclass::text, ic.relname, pg_get_indexdef(i.indexrelid), con.conname
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype = 'u'
           WHERE i.indisunique AND NOT i.indisprimary AND i.indrelid::regclass::text = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid
                             AND a.attnum = ANY(i.indkey) AND a.attname = %s)""",
        (_quoted(tables), TENANT_COLUMN),
    ):
        widened = re.sub(r" USING (\w+) \(", rf" USING \1 ({TENANT_COLUMN}, ", definition, count=1)
        if constraint:
            db.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
        else:
            db.execute_sql(f'DROP INDEX "{index}"')
        db.execute_sql(widened)
        done.append(f"{_plain(table)}: unique index {index} now starts with tenant_id")
    # 4. composite foreign keys (on Citus `distribute` adds them once the tables are distributed)
    if foreign_keys:
        done += add_foreign_keys(table_kinds)
    return done


def _sqlite_unique_indexes(table_kinds: dict[str, TableKind]) -> list[str]:
    """SQLite keeps `INTEGER PRIMARY KEY id` and single-column foreign keys, but its unique
    indexes on tenant-owned tables start with tenant_id as on PostgreSQL, so that uniqueness
    (and every `ON CONFLICT (tenant_id, ...)`) means the same on both databases."""
    done = []
    present = set(db.get_tables())
    for table in sorted(t for t, k in table_kinds.items() if k.kind == TENANT and t in present):
        for index in db.get_indexes(table):
            if not index.unique or TENANT_COLUMN in index.columns or not index.sql:
                continue
            widened = re.sub(r"(ON\s+\S+\s*\()", rf'\1"{TENANT_COLUMN}", ', index.sql, count=1)
            db.execute_sql(f'DROP INDEX "{index.name}"')
            db.execute_sql(widened)
            done.append(f"{table}: unique index {index.name} now starts with tenant_id")
    return done


def add_foreign_keys(table_kinds: dict[str, TableKind]) -> list[str]:
    """Add the composite `(tenant_id, x_id)` foreign keys that are missing (PostgreSQL)."""
    tenant_tables = {t for t, k in table_kinds.items() if k.kind == TENANT}
    existing = {r[0] for r in _rows("SELECT conname FROM pg_constraint WHERE contype = 'f'")}
    on_citus = has_citus()
    done = []
    for table in sorted(tenant_tables):
        model = table_kinds[table].model
        for field in _tenant_fk_fields(model, tenant_tables):
            name = _fk_name(table, field.column_name)
            if name in existing:
                continue
            action = _ON_DELETE.get((field.on_delete or "NO ACTION").upper(), "NO ACTION")
            if action == "SET NULL":
                # Citus refuses SET NULL in a key that holds the distribution column: there the
                # references are cleared by `TenantModel.delete_instance` / `clear_references` first
                action = "NO ACTION" if on_citus else f'SET NULL ("{field.column_name}")'
            target = field.rel_model._meta.table_name
            db.execute_sql(
                f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ({TENANT_COLUMN}, "{field.column_name}") '
                f'REFERENCES "{target}" ({TENANT_COLUMN}, id) ON DELETE {action}'
            )
            done.append(f"{table}: foreign key (tenant_id, {field.column_name}) -> {target}")
    return done


def drop_foreign_keys(table_kinds: dict[str, TableKind]) -> None:
    """Drop the composite foreign keys between tenant-owned tables (before distributing them)."""
    tenant_tables = {t for t, k in table_kinds.items() if k.kind == TENANT}
    for table, name in _rows(
        "SELECT conrelid::regclass::text, conname FROM pg_constraint WHERE contype = 'f' AND conname LIKE %s",
        ("%\\_tenant\\_fkey",),
    ):
        if _plain(table) in tenant_tables:
            db.execute_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')


def _quoted(tables: Iterable[str]) -> list[str]:
    """Table names as `regclass::text` prints them (quoted when they need it, e.g. "user")."""
    return [r[0] for r in _rows("SELECT unnest(%s::regclass[])::text", ([f'"{t}"' for t in tables],))]


def _plain(table: str) -> str:
    return table.strip('"')


def key_problems(table_kinds: dict[str, TableKind]) -> list[str]:
    """What in the live PostgreSQL catalog breaks the rule: a tenant-owned table whose primary
    key, a unique index or a foreign key to another tenant-owned table lacks tenant_id."""
    if not is_postgres():
        return []
    tenant_tables = sorted(t for t, k in table_kinds.items() if k.kind == TENANT)
    quoted = _quoted(tenant_tables)
    out = []
    for table, what, name in _rows(
        """SELECT i.indrelid::regclass::text, CASE WHEN i.indisprimary THEN 'primary key' ELSE 'unique index' END,
                  ic.relname
           FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
           WHERE i.indisunique AND i.indrelid::regclass::text = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = i.indrelid
                             AND a.attnum = ANY(i.indkey) AND a.attname = %s)""",
        (quoted, TENANT_COLUMN),
    ):
        out.append(f"{_plain(table)}: {what} {name} lacks tenant_id")
    for table, name in _rows(
        """SELECT c.conrelid::regclass::text, c.conname FROM pg_constraint c
           WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s) AND c.confrelid::regclass::text = ANY(%s)
             AND NOT EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.conrelid
                             AND a.attnum = ANY(c.conkey) AND a.attname = %s)""",
        (quoted, quoted, TENANT_COLUMN),
    ):
        out.append(f"{_plain(table)}: foreign key {name} lacks tenant_id")
    return out


# --- Citus --------------------------------------------------------------------------------------


def has_citus() -> bool:
    """True when the bound database is PostgreSQL with the `citus` extension."""
    return is_postgres() and bool(_rows("SELECT 1 FROM pg_extension WHERE extname = 'citus'"))


_known: dict[int, bool] = {}


def on_citus() -> bool:
    """`has_citus()`, asked once per opened database (for hot paths that need a Citus form)."""
    key = id(db.obj)
    if key not in _known:
        _known[key] = has_citus()
    return _known[key]


def _citus_tables() -> dict[str, tuple[str, str | None, int]]:
    """table -> (citus_table_type, distribution column, colocation id) for Citus-managed tables."""
    return {
        _plain(r[0]): (r[1], r[2] if r[2] != "<none>" else None, r[3])
        for r in _rows(
            "SELECT table_name::text, citus_table_type, distribution_column, colocation_id FROM citus_tables"
        )
    }


def distribute(table_kinds: dict[str, TableKind]) -> list[str]:
    """On Citus, distribute each tenant-owned table by tenant_id (co-located), each
    `distributed:<column>` table by its column, and make reference tables; idempotent.

    Returns one line per table it changed. Does nothing without the `citus` extension.
    """
    if not has_citus():
        return []
    present = {r[0] for r in _rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")}
    managed = _citus_tables()
    # a table added to an existing Citus database arrives with its foreign key to the reference
    # table `tenant`, for which Citus makes it a "Citus local" table: distribute it all the same
    # (Citus converts a local table, its foreign keys dropped and made again)
    todo = {t: k for t, k in table_kinds.items() if t in present and managed.get(t, ("local",))[0] == "local"}
    managed = {t: v for t, v in managed.items() if v[0] != "local"}
    if not todo:
        return add_foreign_keys(table_kinds)
    done = []
    models = [k.model for k in todo.values()]
    order = [m._meta.table_name for m in pw.sort_models(models)]
    tenant_todo = [t for t in order if todo[t].kind == TENANT]
    if tenant_todo:
        drop_foreign_keys(table_kinds)
    for table in order:
        if todo[table].kind == REFERENCE:
            db.execute_sql("SELECT create_reference_table(%s)", (f'"{table}"',))
            done.append(f"{table}: reference table")
    anchor = next((t for t, v in managed.items() if v[1] == TENANT_COLUMN), None)
    for table in tenant_todo:
        colocate = f'"{anchor}"' if anchor else "default"
        db.execute_sql(
            "SELECT create_distributed_table(%s, %s, colocate_with => %s)", (f'"{table}"', TENANT_COLUMN, colocate)
        )
        anchor = anchor or table
        done.append(f"{table}: distributed by tenant_id")
    for table in order:
        kind = todo[table]
        if kind.kind.startswith(DISTRIBUTED):
            db.execute_sql(
                "SELECT create_distributed_table(%s, %s, colocate_with => 'none')", (f'"{table}"', kind.column)
            )
            done.append(f"{table}: distributed by {kind.column}")
    return done + add_foreign_keys(table_kinds)


def doctor(table_kinds: dict[str, TableKind]) -> list[str]:
    """Problems of the live database's layout: keys lacking tenant_id and, on Citus, tables not
    distributed or referenced as declared, or tenant-owned tables not co-located together."""
    out = key_problems(table_kinds)
    if not has_citus():
        return out
    managed = _citus_tables()
    groups = set()
    for table, kind in sorted(table_kinds.items()):
        found = managed.get(table)
        if found is None:
            out.append(f"{table}: not distributed nor referenced (should be {kind.kind}); run `gongdan init`")
            continue
        kind_of, column, colocation = found
        if kind.kind == REFERENCE and kind_of != "reference":
            out.append(f"{table}: is {kind_of}, should be a reference table")
        elif kind.column and (kind_of != "distributed" or column != kind.column):
            out.append(f"{table}: is {kind_of} by {column}, should be distributed by {kind.column}")
        elif kind.kind == TENANT:
            groups.add(colocation)
    if len(groups) > 1:
        out.append(f"tenant-owned tables are in {len(groups)} co-location groups, not one: joins would leave the shard")
    return out
