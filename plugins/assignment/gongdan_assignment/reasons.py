"""The reasons the plugin writes into ticket events ("skills: 换货 level 3; load 0/8", "waiting:
everyone online in the tenant is at capacity"), in the reader's language for the timeline and the
audit log (`EventKind.words`). The stored text stays English: integrators search it in logs."""

from __future__ import annotations

import re
from collections.abc import Callable

Wording = Callable[[re.Match[str]], str]
WHERE = r"(?P<where>.+?)"


def _where(match: re.Match[str]) -> str:
    where = match.group("where")
    return "本租户" if where == "the tenant" else where


def _load(text: str) -> str:
    return re.sub(r"\bload (\d+/\d+)", r"负载 \1", text)


PATTERNS: list[tuple[re.Pattern[str], Wording]] = [
    (re.compile(rf"^waiting: nobody online in {WHERE}$"), lambda m: f"等待：{_where(m)}没有在线客服"),
    (
        re.compile(rf"^waiting: everyone online in {WHERE} is at capacity$"),
        lambda m: f"等待：{_where(m)}的在线客服都已满",
    ),
    (
        re.compile(rf"^waiting: nobody available in {WHERE} has skill level (?P<n>\d+) or more$"),
        lambda m: f"等待：{_where(m)}没有技能等级 {m.group('n')} 及以上的空闲客服",
    ),
    (
        re.compile(rf"^waiting: nobody in {WHERE} is on shift and free to take it$"),
        lambda m: f"等待：{_where(m)}没有在班且有空的客服",
    ),
    (
        re.compile(r"^skills: no available agent has a skill this ticket names; (?P<rest>.*)$"),
        lambda m: f"按技能：没有空闲客服具备此工单的技能；{_load(m.group('rest'))}",
    ),
    (
        re.compile(r"^skills: (?P<matched>.+); (?P<rest>load .*)$"),
        lambda m: "按技能：" + re.sub(r" level (\d+)", r" 等级 \1", m.group("matched")) + f"；{_load(m.group('rest'))}",
    ),
    (
        re.compile(r"^tier: level (?P<n>\d+); (?P<rest>.*)$"),
        lambda m: f"按级别：等级 {m.group('n')}；{_load(m.group('rest'))}",
    ),
    (re.compile(r"^least_loaded: (?P<rest>.*)$"), lambda m: f"负载最低：{_load(m.group('rest'))}"),
    (
        re.compile(r"^round_robin: longest without a new ticket; (?P<rest>.*)$"),
        lambda m: f"轮流分配：最久没有接新工单；{_load(m.group('rest'))}",
    ),
    (
        re.compile(r"^weighted: weight (?P<w>\S+), (?P<n>\d+) assigned so far; (?P<rest>.*)$"),
        lambda m: f"按权重：权重 {m.group('w')}，已分配 {m.group('n')} 个；{_load(m.group('rest'))}",
    ),
]
EN_HEADS = {
    "waiting": "Waiting",
    "least_loaded": "Least loaded",
    "round_robin": "Round robin",
    "weighted": "Weighted",
    "skills": "Skills",
    "tier": "Most senior",
}
RULE = re.compile(r"^(?P<text>.*) \(rule (?P<n>\d+)\)$")


LAPSED = re.compile(r"^no first response from (?P<name>.+?) within (?P<m>\d+) min; (?P<rest>.*)$")
STAYS = "nobody else can take it now; it stays"


def words(text: str, language: str) -> str | None:
    """`text` (a reason this plugin wrote) in `language` (`zh` or `en`), or None when it is not
    one of this plugin's reasons. English reads as written, the strategy named in words."""
    lapsed = LAPSED.match(text)
    if lapsed is not None:  # the first-response job's reassignment (or why the ticket stayed)
        rest = lapsed.group("rest")
        shown = rest if rest == STAYS else words(rest, language)
        if not language.startswith("zh"):
            return f"No first response from {lapsed.group('name')} within {lapsed.group('m')} min; {shown or rest}"
        then = "现在没有其他人可以接手，工单保持原处理人" if rest == STAYS else (shown or rest)
        return f"{lapsed.group('name')} 在 {lapsed.group('m')} 分钟内没有首次回复；{then}"
    rule = RULE.match(text)
    body, suffix_n = (rule.group("text"), rule.group("n")) if rule else (text, None)
    for regex, wording in PATTERNS:
        match = regex.match(body)
        if match is None:
            continue
        if language.startswith("zh"):
            return wording(match) + (f"（规则 {suffix_n}）" if suffix_n else "")
        head, _, rest = text.partition(": ")
        return f"{EN_HEADS.get(head, head)}: {rest}"
    return None


__all__ = ["words"]
