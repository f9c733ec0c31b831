"""Queries that carry the tenant, so Citus sends them to one shard (installed by `gongdan.models`).

Two places where peewee writes SQL by itself learn about the tenant:

* a join between two tenant-owned models through a foreign key — inferred
  (`Ticket.select().join(User)`) or written as `on=(Ticket.assignee == User.id)` — also joins on
  `tenant_id`: `ticket.assignee_id = user.id AND
  ticket.tenant_id = user.tenant_id`. Citus only runs joins of co-located tables on their
  distribution column; on SQLite and plain PostgreSQL the extra equality changes no answer
  (a row only ever points at rows of its own tenant).
* reading a related row through a foreign key (`ticket.assignee`) asks for it within the tenant.

`TenantModel` itself adds the tenant to the `WHERE` of `save()` and `delete_instance()`.
Queries written by hand must carry the tenant themselves (see docs/writing-plugins.md).
"""

from __future__ import annotations

from typing import Any

import peewee as pw

TENANT_FIELD = "tenant"
_installed = False


def tenant_owned(model: Any) -> bool:
    """True for a model (or alias of one) whose rows carry a `tenant` foreign key."""
    model = getattr(model, "model", model)
    meta = getattr(model, "_meta", None)
    field = meta.fields.get(TENANT_FIELD) if meta is not None else None
    return isinstance(field, pw.ForeignKeyField) and field.column_name == "tenant_id"


def _with_tenant(on: Any, src: Any, dest: Any) -> Any:
    try:
        return on & (getattr(src, TENANT_FIELD) == getattr(dest, TENANT_FIELD))
    except AttributeError:  # an alias without the field: leave the join as it is
        return on


def _key_equality(on: Any) -> bool:
    """True for an explicit `on=(Ticket.category == Category.id)`: a foreign key equal to the
    primary key it points at (in either order, through aliases too)."""
    if not isinstance(on, pw.Expression) or on.op != pw.OP.EQ:
        return False
    left, right = getattr(on.lhs, "field", on.lhs), getattr(on.rhs, "field", on.rhs)
    for fk, key in ((left, right), (right, left)):
        if isinstance(fk, pw.ForeignKeyField) and fk.name != TENANT_FIELD and key is fk.rel_field:
            return True
    return False


def install() -> None:
    """Teach peewee's inferred joins and foreign-key reads to carry the tenant; idempotent."""
    global _installed
    if _installed:
        return
    _installed = True
    normalize = pw.ModelSelect._normalize_join

    def _normalize_join(self: Any, src: Any, dest: Any, on: Any, attr: Any) -> Any:
        inferred = on is None or isinstance(on, pw.ForeignKeyField) or _key_equality(on)
        on_out, attr_out, constructor, join_ctx = normalize(self, src, dest, on, attr)
        if inferred and on_out is not None and tenant_owned(src) and tenant_owned(dest):
            field = on if isinstance(on, pw.ForeignKeyField) else None
            if field is None or field.name != TENANT_FIELD:
                on_out = _with_tenant(on_out, src, dest)
        return on_out, attr_out, constructor, join_ctx

    pw.ModelSelect._normalize_join = _normalize_join

    def get_rel_instance(self: Any, instance: Any) -> Any:
        value = instance.__data__.get(self.name)
        tenant_id = instance.__data__.get("tenant")
        if (
            value is not None
            and self.name not in instance.__rel__
            and self.field.lazy_load
            and self.name != TENANT_FIELD
            and tenant_id is not None
            and tenant_owned(self.rel_model)
            and tenant_owned(type(instance))
        ):
            instance.__rel__[self.name] = self.rel_model.get(
                (self.field.rel_field == value) & (getattr(self.rel_model, TENANT_FIELD) == tenant_id)
            )
        return get_rel(self, instance)

    get_rel = pw.ForeignKeyAccessor.get_rel_instance
    pw.ForeignKeyAccessor.get_rel_instance = get_rel_instance


def clear_references(model: Any, tenant_id: int, ids: list[int]) -> None:
    """Set to NULL the references (declared `on_delete="SET NULL"`) of tenant-owned rows to the
    rows `ids` of `model` that are about to be deleted.

    PostgreSQL and SQLite would do it themselves; Citus cannot (its foreign keys hold the
    distribution column and refuse SET NULL), so the core does it on every database before a
    delete: `TenantModel.delete_instance` calls it; a bulk `Model.delete()` of rows other
    tables point at must call it first.
    """
    if not ids or not tenant_owned(model):
        return
    from gongdan.db import db

    tables = set(db.get_tables())
    for field in model._meta.backrefs:
        if (field.on_delete or "").upper() != "SET NULL" or not tenant_owned(field.model):
            continue
        if field.model._meta.table_name not in tables:
            continue
        field.model.update({field: None}).where(
            (getattr(field.model, TENANT_FIELD) == tenant_id) & field.in_(ids)
        ).execute()
