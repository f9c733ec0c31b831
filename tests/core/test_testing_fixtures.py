"""`gongdan.testing` as documented: the fixture table of docs/writing-plugins.md matches the code
(names and signatures), and GONGDAN_TRACE_HOOKS=1 logs each hook call."""

from __future__ import annotations

import inspect
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from gongdan import testing, tickets
from gongdan.actors import Actor
from gongdan.plugins import TRACE_ENV, PluginHost, get_host

DOC = Path(__file__).resolve().parents[2] / "docs" / "writing-plugins.md"


def _documented() -> dict[str, str | None]:
    """`name → "(signature)"` (None for a fixture that is a value, not a callable) from the table."""
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- fixtures:", 1)[1].split("\n\n", 1)[0]
    found: dict[str, str | None] = {}
    for cell in re.findall(r"^\| (.+?) \| ", table, re.M)[1:]:  # after the header
        for name, signature in re.findall(r"`(\w+)(\([^`]*\))?`", cell):
            found[name] = signature or None
    return found


def _plain(signature: inspect.Signature) -> str:
    return (
        "("
        + ", ".join(
            f"{p.name}={p.default!r}" if p.default is not p.empty else p.name for p in signature.parameters.values()
        )
        + ")"
    )


def test_every_fixture_is_documented_with_its_signature(request: pytest.FixtureRequest, tenant: Any) -> None:
    documented = _documented()
    fixtures = {name for name, value in vars(testing).items() if hasattr(value, "_fixture_function_marker")}
    helpers = {"gongdan_backend", "gongdan_key_file", "gongdan_attachments_dir"}  # used through gongdan_db
    assert fixtures - helpers == set(documented)
    for name, signature in documented.items():
        if signature is not None:
            assert _plain(inspect.signature(request.getfixturevalue(name))) == signature, name
    clock = request.getfixturevalue("frozen_clock")
    assert _plain(inspect.signature(clock.set)) == "(at)"
    assert _plain(inspect.signature(clock.advance)) == "(kwargs)"


def test_the_trace_env_switches_tracing_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TRACE_ENV, "1")
    assert PluginHost().trace_hooks is True
    monkeypatch.delenv(TRACE_ENV)
    assert PluginHost().trace_hooks is False


def test_traced_hook_calls_name_hook_plugin_and_tenant(
    tenant: Any, hook_recorder: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(get_host(), "trace_hooks", True)
    with caplog.at_level(logging.INFO, logger="gongdan.hooks.trace"):
        tickets.create(tenant, {"subject": "追踪"}, Actor.system())
    lines = [r.getMessage() for r in caplog.records if r.name == "gongdan.hooks.trace"]
    assert any(re.fullmatch(r"gongdan_ticket_created plugin=hook-recorder tenant=acme \d+\.\d\d ms", x) for x in lines)
