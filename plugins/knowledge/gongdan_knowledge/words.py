"""Where a question's words begin and end, to weigh the bigrams the index is cut into.

The index cuts text into Han bigrams (`gongdan.text`), which needs no dictionary and gives the
same terms on every database. A question's bigrams are not all alike, though: 新手机打电话 holds
手机 and 电话 (words) but also 新手 and 机打, which only straddle the seam between two words and
match articles by chance — and typo repair, given an unknown bigram, cannot tell a seam (单以 of
下单以后) or a real word the articles do not use (一直, 单位) from a typo (理陪 for 理赔).

A word segmenter reads the question alone (never the articles, whose index stays bigrams):
rjieba, the maintained Rust port of jieba's dictionary, without its HMM guesses, so each token is
a dictionary word or a single character. Each bigram of the question is then

- **inside** a dictionary word (手机, 一直, 新手机's 新手): a real word, never "repaired";
- a **seam**, across a boundary beside a dictionary word (机打, 单以, 不寄 of 我/不/寄回): two
  words' edges, never repaired either;
- **loose**, between two single characters (满减 of 满/减, 理陪, 退宽): a word the dictionary
  lacks or a typo — what typo repair is for.

Typo repair (`index.prepare`) changes loose bigrams only: 一直 is no typo of 一致, 别人 none of
非人, and 不寄 of 我不寄回了 none of 补寄. The same text always gives the same roles, on every
database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from gongdan_knowledge.text import normalize

_HAN_RUN = re.compile(r"[\u3400-\u9fff]+")


@dataclass(frozen=True)
class Roles:
    """The bigrams of a text by role: `inside` a dictionary word, across a `seam` beside one."""

    inside: frozenset[str] = frozenset()
    seams: frozenset[str] = frozenset()


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    """rjieba, imported on first use (its dictionary takes about 0.2 s to load)."""
    import rjieba

    return rjieba


@lru_cache(maxsize=8192)
def cut(run: str) -> tuple[str, ...]:
    """The dictionary words and single characters of a run of Han characters (no HMM guesses)."""
    return tuple(_segmenter().cut(run, False))


def is_word(term: str) -> bool:
    """Whether the segmenter reads `term` whole, as one dictionary word (维修; not 修前)."""
    return cut(term) == (term,)


@lru_cache(maxsize=8192)
def roles(text: str) -> Roles:
    """The roles of the Han bigrams of `text` (normalised first, as terms are)."""
    inside: set[str] = set()
    seams: set[str] = set()
    for run in _HAN_RUN.findall(normalize(text)):
        owner: list[tuple[int, int]] = []  # per character: (its token's number, the token's length)
        for number, token in enumerate(cut(run)):
            owner.extend([(number, len(token))] * len(token))
        for i in range(len(run) - 1):
            (left, left_len), (right, right_len) = owner[i], owner[i + 1]
            if left == right:
                inside.add(run[i : i + 2])
            elif left_len > 1 or right_len > 1:
                seams.add(run[i : i + 2])
    return Roles(frozenset(inside), frozenset(seams - inside))


INSERTED = "了完过"
"""Characters buyers put inside a verb and its object (付完款, 退了款, 发了货, 到了账)."""
_SEPARATED = re.compile(f"(?=([\u3400-\u9fff])[{INSERTED}]([\u3400-\u9fff]))")


_PROMOTION = re.compile(r"满(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百千万零]+)[元块]?([减送返])")
"""A promotion written with its threshold in digits or, as voice input writes it, in Chinese
numerals (满39减5, 满100元送, 满两百减二十): 满减, 满送, 满返."""


def separated(text: str) -> tuple[str, ...]:
    """The verb-object words `text` holds split by an aspect or result character (付完款 → 付款,
    退了款 → 退款, 下了单 → 下单), and the promotions split by their threshold (满39减5 → 满减):
    the bigrams the index knows for them, if it does."""
    normal = normalize(text)
    joined = [a + b for a, b in _SEPARATED.findall(normal)] + ["满" + kind for kind in _PROMOTION.findall(normal)]
    return tuple(dict.fromkeys(joined))


__all__ = ["INSERTED", "Roles", "cut", "is_word", "roles", "separated"]
