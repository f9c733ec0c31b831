"""The OpenAPI document: generated from `api_route` declarations, plugins' routes included."""

from __future__ import annotations

from dataclasses import replace

import schemathesis
from flask import Blueprint
from marshmallow import Schema, fields

from gongdan.api.common import api_route
from gongdan.api.openapi import flask_path
from gongdan.config import Settings
from gongdan.hookspecs import hookimpl
from gongdan.web import create_app


class GadgetSchema(Schema):
    """A gadget of the test plugin."""

    name = fields.String(required=True)


gadgets = Blueprint("gadgets", __name__, url_prefix="/api/v1/gadgets")


@api_route(
    gadgets, "/<int:gadget_id>", ["PUT"], plugin="gadgets", body=GadgetSchema, response=GadgetSchema, errors=[502]
)
def put_gadget(gadget_id: int, body: dict) -> dict:
    """Replace a gadget."""
    return body


class GadgetPlugin:
    @hookimpl
    def gongdan_api_blueprints(self):
        return [gadgets]


def test_flask_rules_become_openapi_paths():
    path, params = flask_path("/api/v1/a/<int:a_id>/b/<name>/c/<path:rest>/d/<uuid:key>")
    assert path == "/api/v1/a/{a_id}/b/{name}/c/{rest}/d/{key}"
    assert [(p["name"], p["in"], p["required"], p["schema"]["type"]) for p in params] == [
        ("a_id", "path", True, "integer"),
        ("name", "path", True, "string"),
        ("rest", "path", True, "string"),
        ("key", "path", True, "string"),
    ]


def test_document_describes_every_core_route(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"] == "3.0.3"
    expected = {
        "/api/v1/tickets": {"get", "post"},
        "/api/v1/tickets/{ticket_id}": {"get", "patch"},
        "/api/v1/tickets/{ticket_id}/comments": {"get", "post"},
        "/api/v1/tickets/{ticket_id}/transitions": {"post"},
        "/api/v1/tickets/{ticket_id}/assign": {"post"},
        "/api/v1/tickets/{ticket_id}/events": {"get"},
        "/api/v1/categories": {"get", "post"},
        "/api/v1/users": {"get"},
        "/api/v1/users/me": {"get"},
        "/api/v1/plugins": {"get"},
        "/api/v1/plugins/{name}": {"put"},
        "/api/v1/health": {"get"},
        "/api/v1/openapi.json": {"get"},
    }
    for path, methods in expected.items():
        assert set(doc["paths"][path]) == methods, path
    ticket = doc["paths"]["/api/v1/tickets/{ticket_id}"]["get"]
    assert ticket["parameters"] == [
        {"in": "path", "name": "ticket_id", "required": True, "schema": {"type": "integer", "minimum": 0}}
    ]
    assert ticket["security"] == [{"bearerAuth": []}]
    assert ticket["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Ticket"
    }
    assert doc["paths"]["/api/v1/health"]["get"]["security"] == []
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {"type": "http", "scheme": "bearer"}


def test_bodies_queries_and_errors_are_documented(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    schemas = doc["components"]["schemas"]
    create = doc["paths"]["/api/v1/tickets"]["post"]
    body_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schemas[body_ref.rsplit("/", 1)[1]]
    assert "subject" in body["required"]
    assert body["properties"]["priority"]["enum"] == ["low", "normal", "high", "urgent"]
    assert body["additionalProperties"] is False
    assert {"200", "201", "400", "401", "404", "413", "422", "429"} <= set(create["responses"])
    assert create["responses"]["422"] == {"$ref": "#/components/responses/Error422"}
    error = doc["components"]["responses"]["Error422"]["content"]["application/json"]["schema"]
    assert error == {"$ref": "#/components/schemas/Error"}
    assert "Retry-After" in doc["components"]["responses"]["Error429"]["headers"]
    assert set(schemas["ErrorDetail"]["properties"]) == {"code", "message", "fields", "detail", "fields_detail"}
    listing = doc["paths"]["/api/v1/tickets"]["get"]["parameters"]
    names = {p["name"]: p for p in listing}
    assert set(names) == {"status", "priority", "assignee", "channel", "q", "sort", "cursor", "page", "per_page"} | {
        "team",
        "tag",
        "created_from",
        "created_to",
    }
    assert names["per_page"]["schema"]["maximum"] == 100
    users = doc["paths"]["/api/v1/users"]["get"]
    assert "403" in users["responses"]
    assert users["x-gongdan-role"] == "supervisor"
    ticket = schemas["Ticket"]
    assert ticket["additionalProperties"] is True  # plugin blocks
    assert {"id", "number", "status", "assignee", "external_ref", "created_at"} <= set(ticket["required"])


def test_plugin_routes_and_schemas_are_included(gongdan_db, register_plugin):
    register_plugin(GadgetPlugin(), "gadgets")
    app = create_app(replace(Settings.from_env()))
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = doc["paths"]["/api/v1/gadgets/{gadget_id}"]["put"]
    assert operation["x-gongdan-plugin"] == "gadgets"
    assert operation["tags"] == ["gadgets"]
    assert operation["requestBody"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/Gadget"}
    assert {"404", "502"} <= set(operation["responses"])
    assert doc["components"]["schemas"]["Gadget"]["required"] == ["name"]


def test_document_is_valid_openapi(app):
    """Checked against the OpenAPI 3.0 meta-schema (schemathesis ships it)."""
    schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app).validate()


def test_schema_name_clashes_get_distinct_components(gongdan_db, register_plugin):
    from gongdan.api import schemas

    class ErrorSchema(Schema):  # same class name as the core's error envelope
        detail = fields.String()

    clash = Blueprint("clash", __name__, url_prefix="/api/v1/clash")

    @api_route(clash, "/thing", ["GET"], plugin="clash", response=ErrorSchema)
    def get_thing() -> dict:
        """A route whose answer's schema class shares a name with the core's."""
        return {}

    class ClashPlugin:
        @hookimpl
        def gongdan_api_blueprints(self):
            return [clash]

    register_plugin(ClashPlugin(), "clash")
    doc = create_app(replace(Settings.from_env())).test_client().get("/api/v1/openapi.json").get_json()
    ref = doc["paths"]["/api/v1/clash/thing"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    name = ref["$ref"].rsplit("/", 1)[1]
    assert name != "Error"
    assert set(doc["components"]["schemas"][name]["properties"]) == {"detail"}
    assert "error" in doc["components"]["schemas"]["Error"]["properties"]
    assert schemas.ErrorSchema is not ErrorSchema
