"""Keys and encryption at rest: a root secret outside the database, data keys inside it, wrapped.

The root secret is `GONGDAN_SECRET_KEY`, or the content of a key file (`GONGDAN_KEY_FILE`;
by default `gongdan.key` beside the SQLite database, or in the working directory), created
0600 on first use. Every other key is derived from it with HKDF, one per purpose: the Flask
session key, the key-encryption key (KEK) and the blind-index key. The database holds only
data-encryption keys (DEKs) wrapped by the KEK, so a copy of the database file alone decrypts
nothing and signs no session.

Values are encrypted with AES-256-GCM under the active DEK; a ciphertext names its key id
(`gd1:<kid>:<nonce+ciphertext, base64url>`), so `gongdan keys rotate` can add a new DEK,
re-encrypt every value and drop the old key while both stay readable.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import logging
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path

import peewee
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from gongdan.db import db
from gongdan.models import SystemSetting

log = logging.getLogger("gongdan.crypto")

SECRET_ENV = "GONGDAN_SECRET_KEY"  # noqa: S105 - the name of the variable
KEY_FILE_ENV = "GONGDAN_KEY_FILE"
KEY_FILE_NAME = "gongdan.key"
PREFIX = "gd1"
DEK_SETTING = "crypto.dek."
ACTIVE_SETTING = "crypto.dek.active"
# how long a process keeps using the active key it read; `rotate` waits this long before
# dropping an old key, so no process still encrypts with it
ACTIVE_TTL = 10.0

_lock = threading.Lock()
_roots: dict[tuple[str, object, str], bytes] = {}  # by what decides the key file's path
_deks: dict[str, AESGCM] = {}
_active: tuple[float, str] | None = None


class CryptoError(RuntimeError):
    """A key is missing or does not match, or a value is not a ciphertext of this installation."""


# --- the root secret and what derives from it ----------------------------------------------------


def key_file_path() -> Path:
    """Where the key file is: `GONGDAN_KEY_FILE`, else beside the SQLite database, else here."""
    configured = os.environ.get(KEY_FILE_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    database = db.obj
    if isinstance(database, peewee.SqliteDatabase) and database.database not in ("", ":memory:"):
        return Path(database.database).resolve().parent / KEY_FILE_NAME
    return Path.cwd() / KEY_FILE_NAME


def _create(path: Path) -> None:
    """Write a new secret to `path` unless a key file is there already, so that it appears whole:
    the secret is written to a private temporary file beside it and hard-linked into place. Two
    processes starting at once (gunicorn's workers on a first start) each either create the file
    or find it complete; neither reads one still empty."""
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)  # mode 0600
    except OSError as exc:
        raise CryptoError(f"cannot create the key file {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48) + "\n")
        os.link(temporary, path)
    except FileExistsError:
        return  # another process made it first: its secret is the one
    except OSError as exc:
        raise CryptoError(f"cannot create the key file {path}: {exc.strerror}") from None
    finally:
        Path(temporary).unlink(missing_ok=True)
    log.warning("created the key file %s: back it up apart from the database", path)


def _read_or_create(path: Path) -> bytes:
    if not path.exists():
        _create(path)
    try:
        if path.stat().st_mode & 0o077:
            log.warning("the key file %s is readable by others: chmod 600 it", path)
        secret = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise CryptoError(f"cannot read the key file {path}: {exc.strerror}") from None
    if len(secret) < 16:
        raise CryptoError(f"the key file {path} holds no usable secret (16 characters at least)")
    return secret.encode("utf-8")


def root_secret() -> bytes:
    """The installation's root secret (never stored in the database)."""
    configured = os.environ.get(SECRET_ENV, "")
    if configured:
        return configured.encode("utf-8")
    database = db.obj
    where = (os.environ.get(KEY_FILE_ENV, ""), getattr(database, "database", None), os.getcwd())
    found = _roots.get(where)
    if found is None:
        with _lock:
            found = _roots.get(where) or _read_or_create(key_file_path())
            _roots[where] = found
    return found


def derive(purpose: str) -> bytes:
    """A 32-byte key for `purpose` (e.g. `session`, `kek`, `blind-index`) derived from the root."""
    return _derived(root_secret(), purpose)


@functools.lru_cache(maxsize=32)
def _derived(root: bytes, purpose: str) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=f"gongdan:{purpose}".encode()).derive(root)


def session_key() -> str:
    """The Flask secret key (sessions, CSRF)."""
    return derive("session").hex()


def blind_index(value: str, purpose: str) -> str:
    """A keyed HMAC-SHA256 of `value` for exact-match lookups of an encrypted column.

    `purpose` separates the indexes of different columns (`customer.email`); normalise the
    value before (the same input always gives the same index; nothing else can be read from it).
    """
    message = purpose.encode("utf-8") + b"\0" + value.encode("utf-8")
    return hmac.new(derive("blind-index"), message, hashlib.sha256).hexdigest()


# --- data-encryption keys --------------------------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _seal(key: AESGCM, plain: bytes, aad: bytes) -> str:
    nonce = os.urandom(12)
    return _b64(nonce + key.encrypt(nonce, plain, aad))


def _open(key: AESGCM, sealed: str, aad: bytes) -> bytes:
    raw = _unb64(sealed)
    return key.decrypt(raw[:12], raw[12:], aad)


def _kek() -> AESGCM:
    return AESGCM(derive("kek"))


def _load_dek(kid: str) -> AESGCM:
    key = _deks.get(kid)
    if key is not None:
        return key
    row = SystemSetting.get_or_none(SystemSetting.key == DEK_SETTING + kid)
    if row is None:
        raise CryptoError(f"data key {kid} is not in this database")
    try:
        key = AESGCM(_open(_kek(), row.value, f"gongdan-dek:{kid}".encode()))
    except (InvalidTag, ValueError):
        raise CryptoError(
            f"data key {kid} cannot be unwrapped: the key file (or GONGDAN_SECRET_KEY) is not this database's"
        ) from None
    _deks[kid] = key
    return key


def create_key() -> str:
    """Add a new DEK (wrapped by the KEK) to the database; returns its id. It is not active yet."""
    kid = secrets.token_hex(4)
    wrapped = _seal(_kek(), AESGCM.generate_key(bit_length=256), f"gongdan-dek:{kid}".encode())
    SystemSetting.create(key=DEK_SETTING + kid, value=wrapped)
    return kid


def activate(kid: str) -> None:
    """Make `kid` the key new values are encrypted with (in this process at once, elsewhere within `ACTIVE_TTL`)."""
    global _active
    _load_dek(kid)
    SystemSetting.insert(key=ACTIVE_SETTING, value=kid).on_conflict_ignore().execute()
    SystemSetting.update(value=kid).where(SystemSetting.key == ACTIVE_SETTING).execute()
    _active = (time.monotonic(), kid)


def drop_key(kid: str) -> None:
    """Delete DEK `kid` from the database (call once no value uses it)."""
    SystemSetting.delete().where(SystemSetting.key == DEK_SETTING + kid).execute()
    _deks.pop(kid, None)


def key_ids() -> list[str]:
    """Ids of every DEK stored in the database."""
    rows = SystemSetting.select(SystemSetting.key).where(
        SystemSetting.key.startswith(DEK_SETTING) & (SystemSetting.key != ACTIVE_SETTING)
    )
    return sorted(row.key[len(DEK_SETTING) :] for row in rows)


def active_key_id() -> str:
    """The id of the DEK new values are encrypted with; the first use creates one."""
    global _active
    cached = _active
    if cached is not None and time.monotonic() - cached[0] < ACTIVE_TTL:
        return cached[1]
    row = SystemSetting.get_or_none(SystemSetting.key == ACTIVE_SETTING)
    if row is None:
        with db.atomic():
            kid = create_key()
            SystemSetting.insert(key=ACTIVE_SETTING, value=kid).on_conflict_ignore().execute()
        row = SystemSetting.get(SystemSetting.key == ACTIVE_SETTING)
    _active = (time.monotonic(), row.value)
    return row.value


def forget() -> None:
    """Drop every cached key (another database or key file is in use)."""
    global _active
    with _lock:
        _derived.cache_clear()
        _roots.clear()
        _deks.clear()
        _active = None


# --- values ---------------------------------------------------------------------------------------


def is_encrypted(value: str | None) -> bool:
    """Whether `value` is a ciphertext `encrypt` made (as opposed to plain text)."""
    return bool(value) and value.startswith(PREFIX + ":")


def key_id(token: str) -> str:
    """The id of the DEK that encrypted `token`."""
    return token.split(":", 2)[1]


def encrypt(text: str) -> str:
    """`text` encrypted with the active DEK (the empty text stays empty)."""
    if not text:
        return ""
    kid = active_key_id()
    header = f"{PREFIX}:{kid}"
    return f"{header}:{_seal(_load_dek(kid), text.encode('utf-8'), header.encode())}"


def decrypt(token: str) -> str:
    """The text `encrypt` gave `token` for; CryptoError when it is not one or its key is gone."""
    if not token:
        return ""
    if not is_encrypted(token) or token.count(":") != 2:
        raise CryptoError("not an encrypted value")
    header, sealed = token.rsplit(":", 1)
    try:
        return _open(_load_dek(key_id(token)), sealed, header.encode()).decode("utf-8")
    except (InvalidTag, ValueError):
        raise CryptoError("the value cannot be decrypted (damaged, or encrypted by another installation)") from None


def plain(value: str | None) -> str | None:
    """`value` decrypted if it is a ciphertext, else as it is (plain text stored before encryption)."""
    return decrypt(value) if is_encrypted(value) else value
