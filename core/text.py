"""Search terms of Chinese and English text, the same on every database and for every index.

Chinese has no spaces, so a run of Han characters is cut into overlapping character bigrams
("七天无理由" → 七天 天无 无理 理由): any partial word of two characters or more matches, and a
single wrong character spoils at most two bigrams while the others still match. Latin words and
numbers are whole terms (lightly stemmed). The ticket search index (`gongdan.search`) and the
knowledge plugin's article index both cut text with `terms`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator

_TOKEN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
MAX_TERM = 64


def normalize(text: str) -> str:
    """Full-width to half-width, lower case: what terms are cut from."""
    return unicodedata.normalize("NFKC", text or "").lower()


def is_han(token: str) -> bool:
    """Whether `token` starts with a Han character."""
    return bool(_HAN.match(token))


def _cut(text: str) -> Iterator[str]:
    for token in _TOKEN.findall(normalize(text)):
        if token[0] >= "\u3400":  # a Han run (the pattern's only non-ASCII tokens)
            if len(token) == 1:
                yield token
            else:
                yield from (token[i : i + 2] for i in range(len(token) - 1))
        else:
            yield stem(token)[:MAX_TERM]


def terms(text: str) -> Counter[str]:
    """The search terms of `text` with their counts (Han bigrams, Latin words, numbers)."""
    return Counter(_cut(text))


def term_set(text: str) -> set[str]:
    """The distinct search terms of `text` (what `terms` counts)."""
    return set(_cut(text))


def stem(word: str) -> str:
    """A light English stemmer: `refunds`, `refunded`, `refunding` → `refund`."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


__all__ = ["MAX_TERM", "is_han", "normalize", "stem", "term_set", "terms"]
