"""The connector stores records through the toolkit (`gongdan.connectors.upsert`) into the mirror
table it always had: `pdd_refund` keeps its columns, so an installation upgraded to this version
needs no migration and its rows are read and updated in place."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from gongdan_pdd_connector import mapping, store
from gongdan_pdd_connector.models import PddRefund, PddShop

from gongdan import tickets
from gongdan.actors import Actor
from gongdan.connectors import RecordMirror
from gongdan.models import TicketEvent

# pdd_refund as schema versions 1-3 created it, before the toolkit existed
COLUMNS_BEFORE = {
    "id",
    "tenant_id",
    "shop_id",
    "after_sales_id",
    "order_sn",
    "status",
    "kind",
    "updated_time",
    "expire_time",
    "ticket_id",
    "record",
    "applied",
    "stored_at",
}


def test_the_mirror_is_the_toolkits_with_the_table_it_had(gongdan_db: Any, pdd_tenant: Any) -> None:
    assert issubclass(PddRefund, RecordMirror)
    on_disk = {column.name for column in gongdan_db.get_columns("pdd_refund")}
    assert on_disk == COLUMNS_BEFORE == {field.column_name for field in PddRefund._meta.sorted_fields}
    unique = [i.columns for i in gongdan_db.get_indexes("pdd_refund") if i.unique]
    assert ["tenant_id", "after_sales_id"] in unique


def _record(status: int, updated: str) -> dict[str, Any]:
    """A list item and its detail, normalised (list and detail number the kind differently)."""
    same = {"id": 10060000001, "order_sn": "261102-123456789012345", "after_sales_status": status}
    item = {**same, "after_sales_type": 2, "after_sale_reason": "不喜欢/不想要", "updated_time": updated}
    detail = {**same, "after_sales_type": 1, "after_sales_reason": "不喜欢/不想要", "updated_time": updated}
    item.update(refund_amount="59.90", goods_name="加厚羽绒服")
    detail.update(remark="衣服有色差", refund_amount=5990, expire_time="2026-12-04 10:00:00")
    return mapping.normalize(item, detail)


def test_agents_edits_stay_until_the_record_changes_them(pdd_tenant: Any, frozen_clock: Any) -> None:
    # the clock frozen a month before the record's deadline: within 12 hours of it (from 3 December
    # 2026, 14:00 UTC on a real clock) the platform's own priority turns urgent, the agent's edit
    # then equals it, and a later record rightly takes the priority back
    shop = PddShop.create(
        tenant=pdd_tenant,
        owner_id="9001",
        client_id="app",
        client_secret="s",
        access_token="t",
        gateway_url="http://127.0.0.1:9",
    )
    ctx = store.Context.of(shop)
    ticket, created = store.store(ctx, _record(2, "2026-11-30 10:00:00"))
    assert created
    assert ticket.status == "new"
    row = store.mirror(pdd_tenant, "10060000001")
    agent = Actor.system("test:agent")
    ticket = tickets.transition(pdd_tenant, ticket, "open", agent)
    ticket = tickets.transition(pdd_tenant, ticket, "pending", agent)
    tickets.update(pdd_tenant, ticket, {"priority": "urgent", "tags": [*ticket.tags, "回访"]}, agent)

    again, created = store.store(ctx, _record(2, "2026-11-30 10:05:00"))  # newer, same status
    assert not created
    kept = tickets.get(pdd_tenant, ticket.id)
    assert (kept.status, kept.priority, "回访" in kept.tags) == ("pending", "urgent", True)
    assert store.store(ctx, _record(2, "2026-11-30 09:00:00")) == (again, False)  # older: ignored
    assert store.mirror(pdd_tenant, "10060000001").updated_time == datetime(2026, 11, 30, 2, 5, tzinfo=UTC)

    store.store(ctx, _record(10, "2026-11-30 11:00:00"))  # the platform closed it: the status follows
    done = tickets.get(pdd_tenant, ticket.id)
    assert (done.status, done.priority) == ("resolved", "urgent")
    assert PddRefund.of(pdd_tenant).count() == 1
    assert store.mirror(pdd_tenant, "10060000001").id == row.id
    received = TicketEvent.select().where(TicketEvent.kind == "pdd_connector.request_received")
    deadlines = TicketEvent.select().where(TicketEvent.kind == "deadline.announced")
    assert (received.count(), deadlines.count()) == (1, 1)
