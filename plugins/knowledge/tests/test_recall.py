"""Recall for buyers' own phrasings: traditional characters, English words, one-character typos,
shoppers' initials, chance word joins, and the migration that re-cuts articles written in
traditional characters."""

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


def test_more_english_words_of_after_sales(kb: Any, publish: Any) -> None:
    expired = publish("收到临期或过期商品", "请拍下生产日期联系客服，核实后退款。")
    publish("商品保存方法", "请放在阴凉干燥处保存。")
    assert [i["id"] for i in kb.get("/api/v1/kb/search", query_string={"q": "expired了"}).get_json()["items"]] == [
        expired
    ]


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


def test_the_migration_refolds_terms_kept_from_traditional_tickets(
    kb: Any, publish: Any, tenant: Any, make_user: Any, frozen_clock: Any
) -> None:
    from gongdan_knowledge import learning, refold, solved
    from gongdan_knowledge.models import Learned, SolvedTerm

    from gongdan import text as core_text
    from gongdan import tickets
    from gongdan.actors import Actor

    agent = Actor.of(make_user("agent")[0])
    target = publish("店铺活动说明", "活动期间满减以页面为准。")
    old, _ = tickets.create(tenant, {"subject": "退貨運費誰出"}, Actor.system("channel:api"))
    tickets.comment(tenant, old, "质量问题的运费由我们承担。", agent)
    tickets.transition(tenant, old, "resolved", agent)
    # as schema 2 kept them: the traditional subject cut without folding
    raw = [t for t, _ in core_text.terms("退貨運費誰出").most_common()]
    SolvedTerm.delete().where(SolvedTerm.ticket == old.id).execute()
    comment = solved.answer_of(old)
    SolvedTerm.insert_many(
        [{"tenant": tenant.id, "term": t, "ticket": old.id, "comment": comment.id} for t in raw]
    ).execute()
    Learned.insert_many([{"tenant": tenant.id, "term": t, "article": target, "weight": 3.0} for t in raw]).execute()
    learned_ticket, _ = tickets.create(tenant, {"subject": "退货运费"}, Actor.system("channel:api"))
    learning.learn(tenant, learned_ticket, target, amount=1.0)  # 退货 and 运费 also tied, simplified
    frozen_clock.advance(days=learning.HALF_LIFE_DAYS)
    asking, _ = tickets.create(tenant, {"subject": "退货运费谁出"}, Actor.system("channel:api"))
    assert solved.similar(tenant, asking) == []
    before = learning.boosts(tenant, "退货运费谁出").get(target, 0.0)

    done = refold.refold()

    assert (done.solved_tickets, done.learned_ties, done.learned_merged) == (1, len(raw), 3)
    assert [i["ticket_id"] for i in solved.similar(tenant, asking)] == [old.id]
    terms = {t for (t,) in Learned.select(Learned.term).where(Learned.article == target).tuples()}
    assert terms == {"退货", "货运", "运费", "费谁", "谁出"}
    # 退货 (1.0) and the folded 退貨 (3.0), both tied at the start: 4.0, one half-life ago → 2.0
    merged = Learned.get((Learned.article == target) & (Learned.term == "退货"))
    assert learning._decayed(merged.weight, merged.updated_at, frozen_clock.now()) == pytest.approx(2.0, abs=1e-3)
    assert learning.boosts(tenant, "退货运费谁出")[target] > before
    again = refold.refold()
    assert (again.solved_tickets, again.learned_ties) == (0, 0)


def test_pinyin_typed_in_latin_letters_finds_the_han_words(kb: Any, shop: dict[str, int], tenant: Any) -> None:
    from gongdan_knowledge.text import latin_pinyin_keys

    assert latin_pinyin_keys("yunfei") == ("yun fei",)
    assert latin_pinyin_keys("zhiniaoku") == ("zhi niao", "niao ku")
    assert latin_pinyin_keys("refund") == latin_pinyin_keys("pump") == latin_pinyin_keys("ma") == ()
    assert _titles(kb, "yunfei")[:1] == ["退货运费谁出"]
    assert index.prepare(tenant, "yunfei").repaired == {"yunfei": "运费"}


def test_a_negation_stands_for_another(kb: Any, publish: Any, tenant: Any) -> None:
    unopened = publish("未拆封可以退吗", "商品未拆封、吊牌完好的，签收七天内可以退货。")
    publish("拆封后的处理", "已经拆封使用的商品，请联系客服。")
    assert index.negation_variants("没拆") == ["不拆", "未拆", "无拆", "非拆", "别拆"]
    assert index.prepare(tenant, "没拆过的能退吗", synonyms=False).repaired == {"没拆": "未拆"}
    found = kb.get("/api/v1/kb/search", query_string={"q": "没拆过的能退吗"}).get_json()["items"]
    assert found[0]["id"] == unopened
    publish("不拆包装能验货吗", "可以隔着包装检查外观。")
    # every known variant joins one group, where an article's best counts
    groups = [[list(a) for a in g.alternatives] for g in index.prepare(tenant, "没拆", synonyms=False).groups]
    assert groups == [[["不拆"], ["未拆"]]]


def test_bigrams_that_only_ask_are_left_out(kb: Any, publish: Any, tenant: Any) -> None:
    publish("收货地址写错了怎么办", "未发货的订单可以在订单详情修改地址。")
    assert index.is_question("了怎")
    assert not index.is_question("么改")
    kept = {t for g in index.prepare(tenant, "地址写错了怎么改", synonyms=False).groups for t in g.alternatives[0]}
    assert "了怎" not in kept
    assert {"地址", "写错"} <= kept


def test_numbers_and_question_words_alone_fall_back_to_characters(kb: Any, publish: Any, tenant: Any) -> None:
    weight = publish("重量不足怎么处理", "如称重后明显不足，请拍摄称重照片申请售后。")
    publish("发货时间", "下单后48小时内发货，5天内送达。")
    assert [index.is_noise(t) for t in ("5", "怎么", "称重")] == [True, True, False]
    query = index.prepare(tenant, "怎么说好5天", synonyms=False)
    assert [list(g.alternatives[0]) for g in query.groups] == [["5"]]  # the number alone matched
    assert not query.telling
    # 称 of the question is in 称重: the character search runs although the strict one found the number
    found = kb.get("/api/v1/kb/search", query_string={"q": "说好5斤称了才4斤"}).get_json()["items"]
    assert found[0]["id"] == weight


def test_the_character_map_follows_new_articles(kb: Any, publish: Any, tenant: Any) -> None:
    from gongdan_knowledge import charmap

    publish("发票怎么开", "确认收货后在订单详情申请电子发票。")
    assert index.partial(tenant, "榴莲").groups == []
    durian = publish("榴莲开口", "榴莲到货后常温放置，裂口后即可食用。")
    loose = index.partial(tenant, "榴梿")  # 梿 unknown; 榴 is in 榴莲, known since the last article
    assert [list(a) for g in loose.groups for a in g.alternatives] == [["榴莲"]]
    assert kb.get("/api/v1/kb/search", query_string={"q": "榴梿"}).get_json()["items"][0]["id"] == durian
    # a large vocabulary is not read again for every new article, only after MIN_SECONDS
    big = charmap.CharMap(doc_count=5, built=100.0, size=charmap.SMALL + 1, by_char={})
    assert charmap._fresh(big, 6, 100.0 + charmap.MIN_SECONDS / 2)
    assert not charmap._fresh(big, 6, 100.0 + charmap.MIN_SECONDS)
    assert charmap._fresh(big, 5, 100.0 + charmap.REFRESH_SECONDS / 2)
    assert not charmap._fresh(big, 5, 100.0 + charmap.REFRESH_SECONDS)


def test_dialect_and_internet_spellings_read_as_mandarin(kb: Any, publish: Any) -> None:
    from gongdan_knowledge.text import colloquial

    assert colloquial("冇收到货，肿么办") == "没收到货，怎么办"
    assert colloquial("两单可以一起寄伐") == "两单可以一起寄吗"
    assert colloquial("砍伐") == "砍伐"
    assert colloquial("宝子们，这个三岁娃能玩不") == "，这个三岁娃能玩不"  # an address, no 支付宝
    publish("意见反馈", "对我们的服务有意见，请在评价中告诉我们。")
    lost = publish("包裹不见了怎么办", "请先询问家人、邻居和快递柜，仍未找到请联系客服。")
    # 唔见咗 → 不见了: 不见 is a word of the articles (read as written, only 见 would match, partially)
    found = kb.get("/api/v1/kb/search", query_string={"q": "唔见咗"}).get_json()["items"]
    assert [(i["id"], i["match"]) for i in found] == [(lost, "full")]


def test_shoppers_initials_read_as_words(kb: Any, publish: Any) -> None:
    from gongdan_knowledge.text import colloquial

    assert colloquial("tk多久到") == "退款多久到"
    assert colloquial("没用过能TH吗") == "没用过能退货吗"
    assert colloquial("with bluetooth, thk") == "with bluetooth, 退货退款"  # never inside a word
    assert colloquial("fp怎么开") == "发票怎么开"
    refund = publish("退款多久到账", "商家同意后，款项按原支付方式退回，银行卡三到七个工作日。")
    publish("发货时间", "下单后48小时内发货。")
    found = kb.get("/api/v1/kb/search", query_string={"q": "tk几天"}).get_json()["items"]
    assert [(i["id"], i["match"]) for i in found[:1]] == [(refund, "full")]


def test_a_bigram_joining_two_words_by_chance_counts_half(kb: Any, publish: Any, tenant: Any) -> None:
    # 退款 and 申请 are in every article, 款申 (of 仅退款申请) in one: it joins two words, not a phrase
    for n in range(4):
        publish(f"退款说明{n}", f"退款流程第{n}步：提交申请后等待审核，审核后款项原路返回。")
    publish("仅退款申请条件", "未发货的订单可以提交仅退款申请，无需退回商品。")
    query = index.prepare(tenant, "退款申请了一周", synonyms=False)
    weights = {t: c for g in query.groups for a in g.alternatives for t, c in a.items()}
    assert "款申" in index._rare_joins("退款申请", {"退款": 5, "款申": 1, "申请": 5})
    assert "天无" not in index._rare_joins("七天无理由", {"七天": 5, "天无": 4, "无理": 4})  # a phrase
    assert weights["款申"] == pytest.approx(index._idf(5, 1) * index.SEAM_WEIGHT, abs=1e-3)
