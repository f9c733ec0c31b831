"""The test corpus of real-world-shaped messages and how to score the parser and threading on it.

`tests/corpus/<part>/manifest.json` lists each message with what should become of it;
`tests/corpus/context.json` describes the tickets the replies belong to. Part `tuning` is what
the parser was developed against; part `heldout` was written beforehand and never tuned on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .parse import ParsedMail, UnparseableMessage, parse

ROOT = Path(__file__).resolve().parent.parent / "tests" / "corpus"
PARTS = ("tuning", "heldout")
AUTOMATIC = ("autoreply", "list", "bounce")


@dataclass
class Case:
    """One message of the corpus and its expected outcome."""

    part: str
    file: str
    expect: dict[str, Any]

    @property
    def raw(self) -> bytes:
        """The message's bytes."""
        return (ROOT / self.part / self.file).read_bytes()


def cases(part: str) -> list[Case]:
    """The messages of one part of the corpus."""
    manifest = json.loads((ROOT / part / "manifest.json").read_text("utf-8"))
    return [Case(part, item["file"], item) for item in manifest["messages"]]


def context() -> dict[str, Any]:
    """The mailbox and tickets the corpus's replies refer to."""
    return json.loads((ROOT / "context.json").read_text("utf-8"))


def parse_problems(case: Case) -> list[str]:
    """What the parser got wrong on `case` (empty: all right)."""
    expect = case.expect
    try:
        mail = parse(case.raw)
    except UnparseableMessage as exc:
        return [] if expect["outcome"] == "quarantined" else [f"unparseable: {exc}"]
    if expect["outcome"] == "quarantined":
        return ["parsed, but should be quarantined"]
    return _field_problems(mail, expect)


def _field_problems(mail: ParsedMail, expect: dict[str, Any]) -> list[str]:
    problems = []
    automatic = expect["outcome"] if expect["outcome"] in AUTOMATIC else None
    if mail.automatic != automatic:
        problems.append(f"automatic {mail.automatic!r}, expected {automatic!r}")
    for key in ("sender", "subject"):
        if key in expect and getattr(mail, key) != expect[key]:
            problems.append(f"{key} {getattr(mail, key)!r}, expected {expect[key]!r}")
    for text in expect.get("reply_contains", []):
        if text not in mail.reply:
            problems.append(f"reply lacks {text!r}: {mail.reply!r}")
    for text in expect.get("reply_excludes", []):
        if text in mail.reply:
            problems.append(f"reply keeps {text!r}: {mail.reply!r}")
    for text in expect.get("html_contains", []):
        if text not in (mail.html or ""):
            problems.append(f"html lacks {text!r}")
    for text in expect.get("html_excludes", []):
        if text in (mail.html or ""):
            problems.append(f"html keeps {text!r}")
    if "attachments" in expect:
        got = [{"filename": p.filename, "inline": p.inline} for p in mail.attachments]
        want = [{"filename": a["filename"], "inline": a["inline"]} for a in expect["attachments"]]
        if got != want:
            problems.append(f"attachments {got}, expected {want}")
    if "bounce_ids" in expect and (mail.bounce is None or mail.bounce.message_ids != expect["bounce_ids"]):
        problems.append(
            f"bounce ids {mail.bounce.message_ids if mail.bounce else None}, expected {expect['bounce_ids']}"
        )
    for text in expect.get("bounce_reason_contains", []):
        if mail.bounce is None or text not in mail.bounce.reason:
            problems.append(f"bounce reason lacks {text!r}: {mail.bounce.reason if mail.bounce else None!r}")
    return problems


def prepare(tenant: Any, mailbox: Any) -> dict[str, Any]:
    """Create the context's tickets (numbers in order) with the mail gongdan 'sent' on them."""
    from gongdan import tickets

    from .ingest import ACTOR
    from .models import EmailMessage

    made = {}
    for label, spec in context()["tickets"].items():
        ticket, _ = tickets.create(
            tenant,
            {"subject": spec["subject"], "channel": "email", "customer": {"email": spec["customer"]}},
            ACTOR,
        )
        assert ticket.number == spec["number"], "the corpus expects a fresh tenant"
        for message_id in spec["sent"]:
            EmailMessage.create(
                tenant=tenant,
                mailbox=mailbox,
                direction="out",
                key=message_id,
                message_id=message_id,
                ticket=ticket,
                outcome="reply",
                sender=mailbox.address,
                participants=[spec["customer"], *spec.get("copied", [])],
            )
        made[label] = ticket
    return made


def threading_problems(case: Case, result: Any, made: dict[str, Any]) -> list[str]:
    """Whether ingesting `case` did what the manifest says (outcome and ticket)."""
    expect = case.expect
    outcome = result.outcome
    want = expect["outcome"]
    if want == "comment":
        ok = outcome in ("comment", "reopened") and result.ticket_id == made[expect["ticket"]].id
    elif want == "ticket":
        ok = outcome == "ticket" and result.ticket_id not in {t.id for t in made.values()}
    else:
        ok = outcome == want
    return [] if ok else [f"{case.file}: {outcome} (ticket {result.ticket_id}), expected {want} {expect.get('ticket')}"]
