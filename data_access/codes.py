"""The domain's code lists: one place for every enum, code format and label."""

from __future__ import annotations

import re

# Area levels: name -> number of digits in the code (GB/T 2260 + statistical division codes).
AREA_LEVELS: dict[str, int] = {"district": 6, "street": 9, "community": 12, "grid": 15}
LEVEL_BY_CODE_LENGTH = {digits: level for level, digits in AREA_LEVELS.items()}
PARENT_LEVEL = {"street": "district", "community": "street", "grid": "community"}
CHILD_LEVEL = {"city": "district", "district": "street", "street": "community", "community": "grid"}
AREA_CODE_PATTERNS = {level: re.compile(rf"^\d{{{digits}}}$") for level, digits in AREA_LEVELS.items()}


def level_of_code(code: str) -> str:
    """Return the area level ('district' … 'grid') a code belongs to, or raise ValueError."""
    level = LEVEL_BY_CODE_LENGTH.get(len(code or ""))
    if level is None or not code.isdigit():
        raise ValueError(f"not an area code: {code!r}")
    return level


# Labels are (Chinese, English).
STATION_TYPES: dict[str, tuple[str, str]] = {
    "street_center": ("街道党群服务中心", "Street party & people service centre"),
    "community_center": ("社区党群服务中心", "Community party & people service centre"),
    "compound_post": ("小区党群服务驿站", "Compound service post"),
    "outdoor_worker_station": ("户外工作者驿站", "Outdoor workers' rest station"),
    "mediation_center": ("矛盾调解中心", "Dispute mediation centre"),
    "elderly_meal_point": ("老年助餐点", "Elderly meal point"),
    "villagers_council_hall": ("村民议事厅", "Villagers' council hall"),
}
STATION_STATUSES: dict[str, tuple[str, str]] = {
    "open": ("开放", "Open"),
    "temporarily_closed": ("暂停开放", "Temporarily closed"),
    "planned": ("规划中", "Planned"),
}

CHANNELS: dict[str, tuple[str, str]] = {
    "hotline_12345": ("12345热线", "12345 hotline"),
    "message_board": ("城市留言板", "Online message board"),
    "app": ("微邻里", "Neighbourhood app"),
    "grid_patrol": ("网格巡查", "Grid patrol"),
    "member_report": ("党员报告", "Member report"),
}
APPEAL_TYPES: dict[str, tuple[str, str]] = {
    "enquiry": ("咨询", "Enquiry"),
    "help": ("求助", "Help"),
    "complaint": ("投诉", "Complaint"),
    "report": ("举报", "Report"),
    "suggestion": ("建议", "Suggestion"),
}
CATEGORIES_L1: dict[str, tuple[str, str]] = {
    "city_management": ("城市管理", "City management"),
    "housing_property": ("住房物业", "Housing & property"),
    "transport": ("交通出行", "Transport"),
    "environment": ("环境保护", "Environment"),
    "market_regulation": ("市场监管", "Market regulation"),
    "social_security": ("社会保障", "Social security"),
    "public_safety": ("公共安全", "Public safety"),
    "education": ("教育", "Education"),
    "health": ("医疗卫生", "Health"),
    "utilities": ("水电气", "Utilities"),
    "other": ("其他", "Other"),
}
# Lifecycle: received → dispatched → accepted → in_progress → resolved → called_back → closed;
# returned, extended and merged are branches.
WORK_ORDER_STATUSES: dict[str, tuple[str, str]] = {
    "received": ("受理", "Received"),
    "dispatched": ("派单", "Dispatched"),
    "accepted": ("签收", "Accepted"),
    "in_progress": ("办理中", "In progress"),
    "returned": ("退单", "Returned"),
    "extended": ("延期", "Extended"),
    "resolved": ("办结", "Resolved"),
    "called_back": ("已回访", "Called back"),
    "closed": ("结案", "Closed"),
    "merged": ("合并", "Merged duplicate"),
}
OPEN_STATUSES = ("received", "dispatched", "accepted", "in_progress", "returned", "extended")
DONE_STATUSES = ("resolved", "called_back", "closed")
# Timestamp columns in lifecycle order; each must not precede the one before it.
LIFECYCLE_TIMESTAMPS = ("received_at", "dispatched_at", "accepted_at", "resolved_at", "called_back_at", "closed_at")
RESOLUTIONS: dict[str, tuple[str, str]] = {
    "solved": ("已解决", "Solved"),
    "unsolved": ("未解决", "Not solved"),
}
SATISFACTION: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "Satisfied"),
    "basically_satisfied": ("基本满意", "Basically satisfied"),
    "dissatisfied": ("不满意", "Dissatisfied"),
}
SATISFIED_ANSWERS = ("satisfied", "basically_satisfied")
COORD_SYSTEMS = ("WGS84", "GCJ02", "BD09")

MEMBER_UNIT_TYPES: dict[str, tuple[str, str]] = {
    "government_organ": ("机关", "Government organ"),
    "public_institution": ("事业单位", "Public institution"),
    "state_enterprise": ("国有企业", "State-owned enterprise"),
    "private_enterprise": ("非公企业", "Private enterprise"),
    "social_organization": ("社会组织", "Social organisation"),
    "other": ("其他", "Other"),
}
MEMBER_POSTS: dict[str, tuple[str, str]] = {
    "organization": ("组织建设", "Organisation"),
    "legal_aid": ("法律援助", "Legal aid"),
    "help_needy": ("帮困解难", "Help for the needy"),
    "community_governance": ("社区治理", "Community governance"),
    "health": ("医疗健康", "Health"),
    "culture_sports": ("文体活动", "Culture & sport"),
    "safety_patrol": ("平安巡逻", "Safety patrol"),
    "other": ("其他", "Other"),
}
MEMBER_STATUSES: dict[str, tuple[str, str]] = {
    "active": ("在岗", "Active"),
    "inactive": ("暂停", "Inactive"),
    "transferred": ("已转出", "Transferred"),
}
ACTIVITY_KINDS: dict[str, tuple[str, str]] = {
    "patrol": ("巡查", "Patrol"),
    "service": ("志愿服务", "Service"),
    "whistle_response": ("响应吹哨", "Whistle response"),
    "work_order": ("诉求办理", "Work-order handling"),
}
GRID_WORKER_ROLES: dict[str, tuple[str, str]] = {
    "grid_head": ("网格长", "Grid head"),
    "full_time": ("专职网格员", "Full-time grid worker"),
    "part_time": ("兼职网格员", "Part-time grid worker"),
    "member_adviser": ("党员网格指导员", "Member grid adviser"),
}

# Departments a supervision task (督办) can be assigned to, besides the street offices (the street areas): the
# city's functional departments and utilities that answer 12345 orders and report in when a street whistles.
DEPARTMENTS: dict[str, tuple[str, str]] = {
    "urban_management": ("市城市管理执法局", "City Administration and Law Enforcement Bureau"),
    "housing_management": ("市住房保障和房屋管理局", "Housing Security and Management Bureau"),
    "housing_construction": ("市住房和城乡建设局", "Housing and Urban-Rural Development Bureau"),
    "natural_resources": ("市自然资源和规划局", "Natural Resources and Planning Bureau"),
    "ecology_environment": ("市生态环境局", "Ecology and Environment Bureau"),
    "water_affairs": ("市水务局", "Water Affairs Bureau"),
    "landscape_forestry": ("市园林和林业局", "Landscape and Forestry Bureau"),
    "transport": ("市交通运输局", "Transport Bureau"),
    "public_security": ("市公安局", "Public Security Bureau"),
    "traffic_police": ("市公安局交通管理局", "Traffic Management Bureau"),
    "fire_rescue": ("市消防救援支队", "Fire and Rescue Detachment"),
    "market_regulation": ("市市场监督管理局", "Market Regulation Administration"),
    "human_resources": ("市人力资源和社会保障局", "Human Resources and Social Security Bureau"),
    "medical_security": ("市医疗保障局", "Healthcare Security Administration"),
    "health": ("市卫生健康委员会", "Health Commission"),
    "education": ("市教育局", "Education Bureau"),
    "civil_affairs": ("市民政局", "Civil Affairs Bureau"),
    "petitions": ("市信访局", "Letters and Calls Bureau"),
    "government_services": ("市政务服务和大数据管理局", "Government Services and Big Data Administration"),
    "water_supply": ("供水企业", "Water supply company"),
    "power_supply": ("供电企业", "Power supply company"),
    "gas_supply": ("燃气企业", "Gas supply company"),
    "heat_supply": ("供热企业", "Heating company"),
}
# A supervision task's life: open → accepted → resolved → verified; a supervisor may return a resolved task with a
# reason, and the assignee resolves it again.
TASK_STATES: dict[str, tuple[str, str]] = {
    "open": ("待签收", "Awaiting acceptance"),
    "accepted": ("办理中", "In progress"),
    "resolved": ("待核验", "Awaiting verification"),
    "returned": ("退回重办", "Returned"),
    "verified": ("已核验办结", "Verified"),
}
TASK_ACTIONS: dict[str, tuple[str, str]] = {
    "create": ("交办", "Dispatched"),
    "accept": ("签收", "Accepted"),
    "resolve": ("办结反馈", "Resolved"),
    "return": ("退回", "Returned"),
    "verify": ("核验通过", "Verified"),
}
TASK_SOURCES: dict[str, tuple[str, str]] = {
    "alert": ("预警", "Alert"),
    "hotspot": ("热点", "Hotspot"),
    "area": ("区域", "Area"),
}

# The phone rule: a mainland mobile (11 digits) or a landline with its area code (0xx[x]-xxxxxxx[x]).
MOBILE_PHONE = r"1[3-9]\d{9}"
LANDLINE_PHONE = r"0\d{2,3}-?\d{7,8}"
PHONE_PATTERN = re.compile(rf"(?:{MOBILE_PHONE}|{LANDLINE_PHONE})")
PHONE_DESCRIPTION = "a mobile (11 digits) or landline phone number"
MOBILE_PHONE_PATTERN = re.compile(rf"^{MOBILE_PHONE}$")
