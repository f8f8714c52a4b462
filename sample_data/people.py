"""Members deployed to communities (党员下沉), their service activities, and grid workers (网格员)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from data_access.codes import ACTIVITY_KINDS, MEMBER_POSTS
from sample_data.geography import CityGeography
from sample_data.work_orders import DAY, WorkOrderTable

MEMBER_COLUMNS = [
    "member_id",
    "name",
    "phone",
    "work_unit",
    "unit_type",
    "residence_community_code",
    "community_code",
    "grid_code",
    "checkin_date",
    "skills",
    "claimed_posts",
    "status",
]
ACTIVITY_COLUMNS = [
    "activity_id",
    "member_id",
    "activity_date",
    "kind",
    "hours",
    "grid_code",
    "work_order_no",
    "note",
]
GRID_WORKER_COLUMNS = ["worker_id", "name", "phone", "grid_code", "role", "on_duty"]
UNDER_COVERED_SHARE = 0.15
SKILLS = (
    "法律咨询",
    "医疗护理",
    "心理疏导",
    "电脑维修",
    "水电维修",
    "文艺表演",
    "书法",
    "摄影",
    "驾驶",
    "外语",
    "财务会计",
    "教育辅导",
    "应急救护",
    "消防安全",
    "烹饪",
    "理发",
    "政策宣讲",
)
ACTIVITY_NOTES = {
    "patrol": ("夜间平安巡逻", "小区消防通道巡查", "防汛巡查", "文明劝导", "电动车充电隐患排查"),
    "service": (
        "走访独居老人",
        "协助清理楼道杂物",
        "社区义诊",
        "政策宣讲",
        "儿童课业辅导",
        "垃圾分类宣传",
        "义务理发",
    ),
    "whistle_response": ("响应社区吹哨，协助处置", "参与联合整治", "协助疏导交通"),
    "work_order": ("协助办理市民诉求", "上门核实诉求情况", "回访诉求办理结果"),
}
KIND_SHARES = {"patrol": 0.35, "service": 0.40, "whistle_response": 0.08, "work_order": 0.17}
KIND_HOURS = {
    "patrol": (1.0, 3.0),
    "service": (1.0, 4.0),
    "whistle_response": (0.5, 3.0),
    "work_order": (0.5, 2.0),
}


def work_units(city: CityGeography) -> list[tuple[str, str, str]]:
    """Employer units (name, unit type, a typical skill): city bureaus, district bodies, hospitals, firms …"""
    units = [
        (f"市{name}", "government_organ", "政策宣讲")
        for name in (
            "交通运输局",
            "财政局",
            "民政局",
            "教育局",
            "自然资源和规划局",
            "生态环境局",
            "住房和城乡建设局",
            "城市管理执法局",
            "市场监督管理局",
            "人力资源和社会保障局",
            "卫生健康委员会",
            "司法局",
            "统计局",
            "审计局",
            "税务局",
            "水务局",
        )
    ]
    for district in city.districts["name_zh"]:
        units += [
            (f"{district}人民政府办公室", "government_organ", "政策宣讲"),
            (f"{district}民政局", "government_organ", "政策宣讲"),
            (f"{district}人民医院", "public_institution", "医疗护理"),
            (f"{district}第一中学", "public_institution", "教育辅导"),
            (f"{district}实验小学", "public_institution", "教育辅导"),
            (f"{district}司法局", "government_organ", "法律咨询"),
        ]
    units += [
        (name, "public_institution", skill)
        for name, skill in (
            ("临江市第一人民医院", "医疗护理"),
            ("临江市中心医院", "医疗护理"),
            ("临江大学", "教育辅导"),
            ("临江市第二中学", "教育辅导"),
            ("市疾病预防控制中心", "医疗护理"),
            ("市图书馆", "文艺表演"),
        )
    ]
    units += [
        (name, "state_enterprise", skill)
        for name, skill in (
            ("国网临江供电公司", "水电维修"),
            ("临江水务集团", "水电维修"),
            ("临江燃气集团", "水电维修"),
            ("临江地铁集团", "应急救护"),
            ("中国移动临江分公司", "电脑维修"),
            ("中国工商银行临江分行", "财务会计"),
            ("临江城市建设投资集团", "财务会计"),
            ("临江公交集团", "驾驶"),
        )
    ]
    units += [
        (f"临江{stem}科技有限公司", "private_enterprise", "电脑维修")
        for stem in ("华创", "鸿图", "光谷", "明德")
    ]
    units += [(f"临江{stem}律师事务所", "private_enterprise", "法律咨询") for stem in ("正和", "德衡")]
    units += [
        ("临江市志愿者协会", "social_organization", "应急救护"),
        ("临江市社会工作协会", "social_organization", "心理疏导"),
        ("个体工商户", "other", "烹饪"),
    ]
    return units


def set_member_targets(city: CityGeography, members: int) -> None:
    """Give each community a member target; most communities exceed it once members are placed."""
    households = city.communities["households"].to_numpy().astype(float)
    per_member = households.sum() * 1.1 / members
    city.communities["member_target"] = np.round(households / per_member).astype(np.int64)


def members_per_community(rng: np.random.Generator, targets: np.ndarray, members: int) -> np.ndarray:
    """Members each community gets: ~85% at or above target, ~15% well under it, summing to `members`."""
    under = rng.random(len(targets)) < UNDER_COVERED_SHARE
    factor = np.where(under, rng.uniform(0.3, 0.85, len(targets)), rng.uniform(1.02, 1.35, len(targets)))
    desired = targets * factor + 0.01
    raw = desired * members / desired.sum()
    counts = np.floor(raw).astype(np.int64)
    counts[np.argsort(-(raw - counts), kind="stable")[: members - counts.sum()]] += 1
    return counts


def pick_in_groups(values: np.ndarray, groups: dict, keys, draws: np.ndarray) -> list:
    """For each key, one of the values at that key's group rows (chosen by a random draw)."""
    return [values[groups[key][draw % len(groups[key])]] for key, draw in zip(keys, draws, strict=True)]


def build_members(
    rng: np.random.Generator,
    city: CityGeography,
    count: int,
    as_of: dt.date,
    names: np.ndarray,
    phones: np.ndarray,
) -> pd.DataFrame:
    """Members with unit, residence, assigned community and grid, check-in date, skills and posts."""
    communities, grids = city.communities, city.grids
    community = np.repeat(
        np.arange(len(communities)),
        members_per_community(rng, communities["member_target"].to_numpy(), count),
    )
    community_codes = communities["code"].to_numpy()[community]
    grid_rows = grids.groupby("parent_code").indices
    grid_codes = grids["code"].to_numpy()
    grid_code = np.array(
        pick_in_groups(grid_codes, grid_rows, community_codes, rng.integers(0, 1 << 20, count))
    )
    grid_code[rng.random(count) < 0.05] = ""
    elsewhere = rng.random(count)
    district_peers = communities.groupby(communities["code"].str[:6]).indices
    district_codes = [code[:6] for code in community_codes]
    peer = np.array(
        pick_in_groups(
            communities["code"].to_numpy(), district_peers, district_codes, rng.integers(0, 1 << 20, count)
        )
    )
    residence = np.where(elsewhere < 0.78, community_codes, np.where(elsewhere < 0.92, peer, ""))
    units = work_units(city)
    # Per-unit weights chosen so unit types come out about 30/35/15/14/3/3 per cent (many bureaus, few firms).
    type_weight = {
        "government_organ": 1.5,
        "public_institution": 2,
        "state_enterprise": 5,
        "private_enterprise": 6,
        "social_organization": 4,
        "other": 6,
    }
    unit_weights = np.array([type_weight[unit_type] for _, unit_type, _ in units])
    unit = rng.choice(len(units), count, p=unit_weights / unit_weights.sum())
    unit_skill = np.array([entry[2] for entry in units])[unit]
    extra = np.array(SKILLS)[rng.integers(0, len(SKILLS), count)]
    skills = np.where(
        rng.random(count) < 0.15,
        "",
        np.where(rng.random(count) < 0.5, unit_skill, np.char.add(np.char.add(unit_skill, ";"), extra)),
    )
    skills = np.where(np.char.endswith(skills.astype(str), ";" + unit_skill), unit_skill, skills)
    posts = np.array([post for post in MEMBER_POSTS if post != "other"] + ["other"])
    post_weights = np.array([3, 1, 3, 3, 2, 2, 4, 0.5])
    first = rng.choice(len(posts), count, p=post_weights / post_weights.sum())
    second = (first + rng.integers(1, len(posts), count)) % len(posts)
    claimed = np.where(
        rng.random(count) < 0.55, posts[first], np.char.add(np.char.add(posts[first], ";"), posts[second])
    )
    days_back = np.where(
        rng.random(count) < 0.012,
        rng.integers(0, 7, count),
        (rng.random(count) ** 1.1 * 3 * 365).astype(np.int64),
    )
    checkin = np.datetime64(as_of) - days_back.astype("timedelta64[D]")
    status = rng.choice(["active", "inactive", "transferred"], count, p=[0.92, 0.05, 0.03])
    return pd.DataFrame(
        {
            "member_id": [f"M{number:07d}" for number in range(1, count + 1)],
            "name": names,
            "phone": phones,
            "work_unit": np.array([entry[0] for entry in units])[unit],
            "unit_type": np.array([e[1] for e in units])[unit],
            "residence_community_code": residence,
            "community_code": community_codes,
            "grid_code": grid_code,
            "checkin_date": checkin.astype(str),
            "skills": skills,
            "claimed_posts": claimed,
            "status": status,
        },
        columns=MEMBER_COLUMNS,
    )


def link_orders(
    rng: np.random.Generator,
    order_keys: np.ndarray,
    order_rows: np.ndarray,
    community: np.ndarray,
    day_end: np.ndarray,
    max_age_days: int,
) -> np.ndarray:
    """For each activity, a recent order of its community received before the activity's day ends (or -1)."""
    wanted = community.astype(np.int64) * (1 << 40) + day_end
    position = np.searchsorted(order_keys, wanted, side="right") - 1 - rng.integers(0, 6, len(wanted))
    position = np.clip(position, 0, max(len(order_keys) - 1, 0))
    if len(order_keys) == 0:
        return np.full(len(wanted), -1)
    found = order_keys[position]
    valid = (found >> 40 == community) & (found <= wanted) & (wanted - found <= max_age_days * DAY)
    return np.where(valid, order_rows[position], -1)


def build_activities(
    rng: np.random.Generator,
    members: pd.DataFrame,
    orders: WorkOrderTable,
    count: int,
    as_of: dt.date,
    day_seconds: int = DAY,
) -> pd.DataFrame:
    """Service records over the past year, Poisson per member, linking orders of the member's community; of the
    last day's, the share recorded by `day_seconds` into it."""
    communities = orders.city.communities
    community_row = pd.Series(np.arange(len(communities)), index=communities["code"])
    rate = rng.gamma(1.3, 1 / 1.3, len(members)) * count / len(members)
    rate *= np.where(members["status"].to_numpy() == "active", 1.05, 0.25)
    per_member = rng.poisson(rate)
    member = np.repeat(np.arange(len(members)), per_member)
    total = len(member)
    checkin = members["checkin_date"].to_numpy().astype("datetime64[D]")[member]
    first = np.maximum(checkin, np.datetime64(as_of) - np.timedelta64(364, "D"))
    window = (np.datetime64(as_of) - first).astype(np.int64) + 1
    activity_date = np.datetime64(as_of) - (rng.random(total) ** 1.2 * window).astype("timedelta64[D]")
    kinds = np.array(list(ACTIVITY_KINDS))
    kind_index = rng.choice(len(kinds), total, p=[KIND_SHARES[name] for name in kinds])
    kind = kinds[kind_index]
    low, high = np.array([KIND_HOURS[name] for name in kinds]).T
    hours = np.round((low[kind_index] + rng.random(total) * (high[kind_index] - low[kind_index])) * 2) / 2
    community = community_row[members["community_code"].to_numpy()[member]].to_numpy()
    order_community = community_row[orders.city.grids["parent_code"].to_numpy()].to_numpy()[
        orders.columns["grid"]
    ]
    order_keys = order_community.astype(np.int64) * (1 << 40) + orders.columns["received"]
    sort = np.argsort(order_keys, kind="stable")
    day_end = activity_date.astype(np.int64) * DAY + DAY - 1
    linked = np.full(total, -1)
    is_order = kind == "work_order"
    linked[is_order] = link_orders(rng, order_keys[sort], sort, community[is_order], day_end[is_order], 60)
    whistles = np.flatnonzero(orders.columns["whistle"])
    whistle_keys = (
        order_community[whistles].astype(np.int64) * (1 << 40) + orders.columns["whistled_at"][whistles]
    )
    whistle_sort = np.argsort(whistle_keys, kind="stable")
    is_whistle = kind == "whistle_response"
    linked[is_whistle] = link_orders(
        rng,
        whistle_keys[whistle_sort],
        whistles[whistle_sort],
        community[is_whistle],
        day_end[is_whistle],
        30,
    )
    notes = np.full(total, "", dtype=object)
    for name, options in ACTIVITY_NOTES.items():
        rows = np.flatnonzero((kind == name) & (rng.random(total) < 0.6))
        notes[rows] = np.array(options, dtype=object)[rng.integers(0, len(options), len(rows))]
    keep = np.ones(total, dtype=bool)
    if day_seconds < DAY:  # a day still running: its check-ins so far (drawn last, so whole days stay the same)
        keep = (activity_date != np.datetime64(as_of)) | (rng.random(total) < day_seconds / DAY)
    activities = pd.DataFrame(
        {
            "member_id": members["member_id"].to_numpy()[member],
            "activity_date": activity_date.astype(str),
            "kind": kind,
            "hours": hours,
            "grid_code": members["grid_code"].to_numpy()[member],
            "work_order_no": np.where(linked >= 0, orders.order_no[np.maximum(linked, 0)], ""),
            "note": notes,
        }
    )[keep]
    activities = activities.sort_values(["activity_date", "member_id"], kind="stable").reset_index(drop=True)
    activities.insert(0, "activity_id", [f"A{number:08d}" for number in range(1, len(activities) + 1)])
    return activities[ACTIVITY_COLUMNS]


def build_grid_workers(
    rng: np.random.Generator,
    city: CityGeography,
    members: pd.DataFrame,
    names: np.ndarray,
    phones: np.ndarray,
) -> pd.DataFrame:
    """Per grid: a grid head, 1–2 full-time, 0–2 part-time workers and often a member adviser."""
    grid_codes = city.grids["code"].to_numpy()
    roles_per_grid = [
        ("grid_head", np.ones(len(grid_codes), dtype=int)),
        ("full_time", rng.choice([1, 2], len(grid_codes), p=[0.6, 0.4])),
        ("part_time", rng.choice([0, 1, 2], len(grid_codes), p=[0.3, 0.45, 0.25])),
        ("member_adviser", (rng.random(len(grid_codes)) < 0.65).astype(int)),
    ]
    grid = np.concatenate([np.repeat(np.arange(len(grid_codes)), counts) for _, counts in roles_per_grid])
    role = np.concatenate([np.full(counts.sum(), name) for name, counts in roles_per_grid])
    order = np.lexsort((role, grid))
    grid, role = grid[order], role[order]
    worker_names, worker_phones = names[: len(grid)].copy(), phones[: len(grid)].copy()
    # A member adviser is one of the members assigned to that grid, when there is one.
    assigned = members[members["grid_code"] != ""].drop_duplicates("grid_code").set_index("grid_code")
    adviser = np.flatnonzero(role == "member_adviser")
    adviser_grid = pd.Series(grid_codes[grid[adviser]])
    has_member = adviser_grid.isin(assigned.index).to_numpy()
    worker_names[adviser[has_member]] = adviser_grid[has_member].map(assigned["name"]).to_numpy()
    worker_phones[adviser[has_member]] = adviser_grid[has_member].map(assigned["phone"]).to_numpy()
    return pd.DataFrame(
        {
            "worker_id": [f"W{number:06d}" for number in range(1, len(grid) + 1)],
            "name": worker_names,
            "phone": worker_phones,
            "grid_code": grid_codes[grid],
            "role": role,
            "on_duty": np.where(rng.random(len(grid)) < 0.95, "true", "false"),
        },
        columns=GRID_WORKER_COLUMNS,
    )
