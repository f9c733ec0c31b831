"""Encryption at rest of shop secrets and tokens: Fernet keyed from the installation's secret key."""

from __future__ import annotations

import base64
import functools
import hashlib

from cryptography.fernet import Fernet, InvalidToken

from gongdan.schema import secret_key

CONTEXT = b"gongdan-pdd-connector:v1:"


@functools.lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    digest = hashlib.sha256(CONTEXT + key.encode("utf-8")).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt(plain: str) -> str:
    """`plain` encrypted with the installation's key (empty stays empty)."""
    if not plain:
        return ""
    return _fernet(secret_key()).encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of a value `encrypt` produced; ValueError when the key changed."""
    if not token:
        return ""
    try:
        return _fernet(secret_key()).decrypt(token.encode("ascii")).decode("utf-8")
    except InvalidToken:
        raise ValueError("cannot decrypt a shop secret: the installation's secret key changed") from None
