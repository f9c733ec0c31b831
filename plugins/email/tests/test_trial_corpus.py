"""The trial corpus (`tests/corpus/trial`, written for an independent re-trial of the channel) through
the real path: delivered to Dovecot, fetched over IMAP, with a `kill -9` of the fetch mid-way.

Each message of the manifest says what it must become (a ticket, a comment on a context ticket, an
automatic mail, a bounce recorded against the outgoing reply, a duplicate, a quarantined message)
and what its readable text must and must not hold. One Dovecot for the module; each test takes a
user (an INBOX) of its own."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from gongdan_email import corpus, fetch
from gongdan_email.models import EmailMessage, EmailQuarantine
from gongdan_email.parse import parse
from gongdan_email.testing import DOVECOT, Dovecot

from gongdan import tickets
from gongdan.models import Attachment, Comment, Delivery, Ticket

TRIAL = corpus.cases("trial")
USERS = [f"trial{n}@acme.example" for n in range(8)]
PASSWORD = "secret-pass"
FILLERS = 150  # small messages after the corpus, so that the kill lands while the fetch runs


@pytest.fixture(scope="module")
def trial_dovecot(tmp_path_factory: Any) -> Iterator[Any]:
    """One Dovecot for the module, with a user (an INBOX) for each test."""
    if DOVECOT is None:
        pytest.skip("dovecot is not installed: apt-get install -y dovecot-imapd")
    server = Dovecot(tmp_path_factory.mktemp("dovecot"), dict.fromkeys(USERS, PASSWORD))
    server.start()
    yield server
    server.stop()


_unused = itertools.count()


@pytest.fixture
def trial_user() -> str:
    """An INBOX of the module's Dovecot that no other test has used."""
    return USERS[next(_unused)]


@pytest.mark.parametrize("case", TRIAL, ids=[c.file for c in TRIAL])
def test_trial_corpus_parses(case: corpus.Case) -> None:
    problems = corpus.parse_problems(case)
    if "sender_name" in case.expect:
        name = parse(case.raw).sender_name
        if name != case.expect["sender_name"]:
            problems.append(f"sender name {name!r}")
    if "parse" in case.expect.get("open", []):  # a defect not fixed yet: it must still show
        assert problems != []
    else:
        assert problems == []


def _filler(n: int) -> bytes:
    return (
        f"From: Filler <filler{n}@example.com>\r\nTo: support@acme.example\r\nSubject: filler {n}\r\n"
        f"Message-ID: <filler{n}@example.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfiller {n}\r\n"
    ).encode()


KILL_SCRIPT = """
import os
from gongdan.db import open_database
from gongdan_email import fetch
open_database(os.environ["GONGDAN_DATABASE_URL"])
fetch.fetch_all()
"""


def _fetch_killed_mid_way(database_url: str, total: int) -> int:
    """Run a fetch in a child process, `kill -9` it once some messages are in; how many were."""
    env = {**os.environ, "GONGDAN_DATABASE_URL": database_url, "GONGDAN_OUTBOUND_ALLOW": "127.0.0.0/8,::1"}
    child = subprocess.Popen([sys.executable, "-c", KILL_SCRIPT], env=env)
    inbound = EmailMessage.direction == "in"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and EmailMessage.select().where(inbound).count() < 20:
        time.sleep(0.02)
    child.send_signal(signal.SIGKILL)
    child.wait()
    done = EmailMessage.select().where(inbound).count() + EmailQuarantine.select().count()
    assert 0 < done < total, "the kill should land in the middle"
    return done


def _text_problems(label: str, text: str, expect: dict) -> list[str]:
    problems = [f"{label} lacks {t!r}: {text!r}" for t in expect.get("reply_contains", []) if t not in text]
    return problems + [f"{label} keeps {t!r}" for t in expect.get("reply_excludes", []) if t in text]


def _case_problems(case: corpus.Case, made: dict[str, Any]) -> list[str]:
    """What went wrong with the message (empty: it became what the manifest says); found by its bytes."""
    expect, want = case.expect, case.expect["outcome"]
    context_ids = {t.id for t in made.values()}
    if want == "quarantined":
        entry = next((q for q in EmailQuarantine.select() if bytes(q.raw) == case.raw), None)
        if entry is None or expect.get("reason_contains", "") not in entry.reason:
            return [f"not quarantined with its reason: {entry.reason if entry else None!r}"]
        return []
    inbound = EmailMessage.select().where(EmailMessage.direction == "in")
    row = next((r for r in inbound if bytes(r.raw) == case.raw), None)
    if want == "duplicate":
        return [] if row is None else [f"not a duplicate: {row.outcome}"]
    if row is None:
        return ["lost: no row for it"]
    problems = []
    if want == "comment":
        if row.outcome not in ("comment", "reopened") or row.ticket_id != made[expect["ticket"]].id:
            return [f"{row.outcome} on ticket {row.ticket_id}, expected a comment on {expect['ticket']}"]
        problems += _text_problems("comment", Comment.get_by_id(row.comment_id).body, expect)
        files = Attachment.select().where(Attachment.comment == row.comment_id)
    elif want == "ticket":
        if row.outcome != "ticket" or row.ticket_id in context_ids:
            return [f"{row.outcome} on ticket {row.ticket_id}, expected a new ticket"]
        ticket = Ticket.get_by_id(row.ticket_id)
        problems += _text_problems("description", ticket.description, expect)
        if "subject" in expect and ticket.subject != expect["subject"]:
            problems.append(f"subject {ticket.subject!r}")
        files = Attachment.select().where(Attachment.ticket == ticket)
        notes = [c.body for c in Comment.select().where((Comment.ticket == ticket) & (Comment.internal == True))]  # noqa: E712
        problems += [f"no note naming {t!r}: {notes}" for t in expect.get("note_contains", []) if t not in str(notes)]
    else:
        states = {k: Delivery.get(Delivery.external_id == k).state for k in expect.get("delivery", {})}
        if row.outcome != want or states != expect.get("delivery", {}):
            return [f"{row.outcome}, expected {want}; deliveries {states}"]
        return []
    if "attachments" in expect:
        got = sorted((a.filename, a.inline) for a in files)
        wanted = sorted((a["filename"], a["inline"]) for a in expect["attachments"])
        problems += [] if got == wanted else [f"attachments {got}"]
    if "participants" in expect and sorted(row.participants) != sorted(expect["participants"]):
        problems.append(f"participants {row.participants}")
    return problems


def test_the_trial_corpus_through_dovecot_with_a_kill_9_mid_way(
    email_on: Any,
    tenant: Any,
    trial_dovecot: Dovecot,
    trial_user: str,
    gongdan_database_url: str,
) -> None:
    from gongdan_email import mailboxes
    from gongdan_email.ingest import ACTOR

    box = mailboxes.create(
        tenant,
        {
            "address": "support@acme.example",
            "username": trial_user,
            "imap_host": "127.0.0.1",
            "imap_port": trial_dovecot.port,
            "imap_security": "none",
            "password": PASSWORD,
        },
    )
    made = corpus.prepare(tenant, box)
    for label, spec in corpus.context()["tickets"].items():
        for sent in spec["sent"]:
            Delivery.create(tenant=tenant, ticket=made[label], channel="email", state="sent", external_id=sent)
    tickets.transition(tenant, made["T4"], "resolved", ACTOR)  # automatic mail must not reopen it
    trial_dovecot.deliver_many([c.raw for c in TRIAL] + [_filler(n) for n in range(FILLERS)], trial_user)
    total = len(TRIAL) + FILLERS

    _fetch_killed_mid_way(gongdan_database_url, total)
    [run] = fetch.fetch_all(tenant)
    assert run.error is None

    problems = {}
    for case in TRIAL:
        found = _case_problems(case, made)
        if found:
            problems[case.file] = found
    open_defects = {c.file for c in TRIAL if "path" in c.expect.get("open", [])}
    assert set(problems) == open_defects, problems
    assert Ticket.get_by_id(made["T4"].id).status == "resolved"
    fillers = Ticket.select().where(Ticket.subject.startswith("filler "))
    assert (fillers.count(), len({t.subject for t in fillers})) == (FILLERS, FILLERS)
    keys = [r.key for r in EmailMessage.select(EmailMessage.key).where(EmailMessage.direction == "in")]
    assert len(keys) == len(set(keys))
    assert EmailMessage.select().where(EmailMessage.direction == "in").count() + EmailQuarantine.select().count() == (
        total - sum(c.expect["outcome"] == "duplicate" for c in TRIAL)
    )


def _mail(headers: str, body: str = "正文\r\n") -> bytes:
    return (f"From: Amy <amy@gmail.com>\r\nTo: support@acme.example\r\n{headers}\r\n\r\n{body}").encode()


@pytest.mark.parametrize(
    "headers",
    [
        "Subject: Automatic reply: Refund status",
        "Subject: 自动答复: 退款",
        "Subject: =?utf-8?B?44CQ6Ieq5Yqo5Zue5aSN44CR?=Re: 退款",  # 【自动回复】
        "Subject: Read: Refund status",
        "Subject: Refund status\r\nContent-Type: multipart/report; report-type=disposition-notification; boundary=b",
    ],
)
def test_automatic_mail_recognised_by_its_subject_or_as_a_read_receipt(headers: str) -> None:
    body = "--b\r\nContent-Type: text/plain\r\n\r\nread\r\n--b--\r\n" if "boundary=b" in headers else "正文\r\n"
    assert parse(_mail(headers, body)).automatic == "autoreply"


def test_a_customer_writing_about_reading_is_not_automatic() -> None:
    assert parse(_mail("Subject: Reading light broken")).automatic is None
    assert parse(_mail("Subject: 已读不回怎么办")).automatic is None


def test_a_delay_warning_is_a_bounce_that_did_not_fail() -> None:
    delayed = next(c for c in TRIAL if c.file == "delayed_dsn_warning.eml")
    bounce = parse(delayed.raw).bounce
    assert bounce is not None
    assert (bounce.failed, bounce.message_ids) == (False, ["gd.t5.reply2@acme.example"])
    failed = next(c for c in TRIAL if c.file == "exchange_ndr_with_original.eml")
    assert parse(failed.raw).bounce.failed is True


@pytest.mark.parametrize(
    ("text", "encoding", "label"),
    [
        ("請幫忙查詢物流狀態，謝謝", "big5", "gb2312"),
        ("请尽快处理退货，谢谢", "gbk", "big5"),
        ("公司需要報銷，請問可以開發票嗎", "big5", None),
        ("运费谁出", "utf-8", "gb2312"),
        ("镕喆啰嗦", "gbk", "gb2312"),
    ],
)
def test_mislabelled_chinese_text_is_read_right(text: str, encoding: str, label: str | None) -> None:
    from gongdan_email.charsets import decode_bytes

    assert decode_bytes(text.encode(encoding), label) == text


def test_a_clean_non_chinese_label_is_believed_and_a_meta_charset_breaks_ties() -> None:
    from gongdan_email.charsets import decode_bytes

    assert decode_bytes("Café crème brûlée".encode("latin-1"), "iso-8859-1") == "Café crème brûlée"
    assert decode_bytes("乾".encode("big5")) == "爱"  # as GB18030: as common, so no way to tell
    assert decode_bytes("乾".encode("big5"), None, "big5") == "乾"  # the HTML meta charset tells
    assert decode_bytes("不".encode("big5")) == "不"  # GB18030 gives kana (ぃ): not Chinese text


@pytest.mark.parametrize(
    "attribution",
    [
        "Acme 客服 <support@acme.example> 于2026年11月30日周一 10:00写道：",
        "Acme 客服 <support@acme.example>\n于2026年11月30日周一 10:00写道：",  # wrapped by Gmail
        "於 2026年11月30日 上午10:00，Acme 客服 <support@acme.example> 寫道：",
        "---- 回复的原邮件 ----",
        "On Mon, 30 Nov 2026 at 10:00, Acme <support@\nacme.example> wrote:",
    ],
)
def test_chinese_attributions_cut_the_quoted_history(attribution: str) -> None:
    from gongdan_email.quotes import strip_reply

    assert strip_reply(f"能直接退款吗？\n\n{attribution}\n\n> 我们会为您补发一件新的。\n") == "能直接退款吗？"


def test_plus_tagged_mailbox_addresses_are_our_own() -> None:
    from gongdan_email.ingest import is_own

    own = {"support@acme.example"}
    assert is_own("Support+VIP@acme.example", own)
    assert is_own("support@acme.example", own)
    assert not is_own("support+vip@other.example", own)
    assert not is_own("buyer+shop@qq.com", own)


@pytest.mark.parametrize(
    ("results", "unverified"),
    [
        ("mx.acme.example; spf=fail smtp.mailfrom=evil.example; dmarc=fail header.from=qq.com", "dmarc=fail"),
        ("mx.acme.example; spf=fail smtp.mailfrom=evil.example; dkim=none", "spf=fail"),
        ("mx.acme.example; spf=fail smtp.mailfrom=list.example; dkim=pass header.d=qq.com", ""),  # forwarded
        ("mx.acme.example; spf=pass; dkim=pass; dmarc=pass", ""),
    ],
)
def test_a_forged_from_is_read_from_the_authentication_results(results: str, unverified: str) -> None:
    assert parse(_mail(f"Subject: hi\r\nAuthentication-Results: {results}")).unverified == unverified


def test_a_multipart_without_boundary_or_parts_is_read_as_text() -> None:
    mail = parse(_mail("Subject: hi\r\nContent-Type: multipart/mixed", "发票税号开错了，请重开。\r\n"))
    assert (mail.reply, mail.attachments) == ("发票税号开错了，请重开。", [])


def test_a_damaged_winmail_dat_is_kept_whole() -> None:
    headers = "Subject: hi\r\nContent-Type: multipart/mixed; boundary=b"
    body = (
        "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n见附件\r\n--b\r\n"
        'Content-Type: application/ms-tnef; name="winmail.dat"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
        "bm90IHRuZWY=\r\n--b--\r\n"
    )
    [part] = parse(_mail(headers, body)).attachments
    assert (part.filename, part.data) == ("winmail.dat", b"not tnef")


def test_a_boundary_is_only_taken_from_a_line_that_starts_a_part() -> None:
    body = "请重开发票。\r\n--John\r\nJohn Doe, ACME\r\n"  # a signature dash line, not a boundary
    assert parse(_mail("Subject: hi\r\nContent-Type: multipart/mixed", body)).text == body.strip().replace("\r\n", "\n")


def test_a_reply_by_message_id_needs_the_sender_on_the_ticket_or_our_own_address(email_on: Any, tenant: Any) -> None:
    from gongdan_email import ingest
    from gongdan_email.models import Mailbox

    box = Mailbox.create(tenant=tenant, address="support@acme.example", imap_host="127.0.0.1", username="support")

    def reply(sender: str, mid: str, extra: str = "") -> ingest.Result:
        headers = f"Subject: Re: 退款\r\nMessage-ID: <{mid}>\r\nIn-Reply-To: <first@qq.com>{extra}"
        return ingest.ingest(tenant, box, _mail(headers).replace(b"amy@gmail.com", sender.encode()))

    first = reply("amy@gmail.com", "first@qq.com")
    stranger, own = reply("evil@evil.example", "second@evil.example"), reply("support@acme.example", "third@acme")
    forged = reply("support@acme.example", "fourth@acme", "\r\nAuthentication-Results: mx.acme.example; dmarc=fail")
    assert (first.outcome, own.outcome, own.ticket_id) == ("ticket", "comment", first.ticket_id)
    assert (stranger.outcome, forged.outcome) == ("ticket", "ticket")
    assert first.ticket_id not in (stranger.ticket_id, forged.ticket_id)
    [note] = Comment.select().where((Comment.ticket == stranger.ticket_id) & (Comment.internal == True))  # noqa: E712
    assert f"#{Ticket.get_by_id(first.ticket_id).number}" in note.body
