"""Finding or creating the customer behind a ticket."""

from __future__ import annotations

from typing import Any

from gongdan.models import Customer, CustomerIdentity, Tenant
from gongdan.statements import PreparedStatement, hydrate

FIELDS = ("name", "email", "phone", "tier")
_COLUMNS = "c.id, c.name, c.email, c.phone, c.tier"
_by_identity = PreparedStatement(
    f"SELECT {_COLUMNS} FROM {{customer}} c JOIN {{identity}} i ON i.customer_id = c.id"
    " WHERE i.tenant_id = ? AND i.system = ? AND i.external_id = ?",
    customer=Customer,
    identity=CustomerIdentity,
)
_by_email = PreparedStatement(
    f"SELECT {_COLUMNS} FROM {{customer}} c WHERE c.tenant_id = ? AND c.email = ? ORDER BY c.id LIMIT 1",
    customer=Customer,
)


def _found(tenant: Tenant, row: tuple | None) -> Customer | None:
    if row is None:
        return None
    return hydrate(Customer, {"id": row[0], "tenant": tenant.id, **dict(zip(FIELDS, row[1:], strict=True))})


def upsert(tenant: Tenant, data: dict[str, Any], system: str) -> Customer:
    """The customer `data` describes: matched by `(system, external_id)`, then by e-mail.

    Given fields (name, phone, tier, e-mail) update a match; a new identity is remembered.
    Call it inside the caller's transaction.
    """
    external_id = data.get("external_id")
    customer = None
    if external_id:
        customer = _found(tenant, _by_identity.execute((tenant.id, system, external_id)).fetchone())
    if customer is None and data.get("email"):
        customer = _found(tenant, _by_email.execute((tenant.id, data["email"])).fetchone())
    if customer is None:
        customer = Customer.create(
            tenant=tenant,
            name=data.get("name") or "",
            email=data.get("email"),
            phone=data.get("phone"),
            tier=data.get("tier") or "normal",
        )
    else:
        changed = {
            k: data[k] for k in ("name", "email", "phone", "tier") if data.get(k) and getattr(customer, k) != data[k]
        }
        if changed:
            Customer.update(**changed).where(Customer.id == customer.id).execute()
            for key, value in changed.items():
                setattr(customer, key, value)
    if external_id:
        CustomerIdentity.insert(
            tenant=tenant, customer=customer, system=system, external_id=external_id
        ).on_conflict_ignore().execute()
    return customer
