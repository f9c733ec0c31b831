"""Property-based run of the whole API against its own OpenAPI document (schemathesis).

Every operation of `/api/v1/openapi.json` is called with generated valid and invalid input
through the WSGI app, with an admin's token, on a database seeded with a few tickets so
that ids hit real rows: the core's operations, then the loaded plugins' with every plugin
enabled for the tenant (fewer examples each). No response may be a server
error, carry an undocumented status or violate its documented schema. (Unknown query
parameters are ignored, as most APIs do, so schemathesis's `negative_data_rejection`
check is not used.)
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode, checks

from gongdan import accounts, categories, tickets
from gongdan.actors import Actor
from gongdan.api.common import ROUTES
from gongdan.config import Settings
from gongdan.plugins import get_host
from gongdan.web import create_app

MAX_EXAMPLES = 15
PLUGIN_MAX_EXAMPLES = 4
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def api_token(gongdan_db: Any, tenant: Any) -> str:
    """An admin token in a tenant with a category tree and a few tickets (ids 1..3)."""
    admin = accounts.create_user(tenant, "fuzz-admin@acme.example.com", "admin", "Fuzz")
    categories.ensure(tenant, "售后/退货退款/质量问题")
    for n in range(3):
        tickets.create(tenant, {"subject": f"工单 {n}", "category": "售后/退货退款/质量问题"}, Actor.of(admin))
    return accounts.create_token(admin)[1]


def _exercise(operation: Any, mode: GenerationMode, token: str, examples: int) -> None:
    """Call `operation` with `examples` generated cases of `mode` and validate each answer."""

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    def run(case: Any) -> None:
        case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)

    try:
        run()
    except Unsatisfiable:
        if mode is GenerationMode.POSITIVE:
            raise
        # nothing of this operation can be made invalid (no parameters, no body)
    except Exception as exc:
        exc.add_note(f"while fuzzing {operation.label} ({mode})")
        raise


def _operations(core: bool | None) -> list[Any]:
    """The document's operations: the core's (True), the plugins' (False) or all (None)."""
    app = create_app(replace(Settings.from_env(), rate_limit_per_minute=0))
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    return [op for op in operations if core is None or op.definition.raw["operationId"].startswith("api.") == core]


def test_core_api_conforms_to_its_openapi_document(gongdan_db: Any, api_token: str) -> None:
    operations = _operations(core=True)
    documented = {(op.method.upper(), op.path) for op in operations}
    routes = {
        (method, "/api/v1" + re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", route.rule))
        for route in ROUTES
        if route.endpoint.startswith("api.") and route.rule != "/openapi.json"
        for method in route.methods
    }
    assert documented == routes  # every core route but the document itself, and nothing else
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _exercise(operation, mode, api_token, MAX_EXAMPLES)


def test_every_route_conforms_with_every_plugin_enabled(gongdan_db: Any, tenant: Any, api_token: str) -> None:
    """Plugin routes, and core routes with plugin blocks and an assignment strategy in play."""
    host = get_host()
    for name in host.loaded:
        host.set_enabled(tenant, name, enabled=True)
    for operation in _operations(core=None):
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _exercise(operation, mode, api_token, PLUGIN_MAX_EXAMPLES)
