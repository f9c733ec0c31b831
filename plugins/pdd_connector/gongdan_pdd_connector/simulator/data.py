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

# The buyer's reason per after-sales kind (detail numbering: 1 refund only … 5 repair).
REASONS_BY_KIND = {
    1: ["不想要了", "拍错/多拍/不喜欢", "快递一直未送到", "未按约定时间发货", "空包裹/少货"],
    2: ["质量问题", "商品破损/少件", "与商品描述不符", "尺码不合适", "七天无理由退货"],
    3: ["尺码不合适", "颜色/款式与商品描述不符"],
    4: ["商品破损/少件", "收到商品少件/错件"],
    5: ["质量问题", "商品故障，无法正常使用"],
}

# What buyers write with each reason ("" : nothing).
REMARKS_BY_REASON = {
    "不想要了": ["家里已经买了，不需要了，麻烦同意一下。", "不想要了，还没发货的话直接退吧。", ""],
    "拍错/多拍/不喜欢": ["拍错了规格，还没发货的话请直接退款，谢谢。", "多拍了一件，退一件。", ""],
    "快递一直未送到": ["快递三天没动了，不想等了，申请退款。", "物流显示签收了但我没收到，快递柜也没有。"],
    "未按约定时间发货": ["说好48小时发货，到现在还没发。", "下单五天了还没发货，不要了。"],
    "空包裹/少货": ["收到的是空盒子，里面什么都没有！", "订单是两件只收到一件。"],
    "质量问题": ["质量太差了，用了一次就坏了。", "有明显的做工问题，线头很多还开线了。", ""],
    "商品破损/少件": ["包装破了，东西有划痕，要求退货。", "快递压坏了，拍了照片，麻烦尽快处理。"],
    "与商品描述不符": ["颜色和图片差别太大，跟描述不一样。", "材质不是页面写的纯棉。"],
    "尺码不合适": ["尺码偏小，穿不上，想退货退款。", "按尺码表买的还是大了一码。"],
    "七天无理由退货": ["不太喜欢，七天无理由退货，没拆吊牌。", ""],
    "颜色/款式与商品描述不符": ["想换成图片上的那个颜色。", "收到的款式和下单的不一样，请给换一个。"],
    "收到商品少件/错件": ["少发了一件，请补发。", "发错颜色了，请补寄正确的。"],
    "商品故障，无法正常使用": ["开机没反应，充了一晚上电也不行。", "左边耳机没有声音，换了手机也一样。"],
}

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


def buyer_uid(phone: str) -> str:
    """The platform's opaque, stable id of a buyer (here derived from the buyer's phone)."""
    return "u" + hashlib.sha256(f"buyer\0{phone}".encode()).hexdigest()[:16]


def mask_phone(phone: str) -> str:
    """`13812345678` → `138****5678`."""
    return phone[:3] + "****" + phone[-4:]


def yuan(fen: int) -> str:
    """Integer fen as the list API's yuan string: 1990 → `19.90`."""
    return f"{fen // 100}.{fen % 100:02d}"
