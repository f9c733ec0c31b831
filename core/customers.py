"""Finding or creating the customer behind a ticket."""

from __future__ import annotations

from typing import Any

from gongdan.models import Customer, CustomerIdentity, Tenant


def upsert(tenant: Tenant, data: dict[str, Any], system: str) -> Customer:
    """The customer `data` describes: matched by `(system, external_id)`, then by e-mail.

    Given fields (name, phone, tier, e-mail) update a match; a new identity is remembered.
    Call it inside the caller's transaction.
    """
    external_id = data.get("external_id")
    customer = None
    if external_id:
        identity = CustomerIdentity.get_or_none(
            (CustomerIdentity.tenant == tenant)
            & (CustomerIdentity.system == system)
            & (CustomerIdentity.external_id == external_id)
        )
        customer = identity.customer if identity else None
    if customer is None and data.get("email"):
        customer = Customer.of(tenant).where(Customer.email == data["email"]).first()
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
