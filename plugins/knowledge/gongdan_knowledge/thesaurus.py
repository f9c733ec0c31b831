"""Synonyms: the words buyers use for what the merchant's articles say in other words.

A tenant's thesaurus is the built-in e-commerce after-sales vocabulary (`data/synonyms.txt`,
switchable in the plugin's settings) plus the tenant's own groups. A group is a set of words
meaning the same thing and a weight (0–1): when a query contains one word of a group, the
others join the query with that weight. Matching is plain substring search on the normalised
text, so the answer is the same on every database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from gongdan import audit, clock, tenant_cache
from gongdan.actors import Actor
from gongdan.db import write_transaction
from gongdan.errors import ValidationError
from gongdan.models import Tenant
from gongdan.plugins import get_host
from gongdan_knowledge.models import SynonymGroup
from gongdan_knowledge.text import normalize

DEFAULT_WEIGHT = 0.8
MAX_GROUPS = 2000
MAX_WORDS = 40
MAX_WORD = 32
MEMO_SIZE = 4096  # expansions kept per thesaurus (cleared when full)
_WEIGHT = re.compile(r"^\s*(0(?:\.\d+)?|1(?:\.0+)?)\s*:\s*(.*)$")


@dataclass(frozen=True)
class Group:
    """Words that mean the same thing, and how much a match through them counts."""

    words: tuple[str, ...]
    weight: float = DEFAULT_WEIGHT

    def line(self) -> str:
        """The group as one line of the thesaurus file format."""
        words = " ".join(self.words)
        return words if self.weight == DEFAULT_WEIGHT else f"{self.weight:g}: {words}"


def parse(text: str) -> list[Group]:
    """Groups from the file format (one group a line, `#` comments, optional `0.6:` weight).

    Raises ValidationError naming each bad line (`lines.N`).
    """
    groups, problems = [], {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        weight = DEFAULT_WEIGHT
        found = _WEIGHT.match(line)
        if found:
            weight, line = float(found.group(1)), found.group(2)
        elif ":" in line:
            problems[f"lines.{number}"] = ["the weight before ':' must be a number from 0 to 1"]
            continue
        try:
            groups.append(group(line.split(), weight))
        except ValidationError as exc:
            problems[f"lines.{number}"] = exc.fields["words"]
    if len(groups) > MAX_GROUPS:
        problems["lines"] = [f"at most {MAX_GROUPS} groups"]
    if problems:
        raise ValidationError("invalid thesaurus", problems)
    return groups


def group(words: list[str], weight: float = DEFAULT_WEIGHT) -> Group:
    """A validated group: 2–40 distinct words of at most 32 characters, weight in (0, 1]."""
    cleaned = list(dict.fromkeys(normalize(w).strip() for w in words if w.strip()))
    reasons = []
    if len(cleaned) < 2:
        reasons.append("give at least two words")
    if len(cleaned) > MAX_WORDS:
        reasons.append(f"at most {MAX_WORDS} words")
    if any(len(w) > MAX_WORD for w in cleaned):
        reasons.append(f"a word has at most {MAX_WORD} characters")
    if not 0 < weight <= 1:
        reasons.append("the weight must be more than 0 and at most 1")
    if reasons:
        raise ValidationError("invalid synonym group", {"words": reasons})
    return Group(tuple(cleaned), round(weight, 3))


def dump(groups: list[Group]) -> str:
    """The file format of `groups` (what export writes and import reads)."""
    return "".join(g.line() + "\n" for g in groups)


@lru_cache(maxsize=1)
def builtin() -> tuple[Group, ...]:
    """The shipped e-commerce after-sales vocabulary."""
    text = resources.files("gongdan_knowledge").joinpath("data", "synonyms.txt").read_text(encoding="utf-8")
    return tuple(parse(text))


def own(tenant: Tenant) -> list[Group]:
    """The tenant's own groups, in the order they were saved."""
    rows = SynonymGroup.of(tenant).order_by(SynonymGroup.position)
    return [Group(tuple(r.words.split()), r.weight) for r in rows]


def uses_builtin(tenant: Tenant) -> bool:
    """Whether the tenant's settings keep the built-in vocabulary on (the default)."""
    on = get_host().setting(tenant, "knowledge", "builtin_synonyms")  # one value: no copy of the settings
    return True if on is None else bool(on)


def replace(tenant: Tenant, groups: list[Group], actor: Actor, ip: str | None = None) -> None:
    """Store `groups` as the tenant's own thesaurus (replacing the previous one), audited."""
    if len(groups) > MAX_GROUPS:
        raise ValidationError("too many groups", {"groups": [f"at most {MAX_GROUPS}"]})
    now = clock.now()
    before = SynonymGroup.of(tenant).count()
    with write_transaction():
        audit.record(tenant, "knowledge.synonyms_changed", actor, data={"groups": [before, len(groups)]}, ip=ip)
        SynonymGroup.delete().where(SynonymGroup.tenant == tenant).execute()
        SynonymGroup.insert_many(
            [
                {"tenant": tenant.id, "position": n, "words": " ".join(g.words), "weight": g.weight, "updated_at": now}
                for n, g in enumerate(groups)
            ]
        ).execute()
        tenant_cache.changed(tenant)  # every process builds the table again


@dataclass(frozen=True)
class Table:
    """A tenant's effective thesaurus: its words by first character (longest first), one pattern
    of its English words, and each word's synonyms with their weights."""

    by_first: dict[str, tuple[str, ...]]
    """Every word that is found as a plain substring (Han words, numbers: `双11`, `a货`), by its
    first character, longest first: a dictionary lookup per character of the text, where one
    pattern of 2,000 alternatives tried each of them at every place (1.2 → 0.25 ms a question)."""
    latin: re.Pattern[str] | None
    """English words, found as whole words only (`_matcher`), longest first."""
    mates: dict[str, tuple[tuple[str, float], ...]]
    memo: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict, compare=False)
    """Expansions already worked out, by normalised text (buyers ask the same things often)."""
    spelled: dict[str, str] = field(default_factory=dict)
    """Hyphenated English words by their letters alone (`topup` → `top-up`): what a buyer's
    `top up` or `topup` found."""


def _table(tenant: Tenant) -> Table:
    """The tenant's effective thesaurus, built once per tenant revision and built-in switch in
    each process (`gongdan.tenant_cache`: `replace` and a settings change start a new revision,
    which every process sees on its next request)."""
    with_builtin = uses_builtin(tenant)
    return tenant_cache.cached(tenant, f"knowledge.thesaurus.{with_builtin}", lambda: _build(tenant, with_builtin))


def _build(tenant: Tenant, with_builtin: bool) -> Table:
    """The table of the built-in groups (when `with_builtin`) and the tenant's own."""
    links: dict[str, dict[str, float]] = {}
    for g in [*(builtin() if with_builtin else ()), *own(tenant)]:
        for word in g.words:
            mates = links.setdefault(word, {})
            for other in g.words:
                if other != word and mates.get(other, 0) < g.weight:
                    mates[other] = g.weight
    words = sorted(links, key=_order)
    english = [w for w in words if _LATIN_WORD.fullmatch(w)]
    by_first: dict[str, list[str]] = {}
    for word in words:
        if not _LATIN_WORD.fullmatch(word):
            by_first.setdefault(word[0], []).append(word)
    latin = re.compile("(?=(" + "|".join(map(_matcher, english)) + "))") if english else None
    spelled = {w.replace("-", ""): w for w in english if "-" in w}
    mates = {w: tuple(sorted(m.items())) for w, m in links.items()}
    return Table({c: tuple(ws) for c, ws in by_first.items()}, latin, mates, spelled=spelled)


def _order(word: str) -> tuple[int, str]:
    """The order words are tried in at a place: the longest first (券 is inside 满减券)."""
    return -len(word), word


_LATIN_WORD = re.compile(r"[a-z][a-z'-]*")  # won't-turn-on: an English phrase
_LETTER = re.compile("[a-z]")
LATIN_ENDINGS = "(?:s|es|ed|d|ing)?"
"""What may follow an English thesaurus word inside a buyer's word (refunds, refunded, leaking)."""


def _matcher(word: str) -> str:
    """The pattern finding `word` in a normalised text: Han words anywhere (substring), English
    words only as a whole word or with an ending (`LATIN_ENDINGS`): `pay` is not in `paypal`,
    `car` not in `card`, `fit` not in `profit`. A hyphenated English word is also found written
    with a space or joined (`top-up`: top up, topup; `log-in`: log in, login; `gift-card`: gift
    card), as buyers write it."""
    if not _LATIN_WORD.fullmatch(word):
        return re.escape(word)
    joined = "[- ]?".join(re.escape(part) for part in word.split("-"))
    return f"(?<![a-z]){joined}(?={LATIN_ENDINGS}(?![a-z]))"


def _word(table: Table, found: str) -> str:
    """The thesaurus word a match stands for: itself, or the hyphenated English word it spells
    with a space or joined (`top up` → `top-up`)."""
    if found in table.mates:
        return found
    return table.spelled.get(re.sub("[- ]", "", found), found)


def expansions_by_trigger(tenant: Tenant, text: str) -> dict[str, dict[str, float]]:
    """`{word found in text: {synonym: weight}}` for every group word in `text`.

    Longest words first, so a word inside a longer one already found (券 in 满减券) adds nothing
    of its own; synonyms already in the text are left out.
    """
    normal = normalize(text)
    table = _table(tenant)
    found: dict[str, dict[str, float]] = {}
    if normal in table.memo:
        return table.memo[normal]
    # the longest word starting at each place (overlaps kept), then longest first: a word inside
    # a longer one already taken is left out
    places = _places(table, normal)
    covered: list[tuple[int, int]] = []
    for start, written in sorted(places.items(), key=lambda p: (-len(p[1]), p[0])):
        if any(a <= start and start + len(written) <= b for a, b in covered):
            continue
        covered.append((start, start + len(written)))
        word = _word(table, written)
        wanted = {other: weight for other, weight in table.mates[word] if other not in normal}
        if wanted:
            found[word] = wanted
    if len(table.memo) >= MEMO_SIZE:
        table.memo.clear()
    table.memo[normal] = found  # stored once complete: other threads read it
    return found


def _places(table: Table, normal: str) -> dict[int, str]:
    """`{place: the text written there}` for the first thesaurus word (`_order`) found at each
    place of `normal` that holds one."""
    places: dict[int, str] = {}
    for start, char in enumerate(normal):
        for word in table.by_first.get(char, ()):
            if normal.startswith(word, start):
                places[start] = word
                break
    if table.latin is not None and _LETTER.search(normal):
        for found in table.latin.finditer(normal):
            start, written = found.start(), found.group(1)
            if start not in places or _order(_word(table, written)) < _order(places[start]):
                places[start] = written
    return places
