"""The conversation through the API: customers' messages, author kinds, attachments, delivery state."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from gongdan import delivery
from gongdan.contributions import Channel, DeliveryReceipt
from gongdan.hookspecs import hookimpl
from gongdan.models import Attachment, Tenant


def png(size: tuple[int, int] = (640, 480), color: str = "red") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def upload(api: Any, ticket_id: int, data: bytes, name: str, declared: str = "application/octet-stream", **form):
    return api.post(
        f"/api/v1/tickets/{ticket_id}/attachments",
        data={"file": (io.BytesIO(data), name, declared), **form},
        content_type="multipart/form-data",
    )


class Echo:
    """A channel that accepts every message."""

    def __init__(self) -> None:
        self.sent = []

    def deliver(self, message):
        self.sent.append(message)
        return DeliveryReceipt(external_id=f"echo-{message.delivery_id}")

    @hookimpl
    def gongdan_channels(self):
        return [Channel(name="echo", label="Echo", deliver=self.deliver)]


@pytest.fixture
def echo(register_plugin: Any, tenant: Any) -> Echo:
    Tenant.update(notify_acknowledgement=False).where(Tenant.id == tenant.id).execute()
    plugin = Echo()
    register_plugin(plugin, "echo")
    return plugin


# --- customers' messages and author kinds --------------------------------------------------------


def test_a_relayed_customer_message_reopens_a_resolved_ticket(agent_api, new_ticket):
    ticket = new_ticket(agent_api, customer={"name": "王女士"})
    agent_api.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "resolved"})
    answer = agent_api.post(
        f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "还是没收到退款", "from_customer": True}
    )
    assert answer.status_code == 201, answer.get_json()
    comment = answer.get_json()
    assert (comment["author_kind"], comment["from_customer"], comment["author"]) == ("customer", True, None)
    assert comment["author_label"] == "王女士"  # the ticket's customer
    assert comment["delivery"] is None
    assert agent_api.get(f"/api/v1/tickets/{ticket['id']}").get_json()["status"] == "open"
    events = agent_api.get(f"/api/v1/tickets/{ticket['id']}/events").get_json()
    commented = [e for e in events if e["kind"] == "commented"][-1]
    assert commented["data"]["author_kind"] == "customer"
    assert commented["actor"]["email"] == agent_api.user.email  # who relayed it


def test_a_customer_message_on_a_pending_ticket_reopens_it_with_the_given_name(agent_api, new_ticket):
    ticket = new_ticket(agent_api)
    agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "请提供照片"})
    agent_api.post(f"/api/v1/tickets/{ticket['id']}/transitions", json={"to": "pending"})
    comment = agent_api.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"body": "照片发您了", "from_customer": True, "author_name": "李先生"},
    ).get_json()
    assert comment["author_label"] == "李先生"
    assert agent_api.get(f"/api/v1/tickets/{ticket['id']}").get_json()["status"] == "open"
    kinds = [c["author_kind"] for c in agent_api.get(f"/api/v1/tickets/{ticket['id']}/comments").get_json()["items"]]
    assert kinds == ["agent", "customer"]


def test_a_customer_cannot_write_an_internal_note(agent_api, new_ticket, expect_error):
    ticket = new_ticket(agent_api)
    response = agent_api.post(
        f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "x", "from_customer": True, "internal": True}
    )
    assert "internal" in expect_error(response, 422, "validation_error")["fields"]


def test_the_sla_next_response_clock_runs_on_a_relayed_customer_message(
    agent_api, new_ticket, enable_plugin, tenant, frozen_clock
):
    from gongdan_sla.policies import save_policies

    enable_plugin("sla")
    save_policies(tenant, {"items": [{"name": "Fast", "first_response": 60, "next_response": 30}]})
    ticket = new_ticket(agent_api)
    agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "您好，在的"})
    assert agent_api.get(f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]["next_response_due"] is None
    agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "什么时候发货？", "from_customer": True})
    block = agent_api.get(f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]
    assert block["next_response_due"] is not None
    frozen_clock.advance(minutes=10)
    agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "今天发"})
    assert agent_api.get(f"/api/v1/tickets/{ticket['id']}").get_json()["sla"]["next_response_due"] is None


# --- delivery state on the representation --------------------------------------------------------


def test_a_reply_shows_its_delivery_state_queued_then_sent(agent_api, new_ticket, echo):
    ticket = new_ticket(agent_api, channel="echo")
    reply = agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "已补发"}).get_json()
    assert reply["delivery"]["state"] == "queued"
    assert reply["delivery"]["channel"] == "echo"
    delivery.flush()
    listed = agent_api.get(f"/api/v1/tickets/{ticket['id']}/comments").get_json()["items"][0]
    assert listed["delivery"]["state"] == "sent"
    assert listed["delivery"]["external_id"] == f"echo-{reply['delivery']['id']}"
    note = agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "备注", "internal": True})
    assert note.get_json()["delivery"] is None


def test_a_reply_carries_uploaded_files_to_the_channel(agent_api, new_ticket, echo):
    ticket = new_ticket(agent_api, channel="echo")
    first = upload(agent_api, ticket["id"], png(), "发票.png").get_json()
    second = upload(agent_api, ticket["id"], b"%PDF-1.4\n%\xe2\xe3\n1 0 obj\n", "单据.pdf").get_json()
    reply = agent_api.post(
        f"/api/v1/tickets/{ticket['id']}/comments",
        json={"body": "附件请查收", "attachment_ids": [first["id"], second["id"]]},
    ).get_json()
    assert [a["filename"] for a in reply["attachments"]] == ["发票.png", "单据.pdf"]
    delivery.flush()
    assert [a.id for a in echo.sent[0].attachments] == [first["id"], second["id"]]


def test_attachment_ids_must_be_loose_files_of_this_ticket(agent_api, new_ticket, expect_error):
    one, two = new_ticket(agent_api), new_ticket(agent_api, subject="另一张")
    elsewhere = upload(agent_api, two["id"], png(), "a.png").get_json()
    response = agent_api.post(
        f"/api/v1/tickets/{one['id']}/comments", json={"body": "x", "attachment_ids": [elsewhere["id"]]}
    )
    assert "attachment_ids" in expect_error(response, 422, "validation_error")["fields"]
    assert agent_api.get(f"/api/v1/tickets/{one['id']}/comments").get_json()["total"] == 0  # nothing half-written


# --- attachments ---------------------------------------------------------------------------------


def test_upload_sniffs_the_type_and_download_shows_safe_images_inline(agent_api, new_ticket):
    ticket = new_ticket(agent_api)
    created = upload(agent_api, ticket["id"], png(), "photo.png", declared="text/html")
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["content_type"], body["filename"], body["comment_id"]) == ("image/png", "photo.png", None)
    got = agent_api.get(body["url"])
    assert got.status_code == 200
    assert got.data == png()
    assert got.headers["Content-Type"] == "image/png"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert got.headers["Content-Disposition"] == "inline; filename=photo.png"


def test_html_and_svg_are_downloads_never_inline(agent_api, new_ticket):
    ticket = new_ticket(agent_api)
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    html = b"<!DOCTYPE html><html><script>alert(1)</script></html>"
    for data, name in ((svg, "x.svg"), (html, "x.png")):
        body = upload(agent_api, ticket["id"], data, name, declared="image/png").get_json()
        assert body["content_type"] != "image/png"
        got = agent_api.get(body["url"])
        assert got.headers["Content-Disposition"].startswith("attachment")
        assert got.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in got.headers["Content-Security-Policy"]


def test_chinese_file_names_use_rfc_6266(agent_api, new_ticket):
    ticket = new_ticket(agent_api)
    body = upload(agent_api, ticket["id"], b"%PDF-1.4\n", "退货单.pdf").get_json()
    disposition = agent_api.get(body["url"]).headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''%E9%80%80%E8%B4%A7%E5%8D%95.pdf" in disposition


def test_path_components_and_control_characters_are_stripped_from_names(agent_api, new_ticket):
    ticket = new_ticket(agent_api)
    body = upload(agent_api, ticket["id"], b"hello", "../../etc/pass\x07wd.txt").get_json()
    assert (body["filename"], body["content_type"]) == ("passwd.txt", "text/plain")
    assert agent_api.get(body["url"]).headers["Content-Type"] == "text/plain; charset=utf-8"


def test_another_tenants_attachment_is_not_found(agent_api, new_ticket, make_user, other_tenant, expect_error):
    ticket = new_ticket(agent_api)
    body = upload(agent_api, ticket["id"], png(), "a.png").get_json()
    _, stranger = make_user("admin", other_tenant)
    expect_error(stranger.get(body["url"]), 404, "not_found")
    expect_error(upload(stranger, ticket["id"], png(), "b.png"), 404, "not_found")
    expect_error(stranger.get(f"/api/v1/tickets/{ticket['id']}/attachments"), 404, "not_found")


def test_uploads_may_exceed_the_json_body_limit_but_not_the_file_limit(
    agent_api, new_ticket, monkeypatch, expect_error
):
    ticket = new_ticket(agent_api)
    big = b"\x00" * (3 * 1024 * 1024)  # past GONGDAN_MAX_BODY_BYTES (1 MB)
    assert upload(agent_api, ticket["id"], big, "dump.bin").status_code == 201
    expect_error(
        agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "x" * len(big)}),
        413,
        "payload_too_large",
    )
    monkeypatch.setenv("GONGDAN_ATTACHMENT_MAX_BYTES", str(1024 * 1024))
    error = expect_error(upload(agent_api, ticket["id"], big, "dump.bin"), 422, "validation_error")
    assert "at most 1 MB a file" in error["fields"]["file"][0]
    monkeypatch.setenv("GONGDAN_MESSAGE_MAX_BYTES", str(10))
    expect_error(upload(agent_api, ticket["id"], big, "dump.bin"), 413, "payload_too_large")


def test_a_comments_files_stay_within_the_message_limit(agent_api, new_ticket, monkeypatch, expect_error):
    ticket = new_ticket(agent_api)
    comment = agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "附件"}).get_json()
    monkeypatch.setenv("GONGDAN_MESSAGE_MAX_BYTES", str(1500))
    assert upload(agent_api, ticket["id"], b"a" * 1000, "a.txt", comment_id=comment["id"]).status_code == 201
    error = expect_error(
        upload(agent_api, ticket["id"], b"b" * 1000, "b.txt", comment_id=comment["id"]), 422, "validation_error"
    )
    assert "a message" in error["fields"]["file"][0]
    loose = [upload(agent_api, ticket["id"], b"c" * 1000, f"{i}.txt").get_json()["id"] for i in range(2)]
    response = agent_api.post(f"/api/v1/tickets/{ticket['id']}/comments", json={"body": "x", "attachment_ids": loose})
    assert "attachment_ids" in expect_error(response, 422, "validation_error")["fields"]


@pytest.mark.parametrize(
    ("form", "field"),
    [({}, "file"), ({"comment_id": "abc"}, "comment_id"), ({"comment_id": "999"}, "comment_id")],
)
def test_bad_uploads_name_the_field(agent_api, new_ticket, expect_error, form, field):
    ticket = new_ticket(agent_api)
    files = {} if field == "file" else {"file": (io.BytesIO(b"x"), "x.txt")}
    response = agent_api.post(
        f"/api/v1/tickets/{ticket['id']}/attachments", data={**form, **files}, content_type="multipart/form-data"
    )
    assert field in expect_error(response, 422, "validation_error")["fields"]


def test_an_empty_file_is_refused(agent_api, new_ticket, expect_error):
    ticket = new_ticket(agent_api)
    assert "file" in expect_error(upload(agent_api, ticket["id"], b"", "e.txt"), 422, "validation_error")["fields"]


def test_thumbnails_are_made_once_and_kept_in_storage(agent_api, new_ticket, gongdan_attachments_dir):
    ticket = new_ticket(agent_api)
    body = upload(agent_api, ticket["id"], png((1600, 1200)), "big.png").get_json()
    first = agent_api.get(body["url"] + "?thumbnail=1")
    assert first.headers["Content-Type"] == "image/jpeg"
    assert max(Image.open(io.BytesIO(first.data)).size) == 320
    kept = list(gongdan_attachments_dir.rglob("*.thumb"))
    assert len(kept) == 1
    kept[0].write_bytes(b"\xff\xd8\xff cached")  # served from storage from now on
    assert agent_api.get(body["url"] + "?thumbnail=1").data == b"\xff\xd8\xff cached"


def test_the_ticket_lists_its_files(agent_api, new_ticket):
    ticket = new_ticket(agent_api)
    upload(agent_api, ticket["id"], png(), "a.png")
    upload(agent_api, ticket["id"], b"hello", "b.txt")
    items = agent_api.get(f"/api/v1/tickets/{ticket['id']}/attachments").get_json()["items"]
    assert [(i["filename"], i["size"]) for i in items] == [("a.png", len(png())), ("b.txt", 5)]
    assert Attachment.select().count() == 2


def test_openapi_documents_the_upload_and_the_download(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    upload_op = spec["paths"]["/api/v1/tickets/{ticket_id}/attachments"]["post"]
    assert "multipart/form-data" in upload_op["requestBody"]["content"]
    download = spec["paths"]["/api/v1/attachments/{attachment_id}"]["get"]
    assert download["responses"]["200"]["content"]["application/octet-stream"]["schema"]["format"] == "binary"
    comment = spec["components"]["schemas"]["CommentOut"]["properties"]
    assert {"author_kind", "delivery", "attachments"} <= set(comment)
    body = spec["components"]["schemas"]["CommentBody"]["properties"]
    assert {"from_customer", "author_name", "attachment_ids"} <= set(body)
