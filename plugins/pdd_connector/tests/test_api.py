"""The REST routes: shops (secrets never returned), sync and backfill, quarantine, settings overrides."""

from __future__ import annotations

import json

from gongdan_pdd_connector.models import PddShop
from gongdan_pdd_connector.testing import pdd_tickets, shop_fields, truth, wait_for

from gongdan.db import db
from gongdan.models import Ticket


def _wait_run(api, shop_id):
    def finished():
        run = api.get(f"/api/v1/pdd/shops/{shop_id}").get_json()["sync"]["last_run"]
        return run if run and run["status"] != "running" else None

    return wait_for(finished, timeout=60)


def test_connect_list_and_backfill_a_shop(pdd_tenant, start_sim, admin_api, agent_api):
    sim = start_sim(shops=1, records=20)
    created = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim))
    assert created.status_code == 201, created.get_json()
    shop = created.get_json()
    text = json.dumps(shop)
    assert sim.client_secret not in text
    assert sim.shops[0]["access_token"] not in text
    assert shop["authorization"]["status"] == "authorized"
    stored = PddShop.get_by_id(shop["id"])
    assert (stored.client_secret, stored.access_token) == (sim.client_secret, sim.shops[0]["access_token"])
    raw = db.execute_sql("SELECT client_secret_enc, access_token_enc FROM pdd_shop").fetchone()
    assert raw[0].startswith("gd1:")
    assert raw[1].startswith("gd1:")
    assert sim.client_secret not in raw[0]
    assert sim.shops[0]["access_token"] not in raw[1]

    again = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim, owner_name="改名"))
    assert again.status_code == 200
    assert again.get_json()["id"] == shop["id"]

    assert agent_api.get("/api/v1/pdd/shops").status_code == 403
    assert agent_api.post(f"/api/v1/pdd/shops/{shop['id']}/sync", json={}).status_code == 403

    started = admin_api.post(f"/api/v1/pdd/shops/{shop['id']}/sync", json={"since": "1d"})
    assert started.status_code == 202, started.get_json()
    run = _wait_run(admin_api, shop["id"])
    assert run["status"] == "done", run
    assert run["kind"] == "backfill"
    listed = admin_api.get("/api/v1/pdd/shops").get_json()["items"]
    assert [s["id"] for s in listed] == [shop["id"]]
    state = listed[0]["sync"]
    assert state["cursor"] is not None
    assert state["lag_seconds"] >= 180
    assert state["records"] == len([r for r in truth(sim) if not r["malformed"]])
    runs = admin_api.get(f"/api/v1/pdd/shops/{shop['id']}/runs").get_json()
    assert runs["total"] == 1

    tickets = admin_api.get("/api/v1/tickets?channel=pdd&per_page=100").get_json()
    assert tickets["total"] == state["records"]
    one = tickets["items"][0]
    assert one["external_ref"]["system"] == "pdd"
    assert one["pdd_connector"]["after_sales_id"] == one["external_ref"]["id"]
    # every ticket of the page gets its own refund's block (one statement for the page)
    blocks = [(t["pdd_connector"]["after_sales_id"], t["pdd_connector"]["shop"]["id"]) for t in tickets["items"]]
    assert blocks == [(t["external_ref"]["id"], shop["id"]) for t in tickets["items"]]
    assert one["category"].startswith("售后/")
    assert "拼多多" in one["tags"]


def test_bad_input_is_422_and_other_tenants_see_nothing(pdd_tenant, start_sim, admin_api, make_user, other_tenant):
    bad = admin_api.post("/api/v1/pdd/shops", json={"owner_id": "1", "gateway_url": "not a url"})
    assert bad.status_code == 422
    assert {"client_id", "client_secret", "access_token", "gateway_url"} <= set(bad.get_json()["error"]["fields"])
    sim = start_sim(shops=1, records=3)
    plain_http = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim, gateway_url="http://8.8.8.8/api/router"))
    assert plain_http.status_code == 422  # secrets never go over plain http to the internet
    assert "gateway_url" in plain_http.get_json()["error"]["fields"]
    shop = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim)).get_json()
    bad_since = admin_api.post(f"/api/v1/pdd/shops/{shop['id']}/sync", json={"since": "last tuesday"})
    assert bad_since.status_code == 422
    assert "since" in bad_since.get_json()["error"]["fields"]
    _user, outsider = make_user("admin", in_tenant=other_tenant)
    assert outsider.get(f"/api/v1/pdd/shops/{shop['id']}").status_code == 404  # plugin off there
    from gongdan.plugins import get_host

    get_host().set_enabled(other_tenant, "pdd_connector", enabled=True)
    assert outsider.get(f"/api/v1/pdd/shops/{shop['id']}").status_code == 404  # another tenant's shop
    assert outsider.get("/api/v1/pdd/shops").get_json()["items"] == []


def test_quarantine_is_listed_and_retried_after_a_fix(pdd_tenant, start_sim, admin_api):
    sim = start_sim(shops=1, records=5)
    shop = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim)).get_json()
    (bad,) = sim.control("POST", "records", {"owner_id": shop["owner_id"], "count": 1, "malformed": "unknown_status"})[
        "records"
    ]
    sim.set_clock(240)
    admin_api.post(f"/api/v1/pdd/shops/{shop['id']}/sync", json={"since": "1d"})
    assert _wait_run(admin_api, shop["id"])["status"] == "done"
    listed = admin_api.get("/api/v1/pdd/quarantine").get_json()
    assert listed["total"] == 1
    (entry,) = listed["items"]
    assert entry["after_sales_id"] == str(bad["id"])
    assert "unknown after_sales_status" in entry["reason"]
    assert not Ticket.select().where(Ticket.external_id == str(bad["id"])).exists()

    # still broken: the retry keeps it in quarantine and counts the attempt
    retried = admin_api.post(f"/api/v1/pdd/quarantine/{entry['id']}/retry").get_json()
    assert retried["status"] == "open"
    assert retried["attempts"] == 2

    sim.control("POST", "repair", {"owner_id": shop["owner_id"], "refund_id": bad["id"]})
    fixed = admin_api.post(f"/api/v1/pdd/quarantine/{entry['id']}/retry").get_json()
    assert fixed["status"] == "resolved"
    assert Ticket.select().where(Ticket.external_id == str(bad["id"])).exists()
    assert admin_api.get("/api/v1/pdd/quarantine").get_json()["total"] == 0
    assert admin_api.get("/api/v1/pdd/quarantine?status=all").get_json()["total"] == 1


def test_tenant_settings_override_the_mapping(pdd_tenant, start_sim, admin_api):
    settings = {
        "categories": {"refund_only": "售后/退款申请", "return_refund": "售后/退款申请"},
        "status_map": {"10": "pending"},
        "extra_tags": ["旗舰店"],
    }
    assert (
        admin_api.put("/api/v1/plugins/pdd_connector", json={"enabled": True, "settings": settings}).status_code == 200
    )
    bad = admin_api.put("/api/v1/plugins/pdd_connector", json={"settings": {"status_map": {"10": "closed"}}})
    assert bad.status_code == 422
    sim = start_sim(shops=1, records=25)
    shop = admin_api.post("/api/v1/pdd/shops", json=shop_fields(sim)).get_json()
    admin_api.post(f"/api/v1/pdd/shops/{shop['id']}/sync", json={"since": "1d"})
    assert _wait_run(admin_api, shop["id"])["status"] == "done"
    by_id = {str(r["id"]): r for r in truth(sim)}
    tickets = pdd_tickets(pdd_tenant)
    assert tickets
    for ticket in tickets:
        record = by_id[ticket.external_id]
        assert "旗舰店" in ticket.tags
        if record["after_sales_type"] in (1, 2):
            assert ticket.category.path.startswith("售后/退款申请")
        if record["status"] == 10:
            assert ticket.status == "pending"


def test_connect_with_an_authorisation_code(pdd_tenant, start_sim, admin_api):
    sim = start_sim(shops=1, records=3)
    owner_id = str(sim.shops[0]["owner_id"])
    code = sim.control("POST", "auth_code", {"owner_id": owner_id})["code"]
    body = {"client_id": sim.client_id, "client_secret": sim.client_secret, "code": code, "gateway_url": sim.base}
    created = admin_api.post("/api/v1/pdd/shops", json=body)
    assert created.status_code == 201, created.get_json()
    shop = created.get_json()
    assert shop["owner_id"] == owner_id
    assert shop["owner_name"] == sim.shops[0]["owner_name"]
    assert shop["authorization"]["access_token_expires_at"] is not None
    reused = admin_api.post("/api/v1/pdd/shops", json=body)  # a code works once
    assert reused.status_code == 422
    assert "code" in reused.get_json()["error"]["fields"]
