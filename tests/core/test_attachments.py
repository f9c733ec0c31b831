"""gongdan.attachments: sniffing, names, storage, limits and thumbnails, without the web layer."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from gongdan import attachments, tickets
from gongdan.actors import Actor
from gongdan.errors import NotFound, ValidationError
from gongdan.models import Attachment


def image_bytes(fmt: str, size=(50, 40), mode="RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (image_bytes("PNG"), "image/png"),
        (image_bytes("JPEG"), "image/jpeg"),
        (image_bytes("GIF"), "image/gif"),
        (image_bytes("WEBP"), "image/webp"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"></svg>', "image/svg+xml"),
        ("退货说明：快递单号 YT123".encode(), "text/plain"),
        (b"\x00\x01\x02\x03binary", "application/octet-stream"),
        ("半个字".encode()[:-1], "text/plain"),  # a character cut at the end of the sample
    ],
)
def test_the_type_comes_from_the_bytes(data, expected):
    assert attachments.sniff(data) == expected


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\王\\发票.pdf", "发票.pdf"),
        ("a\x00b\x1b[31m.txt", "ab[31m.txt"),
        ("...", "attachment"),
        ("", "attachment"),
        ("长" * 300 + ".jpeg", "长" * 250 + ".jpeg"),  # 255 characters, the extension kept
    ],
)
def test_file_names_are_cleaned(given, kept):
    assert attachments.clean_filename(given) == kept


def test_only_safe_image_types_are_inline():
    for kind in ("image/png", "image/jpeg", "image/gif", "image/webp"):
        assert attachments.is_inline_image(kind)
    for kind in ("image/svg+xml", "text/html", "application/pdf", "image/bmp"):
        assert not attachments.is_inline_image(kind)


@pytest.mark.parametrize("key", ["../x", "a/../../b", "/etc/passwd", "a b", "a//b", "t1/ü"])
def test_local_storage_refuses_keys_outside_its_directory(tmp_path, key):
    with pytest.raises(ValueError, match="bad storage key"):
        attachments.LocalStorage(tmp_path).put(key, b"x")


def test_local_storage_round_trip(tmp_path):
    store = attachments.LocalStorage(tmp_path / "files")
    store.put("t1/ab/abc", b"hello")
    assert store.get("t1/ab/abc") == b"hello"
    store.delete("t1/ab/abc")
    store.delete("t1/ab/abc")  # gone already: no error
    with pytest.raises(FileNotFoundError):
        store.get("t1/ab/abc")


class MemoryStorage:
    """An object-store stand-in: the interface is all attachments need."""

    def __init__(self):
        self.blobs = {}

    def put(self, key, data):
        self.blobs[key] = data

    def get(self, key):
        try:
            return self.blobs[key]
        except KeyError:
            raise FileNotFoundError(key) from None

    def delete(self, key):
        self.blobs.pop(key, None)


def test_another_storage_plugs_in(tenant):
    ticket, _ = tickets.create(tenant, {"subject": "附件"}, Actor.system())
    memory = MemoryStorage()
    attachments.set_storage(memory)
    try:
        stored = attachments.store(tenant, image_bytes("PNG", (800, 600)), "a.png", ticket=ticket)
        assert memory.blobs[stored.storage_key] == attachments.read(stored)
        assert attachments.thumbnail(stored) is not None
        assert f"{stored.storage_key}.thumb" in memory.blobs
        attachments.delete(stored)
        assert memory.blobs == {}
        assert Attachment.select().count() == 0
    finally:
        attachments.set_storage(None)


def test_store_checks_tenant_comment_and_limits(tenant, other_tenant, monkeypatch):
    ticket, _ = tickets.create(tenant, {"subject": "附件"}, Actor.system())
    other, _ = tickets.create(other_tenant, {"subject": "别家"}, Actor.system())
    with pytest.raises(NotFound):
        attachments.store(tenant, b"x", "a.txt", ticket=other)
    note = tickets.comment(other_tenant, other, "备注", Actor.system(), internal=True)
    with pytest.raises(NotFound):
        attachments.store(tenant, b"x", "a.txt", ticket=ticket, comment=note)
    monkeypatch.setenv("GONGDAN_ATTACHMENT_MAX_BYTES", "10")
    with pytest.raises(ValidationError) as too_big:
        attachments.store(tenant, b"x" * 11, "a.txt", ticket=ticket)
    assert "at most 10 bytes a file" in too_big.value.fields["file"][0]
    monkeypatch.setenv("GONGDAN_ATTACHMENT_MAX_BYTES", "not a number")
    assert attachments.max_bytes() == attachments.DEFAULT_MAX_BYTES
    with pytest.raises(NotFound):
        attachments.get(other_tenant, attachments.store(tenant, b"x", "a.txt", ticket=ticket).id)


def test_the_sender_cannot_make_html_an_image(tenant):
    ticket, _ = tickets.create(tenant, {"subject": "附件"}, Actor.system())
    stored = attachments.store(
        tenant, b"<html><script>alert(1)</script></html>", "x.png", ticket=ticket, declared_type="image/png"
    )
    assert stored.content_type != "image/png"
    assert attachments.thumbnail(stored) is None


def test_no_thumbnail_for_images_too_large_to_decode_safely(tenant, monkeypatch):
    ticket, _ = tickets.create(tenant, {"subject": "附件"}, Actor.system())
    monkeypatch.setattr(attachments, "THUMBNAIL_MAX_PIXELS", 100)
    stored = attachments.store(tenant, image_bytes("PNG", (20, 20)), "big.png", ticket=ticket)
    assert attachments.thumbnail(stored) is None


def test_transparent_images_keep_their_transparency(tenant):
    ticket, _ = tickets.create(tenant, {"subject": "附件"}, Actor.system())
    stored = attachments.store(tenant, image_bytes("PNG", (900, 900), "RGBA"), "logo.png", ticket=ticket)
    thumb = attachments.thumbnail(stored)
    assert attachments.thumbnail_type(thumb) == "image/png"
    assert Image.open(io.BytesIO(thumb)).mode == "RGBA"
