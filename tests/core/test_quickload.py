"""The compiled fast path gives marshmallow's answer or steps aside, never a different one."""

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from marshmallow import Schema, fields, validate, validates_schema
from marshmallow import ValidationError as MarshmallowValidationError

from gongdan import api  # noqa: F401 - registers the API's schemas
from gongdan.errors import ValidationError
from gongdan.quickload import compile_schema
from gongdan.schemas import CustomerInSchema, ExternalRefSchema, TicketCreateSchema, TicketUpdateSchema
from gongdan.validation import load

TEXT = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "   ", "不是邮箱", "x" * 201]),
    st.text(min_size=190, max_size=260),
)
SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-3, 10**12), st.floats(allow_nan=False), TEXT)
PLAIN = ["退货退款", "售后/退货退款", "web", "zh"]


def plausible(field: fields.Field) -> st.SearchStrategy[Any]:
    """Values a client would send for `field`: mostly valid, so the fast path gets exercised."""
    if isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        return plausible_documents(field.schema)
    if isinstance(field, fields.List):
        return st.lists(plausible(field.inner), max_size=3)
    if isinstance(field, fields.Boolean):
        return st.booleans()
    if isinstance(field, fields.Integer):
        return st.integers(-5, 500)
    if isinstance(field, fields.Email):
        return st.sampled_from(["buyer@example.com", "张@例子.中国"])
    choices = [v for v in field.validators if isinstance(v, validate.OneOf)]
    return st.sampled_from(list(choices[0].choices)) if choices else st.sampled_from(PLAIN)


def plausible_documents(schema: Schema) -> st.SearchStrategy[dict]:
    """Documents a client would send: the required fields and some others, plausible values."""
    fields_ = schema.load_fields.items()
    required = {name: plausible(field) for name, field in fields_ if field.required}
    optional = {name: plausible(field) for name, field in fields_ if not field.required}
    return st.fixed_dictionaries(required, optional=optional)


def values_for(field: fields.Field) -> st.SearchStrategy[Any]:
    """Plausible values for `field`, or anything at all."""
    return st.one_of(plausible(field), TEXT, SCALAR, st.lists(SCALAR, max_size=2))


def documents(schema: Schema) -> st.SearchStrategy[Any]:
    """Plausible documents, documents with any values, an unknown key now and then, non-dicts."""
    optional = {name: values_for(field) for name, field in schema.load_fields.items()}
    wild = st.fixed_dictionaries({}, optional=optional)
    unknown = st.dictionaries(st.sampled_from(["extra", "Subject", "id_"]), SCALAR, min_size=1, max_size=1)
    with_unknown = st.builds(lambda a, b: {**a, **b}, plausible_documents(schema), unknown)
    return st.one_of(plausible_documents(schema), wild, with_unknown, SCALAR)


def marshmallow_answer(schema: Schema, data: Any, partial: bool) -> Any:
    try:
        return schema.load(data, partial=partial)
    except MarshmallowValidationError:
        return "invalid"


CASES = [
    (TicketCreateSchema(), False),
    (TicketUpdateSchema(), True),
    (CustomerInSchema(), False),
    (ExternalRefSchema(), False),
]


@pytest.mark.parametrize(("schema", "partial"), CASES, ids=[type(schema).__name__ for schema, _ in CASES])
def test_fast_path_agrees_with_marshmallow(schema, partial):
    quick = compile_schema(schema, partial=partial)
    assert quick is not None
    taken = []

    @settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(documents(schema))
    def agree(data):
        fast = quick(data)
        if fast is not None:
            taken.append(data)
            assert fast == marshmallow_answer(schema, data, partial)

    agree()
    assert taken, "the fast path never accepted a generated document"


def test_fast_path_steps_aside_for_every_invalid_document():
    quick = compile_schema(TicketCreateSchema())
    for data in (
        {},
        {"subject": "   "},
        {"subject": "x" * 201},
        {"subject": "好", "priority": "asap"},
        {"subject": "好", "tags": ["ok", ""]},
        {"subject": "好", "tags": "退货"},
        {"subject": "好", "customer": {"email": "不是邮箱"}},
        {"subject": "好", "customer": {"name": "张三", "vip": True}},
        {"subject": "好", "external_ref": {"system": "pdd"}},
        {"subject": "好", "unknown": 1},
    ):
        assert quick(data) is None, data
        assert marshmallow_answer(TicketCreateSchema(), data, False) == "invalid"


def test_a_typical_ticket_takes_the_fast_path_with_marshmallows_result():
    data = {
        "subject": "收到的商品破损",
        "category": "售后/退货退款",
        "tags": ["破损"],
        "customer": {"name": "买家", "email": "buyer@example.com"},
        "external_ref": {"system": "pdd", "id": "2611"},
    }
    quick = compile_schema(TicketCreateSchema())
    assert quick(data) == TicketCreateSchema().load(data)
    assert quick(data)["tags"] == ["破损"]
    assert quick(data)["priority"] == "normal"


def test_schemas_outside_the_subset_are_left_to_marshmallow():
    class WithHook(Schema):
        name = fields.String()

        @validates_schema
        def check(self, data, **_):
            raise MarshmallowValidationError("never")

    class WithDate(Schema):
        at = fields.DateTime()

    class WithDataKey(Schema):
        name = fields.String(data_key="Name")

    for schema in (WithHook(), WithDate(), WithDataKey(), TicketCreateSchema(many=True)):
        assert compile_schema(schema) is None


def test_load_explains_what_the_fast_path_declined():
    class Counted(Schema):
        size = fields.Integer(validate=validate.Range(min=1))

    assert load(Counted, {"size": 3}) == {"size": 3}
    # what marshmallow would coerce is left to it
    assert compile_schema(Counted())({"size": "3"}) is None
    assert load(Counted, {"size": "3"}) == {"size": 3}
    assert load(TicketCreateSchema, {"subject": b"bytes"})["subject"] == "bytes"
    with pytest.raises(ValidationError) as error:
        load(Counted, {"size": 0})
    assert error.value.fields == {"size": ["Must be greater than or equal to 1."]}
