"""From raw bytes to what a ticket needs: sender, threading ids, text, sanitised HTML, attachments.

Parsed with the standard library (`email`, `policy.compat32`: header values stay raw strings and
are decoded by `charsets` — the `policy.default` header objects cost three quarters of the parse
and our own decoding runs anyway), with our own fallbacks where real mail breaks the rules.
Automatic mail is classified here (RFC 3834 headers, mailing lists, delivery status
notifications), so it never becomes a ticket.
"""

from __future__ import annotations

import hashlib
import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from . import htmltext, quotes
from .charsets import decode_bytes, decode_header

MSGID = re.compile(r"<([^<>\s]+)>")
AUTO_SUBJECT = re.compile(  # Outlook, exmail/QQ (`【自动回复】`), 163: out-of-office and auto-replies
    r"^\s*[【\[]?\s*(自动回复|自动答复|自動回覆|自動答覆|Auto(matic)?[ -]?(reply|response)|Out of (the )?Office|休假"
    r"|不在办公室)\b",
    re.I,
)
RECEIPT_SUBJECT = re.compile(r"^\s*(Read|Not read|已读|已讀|未读|未讀|已读回执|已讀回條)\s*[:：]", re.I)  # receipts
META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]+)", re.I)
BOUNCE_SENDER = re.compile(r"^(mailer-daemon|postmaster)@", re.I)
SUPPRESS_VALUES = ("all", "oof", "autoreply", "dr", "ndr", "rn", "nrn")
MAX_KEY = 255


class UnparseableMessage(Exception):
    """The bytes are not an e-mail message we can read; the reason says why."""


@dataclass
class Part:
    """An attachment or inline image of a message."""

    filename: str
    content_type: str
    data: bytes
    inline: bool = False
    content_id: str | None = None


@dataclass
class Bounce:
    """A delivery status notification: which of our messages failed, and why."""

    message_ids: list[str]
    reason: str
    failed: bool = True  # False for a warning (`Action: delayed`): the message is still being retried


@dataclass
class ParsedMail:
    """Everything the ingest needs from one message."""

    message_id: str | None
    in_reply_to: list[str]
    references: list[str]
    subject: str
    sender_name: str
    sender: str
    recipients: list[str]
    date: datetime | None
    text: str
    html: str | None
    reply: str
    attachments: list[Part] = field(default_factory=list)
    automatic: str | None = None  # "autoreply", "list" or "bounce"
    bounce: Bounce | None = None
    unverified: str = ""  # why the From address is not to be trusted ("dmarc=fail"), if it is not

    @property
    def thread_ids(self) -> list[str]:
        """In-Reply-To first, then References from the newest back."""
        return list(dict.fromkeys(self.in_reply_to + self.references[::-1]))


def message_ids(value: str | None) -> list[str]:
    """The ids in a Message-ID/In-Reply-To/References header, without angle brackets."""
    if not value:
        return []
    found = MSGID.findall(value)
    if not found and value.strip() and " " not in value.strip():
        found = [value.strip().strip("<>")]
    return [i[:MAX_KEY] for i in found]


def dedup_key(message_id: str | None, raw: bytes) -> str:
    """The dedup key: the Message-ID, or a hash of the bytes when there is none."""
    if message_id:
        return message_id if len(message_id) <= MAX_KEY else "sha256:" + hashlib.sha256(message_id.encode()).hexdigest()
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def content_hash(mail: ParsedMail) -> str:
    """A digest of what the message says (sender, date, subject, text, HTML, files), not of its
    transport headers: the same mail delivered twice (to two aliases, through two relays) hashes
    the same; another mail that reuses its Message-ID does not."""
    digest = hashlib.sha256()
    for value in (mail.sender, mail.date.isoformat() if mail.date else "", mail.subject, mail.text, mail.html or ""):
        digest.update(value.encode("utf-8", "surrogatepass") + b"\0")
    for part in mail.attachments:
        digest.update(part.filename.encode("utf-8", "surrogatepass") + b"\0" + hashlib.sha256(part.data).digest())
    return digest.hexdigest()


def _raw_header(msg: Message, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return value
    return None


def _header(msg: Message, name: str) -> str:
    return decode_header(_raw_header(msg, name))


def _addresses(msg: Message, *names: str) -> list[tuple[str, str]]:
    values = [decode_header(v) for k, v in msg.raw_items() if k.lower() in names]
    return [(n, a.strip().lower()) for n, a in getaddresses(values) if "@" in a]


def _date(msg: Message) -> datetime | None:
    try:
        return parsedate_to_datetime(_raw_header(msg, "date") or "")
    except (TypeError, ValueError, IndexError):
        return None


def _text_of(part: Message) -> str:
    payload = part.get_payload(decode=True) or b""
    hint = None
    if part.get_content_type() == "text/html":
        meta = META_CHARSET.search(payload[:4096])
        hint = meta.group(1).decode("ascii") if meta else None
    return decode_bytes(payload, part.get_content_charset(), hint).replace("\r\n", "\n")


def _raw_8bit_filename(part: Message) -> str | None:
    """A file name sent as raw 8-bit bytes (GBK, UTF-8) in Content-Disposition or Content-Type:
    the standard library turns those bytes into U+FFFD; we decode them like any header."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        value = _raw_header(part, header) or ""
        if not any("\udc80" <= ch <= "\udcff" for ch in value):
            continue
        holder = Message()
        holder[header] = decode_header(value)
        name = holder.get_param(param, header=header)
        if isinstance(name, str) and name:
            return name
    return None


def _filename(part: Message) -> str | None:
    try:
        name = _raw_8bit_filename(part) or part.get_filename()
    except (ValueError, LookupError, UnicodeError):
        name = None
    if name is None:
        name = part.get_param("name")
        if isinstance(name, tuple):
            name = name[2]
    if name is None:
        return None
    name = decode_header(str(name))
    return re.sub(r"[\\/\x00-\x1f]", "_", name).strip() or None


def _guess_name(part: Message, index: int) -> str:
    """A name for a part that has none: a forwarded message after its subject (`.eml`), a
    calendar invitation `invite.ics`, else `part-N` with the subtype."""
    ctype = part.get_content_type()
    if ctype == "message/rfc822":
        inner = part.get_payload()
        subject = decode_header(_raw_header(inner[0], "subject")) if isinstance(inner, list) and inner else ""
        subject = re.sub(r"[\\/:*?\"<>|\x00-\x1f]", "_", " ".join(subject.split()))[:120].strip(" .")
        return f"{subject or 'message'}.eml"
    if ctype == "text/calendar":
        return "invite.ics"
    return f"part-{index}.{part.get_content_subtype()}"


def _tnef_files(part: Message) -> list[Part]:
    """The files inside an Outlook `winmail.dat` (application/ms-tnef), read with tnefparse;
    names in the sender's code page are decoded like any header. Empty when it cannot be read."""
    try:
        import tnefparse.properties  # only Outlook's rich-text mail needs it
    except ImportError:  # an installation without it (setup.cfg requires it): winmail.dat kept
        return []
    try:
        tnef = tnefparse.TNEF(part.get_payload(decode=True) or b"")
    except Exception:  # noqa: BLE001 - a damaged winmail.dat: kept whole instead
        return []
    label = tnef.codepage if isinstance(tnef.codepage, str) else None  # "cp936", from attOemCodepage
    long_filename = tnefparse.properties.MAPI_ATTACH_LONG_FILENAME
    files = []
    for index, attachment in enumerate(tnef.attachments):
        long_names = [a.data for a in attachment.mapi_attrs if a.name == long_filename]
        name = long_names[0] if long_names else attachment._name  # the bytes: `.name` assumes UTF-8
        if isinstance(name, bytes):
            name = decode_bytes(name.rstrip(b"\0"), label)
        name = re.sub(r"[\\/\x00-\x1f]", "_", str(name)).strip() or f"winmail-{index}.bin"
        ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
        files.append(Part(name, ctype, bytes(attachment.data or b"")))
    return files


class _Collector:
    """Walks the MIME tree: bodies to text/html, everything else to parts; reads DSN reports."""

    def __init__(self) -> None:
        self.plain: list[str] = []
        self.html: list[str] = []
        self.parts: list[Part] = []
        self.status: list[str] = []
        self.actions: list[str] = []
        self.returned_ids: list[str] = []

    def walk(self, msg: Message) -> None:
        for index, part in enumerate(_leaves(msg)):
            ctype = part.get_content_type()
            if ctype == "message/delivery-status":
                self.status.append(_delivery_status(part))
                self.actions += _actions(part)
                continue
            if ctype in ("message/rfc822", "text/rfc822-headers"):
                self.returned_ids += _returned_ids(part)
            if self._is_body(part, ctype):
                (self.plain if ctype == "text/plain" else self.html).append(_text_of(part))
                continue
            self._attach(part, ctype, index)

    @staticmethod
    def _is_body(part: Message, ctype: str) -> bool:
        disposition = (part.get_content_disposition() or "").lower()
        return ctype in ("text/plain", "text/html") and disposition != "attachment" and _filename(part) is None

    def _attach(self, part: Message, ctype: str, index: int) -> None:
        if ctype == "application/ms-tnef":
            extracted = _tnef_files(part)
            if extracted:  # else keep winmail.dat as it came: nothing is lost
                self.parts += extracted
                return
        if ctype == "message/rfc822":
            inner = part.get_payload()
            data = (
                inner[0].as_bytes()
                if isinstance(inner, list) and inner
                else bytes(part.get_payload(decode=True) or b"")
            )
        else:
            data = part.get_payload(decode=True) or b""
        content_id = str(part.get("Content-ID") or "").strip().strip("<>") or None
        disposition = (part.get_content_disposition() or "").lower()
        inline = disposition == "inline" or (disposition != "attachment" and content_id is not None)
        name = _filename(part) or _guess_name(part, index)
        self.parts.append(Part(name, ctype, data, inline=inline, content_id=content_id))


def _repair_boundary(msg: Message) -> None:
    """A multipart message (or part) without a `boundary` parameter: the standard library leaves
    its body as one string. Take the boundary from its first `--` line followed by a part's
    header and read the parts; without one, the body is read as plain text (never lost as an
    attachment)."""
    if msg.get_content_maintype() != "multipart" or isinstance(msg.get_payload(), list):
        return
    body = msg.get_payload(decode=True) or b""
    found = re.search(rb"^--([^\s]{1,70}?)[ \t]*\r?\n(?=Content-[\w-]+:)", body, re.M | re.I)
    if found:
        boundary = found.group(1).decode("ascii", "replace")
        head = f'Content-Type: {msg.get_content_type()}; boundary="{boundary}"\r\n\r\n'.encode()
        inner = BytesParser(policy=policy.compat32).parsebytes(head + body)
        if isinstance(inner.get_payload(), list) and inner.get_payload():
            msg.set_payload(inner.get_payload())
            msg.set_param("boundary", boundary)
            return
    msg.replace_header("Content-Type", "text/plain")


def _leaves(part: Message) -> Iterator[Message]:
    """The parts that carry content, depth first; a forwarded message (message/rfc822) is one part."""
    _repair_boundary(part)
    payload = part.get_payload()
    leaf = part.get_content_type() in ("message/rfc822", "message/delivery-status")
    if leaf or not part.is_multipart() or not isinstance(payload, list):
        yield part
        return
    for sub in payload:
        yield from _leaves(sub)


def _returned_ids(part: Message) -> list[str]:
    """The Message-ID of the returned message (or its headers) a bounce carries."""
    payload = part.get_payload()
    if isinstance(payload, list) and payload:
        return message_ids(str(payload[0].get("Message-ID", "")))
    text = part.get_payload(decode=True) or b""
    match = re.search(rb"^Message-ID:\s*(<[^>]+>)", text, re.I | re.M)
    return message_ids(match.group(1).decode("ascii", "replace")) if match else []


def _status_text(part: Message) -> str:
    payload = part.get_payload()
    blocks = payload if isinstance(payload, list) else []
    return "\n".join(str(b) for b in blocks) if blocks else decode_bytes(part.get_payload(decode=True) or b"")


def _actions(part: Message) -> list[str]:
    """The `Action` of each recipient of a DSN (failed, delayed, delivered, relayed, expanded)."""
    return [a.lower() for a in re.findall(r"^Action:\s*([A-Za-z-]+)", _status_text(part), re.M | re.I)]


def _delivery_status(part: Message) -> str:
    """`Status` and `Diagnostic-Code` of each recipient of a DSN, as one line."""
    text = _status_text(part)
    found = []
    for name in ("Diagnostic-Code", "Status", "Action"):
        match = re.search(rf"^{name}:\s*(.+(?:\n[ \t].+)*)", text, re.I | re.M)
        if match:
            found.append(f"{name}: {' '.join(match.group(1).split())}")
    return "; ".join(found)


def _automatic(msg: Message, sender: str, subject: str) -> str | None:
    auto = (_raw_header(msg, "auto-submitted") or "").strip().lower()
    if auto and auto != "no":
        return "autoreply"
    precedence = (_raw_header(msg, "precedence") or "").strip().lower()
    if precedence in ("bulk", "junk"):
        return "autoreply"
    if precedence == "list" or _raw_header(msg, "list-id"):
        return "list"
    if _raw_header(msg, "x-autoreply") or _raw_header(msg, "x-autorespond"):
        return "autoreply"
    suppress = (_raw_header(msg, "x-auto-response-suppress") or "").lower()
    if any(v in re.split(r"[\s,]+", suppress) for v in SUPPRESS_VALUES):
        return "autoreply"
    if AUTO_SUBJECT.match(subject) or RECEIPT_SUBJECT.match(subject) or _is_receipt(msg):
        return "autoreply"
    return None


def _is_receipt(msg: Message) -> bool:
    """A read receipt (MDN, RFC 8098): a disposition-notification report, or such a part."""
    report_type = str(msg.get_param("report-type") or "").lower()
    if msg.get_content_type() == "multipart/report" and report_type == "disposition-notification":
        return True
    return any(p.get_content_type() == "message/disposition-notification" for p in msg.walk())


def _unverified(msg: Message) -> str:
    """The failed check, when a receiving server's `Authentication-Results` say the From address
    is forged: `dmarc=fail`, or `spf=fail` with no DKIM or DMARC pass. Only failures are read
    (a sender can write any header; claiming a failure only hurts itself)."""
    for key, value in msg.raw_items():
        if key.lower() != "authentication-results":
            continue
        text = " ".join(str(value).split()).lower()
        if re.search(r"\bdmarc\s*=\s*fail\b", text):
            return "dmarc=fail"
        passed = re.search(r"\b(dkim|dmarc)\s*=\s*pass\b", text)
        if re.search(r"\bspf\s*=\s*fail\b", text) and not passed:
            return "spf=fail"
    return ""


def _is_bounce(msg: Message, sender: str) -> bool:
    report = msg.get_content_type() == "multipart/report" and (
        str(msg.get_param("report-type") or "").lower() == "delivery-status"
    )
    return report or bool(BOUNCE_SENDER.match(sender)) or (_raw_header(msg, "return-path") or "").strip() == "<>"


def parse(raw: bytes) -> ParsedMail:
    """Read one message; raises UnparseableMessage with the reason when it is not mail."""
    if not raw or not raw.strip():
        raise UnparseableMessage("the message is empty")
    try:
        msg = BytesParser(policy=policy.compat32).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; anything it raises means unreadable bytes
        raise UnparseableMessage(f"the MIME structure cannot be read: {exc}") from exc
    if not list(msg.raw_items()):
        raise UnparseableMessage("no headers")
    if msg.defects and not any(k.lower() in ("from", "subject", "message-id") for k, _ in msg.raw_items()):
        raise UnparseableMessage(
            "no From, Subject or Message-ID header: " + ", ".join(type(d).__name__ for d in msg.defects)
        )
    froms = _addresses(msg, "from") or _addresses(msg, "sender", "return-path")
    sender_name, sender = froms[0] if froms else ("", "")
    if not sender:
        raise UnparseableMessage("no sender address in From")
    subject = _header(msg, "subject")
    collector = _Collector()
    try:
        collector.walk(msg)
    except (LookupError, ValueError, AssertionError) as exc:
        raise UnparseableMessage(f"a MIME part cannot be read: {exc}") from exc
    html = "\n".join(collector.html) if collector.html else None
    text = "\n\n".join(t.strip() for t in collector.plain if t.strip())
    if not text and html:
        text = htmltext.to_text(html)
    reply = text if quotes.is_forward(subject, text) else quotes.strip_reply(text)
    automatic = _automatic(msg, sender, subject)
    bounce = None
    if _is_bounce(msg, sender):
        automatic = "bounce"
        reason = "; ".join(s for s in collector.status if s) or _first_lines(text)
        ids = collector.returned_ids or message_ids(text)
        failed = not collector.actions or "failed" in collector.actions  # only warnings: not failed
        bounce = Bounce(message_ids=list(dict.fromkeys(ids)), reason=reason[:500], failed=failed)
    ids = message_ids(_raw_header(msg, "message-id"))
    return ParsedMail(
        message_id=ids[0] if ids else None,
        in_reply_to=message_ids(_raw_header(msg, "in-reply-to")),
        references=message_ids(_raw_header(msg, "references")),
        subject=subject,
        sender_name=parseaddr(decode_header(_raw_header(msg, "from")))[0] or sender_name,
        sender=sender,
        recipients=[a for _, a in _addresses(msg, "to", "cc")],
        date=_date(msg),
        text=text,
        html=htmltext.sanitize(html) if html else None,
        reply=reply,
        attachments=collector.parts,
        automatic=automatic,
        bounce=bounce,
        unverified=_unverified(msg),
    )


def _first_lines(text: str, count: int = 3) -> str:
    return " ".join(line.strip() for line in text.splitlines() if line.strip())[:300][: count * 100]
