"""Seeded, realistic Chinese sample data: shops, goods, buyers, after-sales reasons and remarks.

Everything is drawn from one `random.Random`, so the same seed gives the same shops, tokens
and records on every run.
"""

from __future__ import annotations

import base64
import hashlib
import random

SHOP_NAMES = [
    "山野良品旗舰店",
    "小鹿家居生活馆",
    "果园直发农产品店",
    "棉语母婴专营店",
    "极客数码配件店",
    "茶香源茶叶店",
    "潮汐女装官方店",
    "乐享厨具专卖店",
    "萌宠日记宠物店",
    "暖阳床品旗舰店",
    "悦动运动户外店",
    "老味道零食铺",
]

# (goods name, price in fen)
GOODS = [
    ("新疆阿克苏冰糖心苹果 5斤装 当季现摘", 2990),
    ("纯棉四件套 1.8m床 全棉斜纹被套床单", 12900),
    ("304不锈钢保温杯 大容量 男女学生水杯", 3990),
    ("婴儿纸尿裤 L码 100片 超薄透气", 8990),
    ("无线蓝牙耳机 半入耳式 超长续航", 5990),
    ("安溪铁观音 浓香型 礼盒装 500g", 6800),
    ("法式复古碎花连衣裙 女 夏季新款", 7990),
    ("家用不粘锅炒锅 电磁炉燃气灶通用", 4990),
    ("全价猫粮 成猫幼猫通用 10斤装", 9900),
    ("加厚珊瑚绒毛毯 秋冬午睡毯", 3590),
    ("男款透气跑步鞋 轻便减震运动鞋", 15900),
    ("手工辣条 老式麻辣零食大礼包", 1990),
    ("赣南脐橙 10斤 当季新鲜水果", 3980),
    ("Type-C快充数据线 1米 2根装", 990),
    ("儿童保暖羽绒服 加厚连帽外套", 19900),
    ("洗衣凝珠 持久留香 52颗", 2490),
]

REFUND_REASONS = [
    "不想要了",
    "拍错/多拍/不喜欢",
    "质量问题",
    "商品破损/少件",
    "与商品描述不符",
    "快递一直未送到",
    "未按约定时间发货",
    "尺码不合适",
    "收到商品少件/错件",
    "水果腐烂/变质",
]

BUYER_REMARKS = [
    "收到的苹果有好几个烂了，拍了照片，麻烦尽快处理。",
    "尺码偏小，孩子穿不上，想退货退款。",
    "快递三天没动了，不想等了，申请退款。",
    "颜色和图片差别太大，跟描述不一样。",
    "拍错了规格，还没发货的话请直接退款，谢谢。",
    "包装破了，杯子有划痕，要求退货。",
    "耳机左边没有声音，换了手机也一样。",
    "少发了一件，订单是两件只收到一件。",
    "质量太差了，洗了一次就起球。",
    "家里已经买了，不需要了，麻烦同意一下。",
    "",
]

BUYER_NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄强", "周婷", "吴斌", "徐丽", "孙浩"]

REGIONS = [
    ("浙江省", "杭州市", "西湖区"),
    ("广东省", "深圳市", "南山区"),
    ("江苏省", "苏州市", "工业园区"),
    ("四川省", "成都市", "武侯区"),
    ("上海市", "上海市", "浦东新区"),
    ("北京市", "北京市", "朝阳区"),
    ("湖北省", "武汉市", "洪山区"),
    ("山东省", "青岛市", "崂山区"),
]

STREETS = ["文三路", "科技园南路", "星湖街", "天府大道", "张江路", "望京街", "珞喻路", "香港东路"]

SHIPPING_NAMES = ["中通快递", "圆通速递", "韵达快递", "申通快递", "极兔速递", "顺丰速运", "邮政快递包裹"]

RETURN_CONTACTS = ["售后仓 刘师傅", "退货组 王姐", "仓库 陈工"]


def hex_token(rng: random.Random, length: int = 32) -> str:
    """A lower-case hex token of `length` characters."""
    return f"{rng.getrandbits(length * 4):0{length}x}"


def digits(rng: random.Random, count: int) -> str:
    """`count` random decimal digits, the first one non-zero."""
    return str(rng.randrange(10 ** (count - 1), 10**count))


def ciphertext(key: str, plain: str, marker: str = "~") -> str:
    """An opaque stand-in for the platform's encrypted receiver fields (`~…~`, `$…$` for phones).

    Only the platform can decrypt the real ones; this one (a digest salted with `key`) cannot
    be decrypted at all, and is the same on every read.
    """
    sealed = hashlib.sha256(f"{key}\0{plain}".encode()).digest() + hashlib.md5(plain.encode()).digest()[:6]  # noqa: S324
    return f"{marker}{base64.b64encode(sealed).decode('ascii')}{marker}2{marker}"


def mask_name(name: str) -> str:
    """`张伟` → `张*`, as the platform masks receiver names."""
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`."""
    return phone[:3] + "****" + phone[-4:]


def yuan(fen: int) -> str:
    """Integer fen as the list API's yuan string: 1990 → `19.90`."""
    return f"{fen // 100}.{fen % 100:02d}"
