"""Attachment routes: upload to a ticket (multipart), list a ticket's files, download one.

Downloads never let a browser guess: `X-Content-Type-Options: nosniff`, the sniffed type,
`Content-Disposition: attachment` (RFC 6266, `filename*=UTF-8''…` for Chinese names) except
for the safe image types (png, jpeg, gif, webp — never svg), which are shown inline, and a
`sandbox` content security policy.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import current_app, request, send_file

from gongdan import attachments
from gongdan.api.blueprint import api
from gongdan.api.common import api_route, current_tenant, current_user
from gongdan.api.schemas import AttachmentListSchema, AttachmentSchema, AttachmentUploadSchema, DownloadQuerySchema
from gongdan.api.tickets import _ticket
from gongdan.errors import ValidationError
from gongdan.models import Attachment, Comment
from gongdan.representation import attachment_dict
from gongdan.validation import load

TAGS = ("attachments",)
UPLOAD_OVERHEAD = 1024 * 1024  # multipart framing and form fields around the files


def accepts_uploads(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view (API, console or plugin) as taking file uploads, up to a message's limit."""
    view.gongdan_uploads = True  # type: ignore[attr-defined]
    return view


def raise_upload_limit() -> None:
    """`before_request`, first of all: lift the body limit (`GONGDAN_MAX_BODY_BYTES`) on upload views.

    Installed first so that nothing reads the form under the general limit before.
    """
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "gongdan_uploads", False):
        request.max_content_length = attachments.message_max_bytes() + UPLOAD_OVERHEAD


def download_response(attachment: Attachment, *, thumbnail: bool = False) -> Any:
    """The attachment's bytes (or its thumbnail) with the safe download headers."""
    if thumbnail:
        data = attachments.thumbnail(attachment)
        if data is not None:
            etag = f"{attachment.sha256}-thumbnail"
            return send_bytes(data, attachments.thumbnail_type(data), attachment.filename, inline=True, etag=etag)
    data = attachments.read(attachment)
    inline = attachments.is_inline_image(attachment.content_type)
    return send_bytes(data, attachment.content_type, attachment.filename, inline=inline, etag=attachment.sha256)


def send_bytes(data: bytes, content_type: str, filename: str, *, inline: bool, etag: str) -> Any:
    """A file response with the safe download headers; `inline` only for a safe image type."""
    response = send_file(
        io.BytesIO(data),
        mimetype=content_type,
        as_attachment=not inline,
        download_name=filename,
        etag=etag,
        max_age=3600,
    )
    if inline:  # send_file names the file only for attachments
        response.headers.set("Content-Disposition", "inline", **_filename_options(filename))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


def _filename_options(filename: str) -> dict[str, str]:
    try:
        filename.encode("ascii")
        return {"filename": filename}
    except UnicodeEncodeError:
        return {"filename*": "UTF-8''" + quote(filename, safe="!#$&+^`|~")}


# GET before POST: werkzeug then answers 404, not 405, for an id past MAX_ID
@api_route(api, "/tickets/<int:ticket_id>/attachments", ["GET"], response=AttachmentListSchema, tags=TAGS)
def list_attachments(ticket_id: int) -> dict[str, Any]:
    """The ticket's files (its own and its comments'), oldest first."""
    tenant = current_tenant()
    return {"items": [attachment_dict(a) for a in attachments.of_ticket(tenant, _ticket(ticket_id))]}


@accepts_uploads
@api_route(
    api,
    "/tickets/<int:ticket_id>/attachments",
    ["POST"],
    upload=AttachmentUploadSchema,
    response=AttachmentSchema,
    status=201,
    tags=TAGS,
    errors=(413,),
)
def upload_attachment(ticket_id: int) -> tuple[dict[str, Any], int]:
    """Attach a file (multipart field `file`) to the ticket, or to one of its comments (`comment_id`).

    The content type is sniffed from the bytes. 422 when the file is missing, empty, larger
    than `GONGDAN_ATTACHMENT_MAX_BYTES` (20 MB), or would take the comment's files past
    `GONGDAN_MESSAGE_MAX_BYTES` (50 MB); 413 for a body far past those. A file uploaded
    without `comment_id` can be given to the next reply with its `attachment_ids`.
    """
    tenant, ticket = current_tenant(), _ticket(ticket_id)
    form = load(AttachmentUploadSchema(exclude=("file",)), request.form.to_dict())
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError("no file", {"file": ["send the file as the multipart/form-data field `file`"]})
    comment = None
    if form.get("comment_id") is not None:
        comment = Comment.get_or_none(
            (Comment.id == form["comment_id"]) & (Comment.tenant == tenant) & (Comment.ticket == ticket)
        )
        if comment is None:
            raise ValidationError("unknown comment", {"comment_id": ["no such comment on this ticket"]})
    stored = attachments.store(
        tenant,
        upload.read(),
        upload.filename or "",
        ticket=ticket,
        comment=comment,
        declared_type=upload.mimetype,
        uploaded_by=current_user(),
    )
    return attachment_dict(stored), 201


@api_route(
    api,
    "/attachments/<int:attachment_id>",
    ["GET"],
    query=DownloadQuerySchema,
    produces="application/octet-stream",
    tags=TAGS,
)
def download_attachment(attachment_id: int, args: dict[str, Any]) -> Any:
    """Download a file: its sniffed type, `nosniff`, inline only for png/jpeg/gif/webp images.

    `?thumbnail=1` gives a small preview of such an image instead. Another tenant's file is 404.
    """
    attachment = attachments.get(current_tenant(), attachment_id)
    _ticket(attachment.ticket_id)  # the ticket must be in the caller's sight
    return download_response(attachment, thumbnail=args["thumbnail"])
