"""Stripping quoted history and signatures from a reply, for the mail clients Chinese customers use.

The reply is cut at the first line that starts the quoted history:

* QQ Mail: `------------------ 原始邮件 ------------------` (also `Original`); NetEase
  MailMaster: `---- 回复的原邮件 ----`;
* 163/126 and Chinese Apple Mail: `在 2026-11-20 10:00:00，张三 写道：`, `2026年11月20日 10:00，… 写道：`,
  traditional `於 2026年11月30日 上午10:00，… 寫道：`;
* Gmail and Apple Mail: `On … wrote:`; Gmail in Chinese: `张三 <a@b.c> 于2026年11月30日周一 10:00写道：`
  (both wrapped over two lines too);
* Outlook, Foxmail: a header block `From: …` / `发件人：…` followed by `Sent:` / `Date:` /
  `发送时间：` / `日期：` within a few lines (with or without the `____` rule above it);
  `-----Original Message-----`;
* a trailing block of `>` lines;

and at a signature: a `-- ` line, or a short sign-off such as `发自我的iPhone`, `Sent from my
iPhone`, `Get Outlook for iOS`. When nothing but quotes would remain, the text is kept whole.
"""

from __future__ import annotations

import re

HISTORY = [
    re.compile(r"^\s*-{3,}\s*(原始邮件|Original( Message)?|原始郵件|回复的原邮件|回覆的原郵件)\s*-{3,}\s*$", re.I),
    re.compile(r"^\s*(在|於|于)\s*.{4,160}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,120}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^\s*On\s.{4,200}\swrote\s*:\s*$", re.I),
    re.compile(r"^.{0,200}(于|於)\s*\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,60}(写道|寫道)\s*[:：]\s*$"),
    re.compile(r"^\s*Le\s.{4,200}\sa écrit\s*:\s*$", re.I),
    re.compile(r"^\s*_{10,}\s*$"),
]
WRAPPED = re.compile(r"(wrote|写道|寫道)\s*[:：]\s*$", re.I)  # the end of an attribution wrapped in two
HEADER_START = re.compile(r"^\s*\*?(From|发件人|寄件者)\s*\*?\s*[:：]", re.I)
HEADER_FOLLOW = re.compile(r"^\s*\*?(Sent|Date|发送时间|日期|时间|寄件日期|To|收件人)\s*\*?\s*[:：]", re.I)
FORWARD = re.compile(r"^\s*-{3,}\s*(Forwarded message|转发的邮件|Begin forwarded message)\s*-{0,}\s*:?\s*$", re.I)
SIGNATURE = re.compile(r"^-- ?$")
SIGN_OFF = re.compile(
    r"^\s*(发自我的|来自我的|从我的|Sent from my|Sent from Mail for|Get Outlook for|发自网易邮箱|发自\s*Foxmail"
    r"|发自\s*QQ邮箱|Sent from Yahoo)[^\n]{0,40}$",
    re.I,
)
HEADER_WINDOW = 5


def _history_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if any(p.match(line) for p in HISTORY):
            return i
        joined = line + " " + lines[i + 1] if i + 1 < len(lines) else ""
        wrapped = joined and WRAPPED.search(lines[i + 1]) and not line.strip().endswith((":", "："))
        if wrapped and any(p.match(joined) for p in HISTORY[1:5]):
            return i  # "On Fri, … Name <" / "x@example.com> wrote:", Gmail's "Name <x>" / "于… 写道："
        if HEADER_START.match(line) and any(HEADER_FOLLOW.match(n) for n in lines[i + 1 : i + 1 + HEADER_WINDOW]):
            return i
    return None


def _trailing_quote_start(lines: list[str]) -> int | None:
    """Where a final block of `>` lines (and blanks) starts, if the text ends with one."""
    start = None
    for i in range(len(lines) - 1, -1, -1):
        stripped = lines[i].strip()
        if stripped.startswith(">"):
            start = i
        elif stripped:
            break
    return start


def _signature_start(lines: list[str]) -> int | None:
    for i, line in enumerate(lines):
        if SIGNATURE.match(line) or SIGN_OFF.match(line):
            return i
    return None


def strip_reply(text: str) -> str:
    """The new words of a reply: quoted history and signature removed; the whole text if none remain."""
    lines = text.replace("\r\n", "\n").split("\n")
    for finder in (_history_start, _trailing_quote_start, _signature_start):
        cut = finder(lines)
        if cut is not None:
            lines = lines[:cut]
    reply = "\n".join(lines).strip()
    return reply or text.strip()


def is_forward(subject: str, text: str) -> bool:
    """A forward (its body is the point, not history to strip): `Fwd:`/`转发：` or a forward banner."""
    if re.match(r"^\s*(fwd?|转发|轉寄)\s*[:：]", subject or "", re.I):
        return True
    return any(FORWARD.match(line) for line in text.splitlines()[:40])
