"""The fast paths of search read the same as the slow ones they replaced: the thesaurus' words at
each place of a question, the snippets' marks."""

from __future__ import annotations

from typing import Any

from gongdan_knowledge import thesaurus
from gongdan_knowledge.text import highlight, snippet

from gongdan.actors import Actor


def test_the_thesaurus_takes_the_longest_word_at_each_place(kb: Any, tenant: Any, enable_plugin: Any) -> None:
    """Han words and numbers anywhere, the longest at each place (券 inside 满减券 adds nothing),
    English words as whole words, hyphenated ones with a space: all in one question."""
    enable_plugin("knowledge", settings={"builtin_synonyms": False})
    groups = [["满减券", "优惠券"], ["券", "代金券"], ["refund", "退款"], ["top-up", "充值"], ["618", "年中大促"]]
    thesaurus.replace(tenant, [thesaurus.group(g) for g in groups], Actor.system("test"))
    found = thesaurus.expansions_by_trigger(tenant, "满减券refunded了吗，top up 618")
    assert found == {
        "满减券": {"优惠券": 0.8},
        "refund": {"退款": 0.8},
        "top-up": {"充值": 0.8},
        "618": {"年中大促": 0.8},
    }
    assert thesaurus.expansions_by_trigger(tenant, "一张券") == {"券": {"代金券": 0.8}}
    assert thesaurus.expansions_by_trigger(tenant, "refundable laptop update 6180") == {"618": {"年中大促": 0.8}}


def test_snippets_mark_every_term_merging_overlaps() -> None:
    """Overlapping and neighbouring terms make one mark, the longest term at a place counts, case
    is ignored and the text is escaped."""
    wanted = {"退货", "货退", "运费", "运费险", "refund"}
    assert highlight("退货退款<运费险> Refunds", wanted) == (
        "<mark>退货退</mark>款&lt;<mark>运费险</mark>&gt; <mark>Refund</mark>s"
    )
    assert highlight("没有", wanted) == "没有"
    body = "开头" * 60 + "申请退货后运费险理赔" + "结尾" * 60
    shown = snippet(body, {"退货", "运费险"}, width=40)
    assert shown.startswith("…")
    assert shown.endswith("…")
    assert "<mark>退货</mark>后<mark>运费险</mark>" in shown


def test_typo_repair_reads_the_statistics_and_the_sounds_in_one_statement(
    kb: Any, publish: Any, tenant: Any, enable_plugin: Any, monkeypatch: Any
) -> None:
    """The terms' statistics and the known terms sounding like the question's loose bigrams come
    from one statement (they were two): 推款 is still repaired to 退款, `fapiao` to 发票."""
    from gongdan_knowledge import index

    from gongdan.db import db

    enable_plugin("knowledge", settings={"builtin_synonyms": False})
    publish("退款多久到账", "退款按原支付方式退回，三到七个工作日到账。")
    publish("怎么开发票", "确认收货后在订单详情申请电子发票。")
    ran: list[str] = []
    execute = db.obj.execute_sql
    monkeypatch.setattr(db.obj, "execute_sql", lambda sql, *args, **kw: ran.append(sql) or execute(sql, *args, **kw))
    for question, repaired in (("推款多久", {"推款": "退款"}), ("fapiao怎么开", {"fapiao": "发票"})):
        ran.clear()
        query = index.prepare(tenant, question)
        assert query.repaired == repaired
        looked_up = [sql for sql in ran if "kb_term_stat" in sql and " IN (" in sql]
        assert len(looked_up) == 1, looked_up
    assert [i["title"] for i in kb.get("/api/v1/kb/search", query_string={"q": "推款多久"}).get_json()["items"]][
        :1
    ] == ["退款多久到账"]
