"""gongdan.ids: one bound for ids from URLs, forms, queries and JSON bodies."""

from __future__ import annotations

import pytest
from flask import Flask
from marshmallow import ValidationError, validate

from gongdan.ids import MAX_ID, BoundedIntConverter, Id, parse_id


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7),
        (7, 7),
        (" 42 ", 42),
        (str(MAX_ID), MAX_ID),
        (str(MAX_ID + 1), None),
        (str(2**63), None),
        (2**64, None),
        ("-1", None),
        (0, None),
        ("0x10", None),
        ("١٢", None),  # Arabic-Indic digits are digits to str.isdigit, not ids
        ("1\x00", None),
        (True, None),
        (None, None),
        (1.0, None),
    ],
)
def test_parse_id(value, expected):
    assert parse_id(value) == expected


def test_the_bounded_converter_makes_huge_ids_not_found():
    app = Flask("t")
    app.url_map.converters["int"] = BoundedIntConverter
    app.add_url_rule("/t/<int:n>", "t", lambda n: str(n))
    client = app.test_client()
    assert client.get(f"/t/{MAX_ID}").get_data(as_text=True) == str(MAX_ID)
    for bad in (MAX_ID + 1, 2**63, 2**64, -1, "1x"):
        assert client.get(f"/t/{bad}").status_code == 404


def test_the_id_field_names_what_is_wrong():
    assert Id().deserialize("12") == 12
    for bad in (2**64, 0, -5, MAX_ID + 1):
        with pytest.raises(ValidationError, match="not a valid id"):
            Id().deserialize(bad)
    with pytest.raises(ValidationError, match="not a valid id"):
        Id(validate=validate.NoneOf([3])).deserialize(MAX_ID + 1)  # a field's own validators add to the bound
    with pytest.raises(ValidationError, match="Invalid input"):
        Id(validate=validate.NoneOf([3])).deserialize(3)
