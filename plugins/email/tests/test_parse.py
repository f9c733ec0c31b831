"""The parser on the corpus (both parts) and on the awkward cases one by one."""

from __future__ import annotations

import pytest
from gongdan_email import corpus
from gongdan_email.charsets import decode_bytes, decode_header
from gongdan_email.parse import UnparseableMessage, dedup_key, parse
from gongdan_email.quotes import strip_reply

TUNING = corpus.cases("tuning")
HELDOUT = corpus.cases("heldout")


@pytest.mark.parametrize("case", TUNING, ids=[c.file for c in TUNING])
def test_tuning_corpus(case: corpus.Case) -> None:
    assert corpus.parse_problems(case) == []


@pytest.mark.parametrize("case", HELDOUT, ids=[c.file for c in HELDOUT])
def test_heldout_corpus(case: corpus.Case) -> None:
    assert corpus.parse_problems(case) == []


def test_declared_gb2312_is_read_as_gb18030() -> None:
    text = "啰嗦镕"  # GBK only, not GB2312
    assert decode_bytes(text.encode("gbk"), "gb2312") == text
    assert decode_header("=?gb2312?B?" + __import__("base64").b64encode(text.encode("gbk")).decode() + "?=") == text


def test_undeclared_bytes_fall_back_from_utf8_to_gb18030() -> None:
    assert decode_bytes("你好".encode()) == "你好"
    assert decode_bytes("你好".encode("gb18030")) == "你好"


def test_encoded_words_split_inside_a_character_and_glued_to_text() -> None:
    import base64

    data = "退款".encode("gbk")
    first, second = base64.b64encode(data[:1]).decode(), base64.b64encode(data[1:]).decode()
    assert decode_header(f"Re:=?gbk?B?{first}?= =?gbk?B?{second}?=") == "Re:退款"


def test_encoded_word_without_padding_and_in_q_form() -> None:
    assert decode_header("=?utf-8?B?5L2g5aW9?=") == "你好"
    assert decode_header("=?utf-8?B?5L2g5aW9") == "=?utf-8?B?5L2g5aW9"  # not a word: left as text
    assert decode_header("=?utf-8?Q?=E4=BD=A0_=E5=A5=BD?=") == "你 好"


def test_raw_8bit_gbk_subject_is_recovered() -> None:
    raw = b"From: a@example.com\r\nSubject: " + "退货申请".encode("gbk") + b"\r\n\r\nbody\r\n"
    assert parse(raw).subject == "退货申请"


def test_unparseable_messages_say_why() -> None:
    with pytest.raises(UnparseableMessage, match="empty"):
        parse(b"")
    with pytest.raises(UnparseableMessage, match="sender"):
        parse(b"Subject: hi\r\n\r\nno from\r\n")


def test_dedup_key_is_the_message_id_or_a_hash() -> None:
    assert dedup_key("abc@x", b"...") == "abc@x"
    assert dedup_key(None, b"one") != dedup_key(None, b"two")
    assert dedup_key(None, b"one").startswith("sha256:")


@pytest.mark.parametrize(
    ("text", "kept", "gone"),
    [
        ("ok\n\n-- \nJohn Doe\nACME", "ok", "ACME"),
        ("好的\n\n发自我的iPhone", "好的", "iPhone"),
        ("thanks\n\n> old\n> older\n", "thanks", "old"),
        ("yes\n\nFrom: A\nSent: today\nTo: B\nSubject: x\n\nold text", "yes", "old text"),
        ("收到\n\n发件人: A\n发送时间: 今天\n\n旧内容", "收到", "旧内容"),
        ("> only a quote\n> nothing new\n", "only a quote", ""),
    ],
)
def test_strip_reply(text: str, kept: str, gone: str) -> None:
    reply = strip_reply(text)
    assert kept in reply
    if gone:
        assert gone not in reply
