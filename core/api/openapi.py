"""The OpenAPI 3 document, generated from `gongdan.api.common.ROUTES` with apispec.

apispec (with its marshmallow plugin) rather than flask-smorest: routes are already declared
once through `api_route`, which the core and every plugin use; apispec turns those
declarations and their marshmallow schemas into the document without imposing a second
routing layer (smorest would want its own Blueprint class and decorators on plugin routes).
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from apispec.ext.marshmallow.common import resolve_schema_cls
from flask import Flask

from gongdan import __version__
from gongdan.api.common import ROUTES, RouteSpec
from gongdan.api.schemas import ErrorSchema

OPENAPI_VERSION = "3.0.3"
RULE_ARGUMENT = re.compile(r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>.*?)\))?:)?(?P<name>[a-zA-Z_]\w*)>")
CONVERTER_SCHEMAS: dict[str, dict[str, Any]] = {
    "int": {"type": "integer", "minimum": 0},
    "float": {"type": "number", "minimum": 0},
    "uuid": {"type": "string", "format": "uuid"},
    "path": {"type": "string"},
    "string": {"type": "string"},
    "default": {"type": "string"},
}
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
ERROR_REASONS = {
    400: "Malformed JSON body (`bad_request`)",
    401: "Missing, invalid or revoked token (`unauthorized`)",
    403: "The caller's role does not allow this (`forbidden`)",
    404: "No such object in the caller's tenant, or the plugin is disabled there (`not_found`)",
    409: "Conflicts with the current state (`conflict`, `invalid_transition`)",
    413: "The body is larger than the server accepts (`payload_too_large`)",
    422: "Invalid input; `fields` names each bad field and why (`validation_error`)",
    429: "Rate limit exceeded; retry after `Retry-After` seconds (`rate_limited`)",
    502: "A plugin or an outside service failed; recorded, the rest carries on (`plugin_failed`, gateway errors)",
}
DESCRIPTION = """gongdan (工单) REST API v1. JSON in and out; `Authorization: Bearer <token>`
(`gongdan token create EMAIL`). The token's user fixes the tenant and the role. Every error
uses the envelope `{"error": {"code", "message", "fields"}}`; with `Accept-Language: zh-CN` the
message and reasons are in Chinese (the English under `detail` and `fields_detail`)."""


def flask_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """A Flask rule as an OpenAPI path and its path parameters: `<int:id>` → `{id}` (integer)."""
    parameters = []

    def replace(match: re.Match[str]) -> str:
        converter = match.group("converter") or "default"
        schema = dict(CONVERTER_SCHEMAS.get(converter, CONVERTER_SCHEMAS["default"]))
        parameters.append({"in": "path", "name": match.group("name"), "required": True, "schema": schema})
        return "{" + match.group("name") + "}"

    return RULE_ARGUMENT.sub(replace, rule), parameters


def _schema_namer() -> Any:
    """Component names from class names; a clash between two classes gets the module prefixed."""
    owners: dict[str, type] = {}

    def name_for(schema: Any) -> str:
        cls = resolve_schema_cls(schema)
        name = cls.__name__.removesuffix("Schema") or cls.__name__
        if owners.setdefault(name, cls) is not cls:
            name = f"{cls.__module__.replace('.', '_')}_{name}"
            owners.setdefault(name, cls)
        return name

    return name_for


def _error_codes(route: RouteSpec, method: str) -> list[int]:
    # 404 is possible everywhere: unknown ids, another tenant's objects, disabled plugins
    codes = {404, *route.errors}
    if route.auth:
        codes |= {401, 429}
        if route.role:
            codes.add(403)
    if (route.body is not None or route.upload is not None) and method in WRITE_METHODS:
        codes |= {400, 413, 422}
    if route.query is not None:
        codes.add(422)
    if route.auth and method in WRITE_METHODS:
        codes |= {403, 409}
    return sorted(codes)


def _operation(route: RouteSpec, method: str, path_params: list[dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": route.endpoint if len(route.methods) == 1 else f"{route.endpoint}.{method.lower()}",
        "summary": route.summary,
        "description": route.description,
        "tags": list(route.tags),
        "security": [{"bearerAuth": []}] if route.auth else [],
        "parameters": list(path_params),
    }
    if route.query is not None:
        operation["parameters"].append({"in": "query", "schema": route.query})
    if route.body is not None and method in WRITE_METHODS:
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": route.body}}}
    if route.upload is not None and method in WRITE_METHODS:
        operation["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": route.upload}}}
    ok: dict[str, Any] = {"description": "Success"}
    if route.produces is not None:  # one media type, or several comma-separated (e.g. CSV or Excel)
        media = (m.strip() for m in route.produces.split(","))
        ok["content"] = {m: {"schema": {"type": "string", "format": "binary"}} for m in media}
    elif route.response is not None:
        ok["content"] = {"application/json": {"schema": route.response}}
    else:
        ok["content"] = {"application/json": {"schema": {"type": "object"}}}
    responses: dict[str, Any] = {str(route.status): ok}
    if route.status == 201 and route.response is not None:
        responses["200"] = {"description": "It existed already", "content": ok["content"]}
    for code in _error_codes(route, method):
        responses[str(code)] = {"$ref": f"#/components/responses/Error{code}"}
    operation["responses"] = responses
    if route.plugin:
        operation["x-gongdan-plugin"] = route.plugin
    if route.role:
        operation["x-gongdan-role"] = route.role
    return operation


def build_spec(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of every `api_route` registered on `app`."""
    namer = _schema_namer()
    spec = APISpec(
        title="gongdan REST API",
        version=__version__,
        openapi_version=OPENAPI_VERSION,
        plugins=[MarshmallowPlugin(schema_name_resolver=namer)],
        info={"description": DESCRIPTION},
    )
    spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    spec.components.schema(namer(ErrorSchema), schema=ErrorSchema)  # "Error", claimed first
    extra = {code for route in ROUTES for code in route.errors} - set(ERROR_REASONS)
    reasons = ERROR_REASONS | {code: HTTPStatus(code).phrase for code in extra}
    for code, reason in sorted(reasons.items()):
        response: dict[str, Any] = {"description": reason, "content": {"application/json": {"schema": "Error"}}}
        if code == 429:
            response["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}
            }
        spec.components.response(f"Error{code}", response)
    operations: dict[str, dict[str, Any]] = {}
    for route in ROUTES:
        if route.endpoint not in app.view_functions:
            continue
        for rule in app.url_map.iter_rules(route.endpoint):
            path, params = flask_path(rule.rule)
            for method in route.methods:
                operations.setdefault(path, {})[method.lower()] = _operation(route, method, params)
    for path in sorted(operations):
        spec.path(path=path, operations=operations[path])
    return spec.to_dict()


def spec_for(app: Flask) -> dict[str, Any]:
    """`build_spec(app)`, built once per app."""
    cached = app.extensions.get("gongdan_openapi")
    if cached is None:
        cached = app.extensions["gongdan_openapi"] = build_spec(app)
    return cached
