"""Text handling: Markdown to safe HTML and plain text, search terms, pinyin keys, snippets.

Search terms come from the core's tokenizer (`gongdan.text`: Han bigrams, Latin words, numbers),
the one the ticket search index uses too; the same code cuts articles and queries, on every
database.
"""

from __future__ import annotations

import html
import re
from bisect import bisect_left
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import bleach
import markdown

from gongdan import text as core_text
from gongdan.text import MAX_TERM, is_han, stem

ALLOWED_TAGS = sorted(
    set(bleach.sanitizer.ALLOWED_TAGS)
    | {"p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "table", "thead", "tbody", "tr", "th", "td"}
    | {"img", "span", "del", "sup", "sub"}
)
ALLOWED_ATTRIBUTES = {"a": ["href", "title"], "img": ["src", "alt", "title"], "th": ["align"], "td": ["align"]}
ALLOWED_PROTOCOLS = ["http", "https", "mailto"]

STOP_CHARS = frozenset(
    "的了是我你他她它们在有和与或也都就还又吗呢吧啊呀哦么个这那"  # particles, pronouns
    "要会能可把被给让到从对为怎啥什样请问一下"  # verbs of asking, prepositions
)
"""Characters too common to stand for a word when partial matching falls back to single characters."""


def simplified(text: str) -> str:
    """`text` with traditional characters turned simplified (藍牙耳機 → 蓝牙耳机), by OpenCC.

    Articles and queries both pass through it, so a buyer writing traditional characters finds
    articles written in simplified ones and the other way round. ASCII text is returned as is.
    """
    return text if not text or text.isascii() else _t2s().convert(text)


@lru_cache(maxsize=1)
def _t2s() -> Any:
    """OpenCC's traditional → simplified converter, loaded on first use (about 40 ms)."""
    from opencc import OpenCC

    return OpenCC("t2s")


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
"""Curly apostrophes as phones type them (don’t, won’t): the thesaurus' and intents' English is
written with the straight one."""


def normalize(text: str) -> str:
    """Full-width to half-width, lower case, simplified characters, straight apostrophes: what
    terms are cut from and what the thesaurus and intents read."""
    return simplified(core_text.normalize(text)).translate(_APOSTROPHES)


_DIALECT = [
    # Cantonese as written in Hong Kong and Guangdong
    ("乜嘢", "什么"),
    ("点解", "为什么"),
    ("几时", "什么时候"),
    ("冇", "没"),
    ("唔该", "谢谢"),
    ("唔", "不"),
    ("咗", "了"),
    ("嘅", "的"),
    ("俾", "给"),
    ("咩", "什么"),
    # northern, Sichuan and Wu colloquial forms, and the internet's spellings
    ("肿么", "怎么"),
    ("神马", "什么"),
    ("有木有", "有没有"),
    ("木有", "没"),
    ("米有", "没"),
    ("啷个", "怎么"),
    ("咋个", "怎么"),
    ("咋", "怎么"),
    ("啥", "什么"),
    ("俺", "我"),
    ("侬", "你"),
    ("东东", "东西"),
    # how sellers' chats address buyers (宝子们 says nothing asked: its 宝 is no 支付宝)
    ("宝子们", ""),
    ("宝子", ""),
]
_DIALECT_PATTERN = re.compile("|".join(re.escape(w) for w, _ in _DIALECT) + r"|(?<![砍征讨步])伐(?=[\s?？!！。，,]|$)")
_DIALECT_MAP = dict(_DIALECT) | {"伐": "吗"}

ABBREVIATIONS = {
    # the Latin initials Chinese shoppers type for after-sales words (淘宝, 拼多多, 京东 chats):
    # only those with one meaning there; bj (北京? 比价?), sh (上海? 售后?), dd are left out
    "tk": "退款",
    "th": "退货",
    "hh": "换货",
    "thk": "退货退款",
    "kf": "客服",
    "fh": "发货",
    "wl": "物流",
    "yf": "运费",
    "yfx": "运费险",
    "sf": "顺丰",
    "hp": "好评",
    "cp": "差评",
    "fp": "发票",
}
"""Latin abbreviations read as the Chinese words they stand for, when they stand alone (`tk多久到`
→ `退款多久到`; never inside an English word: `with`, `bluetooth`)."""
_ABBREVIATION = re.compile(
    r"(?<![a-z0-9])(" + "|".join(sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?![a-z0-9])", re.IGNORECASE
)


def colloquial(text: str) -> str:
    """A buyer's question with dialect and internet spellings in standard Mandarin (冇收到 →
    没收到, 咋整 → 怎么整, 肿么办 → 怎么办, a closing 伐 → 吗), so their words meet the
    articles' and the thesaurus', and shoppers' initials as words (tk → 退款, th → 退货,
    `ABBREVIATIONS`). Applied to queries only; articles are left as written."""
    text = _DIALECT_PATTERN.sub(lambda m: _DIALECT_MAP[m.group(0)], text or "")
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1).lower()], text)


def terms(text: str) -> Counter[str]:
    """The search terms of `text` (the core's `gongdan.text.terms` of its simplified form)."""
    return core_text.terms(simplified(text or ""))


def render_html(body: str) -> str:
    """Markdown → HTML with every script, handler and unknown tag removed."""
    raw = markdown.markdown(body or "", extensions=["tables", "fenced_code", "sane_lists"])
    return bleach.clean(raw, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS, strip=True)


def plain_text(body: str) -> str:
    """Markdown → readable plain text (for snippets, replies and the index)."""
    text = bleach.clean(markdown.markdown(body or "", extensions=["tables"]), tags=[], strip=True)
    text = html.unescape(text)
    return re.sub(r"[ \t]*\n\s*", "\n", text).strip()


_MARKUP = re.compile(r"<[^>]+>|!?\[([^\]]*)\]\([^)]*\)|[*_`#>|~]+|^\s*[-+]\s+|^\s*\d+\.\s+", re.MULTILINE)


def index_text(body: str) -> str:
    """Markdown → text, quickly and roughly: links keep their words, markup characters go.

    Used for the index and for snippets, where speed matters and exact layout does not.
    """
    return _MARKUP.sub(lambda m: m.group(1) or " ", body or "")


@lru_cache(maxsize=65536)
def pinyin_key(term: str) -> str | None:
    """The toneless pinyin of a Han term (`退款` → `tui kuan`), the key typo repair looks up."""
    if not is_han(term):
        return None
    # imported here: its phrase dictionary takes ~0.5 s to load, which creating a ticket (whose
    # hook only queues its suggestions) should not pay
    from pypinyin import lazy_pinyin

    return " ".join(lazy_pinyin(term))[:MAX_TERM]


@lru_cache(maxsize=1)
def _syllables() -> frozenset[str]:
    """Every toneless pinyin syllable (`lv` for lü, as `pinyin_key` writes it), from pypinyin's
    dictionary; built on first use (about 50 ms)."""
    import unicodedata

    from pypinyin.constants import PINYIN_DICT

    found = set()
    for readings in PINYIN_DICT.values():
        for reading in readings.split(","):
            plain = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
            plain = "".join(c for c in plain if not unicodedata.combining(c))
            if plain.isascii() and plain.isalpha() and not set(plain).isdisjoint("aeiouv"):
                found.add(plain)  # not the interjections of consonants alone (n, ng, hm)
    return frozenset(found)


_WORD_OR_OTHER = re.compile(r"[a-z]+|[^a-z\s]+")


def spaced_pinyin_runs(text: str) -> list[tuple[str, ...]]:
    """Runs of three or more words of `text` that are each one toneless pinyin syllable, typed
    with spaces (chong dian bao neng shang fei ji ma, hao ping fan xian): the syllables of each
    run. Whether a run is pinyin rather than English (she can hang) is the caller's to judge."""
    known = _syllables()
    runs: list[tuple[str, ...]] = []
    run: list[str] = []
    for word in [*_WORD_OR_OTHER.findall(normalize(text)), ""]:
        if word in known:
            run.append(word)
            continue
        if len(run) >= 3:
            runs.append(tuple(run))
        run = []
    return runs


def syllable_keys(syllables: Sequence[str]) -> tuple[str, ...]:
    """The pinyin keys of each two neighbouring syllables (`chong dian`, `dian bao`)."""
    return tuple(f"{syllables[i]} {syllables[i + 1]}" for i in range(len(syllables) - 1))


@lru_cache(maxsize=4096)
def latin_pinyin_keys(word: str) -> tuple[str, ...]:
    """The pinyin keys of the Han bigrams a buyer typing pinyin without the input method meant
    (`fapiao` → `fa piao`; `zhiniaoku` → `zhi niao`, `niao ku`): the word cut into the fewest
    toneless syllables, each two neighbours one key. Empty when the word is not wholly pinyin
    or is one syllable (`refund`, `pump`, `ma`)."""
    if not (word.isascii() and word.isalpha()) or len(word) > 24:
        return ()
    known = _syllables()
    best: list[list[str] | None] = [[]] + [None] * len(word)
    for end in range(1, len(word) + 1):
        for start in range(max(0, end - 6), end):
            head, piece = best[start], word[start:end]
            if head is not None and piece in known and (best[end] is None or len(head) + 1 < len(best[end])):
                best[end] = [*head, piece]
    cut = best[len(word)]
    if not cut or len(cut) < 2:
        return ()
    return syllable_keys(cut)


def _occurrences(lowered: str, wanted: set[str]) -> list[tuple[int, int]]:
    """Every place of `lowered` (a lower-cased text) where one of the `wanted` terms occurs, as
    character spans in order.

    Each term is looked for by `str.find`: a search's terms differ from the last one's, so a
    pattern of them was compiled for every search, which cost more than finding them."""
    found = []
    for term in wanted:
        at = lowered.find(term) if term else -1
        while at >= 0:
            found.append((at, at + len(term)))
            at = lowered.find(term, at + 1)
    found.sort()
    return found


def _merged(found: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Spans in order with overlapping and touching ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def _marked(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` HTML-escaped with each of `spans` in `<mark>`."""
    out, last = [], 0
    for start, end in spans:
        out.append(html.escape(text[last:start]))
        out.append(f"<mark>{html.escape(text[start:end])}</mark>")
        last = end
    out.append(html.escape(text[last:]))
    return "".join(out)


def highlight(text: str, wanted: set[str]) -> str:
    """`text` HTML-escaped with every occurrence of the `wanted` terms in `<mark>`."""
    return _marked(text, _merged(_occurrences(text.lower(), wanted)))


def snippet(text: str, wanted: set[str], width: int = 90) -> str:
    """The window of `text` (about `width` characters) richest in the `wanted` terms, highlighted."""
    text = re.sub(r"\s+", " ", text).strip()
    lowered = text.lower()
    found = _occurrences(lowered, wanted)
    spans = _merged(found)
    if len(text) <= width:
        return _marked(text, spans)
    starts = [start for start, _ in spans]
    best_start, best_hits = 0, -1
    for start in starts:
        begin = max(0, start - width // 6)
        hits = bisect_left(starts, begin + width) - bisect_left(starts, begin)
        if hits > best_hits:
            best_start, best_hits = begin, hits
    piece = text[best_start : best_start + width]
    if len(lowered) == len(text):
        # the terms found inside the window, without looking for them again
        inside = [(s - best_start, e - best_start) for s, e in found if s >= best_start and e <= best_start + width]
        marked = _marked(piece, _merged(inside))
    else:  # lower-casing changed the length (rare letters): find them in the window itself
        marked = highlight(piece, wanted)
    prefix = "…" if best_start > 0 else ""
    suffix = "…" if best_start + width < len(text) else ""
    return prefix + marked + suffix


__all__ = [
    "ABBREVIATIONS",
    "MAX_TERM",
    "STOP_CHARS",
    "colloquial",
    "highlight",
    "index_text",
    "is_han",
    "latin_pinyin_keys",
    "normalize",
    "pinyin_key",
    "plain_text",
    "render_html",
    "simplified",
    "snippet",
    "stem",
    "terms",
]
