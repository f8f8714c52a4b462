"""The UI string catalog (Chinese and English) and the current language."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGES = ("zh", "en")
DEFAULT_LANGUAGE = "zh"

# key: (Chinese, English). Every visible string of the app comes from here or from data_access.codes.
STRINGS: dict[str, tuple[str, str]] = {
    "app.title": ("城市一屏", "Cityscreen"),
    "app.synthetic": ("演示数据 · 非真实数据", "Synthetic demo data · not real"),
    "app.data_as_of": ("数据截至 {when}", "Data as of {when}"),
    "app.language": ("语言 / Language", "Language / 语言"),
    "app.error": ("数据暂时无法读取，请稍后再试。", "The data cannot be read right now; please try again shortly."),
    "app.empty": ("当前筛选条件下没有数据。", "Nothing matches the current filters."),
    "page.overview": ("一屏总览", "Overview"),
    "page.grid_map": ("网格地图", "Grid map"),
    "page.stations": ("服务阵地", "Stations"),
    "page.requests": ("民生诉求", "Requests"),
    "page.members": ("党员下沉", "Members"),
    "filter.header": ("筛选", "Filters"),
    "filter.area": ("区域", "Area"),
    "filter.whole_city": ("全市", "Whole city"),
    "filter.all": ("全部", "All"),
    "filter.district": ("区", "District"),
    "filter.street": ("街道", "Street"),
    "filter.community": ("社区", "Community"),
    "filter.grid": ("网格", "Grid"),
    "filter.period": ("时间", "Period"),
    "filter.period.today": ("今日", "Today"),
    "filter.period.7d": ("近7日", "Last 7 days"),
    "filter.period.30d": ("近30日", "Last 30 days"),
    "filter.period.year": ("今年", "This year"),
    "filter.period.custom": ("自定义", "Custom"),
    "filter.dates": ("起止日期", "From – to"),
    "filter.categories": ("诉求类别", "Categories"),
    "filter.channels": ("渠道", "Channels"),
    "filter.statuses": ("办理状态", "Statuses"),
    "filter.reset": ("重置筛选", "Reset filters"),
    "tile.received_today": ("今日受理", "Received today"),
    "tile.received_range": ("期内受理", "Received in period"),
    "tile.open": ("在办", "Open"),
    "tile.open.help": ("尚未办结的诉求（不限受理时间）", "Requests not yet resolved, whenever received"),
    "tile.overdue": ("超期", "Overdue"),
    "tile.overdue.help": ("在办且已超过办理时限", "Open and past their due time"),
    "tile.on_time": ("按期办结率", "On-time closure"),
    "tile.satisfaction": ("满意率", "Satisfaction"),
    "tile.members_week": ("本周在岗党员", "Members active this week"),
    "tile.members_week.help": ("本周有服务记录的下沉党员 / 在岗下沉党员",
                               "Members with an activity in the last 7 days / members deployed"),
    "tile.stations_open": ("开放阵地", "Stations open"),
    "kpi.formula": ("{definition} = {numerator} / {denominator}", "{definition} = {numerator} / {denominator}"),
    "level.city": ("市", "City"),
    "level.district": ("区", "District"),
    "level.street": ("街道", "Street"),
    "level.community": ("社区", "Community"),
    "level.grid": ("网格", "Grid"),
}


def translate(key: str, language: str, **values) -> str:
    """Return the catalog string for `key` in `language`, formatted with `values`."""
    chinese, english = STRINGS[key]
    text = english if language == "en" else chinese
    return text.format(**values) if values else text


def code_label(labels: Mapping[str, tuple[str, str]], code: str, language: str) -> str:
    """Return the label of an enumerated code (codes.py tables), or the code itself when unknown."""
    pair = labels.get(code)
    if pair is None:
        return str(code)
    return pair[1] if language == "en" else pair[0]


def pick_language(query_value: str | None, session_value: str | None, browser_locale: str | None) -> str:
    """Choose the language: ?lang= first, then the session's choice, then the browser locale, else Chinese."""
    for candidate in (query_value, session_value):
        if candidate in LANGUAGES:
            return candidate
    if browser_locale and browser_locale.lower().startswith("en"):
        return "en"
    return DEFAULT_LANGUAGE
