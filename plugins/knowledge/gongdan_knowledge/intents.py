"""Intents: what a buyer wants done, read from cue words, whatever the words of the question.

Buyers name the situation, not the merchant's procedure: 还没发货能不能不要了 is a cancellation
(取消订单), 收到了不喜欢想退 a return (退货), 钱什么时候退回来 a question about a refund's progress
(到账). A symmetric thesaurus cannot say that — 不要了 means cancel before shipping and return after
it — so an intent is directional: when the text holds one word of **each** of its cue sets, the
words articles of that intent use join the query as one group, like a synonym group (the best
word counts, at the intent's weight, never more than the cue words that brought it).

The built-in intents are `data/intents.txt`, one a line::

    # name weight: words articles use | cue set | cue set … | !words that rule it out
    cancel 0.8: 取消订单 取消 未发货 | =不要了 不想要 不买了 | 还没发 刚下单 刚拍 | !收到 签收

They follow the tenant's `builtin_synonyms` setting with the thesaurus. Matching is plain
substring search on the normalised text, so both databases give the same answers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from gongdan.models import Tenant
from gongdan_knowledge import thesaurus
from gongdan_knowledge.text import normalize

DEFAULT_WEIGHT = 1.0  # an intent's words count as much as the cue words that brought them
_HEAD = re.compile(r"^\s*([a-z][a-z0-9_-]*)\s*(?:(0(?:\.\d+)?|1(?:\.0+)?))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class Intent:
    """One thing buyers want done: the words its articles use, and the cue sets (one word of
    each must be in the text) that show a question asks for it."""

    name: str
    words: tuple[str, ...]
    cues: tuple[tuple[str, ...], ...]
    weight: float = DEFAULT_WEIGHT
    unless: tuple[str, ...] = ()
    """Words that rule the intent out (不签 for a return: refusing delivery is another intent)."""
    overrides: bool = False
    """Whether the intent replaces the thesaurus' reading of its first cue word (a first cue set
    written with a leading "=": 不想要了 before shipping means cancel, not 七天无理由)."""

    def cued_by(self, text: str) -> tuple[str, ...] | None:
        """The cue words of `text` (the longest of each set), or None when a set has none or
        the text holds a word of `unless` (not right after a negation: 没收到 is no 收到)."""
        if any(_affirmed(word, text) for word in self.unless):
            return None
        found = []
        for cue_set in self.cues:
            present = [c for c in cue_set if c in text]
            if not present:
                return None
            found.append(max(present, key=len))
        return tuple(found)


NEGATIONS = "没未不无别"
"""Characters that, right before a word ruling an intent out, say it did not happen: 什么也没收到
holds 收到, but rules out no late shipment."""


def _affirmed(word: str, text: str) -> bool:
    """Whether `text` holds `word` somewhere not right after a negation (`NEGATIONS`)."""
    start = text.find(word)
    while start >= 0:
        if start == 0 or text[start - 1] not in NEGATIONS or word[0] in NEGATIONS:
            return True
        start = text.find(word, start + 1)
    return False


def parse(text: str) -> tuple[Intent, ...]:
    """Intents from the file format; a malformed line raises ValueError naming its number."""
    intents = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head = _HEAD.match(line)
        parts = [p.split() for p in head.group(3).split("|")] if head else []
        if not head or len(parts) < 2 or not all(parts):
            raise ValueError(f"intents line {number}: expected 'name [weight]: words | cues | …'")
        # an English cue of several words is written joined by "_" (never_got)
        words, *cues = ([normalize(w).replace("_", " ") for w in p] for p in parts)
        unless = tuple(w.lstrip("!") for c in cues if c[0].startswith("!") for w in c)
        cues = [c for c in cues if not c[0].startswith("!")]
        if not cues:
            raise ValueError(f"intents line {number}: give at least one cue set")
        overrides = cues[0][0].startswith("=")
        cues[0] = [w.lstrip("=") for w in cues[0]]
        weight = float(head.group(2)) if head.group(2) else DEFAULT_WEIGHT
        cue_sets = tuple(tuple(c) for c in cues)
        intents.append(Intent(head.group(1), tuple(words), cue_sets, weight, unless, overrides))
    return tuple(intents)


@lru_cache(maxsize=1)
def builtin() -> tuple[Intent, ...]:
    """The shipped cross-domain after-sales intents."""
    text = resources.files("gongdan_knowledge").joinpath("data", "intents.txt").read_text(encoding="utf-8")
    return parse(text)


def label(name: str) -> str:
    """How people read intent `name`: the first word its articles use (取消订单 for cancel)."""
    return next((i.words[0] for i in builtin() if i.name == name), name)


def detect(text: str, intents: tuple[Intent, ...] | None = None) -> list[tuple[Intent, tuple[str, ...]]]:
    """`[(intent, its cue words in text)]` for every intent `text` asks for."""
    normal = normalize(text)
    found = []
    for intent in builtin() if intents is None else intents:
        cues = intent.cued_by(normal)
        if cues:
            found.append((intent, cues))
    return found


def expansions(tenant: Tenant, text: str) -> tuple[dict[str, dict[str, float]], list[str], list[str]]:
    """`({cue words: {article word: weight}}, [intent names], [overridden word or ""])` for
    `text`: the first in the shape of `thesaurus.expansions_by_trigger` (words already in the
    text left out), the last one entry per key of the first — the cue word whose thesaurus
    reading the intent replaces, if it does. Nothing when the tenant switched the built-in
    vocabulary off."""
    if not thesaurus.uses_builtin(tenant):
        return {}, [], []
    normal = normalize(text)
    by_cues: dict[str, dict[str, float]] = {}
    names: list[str] = []
    overriding: dict[str, str] = {}
    for intent, cues in detect(normal):
        wanted = {w: intent.weight for w in intent.words if w not in normal}
        if wanted:
            key = " ".join(cues)
            mates = by_cues.setdefault(key, {})
            for word, weight in wanted.items():
                mates[word] = max(mates.get(word, 0.0), weight)
            names.append(intent.name)
            if intent.overrides or key not in overriding:
                overriding[key] = cues[0] if intent.overrides else ""
    return by_cues, names, [overriding[key] for key in by_cues]
