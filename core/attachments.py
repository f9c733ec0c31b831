"""Attachments: files on a ticket or a comment, behind a storage interface.

The bytes go to an `AttachmentStorage` (a local directory by default, `GONGDAN_ATTACHMENTS_DIR`;
`set_storage` plugs in another, e.g. an object store); the `Attachment` row keeps the name, the
size, the SHA-256 and the content type **sniffed from the bytes** (puremagic, a maintained
pure-Python signature matcher — no libmagic to install — so the sender's claim never decides
how a browser treats the file). Limits: `GONGDAN_ATTACHMENT_MAX_BYTES` a file (20 MB) and
`GONGDAN_MESSAGE_MAX_BYTES` a message, i.e. all files of one comment (50 MB).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Protocol

import puremagic

from gongdan import clock
from gongdan.db import sqlite_path
from gongdan.errors import NotFound, ValidationError
from gongdan.models import Attachment, Comment, Tenant, Ticket, User

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
DEFAULT_MESSAGE_MAX_BYTES = 50 * 1024 * 1024
OCTET_STREAM = "application/octet-stream"
# images a browser may show inline; never SVG (it carries scripts)
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
THUMBNAIL_SIZE = (320, 320)
THUMBNAIL_MAX_PIXELS = 40_000_000
_MIME_ALIASES = {"image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png"}


class AttachmentStorage(Protocol):
    """Where attachment bytes live. Keys are relative, `/`-separated and ASCII."""

    def put(self, key: str, data: bytes) -> None:
        """Store `data` under `key` (replacing what was there)."""

    def get(self, key: str) -> bytes:
        """The bytes under `key`; raises FileNotFoundError when there are none."""

    def delete(self, key: str) -> None:
        """Remove `key`; no error when it is already gone."""


class LocalStorage:
    """Files in a directory: each key a path below `root`, written atomically."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        if not re.fullmatch(r"[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*", key) or ".." in key.split("/"):
            raise ValueError(f"bad storage key {key!r}")
        return self.root / key

    def put(self, key: str, data: bytes) -> None:
        """Write to a temporary file beside the target, then rename it into place."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        temporary.write_bytes(data)
        os.replace(temporary, path)

    def get(self, key: str) -> bytes:
        """Read the file of `key`."""
        return self._path(key).read_bytes()

    def delete(self, key: str) -> None:
        """Remove the file of `key`, if any."""
        self._path(key).unlink(missing_ok=True)


_storage: AttachmentStorage | None = None


def set_storage(backend: AttachmentStorage | None) -> None:
    """Use `backend` for every attachment from now on (None: back to the local directory)."""
    global _storage
    _storage = backend


def default_directory() -> Path:
    """`GONGDAN_ATTACHMENTS_DIR`, else `attachments/` beside the SQLite file (or the working directory)."""
    configured = os.environ.get("GONGDAN_ATTACHMENTS_DIR", "").strip()
    if configured:
        return Path(configured)
    database = sqlite_path()
    return (Path(database).resolve().parent if database else Path.cwd()) / "attachments"


def storage() -> AttachmentStorage:
    """The storage in use: the one `set_storage` gave, else the local directory."""
    return _storage if _storage is not None else LocalStorage(default_directory())


def _limit(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw.isdigit() and int(raw) > 0 else default


def max_bytes() -> int:
    """The largest file accepted (`GONGDAN_ATTACHMENT_MAX_BYTES`, default 20 MB)."""
    return _limit("GONGDAN_ATTACHMENT_MAX_BYTES", DEFAULT_MAX_BYTES)


def message_max_bytes() -> int:
    """The most bytes of files one message carries (`GONGDAN_MESSAGE_MAX_BYTES`, default 50 MB)."""
    return _limit("GONGDAN_MESSAGE_MAX_BYTES", DEFAULT_MESSAGE_MAX_BYTES)


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.0f} MB" if size >= 1024 * 1024 else f"{size} bytes"


def sniff(data: bytes) -> str:
    """The content type of `data` judged from its bytes alone.

    A known signature wins; otherwise UTF-8 text without NULs is `text/plain`, and anything
    else `application/octet-stream`.
    """
    try:
        matches = puremagic.magic_string(data[:65536] if len(data) > 65536 else data)
    except (puremagic.PureError, ValueError):
        matches = []
    for match in matches:
        if match.mime_type:
            return _MIME_ALIASES.get(match.mime_type, match.mime_type)
    sample = data[:8192]
    if b"\x00" not in sample:
        try:
            sample.decode("utf-8")
            return "text/plain"
        except UnicodeDecodeError as exc:
            if exc.start >= len(sample) - 3:  # a character cut by the sample's end
                return "text/plain"
    return OCTET_STREAM


def clean_filename(name: str) -> str:
    """The last path segment of `name`, without control characters, at most 255 characters."""
    name = unicodedata.normalize("NFC", name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C").strip().strip(".")
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 254 - len(ext)] + dot + ext) if dot and len(ext) < 20 else name[:255]
    return name or "attachment"


def is_inline_image(content_type: str) -> bool:
    """Whether a browser may show this type inline (png, jpeg, gif, webp; never svg)."""
    return content_type in INLINE_IMAGE_TYPES


def check_message_size(sizes: Iterable[int], field: str = "attachments") -> None:
    """ValidationError when files of one message together exceed `message_max_bytes()`."""
    total, limit = sum(sizes), message_max_bytes()
    if total > limit:
        raise ValidationError(
            "the message's attachments are too large",
            {field: [f"{_megabytes(total)} in all; at most {_megabytes(limit)} a message"]},
        )


def store(
    tenant: Tenant,
    data: bytes,
    filename: str,
    *,
    ticket: Ticket,
    comment: Comment | None = None,
    inline: bool = False,
    content_id: str | None = None,
    declared_type: str | None = None,
    uploaded_by: User | None = None,
) -> Attachment:
    """Store a file on `ticket` (and `comment`); returns the new `Attachment`.

    The content type is sniffed; `declared_type` (what the sender claimed) is only kept when
    the bytes say nothing more specific than it. Raises ValidationError (field `file`) when
    the file is empty or too large, or the comment's files would exceed the message limit.
    """
    if ticket.tenant_id != tenant.id or (comment is not None and comment.ticket_id != ticket.id):
        raise NotFound("no such ticket")
    if not data:
        raise ValidationError("empty file", {"file": ["the file is empty"]})
    if len(data) > max_bytes():
        raise ValidationError(
            "file too large", {"file": [f"{_megabytes(len(data))}; at most {_megabytes(max_bytes())} a file"]}
        )
    if comment is not None:
        held = [a.size for a in Attachment.select(Attachment.size).where(Attachment.comment == comment)]
        check_message_size([*held, len(data)], "file")
    content_type = sniff(data)
    if content_type == "text/plain" and (declared_type or "").lower() in ("text/csv", "text/calendar"):
        content_type = declared_type.lower()
    digest = hashlib.sha256(data).hexdigest()
    key = f"t{tenant.id}/{digest[:2]}/{digest}-{secrets.token_hex(6)}"
    backend = storage()
    backend.put(key, data)
    try:
        return Attachment.create(
            tenant=tenant,
            ticket=ticket,
            comment=comment,
            filename=clean_filename(filename),
            content_type=content_type,
            size=len(data),
            sha256=digest,
            storage_key=key,
            inline=inline,
            content_id=(content_id or "").strip("<> ")[:255] or None,
            uploaded_by=uploaded_by,
            created_at=clock.now(),
        )
    except Exception:
        backend.delete(key)
        raise


def get(tenant: Tenant, attachment_id: int | str) -> Attachment:
    """The tenant's attachment; NotFound for another tenant's or an unknown id."""
    try:
        number = int(attachment_id)
    except (TypeError, ValueError):
        raise NotFound("no such attachment") from None
    found = Attachment.get_or_none((Attachment.id == number) & (Attachment.tenant == tenant))
    if found is None:
        raise NotFound("no such attachment")
    return found


def read(attachment: Attachment) -> bytes:
    """The attachment's bytes."""
    return storage().get(attachment.storage_key)


def thumbnail(attachment: Attachment) -> bytes | None:
    """A PNG/JPEG thumbnail (at most 320×320) of an inline-safe image, made once and kept in storage.

    None when the attachment is not such an image or cannot be decoded.
    """
    if not is_inline_image(attachment.content_type):
        return None
    key = f"{attachment.storage_key}.thumb"
    backend = storage()
    try:
        return backend.get(key)
    except FileNotFoundError:
        pass
    made = make_thumbnail(read(attachment))
    if made is not None:
        backend.put(key, made)
    return made


def thumbnail_type(data: bytes) -> str:
    """The content type of a thumbnail `thumbnail` returned."""
    return "image/jpeg" if data[:3] == b"\xff\xd8\xff" else "image/png"


def make_thumbnail(data: bytes) -> bytes | None:
    """A JPEG (PNG when transparent) of at most 320×320 from image bytes; None when they do not decode."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > THUMBNAIL_MAX_PIXELS:
                return None
            image.seek(0)
            image.thumbnail(THUMBNAIL_SIZE)
            out = io.BytesIO()
            if image.mode in ("RGBA", "LA", "P"):
                image.convert("RGBA").save(out, "PNG", optimize=True)
            else:
                image.convert("RGB").save(out, "JPEG", quality=80)
            return out.getvalue()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return None


def delete(attachment: Attachment) -> None:
    """Remove the attachment's row, its bytes and its thumbnail."""
    attachment.delete_instance()
    backend = storage()
    backend.delete(attachment.storage_key)
    backend.delete(f"{attachment.storage_key}.thumb")


def of_comments(tenant: Tenant, comment_ids: Iterable[int]) -> dict[int, list[Attachment]]:
    """`{comment_id: [Attachment, ...]}` for these comments of the tenant, oldest first."""
    ids = list(comment_ids)
    found: dict[int, list[Attachment]] = {}
    if not ids:
        return found
    rows = (
        Attachment.select().where((Attachment.tenant == tenant) & Attachment.comment.in_(ids)).order_by(Attachment.id)
    )
    for row in rows:
        found.setdefault(row.comment_id, []).append(row)
    return found


def of_ticket(tenant: Tenant, ticket: Ticket) -> list[Attachment]:
    """Every attachment of the ticket (its own and its comments'), oldest first."""
    return list(
        Attachment.select().where((Attachment.tenant == tenant) & (Attachment.ticket == ticket)).order_by(Attachment.id)
    )


__all__ = [
    "AttachmentStorage",
    "LocalStorage",
    "check_message_size",
    "clean_filename",
    "default_directory",
    "delete",
    "get",
    "is_inline_image",
    "make_thumbnail",
    "max_bytes",
    "message_max_bytes",
    "of_comments",
    "of_ticket",
    "read",
    "set_storage",
    "sniff",
    "storage",
    "store",
    "thumbnail",
    "thumbnail_type",
]
