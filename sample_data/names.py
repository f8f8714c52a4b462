"""Realistic Chinese place and person names with their pinyin, drawn deterministically from an rng."""

from __future__ import annotations

import numpy as np
import pandas as pd

# Pinyin (no tones) of every character used in place names; English names are built from it.
PLACE_PINYIN: dict[str, str] = {
    "青": "qing",
    "汉": "han",
    "江": "jiang",
    "桃": "tao",
    "柳": "liu",
    "花": "hua",
    "金": "jin",
    "银": "yin",
    "东": "dong",
    "西": "xi",
    "南": "nan",
    "北": "bei",
    "新": "xin",
    "长": "chang",
    "丰": "feng",
    "和": "he",
    "平": "ping",
    "安": "an",
    "宁": "ning",
    "福": "fu",
    "兴": "xing",
    "华": "hua",
    "光": "guang",
    "明": "ming",
    "文": "wen",
    "龙": "long",
    "凤": "feng",
    "鹤": "he",
    "松": "song",
    "竹": "zhu",
    "梅": "mei",
    "兰": "lan",
    "荷": "he",
    "杨": "yang",
    "枫": "feng",
    "石": "shi",
    "玉": "yu",
    "黄": "huang",
    "白": "bai",
    "红": "hong",
    "翠": "cui",
    "鸿": "hong",
    "仁": "ren",
    "德": "de",
    "乐": "le",
    "康": "kang",
    "泰": "tai",
    "永": "yong",
    "建": "jian",
    "胜": "sheng",
    "民": "min",
    "友": "you",
    "春": "chun",
    "秋": "qiu",
    "阳": "yang",
    "月": "yue",
    "星": "xing",
    "云": "yun",
    "古": "gu",
    "双": "shuang",
    "百": "bai",
    "万": "wan",
    "高": "gao",
    "清": "qing",
    "碧": "bi",
    "紫": "zi",
    "锦": "jin",
    "瑞": "rui",
    "祥": "xiang",
    "吉": "ji",
    "庆": "qing",
    "盛": "sheng",
    "昌": "chang",
    "顺": "shun",
    "宏": "hong",
    "振": "zhen",
    "卫": "wei",
    "洪": "hong",
    "沙": "sha",
    "关": "guan",
    "岳": "yue",
    "莲": "lian",
    "菱": "ling",
    "芦": "lu",
    "柏": "bai",
    "桂": "gui",
    "樟": "zhang",
    "桑": "sang",
    "杏": "xing",
    "茶": "cha",
    "麦": "mai",
    "禾": "he",
    "田": "tian",
    "泉": "quan",
    "溪": "xi",
    "塘": "tang",
    "滨": "bin",
    "临": "lin",
    "望": "wang",
    "朝": "chao",
    "前": "qian",
    "后": "hou",
    "中": "zhong",
    "山": "shan",
    "湖": "hu",
    "园": "yuan",
    "湾": "wan",
    "港": "gang",
    "桥": "qiao",
    "口": "kou",
    "岭": "ling",
    "林": "lin",
    "河": "he",
    "洲": "zhou",
    "坪": "ping",
    "坝": "ba",
    "岗": "gang",
    "坡": "po",
    "店": "dian",
    "集": "ji",
    "铺": "pu",
    "庄": "zhuang",
    "营": "ying",
    "墩": "dun",
    "堤": "di",
    "台": "tai",
    "门": "men",
    "亭": "ting",
    "苑": "yuan",
    "滩": "tan",
    "渡": "du",
    "埠": "bu",
    "冲": "chong",
    "畈": "fan",
    "场": "chang",
    "里": "li",
    "城": "cheng",
    "坊": "fang",
    "寺": "si",
    "嘴": "zui",
    "矶": "ji",
    "汀": "ting",
    "家": "jia",
    "王": "wang",
    "李": "li",
    "张": "zhang",
    "刘": "liu",
    "陈": "chen",
    "赵": "zhao",
    "周": "zhou",
    "吴": "wu",
    "徐": "xu",
    "胡": "hu",
    "朱": "zhu",
    "何": "he",
    "罗": "luo",
    "郭": "guo",
    "梁": "liang",
    "宋": "song",
    "唐": "tang",
    "彭": "peng",
    "曾": "zeng",
    "邓": "deng",
    "熊": "xiong",
    "程": "cheng",
    "鹭": "lu",
    "镜": "jing",
    "沧": "cang",
    "澴": "huan",
    "一": "yi",
    "二": "er",
    "三": "san",
    "四": "si",
    "五": "wu",
    "六": "liu",
    "七": "qi",
    "八": "ba",
    "九": "jiu",
    "十": "shi",
    "路": "lu",
    "街": "jie",
    "道": "dao",
    "大": "da",
    "景": "jing",
    "雅": "ya",
    "居": "ju",
    "庭": "ting",
    "府": "fu",
    "馨": "xin",
    "悦": "yue",
}

NAME_HEADS = (
    "青汉江桃柳花金银东西南北新长丰和平安宁福兴华光明文龙凤鹤松竹梅兰荷杨枫石玉黄白红翠鸿仁德乐康泰永建胜"
    "民友春秋阳月星云古双百万高清碧紫锦瑞祥吉庆盛昌顺宏振卫洪沙关岳莲菱芦柏桂樟桑杏茶麦禾田泉溪塘滨临望朝前后中"
)
NAME_TAILS = (
    "山阳湖园湾港桥口岭林河洲坪坝岗坡店集铺庄营墩堤台门亭苑溪泉塘滩渡埠冲畈场里华兴平安丰新和宁城坊寺嘴矶汀"
)
VILLAGE_SURNAMES = "王李张刘陈杨黄赵周吴徐胡朱高何罗郭梁宋唐彭曾邓熊程"
VILLAGE_TAILS = "湾岗墩庄店集铺冲畈嘴坝台桥岭"
COMPOUND_SUFFIXES = (
    ("小区", "Residential Compound"),
    ("花园", "Garden"),
    ("家园", "Homeland"),
    ("新村", "New Village"),
    ("苑", "Court"),
    ("华庭", "Court"),
    ("雅居", "Residence"),
    ("公寓", "Apartments"),
    ("城", "City"),
)
ROAD_SUFFIXES = (("路", "Road"), ("街", "Street"), ("大道", "Avenue"))
CHINESE_NUMERALS = "一二三四五六七八九十"

# Common surnames with rough relative frequencies (national surveys); given-name characters in common use.
PERSON_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN_NAME_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超霞平刚辉鹏华飞玲桂英兰红梅琳燕斌宇浩凯健俊帆旭宁龙林欣慧建峰丹文博晨"
    "阳雪婷倩颖鑫波亮志海国荣云莉萍琴冬晓思雨子佳嘉梓涵轩怡诗雅晶蕾薇春秀淑玉珍凤德福生成坤毅瑶琪彬昊睿泽"
)
MOBILE_PREFIXES = (
    130,
    131,
    132,
    133,
    135,
    136,
    137,
    138,
    139,
    147,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    173,
    175,
    176,
    177,
    178,
    180,
    181,
    182,
    183,
    185,
    186,
    187,
    188,
    189,
    191,
    193,
    195,
    198,
    199,
)


def _surname_weights() -> np.ndarray:
    """Zipf-like weights for PERSON_SURNAMES, so 王李张刘陈 dominate as in real life."""
    ranks = np.arange(1, len(PERSON_SURNAMES) + 1)
    weights = 1.0 / ranks**0.9
    return weights / weights.sum()


SURNAME_WEIGHTS = _surname_weights()


def pinyin_of(stem: str) -> str:
    """Capitalised pinyin of a place-name stem, with an apostrophe before a vowel syllable (Ping'an)."""
    syllables = [PLACE_PINYIN[char] for char in stem]
    text = syllables[0]
    for syllable in syllables[1:]:
        text += ("'" if syllable[0] in "aoe" else "") + syllable
    return text.capitalize()


def place_stems(
    rng: np.random.Generator, count: int, taken: set[str], village_share: float = 0.0
) -> list[str]:
    """Draw `count` two- or three-character place-name stems not in `taken` (which is updated)."""
    stems: list[str] = []
    while len(stems) < count:
        if rng.random() < village_share:
            stem = (
                VILLAGE_SURNAMES[rng.integers(len(VILLAGE_SURNAMES))]
                + "家"
                + VILLAGE_TAILS[rng.integers(len(VILLAGE_TAILS))]
            )
        else:
            stem = NAME_HEADS[rng.integers(len(NAME_HEADS))] + NAME_TAILS[rng.integers(len(NAME_TAILS))]
        if stem[0] == stem[-1] or stem in taken:
            continue
        taken.add(stem)
        stems.append(stem)
    return stems


def chinese_numeral(number: int) -> str:
    """Chinese numeral for 1–99 (三, 十二, 二十一)."""
    tens, units = divmod(number, 10)
    text = ("" if tens < 2 else CHINESE_NUMERALS[tens - 1]) + ("十" if tens else "")
    return text + (CHINESE_NUMERALS[units - 1] if units else "")


def person_names(rng: np.random.Generator, count: int) -> np.ndarray:
    """Return `count` realistic full names (surname + one or two given-name characters)."""
    surnames = np.array(list(PERSON_SURNAMES))[rng.choice(len(PERSON_SURNAMES), count, p=SURNAME_WEIGHTS)]
    given = np.array(list(GIVEN_NAME_CHARS))
    first = given[rng.integers(0, len(given), count)]
    second = given[rng.integers(0, len(given), count)]
    second = np.where(rng.random(count) < 0.7, second, "")
    return np.char.add(np.char.add(surnames, first), second)


def mobile_numbers(rng: np.random.Generator, count: int) -> np.ndarray:
    """Return `count` 11-digit mainland mobile numbers with real carrier prefixes."""
    prefixes = np.array(MOBILE_PREFIXES, dtype=np.int64)[rng.integers(0, len(MOBILE_PREFIXES), count)]
    return (prefixes * 100_000_000 + rng.integers(0, 100_000_000, count)).astype(str)


def build_roads_and_compounds(
    rng: np.random.Generator, streets: pd.DataFrame, communities: pd.DataFrame
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Road names per street and residential compound (or villager group) names per community."""
    taken: set[str] = set()
    road_rows = []
    for street_code in sorted(streets["code"]):
        for stem in place_stems(rng, 6, taken):
            zh_suffix, en_suffix = ROAD_SUFFIXES[rng.choice(len(ROAD_SUFFIXES), p=[0.6, 0.3, 0.1])]
            road_rows.append((street_code, stem + zh_suffix, f"{pinyin_of(stem)} {en_suffix}"))
    compound_rows = []
    for row in communities.sort_values("code").itertuples():
        if row.kind == "village":
            for number in range(1, 5):
                compound_rows.append(
                    (row.code, f"{row.name_zh}{chinese_numeral(number)}组", f"{row.name_en} Group {number}")
                )
            continue
        for stem in place_stems(rng, 4, set()):
            zh_suffix, en_suffix = COMPOUND_SUFFIXES[rng.integers(len(COMPOUND_SUFFIXES))]
            compound_rows.append((row.code, stem + zh_suffix, f"{pinyin_of(stem)} {en_suffix}"))
    roads = pd.DataFrame(road_rows, columns=["street_code", "name_zh", "name_en"])
    compounds = pd.DataFrame(compound_rows, columns=["community_code", "name_zh", "name_en"])
    return roads, compounds
