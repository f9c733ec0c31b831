"""Decoding text the way Chinese mail really arrives: wrong labels, raw 8-bit headers, split words.

* A declared `gb2312` (or `gbk`, `cp936`, `euc-cn`) is decoded as GB18030, its superset: mail
  clients label GBK text gb2312 all the time.
* `big5` is decoded as Big5-HKSCS, its superset.
* A label is tried strictly first; a UTF-8 or non-Chinese label that decodes cleanly (no
  private-use, replacement or C1 control characters) is believed. A Chinese label (GB*/Big5),
  none at all, or a label the bytes break, is weighed against the HTML `<meta charset>` (when
  the caller has one) and UTF-8, GB18030 and Big5: UTF-8 that decodes wins, else the candidate
  whose text has the largest share of common Chinese characters (`hanzi.COMMON`), ties going
  to the label. Big5 labelled gb2312, GBK labelled big5 and unlabelled Big5 are read right.
  Only when no candidate decodes cleanly are undecodable bytes replaced.
* RFC 2047 encoded words are decoded by our own reader: adjacent words of one charset are
  joined before decoding (clients split multi-byte characters across words), missing base64
  padding is tolerated, and words glued to text (`Re:=?gbk?B?...?=`) are still found.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import quopri
import re

from .hanzi import COMMON

SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "euc_cn": "gb18030",
    "x-gbk": "gb18030",
    "gb_2312-80": "gb18030",
    "chinese": "gb18030",
    "big5": "big5hkscs",
    "big-5": "big5hkscs",
    "x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
    "us-ascii": "utf-8",  # 8-bit bytes under an ascii label are almost always UTF-8
    "ascii": "utf-8",
}
FALLBACKS = ("utf-8", "gb18030", "big5hkscs")
CJK_CODECS = frozenset({"gb18030", "big5hkscs"})
WIDE = re.compile("[\u3040-\u31bf\u3400-\u9fff\uf900-\ufaff\ufe30-\ufe4f]")
UNLIKELY = re.compile("[\ue000-\uf8ff\ufffd\x80-\x9f]")
ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([bBqQ])\?([^?]*?)\?=")
BLANK_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")


def codec_for(label: str | None) -> str | None:
    """The Python codec to decode text labelled `label` with (its superset), or None if unknown."""
    if not label:
        return None
    name = label.strip().strip('"').lower()
    name = name.split("*", 1)[0]  # RFC 2231 language suffix: utf-8*zh
    name = SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def decode_bytes(data: bytes, label: str | None = None, hint: str | None = None) -> str:
    """Text from `data` labelled `label` (`hint`: a second opinion, such as an HTML meta charset):
    the label believed when it decodes cleanly and is not a Chinese one; else the most plausible
    clean candidate; else with replacements."""
    if data.isascii():
        return data.decode("ascii")
    first = codec_for(label)
    if first is not None and first not in CJK_CODECS:
        text = _strict(data, first)
        if text is not None and _clean(text):
            return text
    text = _strict(data, "utf-8")
    if text is not None and _clean(text):  # multi-byte UTF-8 that decodes is not an accident
        return text
    candidates = [c for c in dict.fromkeys((first, codec_for(hint), *FALLBACKS)) if c]
    best, best_score = None, -1.0
    for codec in candidates:
        text = _strict(data, codec) if codec != "utf-8" else None
        if text is None or not _clean(text):
            continue
        score = _plausibility(text)
        if score == 1.0:  # nothing can beat it, and equals go to the first: the label, the hint
            return text
        if score > best_score:
            best, best_score = text, score
    if best is not None:
        return best
    for codec in candidates:
        text = _strict(data, codec)
        if text is not None:
            return text
    return data.decode(first or "utf-8", errors="replace")


def _strict(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def _clean(text: str) -> bool:
    """No character a right decoding of mail text would hold: private use, U+FFFD, C1 controls."""
    return UNLIKELY.search(text) is None


def _plausibility(text: str) -> float:
    """The share of the wide characters in `text` that are common Chinese ones (1.0 when there are
    none); kana, bopomofo and vertical forms, which a wrong guess yields, count as uncommon."""
    wide = WIDE.findall(text, 0, 4000)
    if not wide:
        return 1.0
    return sum(map(COMMON.__contains__, wide)) / len(wide)


def _word_bytes(encoding: str, text: str) -> bytes:
    if encoding.lower() == "b":
        text = re.sub(r"[^A-Za-z0-9+/]", "", text)
        text += "=" * (-len(text) % 4)
        try:
            return base64.b64decode(text)
        except (binascii.Error, ValueError):
            return b""
    return quopri.decodestring(text.replace("_", " ").encode("ascii", "replace"), header=True)


def decode_header(value: str | None) -> str:
    """A header's text: RFC 2047 words decoded leniently, raw 8-bit bytes recovered, folding undone."""
    if not value:
        return ""
    value = _recover_8bit(str(value))
    value = re.sub(r"\r?\n[ \t]+", " ", value)
    value = BLANK_BETWEEN_WORDS.sub(r"\1\2", value)  # blanks between two encoded words are not text
    out: list[str] = []
    pending: list[tuple[str, bytes]] = []  # adjacent words, joined per charset before decoding

    def flush() -> None:
        if pending:
            label = pending[0][0]
            out.append(decode_bytes(b"".join(data for _, data in pending), label))
            pending.clear()

    position = 0
    for match in ENCODED_WORD.finditer(value):
        if match.start() > position:
            flush()
            out.append(value[position : match.start()])
        label = match.group(1)
        data = _word_bytes(match.group(2), match.group(3))
        if pending and codec_for(pending[0][0]) != codec_for(label):
            flush()
        pending.append((label, data))
        position = match.end()
    flush()
    out.append(value[position:])
    return "".join(out).strip()


def _recover_8bit(value: str) -> str:
    """Headers sent as raw GBK/UTF-8 bytes reach us as surrogate escapes: decode them properly."""
    if not any("\udc80" <= ch <= "\udcff" for ch in value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"))
