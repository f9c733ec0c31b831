"""A shop identity (app `client_id` + `owner_id`) belongs to one tenant of the installation (H3).

`claim` runs inside the transaction that connects the shop: the unique index of
`PddShopClaim` decides between tenants, also when two connect at the same moment (on
PostgreSQL the second insert waits for the first transaction and then fails; SQLite
serialises the writers). Push messages and detail calls go only to the claiming tenant's shop.
"""

from __future__ import annotations

import logging
from typing import Any

import peewee as pw

from gongdan import outbound
from gongdan.db import db
from gongdan.errors import Conflict
from gongdan.models import Tenant
from gongdan_pdd_connector.models import PddShop, PddShopClaim

log = logging.getLogger("gongdan.pdd.claims")

TAKEN = "this Pinduoduo shop (app and owner id) is connected in another tenant of this installation"
TAKEN_ZH = "该拼多多店铺（应用与店铺 ID）已在本系统的另一个租户中接入"


class ShopTaken(Conflict):
    """Another tenant holds the shop identity (409), in the request's language."""

    def __init__(self) -> None:
        text = TAKEN_ZH if outbound.request_language().lower().startswith("zh") else TAKEN
        super().__init__(text, {"owner_id": [text]})


def holder(client_id: str, owner_id: str) -> int | None:
    """The id of the tenant that holds `(client_id, owner_id)`, or None."""
    row = PddShopClaim.get_or_none((PddShopClaim.client_id == client_id) & (PddShopClaim.owner_id == owner_id))
    return row.tenant_id if row else None


def claim(tenant: Tenant, client_id: str, owner_id: str) -> None:
    """Hold `(client_id, owner_id)` for `tenant` (again is fine); ShopTaken when another tenant does.

    Call inside the transaction that stores the shop.
    """
    owner_id = str(owner_id)
    current = holder(client_id, owner_id)
    if current is not None:
        if current != tenant.id:
            raise ShopTaken()
        return
    try:
        with db.atomic():  # a savepoint: a lost race leaves the outer transaction usable
            PddShopClaim.create(client_id=client_id, owner_id=owner_id, tenant=tenant)
    except pw.IntegrityError:
        if holder(client_id, owner_id) != tenant.id:
            raise ShopTaken() from None


def release(tenant: Tenant, client_id: str, owner_id: str) -> None:
    """Give up `tenant`'s hold on `(client_id, owner_id)` (the shop changed app)."""
    PddShopClaim.delete().where(
        (PddShopClaim.client_id == client_id)
        & (PddShopClaim.owner_id == str(owner_id))
        & (PddShopClaim.tenant == tenant)
    ).execute()


def owns(shop: PddShop) -> bool:
    """Whether `shop`'s tenant holds its identity (messages and calls may go to it)."""
    return holder(shop.client_id, shop.owner_id) == shop.tenant_id


def claim_existing(migrator: Any) -> None:
    """Schema v3: claims for the shops already connected, the oldest shop first.

    A later shop with the same identity in another tenant is switched off and marked, so an
    admin sees why (it receives nothing until the operator settles who owns the shop).
    """
    PddShopClaim.create_table(safe=True)
    for shop in PddShop.select(PddShop.id, PddShop.tenant, PddShop.client_id, PddShop.owner_id).order_by(PddShop.id):
        current = holder(shop.client_id, shop.owner_id)
        if current is None:
            PddShopClaim.create(client_id=shop.client_id, owner_id=shop.owner_id, tenant=shop.tenant_id)
        elif current != shop.tenant_id:
            log.warning("pdd shop %s (owner %s) is claimed by tenant %s: switched off", shop.id, shop.owner_id, current)
            PddShop.update(active=False, auth_status="error", auth_error=TAKEN).where(PddShop.id == shop.id).execute()
