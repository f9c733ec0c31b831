"""The generated settings form renders mappings, lists of nested fields and nested groups as rows, not JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from marshmallow import Schema, fields, validate
from werkzeug.datastructures import MultiDict

from gongdan.admin.form_rows import ordered, rows
from gongdan.admin.settings_form import build_inputs, read_form
from gongdan.contributions import PluginSpec
from gongdan.hookspecs import hookimpl
from gongdan.plugins import get_host

NAME = "gadget"


class HoursSchema(Schema):
    """One opening period."""

    day = fields.String(
        required=True,
        validate=validate.OneOf(["mon", "tue"]),
        metadata={"choice_labels_en": {"mon": "Monday", "tue": "Tuesday"}, "choice_labels_zh": {"mon": "周一"}},
    )
    start = fields.String(required=True, validate=validate.Regexp(r"^\d\d:\d\d$"))
    staffed = fields.Boolean(load_default=False)


class ContactSchema(Schema):
    """Who to call."""

    name = fields.String(load_default="")
    phone = fields.String(load_default="")


class GadgetSettings(Schema):
    """Settings with a mapping, a list of nested items and one nested group."""

    labels = fields.Dict(
        keys=fields.String(validate=validate.Regexp(r"^\d{1,3}$")),
        values=fields.String(validate=validate.OneOf(["open", "pending"])),
        load_default=dict,
    )
    hours = fields.List(fields.Nested(HoursSchema), load_default=list)
    contact = fields.Nested(ContactSchema, load_default=None, allow_none=True)
    limit = fields.Integer(load_default=3, validate=validate.Range(min=1, max=9))


class GadgetPlugin:
    """The plugin for these tests: settings only."""

    PLUGIN = PluginSpec(label="Gadget", label_zh="小工具", category="test", requires_core=">=0.1,<1")

    @hookimpl
    def gongdan_settings_schema(self) -> Any:
        return GadgetSettings


@pytest.fixture
def gadget(register_plugin: Any) -> str:
    """The gadget plugin, installed and on everywhere."""
    register_plugin(GadgetPlugin(), NAME)
    return NAME


def test_rows_are_read_in_order_without_blank_or_removed_ones() -> None:
    form = MultiDict(
        [
            ("x-2-name", "c"),
            ("x-2-order", "1"),
            ("x-0-name", "a"),
            ("x-0-order", "3"),
            ("x-1-name", ""),
            ("x-1-order", "2"),  # nothing typed but the order: blank
            ("x-3-name", "gone"),
            ("x-3-delete", "1"),
            ("x-10-name", "d"),
            ("x-0-tag", "t1"),
            ("x-0-tag", "t2"),
        ]
    )
    found = rows(form, "x")
    assert [r.get("name") for r in found] == ["a", "c", "d"]  # by number, 10 after 2
    assert [r.get("name") for r in ordered(found)] == ["c", "a", "d"]  # rows without an order keep their place
    assert found[0].getlist("tag") == ["t1", "t2"]
    assert found[0].name("name") == "x-0-name"


def test_mapping_list_and_group_fields_round_trip_through_the_form(app: Any, gadget: str) -> None:
    with app.test_request_context(headers={"Accept-Language": "en"}):
        current = {
            "labels": {"33": "pending"},
            "hours": [{"day": "mon", "start": "09:00", "staffed": True}],
            "contact": {"name": "王", "phone": "1"},
            "limit": 3,
        }
        inputs = {i.name: i for i in build_inputs(GadgetSettings, current)}
        assert [i.kind for i in inputs.values()] == ["mapping", "rows", "group", "number"]
        assert inputs["labels"].rows == [{"key": "33", "value": "pending"}]
        assert [p.kind for p in inputs["labels"].parts] == ["text", "select"]
        assert inputs["hours"].rows == [{"day": "mon", "start": "09:00", "staffed": True}]
        assert [p.kind for p in inputs["hours"].parts] == ["select", "text", "checkbox"]
        assert inputs["hours"].parts[0].choice_labels == {"mon": "Monday", "tue": "Tuesday"}
        assert inputs["labels"].parts[1].choice_labels == {"open": "Open", "pending": "Pending"}  # the core's words
        assert inputs["contact"].rows == [{"name": "王", "phone": "1"}]
        form = MultiDict(
            [
                ("labels-0-key", "33"),
                ("labels-0-value", "open"),
                ("labels-1-key", "34"),
                ("labels-1-value", "pending"),
                ("labels-2-key", ""),
                ("labels-2-value", ""),
                ("hours-0-day", "tue"),
                ("hours-0-start", "10:00"),
                ("hours-1-day", ""),
                ("hours-1-start", ""),
                ("contact-0-name", "李"),
                ("contact-0-phone", ""),
                ("limit", "4"),
            ]
        )
        data, errors = read_form(list(inputs.values()), form)
        assert errors == {}
        assert data == {
            "labels": {"33": "open", "34": "pending"},
            "hours": [{"day": "tue", "start": "10:00", "staffed": False}],
            "contact": {"name": "李", "phone": ""},
            "limit": "4",
        }
        assert GadgetSettings().load(data)["hours"] == [{"day": "tue", "start": "10:00", "staffed": False}]
        twice = MultiDict([("labels-0-key", "33"), ("labels-0-value", "open"), ("labels-1-key", "33")])
        _, errors = read_form(list(build_inputs(GadgetSettings, current)), twice)
        assert errors == {"labels": ["The key 33 is listed twice."]}


def test_the_console_form_has_rows_and_shows_each_error_beside_its_field(
    gadget: str, signed_in: Any, tenant: Any
) -> None:
    _, admin = signed_in("admin")
    page = admin.text(f"/console/plugins/{gadget}/settings")
    assert "<textarea" not in page
    assert 'name="labels-0-key"' in page
    assert 'id="rows-hours-template"' in page
    assert re.search(r'<option value="pending"[^>]*>Pending</option>', page)  # the core's word, not the code
    refused = admin.post(
        f"/console/plugins/{gadget}/settings",
        {"labels-0-key": "abc", "labels-0-value": "shut", "hours-0-day": "mon", "hours-0-start": "9", "limit": "0"},
    )
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    labels = html[html.index('id="field-labels"') : html.index('id="field-hours"')]
    assert "abc: " in labels
    assert "Pick one of the choices offered." in labels
    hours = html[html.index('id="field-hours"') : html.index('id="field-contact"')]
    assert re.search(r"Row 1: ", hours)
    assert "Must be between 1 and 9." in html
    assert 'name="labels-0-key" id="labels-0-key" value="abc"' in html
    saved = admin.post(
        f"/console/plugins/{gadget}/settings",
        {"labels-0-key": "33", "labels-0-value": "open", "hours-0-day": "mon", "hours-0-start": "09:00", "limit": "2"},
    )
    assert saved.status_code == 302
    settings = get_host().settings(tenant, gadget)
    assert settings["labels"] == {"33": "open"}
    assert settings["hours"] == [{"day": "mon", "start": "09:00", "staffed": False}]
    page = admin.text(f"/console/plugins/{gadget}/settings")
    assert 'name="hours-0-start" id="hours-0-start" value="09:00"' in page
