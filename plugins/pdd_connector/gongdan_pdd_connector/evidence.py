"""The buyer's evidence images: fetched once through the outbound guard, kept in the core's
attachment storage, shown on the ticket panel as thumbnails.

Pinduoduo hands over image URLs only. The console's content security policy loads images from
gongdan itself, so the panel shows a copy: the first view fetches the image with
`gongdan.outbound.request` (checked address, no redirects elsewhere), keeps it only when its
bytes are a png, jpeg, gif or webp image of at most `MAX_BYTES`, and stores it with its
thumbnail under the tenant's prefix; later views read storage.
"""

from __future__ import annotations

import hashlib
import logging

from gongdan import attachments, outbound
from gongdan.models import Tenant

log = logging.getLogger("gongdan_pdd_connector.evidence")

MAX_BYTES = 10 * 1024 * 1024
TIMEOUT = (5, 15)


def _key(tenant: Tenant, url: str, suffix: str = "") -> str:
    return f"t{tenant.id}/pdd-evidence/{hashlib.sha256(url.encode()).hexdigest()}{suffix}"


def image(tenant: Tenant, url: str) -> bytes | None:
    """The image at `url` (a stored copy after the first fetch); None when it is not a safe image."""
    storage = attachments.storage()
    try:
        return storage.get(_key(tenant, url))
    except FileNotFoundError:
        pass
    try:
        response = outbound.request("GET", url, allow_http=True, timeout=TIMEOUT)  # http: allow-listed hosts only
    except outbound.OutboundError as error:
        log.info("evidence image %s not fetched: %s", url, error)
        return None
    data = response.content
    if response.status_code != 200 or len(data) > MAX_BYTES:
        return None
    if not attachments.is_inline_image(attachments.sniff(data)):
        return None
    storage.put(_key(tenant, url), data)
    return data


def thumbnail(tenant: Tenant, url: str) -> bytes | None:
    """A small preview of the image at `url`, made once and kept in storage."""
    storage = attachments.storage()
    try:
        return storage.get(_key(tenant, url, ".thumb"))
    except FileNotFoundError:
        pass
    data = image(tenant, url)
    made = attachments.make_thumbnail(data) if data is not None else None
    if made is not None:
        storage.put(_key(tenant, url, ".thumb"), made)
    return made
