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

_TOKEN = re.compile(r"[\u3400-\u9fff]+|[a-z0-9]+")
_HAN = re.compile(r"[\u3400-\u9fff]")
MAX_TERM = 64


def normalize(text: str) -> str:
    """Full-width to half-width, lower case: what terms are cut from."""
    return unicodedata.normalize("NFKC", text or "").lower()


def is_han(token: str) -> bool:
    """Whether `token` starts with a Han character."""
    return bool(_HAN.match(token))


def terms(text: str) -> Counter[str]:
    """The search terms of `text` with their counts (Han bigrams, Latin words, numbers)."""
    found: Counter[str] = Counter()
    for match in _TOKEN.finditer(normalize(text)):
        token = match.group()
        if is_han(token):
            if len(token) == 1:
                found[token] += 1
            else:
                found.update(token[i : i + 2] for i in range(len(token) - 1))
        else:
            found[stem(token)[:MAX_TERM]] += 1
    return found


def stem(word: str) -> str:
    """A light English stemmer: `refunds`, `refunded`, `refunding` → `refund`."""
    for suffix in ("ing", "ed", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix) and not word.endswith("ss"):
            return word[: -len(suffix)]
    return word


__all__ = ["MAX_TERM", "is_han", "normalize", "stem", "terms"]
