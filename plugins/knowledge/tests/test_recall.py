"""Recall for buyers' own phrasings: traditional characters, English words, one-character typos,
and the migration that re-cuts articles written in traditional characters."""

from __future__ import annotations

from typing import Any

import pytest
from gongdan_knowledge import index


def _titles(kb: Any, q: str) -> list[str]:
    return [i["title"] for i in kb.get("/api/v1/kb/search", query_string={"q": q}).get_json()["items"]]


@pytest.fixture
def shop(publish: Any) -> dict[str, int]:
    articles = {
        "蓝牙耳机连接不上手机": "把耳机放回充电盒长按按键恢复出厂设置，在手机蓝牙列表删除旧设备后重新配对。",
        "连不上无线网络怎么办": "在无线网络列表中忽略该网络后重新输入密码，并重启路由器。",
        "充不进电或充电很慢": "请使用原装充电器和数据线，检查充电口是否有灰尘。",
        "退货运费谁出": "质量问题退货运费由商家承担，七天无理由退货运费由买家承担。",
    }
    return {title: publish(title, body) for title, body in articles.items()}


def test_traditional_characters_find_simplified_articles(kb: Any, shop: dict[str, int]) -> None:
    assert _titles(kb, "藍牙耳機連不上")[:1] == ["蓝牙耳机连接不上手机"]
    assert _titles(kb, "退貨運費誰出")[:1] == ["退货运费谁出"]


def test_english_words_buyers_mix_in_find_chinese_articles(kb: Any, shop: dict[str, int]) -> None:
    assert _titles(kb, "WIFI连不上")[:1] == ["连不上无线网络怎么办"]
    assert _titles(kb, "bluetooth earphone connect不了")[:1] == ["蓝牙耳机连接不上手机"]


def test_a_one_character_typo_is_repaired(kb: Any, shop: dict[str, int]) -> None:
    assert _titles(kb, "充不近电")[:1] == ["充不进电或充电很慢"]


def test_a_repair_changes_one_character_and_none_a_known_neighbour_confirms() -> None:
    assert index._fits("尺马", "尺码", set())  # one character changed
    assert not index._fits("单上", "但商", set())  # both changed: not a typo
    assert not index._fits("以退", "意退", {0})  # 以 is confirmed by the known 可以 before it
    assert index._fits("以退", "以腿", {0})


def test_seam_bigrams_count_half(kb: Any, publish: Any, tenant: Any) -> None:
    publish("运费谁出", "商品寄出了以后，运费由买家承担。")
    publish("发票怎么开", "确认收货后在订单详情申请电子发票。")
    query = index.prepare(tenant, "运费谁出了", synonyms=False)
    weights = {t: c for g in query.groups for a in g.alternatives for t, c in a.items()}
    assert index.is_noise("出了")
    assert not index.is_noise("谁出")
    # both in one article of two: the same idf, but the bigram across the seam counts half
    assert weights["出了"] == pytest.approx(weights["谁出"] * index.SEAM_WEIGHT, abs=1e-3)


def test_the_migration_recuts_articles_in_traditional_characters(kb: Any, publish: Any, tenant: Any) -> None:
    from gongdan_knowledge.models import Article, Posting

    old = publish("退貨運費誰出", "質量問題退貨運費由商家承擔。")
    plain = publish("发票怎么开", "确认收货后在订单详情申请电子发票。")
    # as the index of schema 1 held it: the raw traditional text, cut without folding
    Posting.delete().where(Posting.article == old).execute()
    assert "退貨運費誰出" not in _titles(kb, "退货运费")
    assert index.reindex_traditional() == 1  # the simplified article is left alone
    assert _titles(kb, "退货运费")[:1] == ["退貨運費誰出"]
    assert Posting.select().where(Posting.article == plain).count() > 0
    assert Article.get_by_id(old).title == "退貨運費誰出"  # the text itself is kept as written


def test_never_empty_when_only_common_terms_share_a_character(
    kb: Any, publish: Any, enable_plugin: Any, tenant: Any
) -> None:
    enable_plugin("knowledge", settings={"builtin_synonyms": False})
    for title in ("退款到账时间", "退款申请被驳回", "退款运费规则"):
        publish(title, "按平台规则处理。")
    # 退 is only in 退款, held by every article: the usual partial query (terms below 40% of the
    # articles) finds nothing, the last resort lets every term in
    assert index.partial(tenant, "退了").groups == []
    found = kb.get("/api/v1/kb/search", query_string={"q": "退了"}).get_json()["items"]
    assert len(found) == 3
    assert {i["match"] for i in found} == {"partial"}
