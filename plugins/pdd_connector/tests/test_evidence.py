"""The buyer's evidence images on the ticket panel: thumbnails of a copy fetched through the
outbound guard, never the remote URL, and only real images."""

from __future__ import annotations

import io

from gongdan_pdd_connector.models import PddRefund
from PIL import Image

from gongdan.testing import ConsoleClient, answer


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1000, 800), "orange").save(out, "PNG")
    return out.getvalue()


def test_evidence_images_are_thumbnails_of_a_stored_copy(synced, app, make_user, http_server, outbound_loopback):
    photo = png()
    cdn = http_server(respond=answer(200, photo, Content_Type="image/png"))
    junk = http_server(respond=answer(200, b"<html><script>alert(1)</script></html>", Content_Type="image/png"))
    refund = PddRefund.select().first()
    record = dict(refund.record)
    record["images"] = [f"{cdn.base}/a.png", f"{junk.base}/b.png"]
    PddRefund.update(record=record).where(PddRefund.id == refund.id).execute()
    agent, _ = make_user("agent")
    browser = ConsoleClient(app, agent)
    base = f"/console/pdd-actions/{refund.ticket_id}/evidence"
    page = browser.text(f"/console/tickets/{refund.ticket_id}")
    assert f'<img src="{base}/0?thumbnail=1"' in page
    assert cdn.base not in page  # the browser never loads the remote URL
    thumb = browser.get(f"{base}/0?thumbnail=1")
    assert thumb.status_code == 200
    assert max(Image.open(io.BytesIO(thumb.data)).size) == 320
    assert thumb.headers["X-Content-Type-Options"] == "nosniff"
    assert browser.get(f"{base}/0").data == photo
    assert len(cdn.seen) == 1  # fetched once, then read from storage
    assert browser.get(f"{base}/1?thumbnail=1").status_code == 404  # not an image: not served
    assert browser.get(f"{base}/2").status_code == 404


def test_an_image_on_a_private_address_is_not_fetched(synced, app, make_user):
    refund = PddRefund.select().first()
    inside = "http://169.254.169.254/latest/meta-data.png"  # the cloud metadata address: never allow-listed
    PddRefund.update(record={**refund.record, "images": [inside]}).where(PddRefund.id == refund.id).execute()
    agent, _ = make_user("agent")
    browser = ConsoleClient(app, agent)
    assert browser.get(f"/console/pdd-actions/{refund.ticket_id}/evidence/0?thumbnail=1").status_code == 404
