"""Customers: finding or creating the customer behind a ticket, look-ups and the audited reveal.

E-mail, phone and address are encrypted at rest (`EncryptedTextField`); exact look-ups by
e-mail or phone go through keyed blind indexes (`gongdan.crypto.blind_index`) of the
normalised values. Every query by e-mail or phone belongs here: a plain comparison of the
encrypted column never matches.
"""

from __future__ import annotations

import re
from typing import Any

import peewee

from gongdan import audit, crypto, masking, permissions
from gongdan.actors import Actor
from gongdan.db import db
from gongdan.errors import NotFound, ValidationError
from gongdan.ids import parse_id
from gongdan.models import Customer, CustomerIdentity, Tenant
from gongdan.statements import PreparedStatement, hydrate

FIELDS = ("name", "email", "phone", "address", "tier")
_COLUMNS = "c.id, c.name, c.email, c.phone, c.address, c.tier"
_by_identity = PreparedStatement(
    f"SELECT {_COLUMNS} FROM {{customer}} c JOIN {{identity}} i ON i.customer_id = c.id AND i.tenant_id = c.tenant_id"
    " WHERE i.tenant_id = ? AND i.system = ? AND i.external_id = ?",
    customer=Customer,
    identity=CustomerIdentity,
)
_by_email = PreparedStatement(
    f"SELECT {_COLUMNS} FROM {{customer}} c WHERE c.tenant_id = ? AND c.email_index = ? ORDER BY c.id LIMIT 1",
    customer=Customer,
)
_CONVERTERS = [Customer._meta.fields[name].python_value for name in FIELDS]
EMAIL_PURPOSE, PHONE_PURPOSE = "customer.email", "customer.phone"
_PHONE_TERM = re.compile(r"\+?[\d\s()-]+")
_LEGACY_INDEX = "customer_tenant_id_email"  # (tenant, email) on the plain column, before encryption


def normal_email(value: str) -> str:
    """An e-mail address as it is indexed: trimmed, lower case."""
    return value.strip().lower()


def normal_phone(value: str) -> str:
    """A phone number as it is indexed: its digits, without a mainland `+86`/`86` prefix."""
    digits = re.sub(r"\D", "", value)
    return digits[2:] if len(digits) == 13 and digits.startswith("86") else digits


def email_index(value: str | None) -> str | None:
    """The blind index of an e-mail address (None for none)."""
    return crypto.blind_index(normal_email(value), EMAIL_PURPOSE) if value else None


def phone_index(value: str | None) -> str | None:
    """The blind index of a phone number (None for none)."""
    return crypto.blind_index(normal_phone(value), PHONE_PURPOSE) if value else None


def stamp_indexes(customer: Customer) -> None:
    """Set `customer`'s blind indexes from its e-mail and phone (`Customer.save` calls this)."""
    customer.email_index = email_index(customer.email)
    customer.phone_index = phone_index(customer.phone)


def _found(tenant: Tenant, row: tuple | None) -> Customer | None:
    if row is None:
        return None
    values = {name: convert(value) for name, convert, value in zip(FIELDS, _CONVERTERS, row[1:], strict=True)}
    return hydrate(Customer, {"id": row[0], "tenant": tenant.id, **values})


def by_email(tenant: Tenant, email: str) -> Customer | None:
    """The tenant's (first) customer with e-mail `email`, compared case-insensitively."""
    return _found(tenant, _by_email.execute((tenant.id, email_index(email))).fetchone()) if email else None


def ids_by_email(tenant: Tenant, email: str | None) -> list[int]:
    """Ids of the tenant's customers with e-mail `email` (the portal's "my requests")."""
    if not email:
        return []
    wanted = email_index(email)
    return [
        row.id
        for row in Customer.select(Customer.id).where((Customer.tenant == tenant) & (Customer.email_index == wanted))
    ]


def by_phone(tenant: Tenant, phone: str) -> list[Customer]:
    """The tenant's customers with phone `phone` (`138 1234 5678` and `+86 13812345678` match)."""
    if not phone:
        return []
    query = Customer.of(tenant).where(Customer.phone_index == phone_index(phone)).order_by(Customer.id)
    return list(query)


def exact_condition(term: str) -> peewee.Expression | None:
    """A condition on `Customer` for a search term that is an e-mail address or a phone number, else None."""
    term = (term or "").strip()
    if "@" in term:
        return Customer.email_index == email_index(term)
    if _PHONE_TERM.fullmatch(term) and len(normal_phone(term)) >= 7:
        return Customer.phone_index == phone_index(term)
    return None


def _chosen(tenant: Tenant, customer_id: Any) -> Customer:
    try:
        return get(tenant, customer_id)
    except NotFound:
        raise ValidationError("unknown customer", {"customer.id": [f"no customer {customer_id} here"]}) from None


def upsert(tenant: Tenant, data: dict[str, Any], system: str) -> Customer:
    """The customer `data` describes: the tenant's customer `id` when given (ValidationError if none),
    else matched by `(system, external_id)`, then by e-mail.

    Given fields (name, phone, address, tier, e-mail) update a match; a new identity is
    remembered. Call it inside the caller's transaction.
    """
    external_id = data.get("external_id")
    customer = _chosen(tenant, data["id"]) if data.get("id") is not None else None
    if customer is None and external_id:
        customer = _found(tenant, _by_identity.execute((tenant.id, system, external_id)).fetchone())
    if customer is None and data.get("email"):
        customer = by_email(tenant, data["email"])
    if customer is None:
        customer = Customer.create(
            tenant=tenant,
            name=data.get("name") or "",
            email=data.get("email"),
            phone=data.get("phone"),
            address=data.get("address"),
            tier=data.get("tier") or "normal",
        )
    else:
        changed = {k: data[k] for k in FIELDS if data.get(k) and getattr(customer, k) != data[k]}
        if changed:
            for key, value in changed.items():
                setattr(customer, key, value)
            stamp_indexes(customer)
            changed.update(email_index=customer.email_index, phone_index=customer.phone_index)
            Customer.update(**changed).where(Customer.id == customer.id).execute()
    if external_id:
        CustomerIdentity.insert(
            tenant=tenant, customer=customer, system=system, external_id=external_id
        ).on_conflict_ignore().execute()
    return customer


def get(tenant: Tenant, customer_id: Any) -> Customer:
    """The tenant's customer `customer_id`; NotFound for another tenant's or none."""
    number = parse_id(customer_id)
    customer = Customer.of(tenant).where(Customer.id == number).first() if number is not None else None
    if customer is None:
        raise NotFound("no such customer")
    return customer


def reveal(tenant: Tenant, customer_id: Any, actor: Actor, *, ip: str | None = None) -> dict[str, Any]:
    """The customer's contact details in clear, for supervisors and admins; audited.

    Raises `gongdan.errors.Forbidden` for agents and NotFound for another tenant's customer.
    Records `customer.revealed` (who, which customer, which fields; never the values).
    """
    permissions.require(actor, "customer.reveal")
    customer = get(tenant, customer_id)
    shown = masking.customer_dict(customer, revealed=True)
    fields = [name for name in masking.MASKS if shown.get(name)]
    audit.record(tenant, "customer.revealed", actor, data={"customer_id": customer.id, "fields": fields}, ip=ip)
    return shown


# --- `gongdan init`: rows from before the encryption ----------------------------------------------


def migrate_plain_rows() -> int:
    """Fill the blind indexes of customers whose e-mail or phone has none yet; drop the old index.

    Runs after the values are encrypted (`gongdan.keys.encrypt_plain_values`); returns the
    number of customers indexed. Safe to repeat.
    """
    db.execute_sql(f'DROP INDEX IF EXISTS "{_LEGACY_INDEX}"')
    stale = Customer.select().where(
        (Customer.email.is_null(False) & Customer.email_index.is_null())
        | (Customer.phone.is_null(False) & Customer.phone_index.is_null())
    )
    count = 0
    for customer in stale.iterator():
        stamp_indexes(customer)
        Customer.update(email_index=customer.email_index, phone_index=customer.phone_index).where(
            Customer.id == customer.id
        ).execute()
        count += 1
    return count
