"""The work-order vocabulary: categories with seasons, departments and Chinese wording, hours and hotspots."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Category(NamedTuple):
    """One second-level category: where and when it happens, who handles it and how citizens word it."""

    l1: str
    l2: str
    weight: float
    season: str
    department: str
    appeal: str
    place: str
    l3: tuple[str, ...]
    titles: tuple[str, ...]
    problems: tuple[str, ...]


# Monthly volume multipliers (January … December) per seasonal pattern.
SEASONS: dict[str, tuple[float, ...]] = {
    "flat": (1,) * 12,
    "summer": (0.7, 0.7, 0.8, 0.9, 1.1, 1.3, 1.6, 1.6, 1.2, 0.9, 0.8, 0.7),
    "heat": (0.5, 0.4, 0.4, 0.5, 0.9, 1.6, 2.8, 2.8, 1.3, 0.6, 0.5, 0.5),
    "rain": (0.3, 0.3, 0.5, 0.8, 1.5, 3.5, 3.8, 1.5, 0.6, 0.4, 0.3, 0.3),
    "winter": (2.8, 2.2, 1.2, 0.5, 0.3, 0.3, 0.3, 0.3, 0.4, 0.7, 1.5, 2.6),
    "outdoor": (0.5, 0.5, 0.8, 1.1, 1.3, 1.4, 1.5, 1.5, 1.3, 1.1, 0.7, 0.5),
    "school": (0.6, 0.6, 0.8, 1.2, 1.6, 1.8, 1.8, 2.4, 1.8, 0.7, 0.5, 0.5),
    "wages": (2.4, 1.8, 0.8, 0.7, 0.7, 0.8, 0.8, 0.8, 0.8, 0.9, 1.2, 2.2),
    "burning": (0.6, 0.5, 0.6, 0.8, 1.6, 1.8, 0.7, 0.6, 0.8, 1.8, 1.9, 0.8),
}

CMB, HOUSING, TRANSPORT_BUREAU, TRAFFIC_POLICE = "市城市管理执法局", "市住房保障和房屋管理局", "市交通运输局", "市公安局交通管理局"
CATEGORY_TABLE: tuple[Category, ...] = (
    Category("city_management", "垃圾清运", 7, "summer", CMB, "complaint", "compound", ("生活垃圾", "生活垃圾", "建筑垃圾"),
             ("垃圾清运不及时", "垃圾堆积无人清理"),
             ("小区垃圾已经堆放多日无人清运，气味很大", "垃圾桶满溢，周边蚊蝇滋生", "楼下建筑垃圾长期堆放没有清理")),
    Category("city_management", "占道经营", 6, "outdoor", CMB, "complaint", "road", ("流动摊贩", "店外经营", "流动摊贩"),
             ("占道经营", "流动摊贩占道"),
             ("路边摊贩占用人行道经营，行人只能走机动车道", "商户把货物摆到店外人行道上，影响通行", "早晚有大量流动摊贩聚集，秩序混乱")),
    Category("city_management", "违章搭建", 4, "flat", CMB, "report", "compound", ("楼顶加建", "院内搭建", "院内搭建"),
             ("违章搭建", "私搭乱建"),
             ("有住户在楼顶违规加建房屋", "一楼住户私自圈占公共绿地搭建棚子", "有人在小区内违规搭建彩钢房")),
    Category("city_management", "噪音扰民", 6, "outdoor", CMB, "complaint", "compound",
             ("夜间施工", "广场舞噪音", "商业噪音"),
             ("噪音扰民", "夜间噪音扰民"),
             ("附近工地夜间施工，噪音很大，影响休息", "广场舞音响声音太大，每天晚上持续到很晚", "楼下商铺用大喇叭招揽生意，噪音扰民")),
    Category("city_management", "市政设施", 4, "flat", CMB, "report", "road", ("井盖缺失", "路灯不亮", "道路破损"),
             ("路灯不亮", "井盖破损", "道路坑洼"),
             ("路边井盖破损，存在安全隐患", "一段路灯晚上不亮，行人出行不安全", "路面坑洼不平，下雨积水")),
    Category("city_management", "排水防涝", 4, "rain", "市水务局", "help", "road", ("积水内涝", "下水道堵塞", "积水内涝"),
             ("道路积水", "下水道堵塞返水"),
             ("下雨后路面严重积水，车辆无法通行", "下水道堵塞，污水漫到路面", "小区地下车库进水，请求尽快排水")),
    Category("city_management", "园林绿化", 2, "outdoor", "市园林和林业局", "help", "compound", ("树木修剪", "绿地维护", "树木修剪"),
             ("树木遮挡采光", "绿化带无人维护"),
             ("楼前大树枝叶遮挡窗户，影响采光", "绿化带杂草丛生无人管理", "行道树有枯枝，担心掉落伤人")),
    Category("housing_property", "物业服务", 8, "flat", HOUSING, "complaint", "compound", ("服务质量", "物业收费", "服务质量"),
             ("物业服务不到位", "物业乱收费"),
             ("物业公司服务差，楼道长期无人打扫", "物业擅自上调物业费，业主不认可", "小区门禁损坏，物业一直不修")),
    Category("housing_property", "电梯故障", 4, "flat", "市市场监督管理局", "help", "compound", ("电梯停运", "电梯异响", "电梯停运"),
             ("电梯故障", "电梯频繁停运"),
             ("小区电梯经常故障停运，老人上下楼困难", "电梯运行时异响，居民担心安全", "电梯坏了一周还没修好")),
    Category("housing_property", "房屋漏水", 3, "rain", HOUSING, "help", "compound", ("屋面渗漏", "管道漏水", "外墙渗水"),
             ("房屋漏水", "楼上漏水"),
             ("顶楼房屋下雨漏水严重", "楼上住户管道漏水，天花板渗水", "外墙渗水，墙面发霉")),
    Category("housing_property", "老旧小区改造", 2, "flat", "市住房和城乡建设局", "suggestion", "compound", (),
             ("老旧小区改造", "加装电梯"),
             ("小区建成二十多年，管网老化，希望纳入改造计划", "居民希望加装电梯，想了解补贴政策", "改造工程进度缓慢，路面开挖后迟迟不恢复")),
    Category("housing_property", "不动产登记", 2, "flat", "市自然资源和规划局", "enquiry", "community", (),
             ("房产证办理", "不动产登记咨询"),
             ("购房多年一直没有办下房产证", "想了解不动产登记需要准备哪些材料", "开发商迟迟不办理产权证")),
    Category("transport", "公交线路", 3, "flat", TRANSPORT_BUREAU, "suggestion", "road", ("班次调整", "线路调整", "站点设置"),
             ("公交线路调整", "增设公交站点"),
             ("附近公交班次太少，早晚高峰等车时间太长", "希望增设一条到地铁站的公交线路", "公交站台被拆除后一直没有恢复")),
    Category("transport", "停车管理", 4, "flat", TRAFFIC_POLICE, "complaint", "road", ("违章停车", "停车收费", "违章停车"),
             ("乱停车", "停车收费不规范"),
             ("路边车辆乱停乱放，堵塞消防通道", "停车场收费不规范，没有公示收费标准", "小区门口车辆长期占道停放")),
    Category("transport", "交通设施", 2, "flat", TRAFFIC_POLICE, "report", "road", ("信号灯", "交通标线", "减速设施"),
             ("信号灯故障", "交通标线不清"),
             ("路口信号灯不亮，车辆通行混乱", "路口标线模糊，容易发生事故", "学校门口缺少减速带")),
    Category("transport", "出租车网约车", 2, "flat", TRANSPORT_BUREAU, "complaint", "road", (),
             ("出租车拒载", "网约车绕路"),
             ("出租车司机拒载并态度恶劣", "网约车司机故意绕路多收费", "出租车不打表议价")),
    Category("environment", "油烟污染", 3, "summer", "市生态环境局", "complaint", "road", (),
             ("油烟扰民", "餐馆油烟污染"),
             ("楼下餐馆油烟直排，家里不敢开窗", "烧烤店油烟很大，影响周边居民", "餐饮店没有安装油烟净化设备")),
    Category("environment", "扬尘污染", 2, "flat", "市生态环境局", "complaint", "road", ("工地扬尘", "道路扬尘", "工地扬尘"),
             ("工地扬尘", "道路扬尘", "工地扬尘"),
             ("附近工地未覆盖裸土，扬尘很大", "渣土车沿路抛洒，道路扬尘严重", "工地车辆进出未冲洗")),
    Category("environment", "异味扰民", 2, "summer", "市生态环境局", "complaint", "compound", (),
             ("异味扰民", "污水异味"),
             ("附近工厂夜间排放刺鼻气味", "小区旁边的河道有臭味", "垃圾中转站异味很大")),
    Category("environment", "露天焚烧", 1, "burning", "市生态环境局", "report", "community", (),
             ("露天焚烧", "焚烧秸秆"),
             ("有人在空地上焚烧垃圾，浓烟很大", "附近农田有人焚烧秸秆", "有人焚烧废旧电线")),
    Category("market_regulation", "食品安全", 3, "summer", "市市场监督管理局", "report", "road", ("过期食品", "餐饮卫生", "外卖食品"),
             ("食品安全问题", "餐饮店卫生差"),
             ("在超市买到过期食品", "餐馆后厨卫生条件很差", "外卖食品里有异物")),
    Category("market_regulation", "价格投诉", 2, "flat", "市市场监督管理局", "complaint", "road", (),
             ("价格欺诈", "明码标价不规范"),
             ("商家结账价格与标价不一致", "药店药品价格明显偏高", "商户不明码标价")),
    Category("market_regulation", "预付卡退费", 2, "flat", "市市场监督管理局", "complaint", "road", (),
             ("预付卡退费难", "健身房跑路"),
             ("健身房突然关门，预付卡余额无法退还", "培训机构停课后拒绝退费", "理发店办的会员卡无法使用")),
    Category("market_regulation", "商品质量", 1, "flat", "市市场监督管理局", "complaint", "road", (),
             ("商品质量问题",), ("买到的家电质量有问题，商家拒绝退换", "购买的电动车电池存在质量问题")),
    Category("social_security", "养老保险", 2, "flat", "市人力资源和社会保障局", "enquiry", "community", (),
             ("养老保险咨询", "养老金发放"),
             ("想咨询灵活就业人员养老保险缴费政策", "退休后养老金一直没有发放", "想了解养老保险转移接续手续")),
    Category("social_security", "医保报销", 2, "flat", "市医疗保障局", "enquiry", "community", ("异地就医", "门诊报销", "参保登记"),
             ("医保报销咨询", "异地就医备案"),
             ("想咨询异地就医医保报销比例及办理流程", "门诊慢特病报销一直没有到账", "想了解新生儿参保手续")),
    Category("social_security", "劳动纠纷", 3, "wages", "市人力资源和社会保障局", "help", "road", ("拖欠工资", "劳动合同", "拖欠工资"),
             ("拖欠工资", "讨要工资"),
             ("工地老板拖欠工资三个月未发", "公司拒绝签订劳动合同", "辞职后公司拒发最后一个月工资")),
    Category("social_security", "社会救助", 2, "flat", "市民政局", "help", "community", ("临时救助", "低保", "低保"),
             ("申请低保", "困难救助"),
             ("家中老人患病，生活困难，想申请救助", "想了解低保申请条件", "低保资格复核一直没有结果")),
    Category("social_security", "养老服务", 2, "flat", "市民政局", "help", "community", ("居家养老", "助餐服务", "助餐服务"),
             ("养老服务咨询", "老年助餐"),
             ("独居老人无人照顾，希望社区提供上门服务", "想了解社区老年食堂的就餐条件", "希望小区附近设置老年助餐点")),
    Category("public_safety", "消防隐患", 2, "winter", "市消防救援支队", "report", "compound", ("楼道堆物", "消防通道", "消防设施"),
             ("消防通道堵塞", "楼道堆放杂物"),
             ("楼道内堆满杂物，存在消防隐患", "消防通道被车辆长期占用", "小区消防栓没有水")),
    Category("public_safety", "电动车充电", 2, "flat", "市消防救援支队", "report", "compound", (),
             ("飞线充电", "电动车违规充电"),
             ("有住户从楼上拉电线给电动车充电", "电动车停放在楼道内充电", "小区缺少电动车充电桩")),
    Category("public_safety", "治安问题", 1, "flat", "市公安局", "report", "road", (),
             ("治安隐患", "可疑人员"),
             ("附近有人聚众赌博", "小区内多次发生电动车被盗", "夜间有人在路边聚集喧哗")),
    Category("education", "入学咨询", 2, "school", "市教育局", "enquiry", "community", ("小学入学", "随迁子女入学", "划片入学"),
             ("入学咨询", "学区划分"),
             ("孩子今年上小学，想咨询学区划分和报名时间", "随迁子女入学需要准备哪些材料", "对划片结果有疑问")),
    Category("education", "校外培训", 1, "flat", "市教育局", "report", "road", (),
             ("违规校外培训",), ("有培训机构违规开展学科类培训", "培训机构收费后关门")),
    Category("education", "学校周边", 1, "school", "市教育局", "suggestion", "road", (),
             ("学校周边安全", "上下学拥堵"),
             ("学校门口上下学时段交通拥堵", "学校周边有无证流动摊贩")),
    Category("health", "医院服务", 2, "flat", "市卫生健康委员会", "complaint", "road", (),
             ("就医服务", "医院服务态度"),
             ("医院挂号排队时间太长", "医生服务态度差", "医院停车难")),
    Category("health", "病媒防治", 1, "summer", "市卫生健康委员会", "help", "compound", (),
             ("蚊虫滋生", "老鼠出没"),
             ("小区内蚊虫很多，希望消杀", "楼道内经常有老鼠出没")),
    Category("health", "疫苗接种", 1, "flat", "市卫生健康委员会", "enquiry", "community", (),
             ("疫苗接种咨询",), ("想咨询儿童疫苗接种时间和地点", "想了解成人流感疫苗接种")),
    Category("utilities", "停水", 3, "heat", "临江水务集团", "help", "compound", ("突发停水", "水压不足", "突发停水"),
             ("停水", "水压不足"),
             ("小区突然停水，没有任何通知", "高楼层水压不足，白天经常没水", "停水一天了还没恢复")),
    Category("utilities", "停电", 3, "heat", "国网临江供电公司", "help", "compound", ("故障停电", "电压不稳", "故障停电"),
             ("停电", "频繁跳闸"),
             ("天气太热，小区突然停电", "家里电压不稳，空调无法启动", "一晚上停电好几次")),
    Category("utilities", "燃气", 2, "winter", "临江燃气集团", "help", "compound", ("燃气压力", "燃气泄漏", "燃气开通"),
             ("燃气问题", "燃气开户"),
             ("家里燃气压力不足，做饭困难", "闻到楼道有燃气味", "燃气开户一直没有上门安装")),
    Category("utilities", "供暖", 2, "winter", "临江热力集团", "enquiry", "compound", (),
             ("供暖问题", "集中供暖"),
             ("小区暖气不热，室内温度太低", "想咨询小区何时能接入集中供暖", "供暖费收费标准有疑问")),
    Category("utilities", "水质", 1, "summer", "临江水务集团", "complaint", "compound", (),
             ("水质问题",), ("自来水发黄有异味", "二次供水水箱长期不清洗")),
    Category("other", "政策咨询", 2, "flat", "市政务服务和大数据管理局", "enquiry", "community", (),
             ("政策咨询", "办事咨询"),
             ("想咨询办理居住证需要的材料", "想了解人才落户政策")),
    Category("other", "表扬感谢", 1, "flat", "市信访局", "suggestion", "community", (),
             ("表扬", "感谢信"),
             ("社区工作人员帮忙解决了问题，特此表扬", "网格员热心服务，表示感谢")),
)

APPEAL_PROFILES: dict[str, dict[str, float]] = {
    "complaint": {"complaint": 0.62, "report": 0.10, "help": 0.14, "suggestion": 0.06, "enquiry": 0.08},
    "help": {"help": 0.68, "complaint": 0.16, "enquiry": 0.10, "suggestion": 0.02, "report": 0.04},
    "enquiry": {"enquiry": 0.64, "help": 0.20, "complaint": 0.10, "suggestion": 0.04, "report": 0.02},
    "report": {"report": 0.50, "complaint": 0.36, "help": 0.08, "suggestion": 0.03, "enquiry": 0.03},
    "suggestion": {"suggestion": 0.52, "complaint": 0.18, "enquiry": 0.14, "help": 0.12, "report": 0.04},
}
# Days allowed to resolve, by appeal type (local practice varies; these are typical).
DUE_DAYS = {"enquiry": 1, "help": 3, "complaint": 5, "report": 7, "suggestion": 10}
CHANNEL_SHARES = {"hotline_12345": 0.55, "message_board": 0.15, "app": 0.15, "grid_patrol": 0.10, "member_report": 0.05}
CHANNEL_OPENERS = {
    "hotline_12345": ("市民来电反映：", "来电人反映：", "市民来电称："),
    "message_board": ("网友留言：", "网民在城市留言板反映："),
    "app": ("居民通过微邻里反映：", "微邻里用户反映："),
    "grid_patrol": ("网格员巡查发现：", "网格员上报："),
    "member_report": ("下沉党员报告：", "党员志愿者反映："),
}
APPEAL_REQUESTS = {
    "complaint": ("希望相关部门尽快处理。", "请相关部门督促整改。", "多次反映未果，要求尽快解决。", "严重影响居民生活，请尽快处理。"),
    "help": ("请求相关部门帮助协调解决。", "希望尽快安排人员处理。", "请帮忙联系处理。"),
    "enquiry": ("想咨询具体政策和办理流程。", "请相关部门予以解答。", "希望告知办理时限。"),
    "report": ("请相关部门核实查处。", "请依法查处。", "希望相关部门尽快核查。"),
    "suggestion": ("建议相关部门统筹考虑。", "建议加以改进。", "希望能够采纳。"),
}
# A few citizens type ASCII markup characters; they must survive CSV and HTML escaping downstream.
AWKWARD_FRAGMENTS = ("（噪音<80分贝>）", '（业主称"物业&开发商互相推诿"）', "（物业回复'再等等'）", "（PM2.5>150）",
                     "（A&B两栋）")
WHISTLE_DEPARTMENTS = ("市城市管理执法局", "市住房保障和房屋管理局", "市生态环境局", "市市场监督管理局", "市公安局",
                       "市水务局", "市自然资源和规划局", "市交通运输局", "市消防救援支队", "市园林和林业局")

# Relative orders per hour of the day (0–23): office-hour peaks, quiet nights.
HOURLY_PROFILES: dict[str, tuple[float, ...]] = {
    "day": (0.6, 0.35, 0.25, 0.2, 0.2, 0.35, 0.9, 2.2, 4.5, 7.2, 7.8, 6.8, 4.6, 4.4, 6.6, 7.0, 6.6, 5.5,
            4.0, 3.6, 3.3, 2.8, 1.9, 1.1),
    "evening": (3.0, 1.5, 0.6, 0.3, 0.2, 0.2, 0.3, 0.5, 0.8, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.2, 2.0,
                4.0, 6.0, 7.0, 7.0, 6.0, 4.5),
    "night": (6.0, 5.0, 3.0, 1.5, 0.6, 0.4, 0.4, 0.5, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6, 0.6,
              0.8, 1.5, 3.0, 5.0, 6.5, 7.0),
    "patrol": (0, 0, 0, 0, 0, 0, 0.2, 1.0, 4.0, 6.0, 6.0, 4.0, 1.0, 1.0, 5.0, 6.0, 5.0, 2.0, 0.5, 0.2, 0, 0, 0, 0),
}


class HotspotKind(NamedTuple):
    """A kind of local hotspot: which categories it produces, at what hours, and how heavy it is."""

    label: str
    l2: str
    problem: int
    hours: str
    orders_per_day: float


HOTSPOT_KINDS = (
    HotspotKind("工地夜间施工", "噪音扰民", 0, "night", 6.0),
    HotspotKind("夜市", "占道经营", 2, "evening", 5.0),
    HotspotKind("夜市油烟", "油烟污染", 1, "evening", 3.0),
    HotspotKind("广场舞", "噪音扰民", 1, "evening", 3.0),
    HotspotKind("物业纠纷小区", "物业服务", 0, "day", 4.0),
    HotspotKind("积水点", "排水防涝", 0, "day", 3.0),
    HotspotKind("停车难", "停车管理", 2, "evening", 3.0),
)


def hour_probabilities(profile: str) -> np.ndarray:
    """Normalised hour-of-day probabilities for a named profile."""
    weights = np.asarray(HOURLY_PROFILES[profile], float)
    return weights / weights.sum()
