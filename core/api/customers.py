"""Customer routes: the audited reveal of a customer's contact details."""

from __future__ import annotations

from typing import Any

from flask import request

from gongdan import customers
from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_actor, current_tenant
from gongdan.api.schemas import CustomerSchema

TAGS = ("customers",)


@api_route(api, "/customers/<int:customer_id>/reveal", ["POST"], role="supervisor", response=CustomerSchema, tags=TAGS)
def reveal_customer(customer_id: int) -> dict[str, Any]:
    """The customer's e-mail, phone and address in clear (supervisors and admins); audited.

    Everywhere else they are masked (`138****5678`, `z***@qq.com`). Each reveal is recorded
    in the audit log as `customer.revealed`, with who, when and from which address.
    """
    return customers.reveal(current_tenant(), customer_id, current_actor(), ip=request.remote_addr)
