"""The three-level category tree: appeal (诉求) / scene (场景) / problem (问题)."""

from __future__ import annotations

from typing import Any

from gongdan import audit, permissions
from gongdan.actors import Actor
from gongdan.citus_routing import clear_references
from gongdan.db import write_transaction
from gongdan.errors import Conflict, ValidationError
from gongdan.models import Category, Tenant, Ticket
from gongdan.statements import PreparedStatement, hydrate

_by_path = PreparedStatement(
    "SELECT id, parent_id, name, depth FROM {category} WHERE tenant_id = ? AND path = ?", category=Category
)

MAX_DEPTH = 3


def split_path(path: str, field: str = "path") -> list[str]:
    """`"售后/退货退款/质量问题"` → its segments; a ValidationError names a malformed path."""
    parts = [part.strip() for part in path.split("/")]
    if not path.strip() or any(not part for part in parts):
        raise ValidationError("malformed category path", {field: ["segments must not be empty"]})
    if len(parts) > MAX_DEPTH:
        raise ValidationError("category path too deep", {field: [f"at most {MAX_DEPTH} levels"]})
    if any(len(part) > 100 for part in parts):
        raise ValidationError("category name too long", {field: ["a level is at most 100 characters"]})
    return parts


def find(tenant: Tenant, path: str, field: str = "category") -> Category:
    """The category at `path` in `tenant`; a ValidationError on `field` if it does not exist."""
    normal = "/".join(split_path(path, field))
    row = _by_path.execute((tenant.id, normal)).fetchone()
    if row is None:
        raise ValidationError("unknown category", {field: [f"no category {normal!r}"]})
    data = {"id": row[0], "tenant": tenant.id, "parent": row[1], "name": row[2], "path": normal, "depth": row[3]}
    return hydrate(Category, data)


def ensure(tenant: Tenant, path: str, actor: Actor | None = None) -> tuple[Category, bool]:
    """Create the missing levels of `path`; returns the leaf and whether anything was created.

    Safe when several processes create the same path at once (the insert yields to the winner).
    A person (`actor`) needs `category.manage`; what a person creates is audited as
    `category.created`. Without an actor it is the system (a connector's sync, the demo).
    """
    if actor is not None:
        permissions.require(actor, "category.manage")
    parts = split_path(path)
    parent = None
    created = False
    with write_transaction():
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            inserted = (
                Category.insert(tenant=tenant, parent=parent, name=parts[depth - 1], path=prefix, depth=depth)
                .on_conflict_ignore()
                .as_rowcount()
                .execute()
            )
            created = created or bool(inserted)
            parent = Category.get((Category.tenant == tenant) & (Category.path == prefix))
        if created and actor is not None:
            audit.record(tenant, "category.created", actor, data={"path": parent.path})
    return parent, created


def remove(tenant: Tenant, category: Category, actor: Actor) -> list[str]:
    """Delete `category` and the levels under it; returns the deleted paths.

    Needs `category.manage`; Conflict while a ticket uses one of them. Audited as
    `category.deleted`.
    """
    permissions.require(actor, "category.manage")
    doomed = Category.of(tenant).where((Category.id == category.id) | Category.path.startswith(category.path + "/"))
    rows = {c.id: c.path for c in doomed}
    if Ticket.of(tenant).where(Ticket.category.in_(list(rows))).exists():
        raise Conflict(f"{category.path} is used by tickets and stays")
    with write_transaction():
        clear_references(Category, tenant.id, list(rows))
        Category.delete().where((Category.tenant == tenant) & Category.id.in_(list(rows))).execute()
        audit.record(tenant, "category.deleted", actor, data={"path": category.path, "paths": sorted(rows.values())})
    return sorted(rows.values())


def tree(tenant: Tenant) -> list[dict[str, Any]]:
    """The tenant's categories as nested `{"id", "name", "path", "children"}`, sorted by path."""
    nodes = {
        c.id: {"id": c.id, "name": c.name, "path": c.path, "children": [], "_parent": c.parent_id}
        for c in Category.of(tenant).order_by(Category.path)
    }
    roots = []
    for node in nodes.values():
        parent = nodes.get(node.pop("_parent"))
        (parent["children"] if parent else roots).append(node)
    return roots
