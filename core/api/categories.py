"""Category routes: the tenant's three-level tree (appeal / scene / problem)."""

from __future__ import annotations

from typing import Any

from gongdan import categories
from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_actor, current_tenant
from gongdan.api.schemas import CategoryCreateSchema, CategorySchema, CategoryTreeSchema

TAGS = ("categories",)


@api_route(api, "/categories", ["GET"], response=CategoryTreeSchema, tags=TAGS)
def list_categories() -> dict[str, Any]:
    """The tenant's category tree: `{"items": [{"id", "name", "path", "children"}]}`."""
    return {"items": categories.tree(current_tenant())}


@api_route(
    api,
    "/categories",
    ["POST"],
    role="admin",
    body=CategoryCreateSchema,
    response=CategorySchema,
    status=201,
    tags=TAGS,
)
def create_category(body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Create the missing levels of `path` (admins); 201 with the leaf, 200 if it existed."""
    leaf, created = categories.ensure(current_tenant(), body["path"], current_actor())
    data = {"id": leaf.id, "name": leaf.name, "path": leaf.path, "depth": leaf.depth, "parent_id": leaf.parent_id}
    return data, 201 if created else 200
