"""Knowledge plugin benchmark: search quality, suggestion quality, indexing rate, search latency.

    .venv/bin/python -m bench.knowledge                     # 20,000 articles
    .venv/bin/python -m bench.knowledge --articles 100000   # the figure the issue asks for

Quality (recall@1, recall@3, MRR, zero-result rate, and how many empty answers share a content
word with their article: the target is none) is measured on these sets: the bundled
corpus (301 articles) with its 525 labelled buyer questions split by a fixed seed into a
development part (70%) and a held-out part (30%) never tuned on, a general after-sales corpus
(24 articles, 72 questions; development), a digital-electronics shop (24 articles, 96 questions
in colloquial, mistyped, English-mixed, traditional and full-width phrasings; development), a
fresh-food shop (30 articles, 100 questions; held out), a beauty shop (20 articles, 60
questions; held out), 125 new phrasings over those two corpora (development), a baby-products
shop (30 articles, 104 questions; held out), a home-appliances shop (24 articles, 77
questions; development), a clothing-and-shoes shop (26 articles, 86 questions in colloquial,
short, mistyped, pinyin, slang such as tk/th, traditional and English phrasings; held out,
written before the fourth round of tuning, no split and no seed: every question is held out),
and for that round's tuning 76 slang phrasings over the after-sales corpus, a second general
after-sales corpus in another merchant's words (24 articles, 72 + 72 phrasings) and a
kitchen shop (20 articles, 60 phrasings), all development; a pet-supplies shop (26 articles, 100
phrasings; held out, written before the fifth round), and for that round's tuning a second
clothing-and-shoe shop (21 articles, 68 phrasings) and a cross-domain intents set (16 articles,
66 phrasings), both development, and a furniture-and-home-textile shop (20 articles, 60
phrasings; development, written mid-round) and a jewellery shop (18 articles, 54 phrasings;
development, written after it); for the seventh round a mobile-phone shop and an outdoor-gear
shop (24 articles, 96 phrasings each) and 72 indirect phrasings over the second general corpus
(development), and held out, written blind by a separate engineer, a merchant's after-sales
help centre and a car-accessories shop (24 articles, 100 phrasings each), development from the
eighth round; held out, written blind in the eighth round, a third merchant's after-sales centre
(24 articles, 100 phrasings) and a snacks shop (20 articles, 80 phrasings); development, written
blind in the eighth round before reading the plugin, a home-decoration and building-materials shop
(21 articles, 94 phrasings) and a digital-goods and recharge shop (20 articles, 84 phrasings);
development, written blind in the ninth round before any tuning and committed before their first
reading, a Pinduoduo after-sales centre (25 articles, 100 phrasings), a snack-food shop (22
articles, 88) and a pet-supplies shop (22 articles, 88), and, written once the first two were tuned
on, before their own first reading, 73 and 66 indirect phrasings over those two corpora, 45
English (and pinyin) phrasings over the three and 95 terse ones (short, angry, typos, pinyin);
development, written blind in the tenth round, an eyewear shop, a liquor-and-tea shop and a
books-and-stationery shop (24–25 articles, 100 phrasings each, 40% of them indirect), then
in seven more batches, each written after the tuning on the one before, a self-operated store,
a small marketplace shop, an orchard fruit shop, a cross-border import shop, an accessories
shop, a live-stream shop, a flowers shop, a grain-and-oil shop, a home-fitness shop, a
supplements shop, a brand flagship store, a luggage shop, a household-goods shop and an
instruments shop (24–25 articles, 110–120 phrasings each, half indirect) and indirect phrasings
over eight earlier corpora; held out, written blind in the same round, a toys shop and a
home-textiles shop (24 articles, 100 phrasings each); in the eleventh and twelfth rounds, 48 more
blind sets (24 articles, 100 phrasings each), 14 of them held out, among them general after-sales
centres in the words of Tmall, Pinduoduo, Douyin, WeChat, JD, Kuaishou and Xiaohongshu shops and
services (tickets, courses, a garage, repairs, moving, a salon, show ticketing, home cleaning); in
the thirteenth round, six more general after-sales centres (Vipshop, a flash-delivery store; held out,
Suning, a Taobao women's-clothing shop, a Dewu sneaker seller, a 1688 wholesale supplier); in the
fourteenth round, English phrasings over ten general centres (26–40 each; held out, written blind
over Kuaishou, Xiaohongshu, Suning and Dewu); in the fifteenth round, English phrasings over 19
more general centres and questions dictated to voice input over nine (40 each, written blind;
held out: English over JD, a marketplace merchant and after-sales centre 3, voice input over
Kuaishou, Xiaohongshu and Suning); in the sixteenth round, six development shops (local-life
vouchers, theme-park tickets, building-blocks toys, cosmetics, computer parts, wallpaper, then
pet care, home cleaning, escape rooms, concert tickets; 100 questions each, written blind), each
registered below with its role; all in
bench/data and each written before the tuning it was used for.
`--sets WORD…` ranks only the sets whose name holds a word.
`--misses` prints what search misses on the development sets.
Each is ranked by the plain LIKE baseline, by the previous strict search (no synonyms, no
partial matching) and by search now.
Ticket suggestions are measured on the bundled questions (one ticket per question). Latency is measured on
a tenant of `--articles` articles made from the corpus with varied products, models and
sentences, querying with the buyer questions. The baseline, measured in the same run on the
same tenant, is the plain `LIKE '%words%'` query over title and body that helpdesks without
search run (django-helpdesk). PostgreSQL runs too when GONGDAN_BENCH_PG_URL is set (its
knowledge tables are emptied). Prints figures; never passes or fails on time.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from gongdan_knowledge import index, suggestions
from gongdan_knowledge.corpus import bundled, import_records
from gongdan_knowledge.evaluation import evaluate, split
from gongdan_knowledge.models import MODELS, Article, Posting
from gongdan_knowledge.search import local_hits
from gongdan_knowledge.text import terms

from bench import common
from gongdan import accounts, clock, tickets
from gongdan.actors import Actor
from gongdan.db import db, is_postgres, open_database
from gongdan.models import Tenant
from gongdan.plugins import get_host
from gongdan.schema import upgrade

BRANDS = [
    "云朵",
    "北极",
    "初见",
    "森屿",
    "暖阳",
    "简约",
    "潮流",
    "经典",
    "轻羽",
    "星河",
    "悦享",
    "优选",
    "臻品",
    "小鹿",
    "青柠",
    "蓝鲸",
    "花间",
    "木棉",
    "晨曦",
    "极光",
]
EXTRA = [
    "本店所有商品均由品牌直供，支持官方验证。",
    "活动期间咨询量较大，回复可能稍慢，请耐心等待。",
    "大促期间发货时效顺延，以订单页面显示为准。",
    "如需加急处理，请在留言中注明订单号和手机号后四位。",
    "收到商品后请先检查外包装，再当面签收。",
    "会员可享受优先售后通道。",
    "部分地区因天气原因配送可能延迟。",
    "详细规则以平台最新公告为准。",
]


DATA = Path(__file__).parent / "data"


def _jsonl(name: str) -> list[dict]:
    return [json.loads(line) for line in (DATA / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def evaluation_sets() -> list[tuple[str, str, list[dict], list[dict]]]:
    """`(name, role, corpus, questions)`: the bundled questions split into development and held
    out (`evaluation.split`), and the corpora written before each round of tuning, each with
    its role: development sets may be tuned on, held-out ones never."""
    development, held_out = split(bundled("questions.jsonl"))
    corpus = bundled("corpus.jsonl")
    sets = [("bundled 301 articles", "development", corpus, development)]
    sets.append(("bundled 301 articles", "held out", corpus, held_out))
    for name, role, stem, questions in (
        ("after-sales 24 articles", "development", "knowledge-aftersales", "knowledge-aftersales"),
        ("digital shop 24 articles", "development", "knowledge-digital", "knowledge-digital"),
        ("fresh-food shop 30 articles", "held out", "knowledge-fresh", "knowledge-fresh"),
        ("beauty shop 20 articles", "held out", "knowledge-beauty", "knowledge-beauty"),
        # new phrasings over the same two corpora, written before the third round of tuning
        ("fresh-food shop, new phrasings", "development", "knowledge-fresh", "knowledge-fresh-dev"),
        ("beauty shop, new phrasings", "development", "knowledge-beauty", "knowledge-beauty-dev"),
        # a third domain written at the same time, never tuned on
        ("baby shop 30 articles", "held out", "knowledge-baby", "knowledge-baby"),
        # home appliances, written during the third round, after the figures above were read once
        ("home appliances 24 articles", "development", "knowledge-home", "knowledge-home"),
        # clothing and shoes, written in one sitting before the fourth round of tuning and read
        # only at its end: the closest estimate of an independent trial
        ("apparel shop 26 articles", "held out", "knowledge-apparel", "knowledge-apparel"),
        # slang, pinyin and colloquial phrasings over the after-sales corpus, written with the
        # set above, before the fourth round of tuning, to tune that round on
        ("after-sales, slang phrasings", "development", "knowledge-aftersales", "knowledge-aftersales-slang"),
        # a second general after-sales corpus in another merchant's words (出库, 承运商, 价保),
        # written during the fourth round, before its figures were read
        ("general after-sales 24 articles", "development", "knowledge-general", "knowledge-general"),
        ("general after-sales, new phrasings", "development", "knowledge-general", "knowledge-general-dev"),
        ("kitchen shop 20 articles", "development", "knowledge-kitchen", "knowledge-kitchen"),
        # sportswear, written after the apparel set's figures were read once (never its
        # misses), to tune clothing-and-shoe words on: the apparel set is weakened from here
        ("sportswear shop 15 articles", "development", "knowledge-sportswear", "knowledge-sportswear"),
        # a pet-supplies shop (26 articles, 100 phrasings), written and committed in one sitting
        # before the fifth round changed anything: held out, no pet word goes into the thesaurus
        ("pet-supplies shop 26 articles", "held out", "knowledge-pet", "knowledge-pet"),
        # written after it, before the fifth round's tuning, to tune on: a second clothing-and-shoe
        # shop in its own words (起球, 钻绒, 开胶, 张嘴, 开线, 色差) and a cross-domain set of
        # intents (cancel before shipping, intercept, return, exchange, refund progress, logistics
        # stuck, price protection, invoice)
        ("clothing-and-shoes shop 21 articles", "development", "knowledge-clothing2", "knowledge-clothing2"),
        ("intents 16 articles", "development", "knowledge-intents", "knowledge-intents"),
        # furniture and home textiles, written mid-round after the two above were tuned on and
        # committed before its first reading (the search's figure for an unseen domain then)
        ("furniture shop 20 articles", "development", "knowledge-furniture", "knowledge-furniture"),
        # jewellery, written after the furniture set was tuned on, committed before its first reading
        ("jewellery shop 18 articles", "development", "knowledge-jewelry", "knowledge-jewelry"),
        # seventh round, written and committed before their first reading, to tune on: a mobile-phone
        # shop and an outdoor-gear shop (24 articles, 96 phrasings each), and 72 indirect phrasings
        # over the second general after-sales corpus (the buyer describes the situation, never names it)
        ("mobile-phone shop 24 articles", "development", "knowledge-phone", "knowledge-phone"),
        ("outdoor-gear shop 24 articles", "development", "knowledge-outdoor", "knowledge-outdoor"),
        ("general after-sales, indirect phrasings", "development", "knowledge-general", "knowledge-general-indirect"),
        # written blind by a separate engineer in the seventh round and read once at its end (0.85 and
        # 0.88 at 3): a merchant's after-sales help centre in its own words and a car-accessories shop
        # (记录仪, 降压线, 胎压, 雨刮, 解码), 100 buyer phrasings each; tuned on from the eighth round
        ("help-centre after-sales 24 articles", "development", "knowledge-helpcentre", "knowledge-helpcentre"),
        ("car-accessories shop 24 articles", "development", "knowledge-caraccessories", "knowledge-caraccessories"),
        # written blind in the eighth round by a separate engineer who never read the plugin, committed
        # before their first reading (read once before that round's tuning, once at its end): a third
        # merchant's after-sales centre (24 articles, 100 phrasings) and a snacks shop (20 articles, 80)
        ("after-sales centre 3, 24 articles", "held out", "knowledge-aftersales3", "knowledge-aftersales3"),
        ("snacks shop 20 articles", "held out", "knowledge-snacks", "knowledge-snacks"),
        # written blind in the eighth round before reading the plugin, committed before their first
        # reading, to tune on: a home-decoration and building-materials shop (瓷砖, 调色漆, 灯具,
        # 缺螺丝, 物流自提) and a digital-goods and recharge shop (话费未到账, 卡密, 自动续费, 虚拟商品退款)
        ("home-decoration shop 21 articles", "development", "knowledge-decor", "knowledge-decor"),
        ("recharge shop 20 articles", "development", "knowledge-recharge", "knowledge-recharge"),
        # written blind in the ninth round, before any tuning of that round and committed before their
        # first reading, to tune on, in the domains where held-out recall was weakest: a Pinduoduo
        # after-sales centre (仅退款, 驳回, 平台介入, 先用后付, 拼单), a snack-food shop (受潮, 胀袋, 哈喇味,
        # 异物, 冷链) and a pet-supplies shop (换粮, 挑食, 猫砂, 饮水机, 喂食器, 驱虫)
        ("Pinduoduo after-sales centre 25 articles", "development", "knowledge-pddcentre", "knowledge-pddcentre"),
        ("snack-food shop 22 articles", "development", "knowledge-snackfood", "knowledge-snackfood"),
        ("pet-supplies shop 2, 22 articles", "development", "knowledge-petgoods", "knowledge-petgoods"),
        # written in the ninth round after the three above were tuned on, committed before their first
        # reading: the buyer describes the situation and rarely names it (商家都同意了 余额里还是没有)
        ("Pinduoduo centre, indirect phrasings", "development", "knowledge-pddcentre", "knowledge-pddcentre-indirect"),
        ("snack-food shop, indirect phrasings", "development", "knowledge-snackfood", "knowledge-snackfood-indirect"),
        # and, written after step 2 of that round, committed before their first reading: buyers writing
        # in English (or pinyin) over the three ninth-round corpora (18, 16 and 11 phrasings)
        ("Pinduoduo centre, English phrasings", "development", "knowledge-pddcentre", "knowledge-pddcentre-english"),
        ("snack-food shop, English phrasings", "development", "knowledge-snackfood", "knowledge-snackfood-english"),
        ("pet-supplies shop 2, English phrasings", "development", "knowledge-petgoods", "knowledge-petgoods-english"),
        # and, written after step 4, committed before their first reading: terse phrasings (short, angry,
        # homophone typos, pinyin) over the same three corpora (39, 31 and 25)
        ("Pinduoduo centre, terse phrasings", "development", "knowledge-pddcentre", "knowledge-pddcentre-terse"),
        ("snack-food shop, terse phrasings", "development", "knowledge-snackfood", "knowledge-snackfood-terse"),
        ("pet-supplies shop 2, terse phrasings", "development", "knowledge-petgoods", "knowledge-petgoods-terse"),
        # written blind in the tenth round by an engineer who read neither the search nor the other sets,
        # committed (aefe75c) before their first reading: an eyewear shop (验光, 瞳距, 镀膜, 隐形眼镜), a
        # liquor-and-tea shop (防伪, 漏酒, 木塞, 受潮, 开封不退) and a books-and-stationery shop (缺页, 倒装,
        # 塑封, 套装少一本, 激活码); 40% indirect phrasings. Their first readings chose between two
        # prepared generic changes (misses not read); then tuned on like any development set
        ("eyewear shop 25 articles", "development", "knowledge-eyewear", "knowledge-eyewear"),
        ("liquor-and-tea shop 24 articles", "development", "knowledge-liquor", "knowledge-liquor"),
        ("books shop 24 articles", "development", "knowledge-books", "knowledge-books"),
        # written blind later in the tenth round (after its first changes), committed before their first
        # reading (c23e50f, 34a1ddf), to tune on: a self-operated store's after-sales centre in its own
        # words (售后服务单, 上门取件, 以换代修, 延保, 自提点; half the phrasings indirect), and phrasings
        # describing the situation over the help-centre and home-appliance corpora
        ("self-operated store after-sales 25 articles", "development", "knowledge-selfrun", "knowledge-selfrun"),
        ("help-centre, indirect phrasings", "development", "knowledge-helpcentre", "knowledge-helpcentre-indirect"),
        ("home appliances, indirect phrasings", "development", "knowledge-home", "knowledge-home-indirect"),
        # and, written blind after the tuning on those three, committed before their first reading
        # (0f3fc91, 0401273, 479f62c): a small marketplace clothing shop's FAQ in its owner's voice, an
        # orchard fruit shop selling on Pinduoduo, and indirect phrasings over the first after-sales
        # corpus and the intents corpus
        ("small marketplace shop 24 articles", "development", "knowledge-smallshop", "knowledge-smallshop"),
        ("orchard fruit shop 24 articles", "development", "knowledge-fruit", "knowledge-fruit"),
        ("after-sales, indirect phrasings", "development", "knowledge-aftersales", "knowledge-aftersales-indirect"),
        ("intents, indirect phrasings", "development", "knowledge-intents", "knowledge-intents-indirect"),
        # and, written blind after the tuning on those four, committed before their first reading
        # (efa4306 and the two below): indirect phrasings over the kitchen, furniture and second general
        # after-sales corpora, a cross-border import shop and a phone-and-computer accessories shop
        ("kitchen shop, indirect phrasings", "development", "knowledge-kitchen", "knowledge-kitchen-indirect"),
        ("furniture shop, indirect phrasings", "development", "knowledge-furniture", "knowledge-furniture-indirect"),
        ("general after-sales, indirect 2", "development", "knowledge-general", "knowledge-general-indirect2"),
        ("cross-border import shop 24 articles", "development", "knowledge-crossborder", "knowledge-crossborder"),
        ("accessories shop 24 articles", "development", "knowledge-accessories", "knowledge-accessories"),
        # and, written blind after the tuning on the two above, committed before their first reading
        # (1a5abb5, 76c62a3, 64050ed): a live-stream shop, a flowers-and-plants shop and a grain, oil and
        # dry-goods shop on Pinduoduo
        ("live-stream shop 24 articles", "development", "knowledge-livestream", "knowledge-livestream"),
        ("flowers-and-plants shop 24 articles", "development", "knowledge-flowers", "knowledge-flowers"),
        ("grain-and-oil shop 24 articles", "development", "knowledge-grocery", "knowledge-grocery"),
        # and, written blind after the tuning on those three, committed before their first reading
        # (ebfa4e6, 830af12, 524fa4e): a home-fitness shop, a health-supplements shop and a brand
        # flagship store's after-sales centre (mostly indirect)
        ("home-fitness shop 24 articles", "development", "knowledge-fitness", "knowledge-fitness"),
        ("supplements shop 24 articles", "development", "knowledge-supplements", "knowledge-supplements"),
        ("brand flagship store 24 articles", "development", "knowledge-brandstore", "knowledge-brandstore"),
        # and, written blind after the tuning on those three, committed before their first reading
        # (eaf46ea, abbc5e0, b1abbca): a luggage shop, a household daily-goods shop and a
        # musical-instruments shop; their first reading is the round's last unseen figure
        ("luggage shop 24 articles", "development", "knowledge-luggage", "knowledge-luggage"),
        ("household goods shop 24 articles", "development", "knowledge-household", "knowledge-household"),
        ("instruments shop 24 articles", "development", "knowledge-instruments", "knowledge-instruments"),
        # and, written blind after the tuning on those three, committed before their first reading
        # (b6deedd, 190b7b8): a department store's after-sales centre (mostly indirect) and indirect
        # phrasings over the self-operated store's and the Pinduoduo centre's corpora
        ("department store after-sales 24 articles", "development", "knowledge-mallcentre", "knowledge-mallcentre"),
        ("self-operated store, indirect phrasings", "development", "knowledge-selfrun", "knowledge-selfrun-indirect"),
        ("Pinduoduo centre, indirect 2", "development", "knowledge-pddcentre", "knowledge-pddcentre-indirect2"),
        # written blind in the tenth round after that round's changes, committed (349b27c) before their
        # first reading: held out, every question; read once at their commit and once at the end
        ("toys shop 24 articles", "held out", "knowledge-toys", "knowledge-toys"),
        ("home-textiles shop 24 articles", "held out", "knowledge-bedding", "knowledge-bedding"),
        # eleventh round: written blind by engineers who read neither the search nor any other set,
        # committed before their first reading, to tune on: a Pinduoduo seller's after-sales rules, an
        # electronics-and-home store's general after-sales FAQ (half indirect, like the independent
        # trial), and shops in the domains the held-out sets are weakest in (toys and stationery,
        # curtains and home textiles, nuts, snacks and pet food)
        ("Pinduoduo seller after-sales 24 articles", "development", "knowledge-pddseller", "knowledge-pddseller"),
        ("general after-sales 4, 24 articles", "development", "knowledge-aftersales4", "knowledge-aftersales4"),
        ("toys-and-stationery shop 24 articles", "development", "knowledge-toystationery", "knowledge-toystationery"),
        ("curtains shop 24 articles", "development", "knowledge-curtains", "knowledge-curtains"),
        ("nuts-and-pet-food shop 24 articles", "development", "knowledge-nutspet", "knowledge-nutspet"),
        # and written with them, committed before its first reading: held out, every question (a fashion
        # and beauty store's after-sales page); read once at its commit and once at the round's end
        ("fashion-and-beauty store 24 articles", "held out", "knowledge-fashionbeauty", "knowledge-fashionbeauty"),
        # and, written blind after the tuning on the five above, committed before their first reading:
        # a Douyin live-stream shop's after-sales rules, a community grocery-delivery service and a
        # womenswear shop, to tune on; and a consumer-electronics store's after-sales page, held out
        ("Douyin shop 24 articles", "development", "knowledge-douyinshop", "knowledge-douyinshop"),
        ("grocery delivery 24 articles", "development", "knowledge-grocerydelivery", "knowledge-grocerydelivery"),
        ("womenswear shop 24 articles", "development", "knowledge-womenswear", "knowledge-womenswear"),
        ("electronics store 24 articles", "held out", "knowledge-electronics3c", "knowledge-electronics3c"),
        # and, written blind after the tuning on the three above, committed before their first reading,
        # to tune on: an appliance brand's after-sales centre (70% indirect), a second-hand trading
        # platform's help centre and a food-takeaway platform's (60% indirect)
        (
            "appliance brand after-sales 24 articles",
            "development",
            "knowledge-appliancebrand",
            "knowledge-appliancebrand",
        ),
        ("second-hand platform 24 articles", "development", "knowledge-secondhand", "knowledge-secondhand"),
        ("takeaway platform 24 articles", "development", "knowledge-takeaway", "knowledge-takeaway"),
        # and, written blind after the tuning on the three above, committed before their first reading:
        # a Taobao general-merchandise shop's after-sales FAQ and a Pinduoduo fruit seller's, to tune
        # on, and a marketplace merchant's after-sales knowledge base, held out (the closest to the
        # issue's independent trial: a 24-article after-sales corpus in buyers' phrasings)
        ("Taobao general shop 24 articles", "development", "knowledge-taobaogeneral", "knowledge-taobaogeneral"),
        ("Pinduoduo fruit seller 24 articles", "development", "knowledge-pddfruit", "knowledge-pddfruit"),
        ("marketplace merchant 24 articles", "held out", "knowledge-marketplace", "knowledge-marketplace"),
        # and, written blind after the tuning on the two above, committed before their first reading, to
        # tune on: a lifestyle seller's after-sales (70% indirect) and shops in the domains of the
        # weaker held-out sets (skincare, shoes, pet supplies, bakery and snacks)
        ("after-sales 9, 24 articles", "development", "knowledge-aftersales9", "knowledge-aftersales9"),
        ("skincare shop 24 articles", "development", "knowledge-skincare", "knowledge-skincare"),
        ("shoe shop 24 articles", "development", "knowledge-shoes", "knowledge-shoes"),
        ("pet-supplies shop 3, 24 articles", "development", "knowledge-petsupplies3", "knowledge-petsupplies3"),
        ("bakery shop 24 articles", "development", "knowledge-bakery", "knowledge-bakery"),
        # and, written blind after the tuning on the five above, committed before their first reading,
        # to tune on: a third-party seller's general after-sales on JD and Tmall, a small-appliance
        # shop, a children's clothing shop and a bicycle shop
        ("after-sales 10, 24 articles", "development", "knowledge-aftersales10", "knowledge-aftersales10"),
        ("small-appliance shop 24 articles", "development", "knowledge-smallappliance", "knowledge-smallappliance"),
        ("children's clothing shop 24 articles", "development", "knowledge-kidsclothing", "knowledge-kidsclothing"),
        ("bicycle shop 24 articles", "development", "knowledge-bicycle", "knowledge-bicycle"),
        # written blind after the round's last change, committed before their first reading: held out,
        # every question — their first reading is the round's figure for shops nobody tuned on
        ("household-care store 24 articles", "held out", "knowledge-householdcare", "knowledge-householdcare"),
        ("home-decor store 24 articles", "held out", "knowledge-homedecor", "knowledge-homedecor"),
        ("sports-nutrition shop 24 articles", "held out", "knowledge-sportsnutrition", "knowledge-sportsnutrition"),
        # twelfth round, written blind by separate engineers before any change of the round, committed
        # before their first reading: a fishing-gear shop, a home-lighting shop, an online-courses shop
        # and a travel-tickets shop to tune on (the last two services, not goods), and held out, every
        # question, a watch shop, a home health-device shop and a wigs-and-hair-tools shop
        ("fishing-gear shop 24 articles", "development", "knowledge-fishing", "knowledge-fishing"),
        ("home-lighting shop 24 articles", "development", "knowledge-lighting", "knowledge-lighting"),
        ("online-courses shop 24 articles", "development", "knowledge-courses", "knowledge-courses"),
        ("travel-tickets shop 24 articles", "development", "knowledge-travel", "knowledge-travel"),
        ("watch shop 24 articles", "held out", "knowledge-watches", "knowledge-watches"),
        ("health-device shop 24 articles", "held out", "knowledge-healthdevices", "knowledge-healthdevices"),
        ("wigs-and-hair-tools shop 24 articles", "held out", "knowledge-wigs", "knowledge-wigs"),
        # and, written blind after the tuning on the four above, committed before their first reading:
        # a car-maintenance service redeemed at partner garages to tune on, and held out, every question,
        # a show-ticketing shop and a home-cleaning service (services, the weakest domain at first reading)
        ("car-maintenance service 24 articles", "development", "knowledge-carservice", "knowledge-carservice"),
        ("show-ticketing shop 24 articles", "held out", "knowledge-showtickets", "knowledge-showtickets"),
        ("home-cleaning service 24 articles", "held out", "knowledge-homeservice", "knowledge-homeservice"),
        # and, written blind after the tuning on the car-maintenance service, committed before their
        # first reading, to tune on: four general after-sales centres in four platforms' words (a Tmall
        # home flagship, a Pinduoduo multi-category merchant, a Douyin store, a WeChat mini-program
        # mall; 24 articles, 100 phrasings each, 60 of them indirect), the kind of corpus the issue's
        # independent trial used
        ("Tmall home flagship after-sales 24 articles", "development", "knowledge-tmallhome", "knowledge-tmallhome"),
        ("Pinduoduo multi-category after-sales 24 articles", "development", "knowledge-pddmulti", "knowledge-pddmulti"),
        ("Douyin store after-sales 24 articles", "development", "knowledge-douyinstore", "knowledge-douyinstore"),
        ("WeChat mall after-sales 24 articles", "development", "knowledge-wechatmall", "knowledge-wechatmall"),
        # held out, every question: three more general after-sales centres written blind while the round
        # tuned on the four above (a JD third-party merchant, a Kuaishou store, a Xiaohongshu store; 60%
        # indirect), committed before their first reading and read once, after the round's last change
        ("JD third-party merchant after-sales 24 articles", "held out", "knowledge-jdpop", "knowledge-jdpop"),
        ("Kuaishou store after-sales 24 articles", "held out", "knowledge-kuaishou", "knowledge-kuaishou"),
        ("Xiaohongshu store after-sales 24 articles", "held out", "knowledge-xiaohongshu", "knowledge-xiaohongshu"),
        # and, written blind after the held-out centres' reading, committed before their first reading,
        # to tune on: three services booked or redeemed at home or in a shop (appliance repair, moving,
        # a salon and photo studio), the domain the held-out service sets read lowest in
        ("appliance-repair service 24 articles", "development", "knowledge-repairservice", "knowledge-repairservice"),
        ("moving service 24 articles", "development", "knowledge-moving", "knowledge-moving"),
        ("salon and photo studio 24 articles", "development", "knowledge-salon", "knowledge-salon"),
        # thirteenth round, written blind by separate engineers and committed before their first reading:
        # four more general after-sales centres (60% indirect), the kind of corpus the independent
        # trial used — to tune on, a Vipshop discount merchant and a Meituan flash-delivery store; held
        # out, every question, a Suning appliance retailer and a small Taobao women's-clothing shop
        ("Vipshop merchant after-sales 24 articles", "development", "knowledge-vipshop", "knowledge-vipshop"),
        (
            "flash-delivery store after-sales 24 articles",
            "development",
            "knowledge-flashdelivery",
            "knowledge-flashdelivery",
        ),
        ("Suning appliance retailer after-sales 24 articles", "held out", "knowledge-suning", "knowledge-suning"),
        (
            "Taobao women's-clothing shop after-sales 24 articles",
            "held out",
            "knowledge-taobaowomen",
            "knowledge-taobaowomen",
        ),
        # and, written blind while the round tuned on the Vipshop and flash-delivery centres, committed
        # before their first reading and read once, after the round's last change: a Dewu sneaker seller
        # and a 1688 wholesale supplier (bulk buyers), both general after-sales, held out, every question
        ("Dewu sneaker seller after-sales 24 articles", "held out", "knowledge-dewu", "knowledge-dewu"),
        (
            "1688 wholesale supplier after-sales 24 articles",
            "held out",
            "knowledge-wholesale1688",
            "knowledge-wholesale1688",
        ),
        # fourteenth round: buyers writing English to two general after-sales centres, to tune on; the
        # Douyin store's 26 written before any of that round's English words and read first at 21 of 26
        ("Vipshop merchant, English phrasings", "development", "knowledge-vipshop", "knowledge-vipshop-english"),
        ("Douyin store, English phrasings", "development", "knowledge-douyinstore", "knowledge-douyinstore-english"),
        # written blind the same way (below) over two development general centres, to tune on
        ("Tmall home flagship, English phrasings", "development", "knowledge-tmallhome", "knowledge-tmallhome-english"),
        (
            "Pinduoduo multi-category, English phrasings",
            "development",
            "knowledge-pddmulti",
            "knowledge-pddmulti-english",
        ),
        ("WeChat mall, English phrasings", "development", "knowledge-wechatmall", "knowledge-wechatmall-english"),
        ("department store, English phrasings", "development", "knowledge-mallcentre", "knowledge-mallcentre-english"),
        # and held out, written blind by separate engineers who read only the corpus (40 English
        # phrasings over each of four held-out general centres), committed before their first reading
        ("Kuaishou store, English phrasings", "held out", "knowledge-kuaishou", "knowledge-kuaishou-english"),
        ("Xiaohongshu store, English phrasings", "held out", "knowledge-xiaohongshu", "knowledge-xiaohongshu-english"),
        ("Suning appliance retailer, English phrasings", "held out", "knowledge-suning", "knowledge-suning-english"),
        ("Dewu sneaker seller, English phrasings", "held out", "knowledge-dewu", "knowledge-dewu-english"),
        # fifteenth round: 40 English phrasings over each of eight development general centres, written
        # blind by separate engineers who read only the corpus, to tune on
        ("after-sales, English phrasings", "development", "knowledge-aftersales", "knowledge-aftersales-english"),
        (
            "general after-sales 4, English phrasings",
            "development",
            "knowledge-aftersales4",
            "knowledge-aftersales4-english",
        ),
        ("after-sales 9, English phrasings", "development", "knowledge-aftersales9", "knowledge-aftersales9-english"),
        (
            "after-sales 10, English phrasings",
            "development",
            "knowledge-aftersales10",
            "knowledge-aftersales10-english",
        ),
        (
            "help-centre after-sales, English phrasings",
            "development",
            "knowledge-helpcentre",
            "knowledge-helpcentre-english",
        ),
        ("self-operated store, English phrasings", "development", "knowledge-selfrun", "knowledge-selfrun-english"),
        (
            "brand flagship store, English phrasings",
            "development",
            "knowledge-brandstore",
            "knowledge-brandstore-english",
        ),
        (
            "Taobao general shop, English phrasings",
            "development",
            "knowledge-taobaogeneral",
            "knowledge-taobaogeneral-english",
        ),
        # and a second batch the same way over eight more development centres, to tune on
        ("Pinduoduo seller, English phrasings", "development", "knowledge-pddseller", "knowledge-pddseller-english"),
        ("Douyin shop, English phrasings", "development", "knowledge-douyinshop", "knowledge-douyinshop-english"),
        ("live-stream shop, English phrasings", "development", "knowledge-livestream", "knowledge-livestream-english"),
        ("general after-sales, English phrasings", "development", "knowledge-general", "knowledge-general-english"),
        (
            "small marketplace shop, English phrasings",
            "development",
            "knowledge-smallshop",
            "knowledge-smallshop-english",
        ),
        (
            "appliance brand, English phrasings",
            "development",
            "knowledge-appliancebrand",
            "knowledge-appliancebrand-english",
        ),
        (
            "cross-border import shop, English phrasings",
            "development",
            "knowledge-crossborder",
            "knowledge-crossborder-english",
        ),
        ("Pinduoduo centre, English phrasings 2", "development", "knowledge-pddcentre", "knowledge-pddcentre-english2"),
        # and held out, written blind the same way over three held-out general centres, committed before
        # their first reading
        ("JD third-party merchant, English phrasings", "held out", "knowledge-jdpop", "knowledge-jdpop-english"),
        (
            "marketplace merchant, English phrasings",
            "held out",
            "knowledge-marketplace",
            "knowledge-marketplace-english",
        ),
        (
            "after-sales centre 3, English phrasings",
            "held out",
            "knowledge-aftersales3",
            "knowledge-aftersales3-english",
        ),
        # questions dictated to a phone's voice input (spoken, unpunctuated, homophone slips: 推款 for
        # 退款), 40 over each of six development centres, written blind, to tune on
        ("general after-sales 4, voice input", "development", "knowledge-aftersales4", "knowledge-aftersales4-voice"),
        ("after-sales 10, voice input", "development", "knowledge-aftersales10", "knowledge-aftersales10-voice"),
        ("Pinduoduo seller, voice input", "development", "knowledge-pddseller", "knowledge-pddseller-voice"),
        ("Douyin shop, voice input", "development", "knowledge-douyinshop", "knowledge-douyinshop-voice"),
        ("help-centre after-sales, voice input", "development", "knowledge-helpcentre", "knowledge-helpcentre-voice"),
        ("Taobao general shop, voice input", "development", "knowledge-taobaogeneral", "knowledge-taobaogeneral-voice"),
        # and held out, over three held-out centres, committed before their first reading
        ("Kuaishou store, voice input", "held out", "knowledge-kuaishou", "knowledge-kuaishou-voice"),
        ("Xiaohongshu store, voice input", "held out", "knowledge-xiaohongshu", "knowledge-xiaohongshu-voice"),
        ("Suning appliance retailer, voice input", "held out", "knowledge-suning", "knowledge-suning-voice"),
        # sixteenth round, written blind by separate engineers and committed before their first reading,
        # to tune on: six shops in the domains the held-out sets read lowest in (services booked with a
        # voucher, tickets, toys, cosmetics, computers, home decor), 100 questions each, half indirect
        ("local-life vouchers 24 articles", "development", "knowledge-localvoucher", "knowledge-localvoucher"),
        ("theme-park tickets 24 articles", "development", "knowledge-themepark", "knowledge-themepark"),
        ("building-blocks toys 24 articles", "development", "knowledge-blocks", "knowledge-blocks"),
        ("cosmetics and perfume 24 articles", "development", "knowledge-perfume", "knowledge-perfume"),
        ("computer parts 24 articles", "development", "knowledge-pcparts", "knowledge-pcparts"),
        ("wallpaper and soft furnishings 24 articles", "development", "knowledge-wallpaper", "knowledge-wallpaper"),
        # and four more services and tickets, written blind in the same round after the six above were
        # tuned on, committed before their first reading (a pet-care service, home cleaning,
        # escape rooms and script games, concert tickets)
        ("pet grooming and boarding 24 articles", "development", "knowledge-petcare", "knowledge-petcare"),
        ("home and appliance cleaning 24 articles", "development", "knowledge-cleaning", "knowledge-cleaning"),
        ("escape rooms and script games 24 articles", "development", "knowledge-escape", "knowledge-escape"),
        ("concert and theatre tickets 24 articles", "development", "knowledge-concert", "knowledge-concert"),
    ):
        sets.append((name, role, _jsonl(f"{stem}-corpus.jsonl"), _jsonl(f"{questions}-questions.jsonl")))
    return sets


def rankers(tenant: Tenant) -> dict[str, Callable[[str], list[str]]]:
    """The rankings compared: the LIKE baseline, the strict search (the previous version: no
    synonyms, no partial matching, no learning) and search now; each gives slugs best first."""
    slug_of = dict(Article.select(Article.id, Article.slug).where(Article.tenant == tenant).tuples())
    published = index.Filters(statuses=("published",))

    def like(question: str) -> list[str]:
        words = f"%{question}%"
        return [slug_of[a.id] for a in Article.of(tenant).where(Article.title**words | Article.body**words).limit(10)]

    def searched(question: str, **options: bool) -> list[str]:
        return [slug_of[i["id"]] for i in local_hits(tenant, question, published, 10, **options)[0]]

    return {
        "LIKE baseline": like,
        "previous (strict)": lambda q: searched(q, synonyms=False, fallback=False),
        "search now": searched,
    }


def quality(stamp: int, misses: bool = False, dev_only: bool = False, only_sets: tuple[str, ...] = ()) -> None:
    """Recall@1/@3, MRR and zero-result rate of each ranking on each set, then ticket
    suggestions on the bundled questions. `misses` prints the questions search now misses at
    3 — of development sets only: held-out misses are never shown. `dev_only` ranks the
    development sets alone (what tuning looks at, so held-out figures are read once at the end);
    `only_sets` ranks only the sets whose name holds one of these words."""
    rows = []
    shown: list[tuple[str, str, str, str]] = []
    suggestion_tenant = None
    for number, (name, role, corpus, questions) in enumerate(evaluation_sets()):
        if dev_only and role != "development":
            continue
        if only_sets and not any(word in name for word in only_sets):
            continue
        tenant = accounts.create_tenant(f"kb-quality-{stamp}-{number}", name)
        get_host().set_enabled(tenant, "knowledge", enabled=True)
        import_records(tenant, [{**r, "status": "published"} for r in corpus], None)
        if number == 0:
            suggestion_tenant = tenant  # the bundled corpus
        by_slug = {r["slug"]: r for r in corpus}
        for label, ranked in rankers(tenant).items():
            r = evaluate(questions, ranked)
            # the target: no empty answer for a question sharing a content word with its article
            sharing = sum(1 for q, slug, top in r.misses if not top and _shares_a_word(q, by_slug[slug]))
            row = (r.questions, r.recall_at_1, r.recall_at_3, r.mrr, r.zero_results, sharing)
            rows.append((name, role, label, *row))
            if misses and role == "development" and label == "search now":
                shown.extend((name, q, slug, " ".join(top)) for q, slug, top in r.misses)
    columns = ("set", "role", "ranking", "n", "recall@1", "recall@3", "MRR", "zero-result", "empty, sharing a word")
    print(common.table(columns, rows))
    if shown:
        print(common.table(("development set", "question", "wanted", "top 3"), shown))
    if suggestion_tenant is None:
        return
    slug_of = dict(Article.select(Article.id, Article.slug).where(Article.tenant == suggestion_tenant).tuples())

    def suggested(question: str) -> list[str]:
        ticket, _ = tickets.create(suggestion_tenant, {"subject": question, "channel": "web"}, Actor.system("bench"))
        return [slug_of[s.article_id] for s in suggestions.current(suggestion_tenant, ticket)]

    result = evaluate(bundled("questions.jsonl"), suggested)
    print(f"ticket suggestions, bundled questions: recall@1 {result.recall_at_1}, recall@3 {result.recall_at_3}")


def _shares_a_word(question: str, article: dict) -> bool:
    """Whether `question` holds a content term (not a question word, seam or number) of its article."""
    own = {t for t in terms(question) if not index.is_noise(t)}
    return bool(own & set(terms(f"{article['title']} {article['body']}")))


def synthetic(corpus: list[dict], count: int, rng: random.Random) -> list[tuple]:
    """`count` article rows varied from the corpus: other brands, model numbers, sentences."""
    rows = []
    for n in range(count):
        base = corpus[n % len(corpus)]
        brand = rng.choice(BRANDS)
        model = f"{rng.choice('ABCDEFGHJK')}{rng.randint(100, 9999)}"
        body = f"{base['body']}\n\n适用于{brand}系列 {model} 型号。{rng.choice(EXTRA)}{rng.choice(EXTRA)}"
        title = f"{brand}{base['title']}（{model}）"
        status = rng.choice(("published", "published", "draft"))
        rows.append((f"bench-{n}", title, body, status, base["visibility"]))
    return rows


def fill(tenant: Tenant, count: int) -> float:
    """Insert `count` articles and index them in batches; returns articles indexed per second."""
    rng = random.Random(6)
    corpus = bundled("corpus.jsonl")
    rows = synthetic(corpus, count, rng)
    table = Article._meta.table_name
    p = db.obj.param
    columns = (
        "tenant_id, slug, title, body, status, visibility, tags, version, views, helpful, not_helpful,"
        " created_at, updated_at"
    )
    sql = f'INSERT INTO "{table}" ({columns}) VALUES ({", ".join([p] * 13)})'
    stamp = Article.created_at.db_value(clock.now())
    with db.atomic():
        db.cursor().executemany(sql, [(tenant.id, *row, "[]", 1, 0, 0, 0, stamp, stamp) for row in rows])
    start = time.perf_counter()
    last, done = 0, 0
    while True:
        with db.atomic():
            chunk = list(Article.of(tenant).where(Article.id > last).order_by(Article.id).limit(1000))
            if not chunk:
                break
            index.index_articles(chunk)
        last, done = chunk[-1].id, done + len(chunk)
        if done % 20_000 == 0:
            print(f"  indexed {done:,} articles…", flush=True)
    rate = count / (time.perf_counter() - start)
    index.refresh_statistics(vacuum=True)  # steady state: what autovacuum reaches on its own
    return rate


def latency(tenant: Tenant, count: int, like_sample: int) -> None:
    """p50/p95 of search over `count` articles, and of the LIKE baseline.

    Search now and the previous strict search are measured in turns, question by question, so a
    busy machine slows both alike; each row has its wall time and the CPU time of this thread (on
    SQLite the database's work included), which other processes disturb much less.
    """
    questions = [q["q"] for q in bundled("questions.jsonl")]
    published = index.Filters(statuses=("published",))
    for question in questions[:20]:  # warm the caches
        local_hits(tenant, question, published, 10)
    samples: dict[str, list[tuple[float, float]]] = {"now": [], "strict": []}
    for question in questions:
        for name, options in (("now", {}), ("strict", {"synonyms": False, "fallback": False})):
            wall, cpu = time.perf_counter(), time.thread_time()
            local_hits(tenant, question, published, 10, **options)
            samples[name].append((time.perf_counter() - wall, time.thread_time() - cpu))
    table = Article._meta.table_name
    p = db.obj.param
    like_sql = f'SELECT id, title FROM "{table}" WHERE tenant_id = {p} AND (title LIKE {p} OR body LIKE {p}) LIMIT 10'

    def like(i: int) -> None:
        words = f"%{questions[i][:4]}%"
        db.execute_sql(like_sql, (tenant.id, words, words)).fetchall()

    baseline = common.latencies(like, like_sample)
    searched = [w for w, _ in samples["now"]]
    # buyer phrasings written for other shops: most share little with these articles, so they
    # exercise typo repair, synonyms and the fall-back to characters
    phrasings = [q["q"] for name, role, _, qs in evaluation_sets()[2:] if role == "development" for q in qs]
    loose: list[tuple[float, float]] = []
    for question in phrasings:
        wall, cpu = time.perf_counter(), time.thread_time()
        local_hits(tenant, question, published, 10)
        loose.append((time.perf_counter() - wall, time.thread_time() - cpu))
    rows = [
        ("gongdan search now (top 10 + snippets)", len(searched), *_ms(searched)),
        ("previous strict search (same tenant)", len(questions), *_ms([w for w, _ in samples["strict"]])),
        ("baseline LIKE '%…%' (top 10)", len(baseline), *_ms(baseline)),
        ("search now, CPU time of this thread", len(questions), *_ms([c for _, c in samples["now"]])),
        ("previous strict search, CPU time", len(questions), *_ms([c for _, c in samples["strict"]])),
        ("search now, other shops' phrasings", len(loose), *_ms([w for w, _ in loose])),
        ("the same, CPU time", len(loose), *_ms([c for _, c in loose])),
    ]
    print(common.table(("query", "n", "p50 ms", "p95 ms", "p99 ms"), rows))
    ratio = common.percentile(baseline, 50) / common.percentile(searched, 50)
    print(f"search p50 is {ratio:.1f}× faster than the LIKE baseline at {count:,} articles")
    if is_postgres():
        server_time(tenant, questions, published)
    print(f"load average {' / '.join(f'{v:.1f}' for v in os.getloadavg())} (1 / 5 / 15 minutes)")


def server_time(tenant: Tenant, questions: list[str], filters: index.Filters) -> None:
    """PostgreSQL: what the server spends on each search, untouched by this process's waits.

    Each statement a search ran is run again at once under `EXPLAIN (ANALYZE, SUMMARY)`; a search's
    server time is the sum of its statements' planning and execution times (the round trips are
    counted, not timed). Printed per search (p50/p95) and per kind of statement (mean).
    """
    ran: list[tuple[str, list]] = []
    execute = db.obj.execute_sql

    def recorded(sql: str, params: object = None, *args: object, **kwargs: object) -> object:
        ran.append((sql, params))
        return execute(sql, params, *args, **kwargs)

    per_search: dict[str, list[float]] = {"planning": [], "execution": [], "server": []}
    statements: list[float] = []
    kinds: dict[str, list[tuple[float, float]]] = {}
    cursor = db.cursor()
    for question in questions:
        ran.clear()
        db.obj.execute_sql = recorded
        try:
            local_hits(tenant, question, filters, 10)
        finally:
            db.obj.execute_sql = execute
        planning = execution = 0.0
        for sql, params in ran:
            cursor.execute(f"EXPLAIN (ANALYZE, SUMMARY, FORMAT JSON) {sql}", params)
            summary = cursor.fetchone()[0][0]
            planning, execution = planning + summary["Planning Time"], execution + summary["Execution Time"]
            kind = " ".join(sql.split()[:3])[:40] + (" … (scoring)" if "weight *" in sql else " …")
            kinds.setdefault(kind, []).append((summary["Planning Time"], summary["Execution Time"]))
        for name, value in (("planning", planning), ("execution", execution), ("server", planning + execution)):
            per_search[name].append(value / 1000)
        statements.append(len(ran))
    labels = {"planning": "planning", "execution": "execution", "server": "planning + execution"}
    rows = [(f"server {labels[name]} per search", len(questions), *_ms(v)) for name, v in per_search.items()]
    rows.append(
        ("statements per search", len(questions), *(f"{common.percentile(statements, q):.0f}" for q in (50, 95, 99)))
    )
    print(common.table(("PostgreSQL, EXPLAIN ANALYZE", "n", "p50 ms", "p95 ms", "p99 ms"), rows))
    means = [
        (
            kind,
            len(times),
            f"{sum(p for p, _ in times) / len(times):.3f}",
            f"{sum(e for _, e in times) / len(times):.3f}",
        )
        for kind, times in kinds.items()
    ]
    print(
        common.table(
            ("statement", "n", "planning ms (mean)", "execution ms (mean)"), sorted(means, key=lambda r: -float(r[3]))
        )
    )


def _ms(samples: list[float]) -> tuple[str, str, str]:
    return tuple(f"{common.percentile(samples, q) * 1000:.2f}" for q in (50, 95, 99))


def run(
    label: str,
    url: str,
    count: int,
    like_sample: int,
    misses: bool = False,
    dev_only: bool = False,
    only_sets: tuple[str, ...] = (),
) -> None:
    """Every figure on one database."""
    print(f"\n== {label} ==")
    if db.obj is not None:
        db.close()
    open_database(url)
    upgrade(get_host())
    if is_postgres():
        tables = ", ".join(f'"{m._meta.table_name}"' for m in MODELS)
        db.execute_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    stamp = int(time.time())
    quality(stamp, misses, dev_only, only_sets)
    if not count:
        return
    big = accounts.create_tenant(f"kb-latency-{stamp}", "latency")
    rate = fill(big, count)
    postings = Posting.select().where(Posting.tenant == big.id).count()
    print(f"indexing: {count:,} articles at {rate:,.0f} articles/s ({postings:,} postings)")
    latency(big, count, like_sample)


def main() -> None:
    """SQLite, then PostgreSQL when GONGDAN_BENCH_PG_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=20_000, help="articles in the latency tenant (default 20,000)")
    parser.add_argument("--like-sample", type=int, default=60, help="baseline LIKE queries measured (they are slow)")
    parser.add_argument("--only", choices=("sqlite", "postgresql"), help="run on one database only")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file (its path is printed)")
    parser.add_argument("--quality-only", action="store_true", help="print the quality figures only (no latency)")
    parser.add_argument(
        "--misses", action="store_true", help="print the misses of development sets (never of held-out ones)"
    )
    parser.add_argument("--dev-only", action="store_true", help="rank the development sets only (while tuning)")
    parser.add_argument("--sets", nargs="+", metavar="WORD", help="rank only the sets whose name holds one of these")
    parser.add_argument(
        "--latency-on", metavar="URL", help="only measure latency again, on a database a --keep run left"
    )
    args = parser.parse_args()
    if args.latency_on:
        open_database(args.latency_on)
        big = Tenant.select().where(Tenant.slug.startswith("kb-latency-")).order_by(Tenant.id.desc()).get()
        latency(big, Article.of(big).count(), args.like_sample)
        return
    targets = []
    folder = tempfile.mkdtemp(prefix="gongdan-bench-")
    if args.only != "postgresql":
        targets.append(("sqlite", f"sqlite:///{folder}/knowledge.db"))
    pg_url = os.environ.get("GONGDAN_BENCH_PG_URL")
    if args.only != "sqlite" and pg_url:
        targets.append(("postgresql", pg_url))
    elif args.only != "sqlite":
        print("(GONGDAN_BENCH_PG_URL not set: PostgreSQL skipped)")
    for label, url in targets:
        count = 0 if args.quality_only else args.articles
        run(label, url, count, args.like_sample, args.misses, args.dev_only, tuple(args.sets or ()))
    db.close()
    if args.keep:
        print(f"kept {folder}/knowledge.db")
    else:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
