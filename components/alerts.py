"""How an alert reads on screen (the alerts page and the wall): its kind, place, category and evidence in words, and
the links that open the grid map and the requests page filtered to it. Pure functions; text only, never markup."""

from __future__ import annotations

import json
import math
from datetime import timedelta
from urllib.parse import urlencode

import pandas as pd

from components.colours import ALERT_KIND_COLOURS, hex_colour
from components.i18n import code_label, translate
from data_access import codes
from data_access.alerts import ALERT_KINDS, AREA_ALERT_KINDS, DEFAULT_PARAMETERS, AlertParameters
from data_access.alerts.clusters import measure_radius

# Where an alert's links go: the staff pages' URL paths (app.py).
LINKED_PAGES = ("grid-map", "requests")


def _present(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value)) and value is not pd.NA


def format_figure(value) -> str:
    """A count or a line: whole numbers as they are, others to one decimal; '—' when missing."""
    if not _present(value):
        return "—"
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.1f}"


def format_level(value) -> str:
    """A usual level (an average): one decimal; '—' when missing."""
    return f"{float(value):,.1f}" if _present(value) else "—"


def kind_label(kind: str, language: str) -> str:
    return translate(f"alert.kind.{kind}", language)


def area_label(alert, language: str) -> str:
    """The alert's area by name, with its parent area's when the name does not already say it
    ("松林社区 · 北亭街道"); the code when the area is unknown."""
    suffix = "en" if language == "en" else "zh"
    name, parent = alert.get(f"area_name_{suffix}"), alert.get(f"parent_name_{suffix}")
    if not _present(name) or not name:
        return str(alert["area_code"])
    if _present(parent) and parent and not str(name).startswith(str(parent)):
        return f"{name} · {parent}"
    return str(name)


def category_label(alert, language: str) -> str:
    """What the alert is about: the first-level category (a cluster's second-level one too), or for a backlog
    jump what piled up (open or overdue requests)."""
    if alert["kind"] == "backlog":
        return translate(f"alert.measure.{alert['measure']}", language)
    text = code_label(codes.CATEGORIES_L1, alert["category_l1"], language) if _present(alert["category_l1"]) else ""
    if alert["kind"] == "repeat_cluster" and _present(alert.get("category_l2")):
        text = f"{text} · {alert['category_l2']}" if text else str(alert["category_l2"])
    return text


def evidence_text(alert, language: str, parameters: AlertParameters = DEFAULT_PARAMETERS) -> str:
    """The alert's figures in one sentence a supervisor reads: what was counted against what is usual and the line
    it crossed."""
    values = {"observed": format_figure(alert["observed"]), "expected": format_level(alert["expected"]),
              "upper": format_figure(alert["upper"]),
              "radius": f"{measure_radius(alert.get('measure'), parameters):,.0f}",
              "days": parameters.cluster_days, "backlog_days": parameters.backlog_days}
    return translate(f"alert.evidence.{alert['kind']}", language, **values)


def days_label(alert) -> str:
    """First and last flagged day ("06-29 – 06-30", or one day)."""
    first, last = alert["first_day"], alert["last_day"]
    return first.isoformat() if first == last else f"{first.isoformat()} – {last.isoformat()}"


def link_window(alert, parameters: AlertParameters = DEFAULT_PARAMETERS) -> tuple:
    """The days whose requests make the alert: its flagged days, and for a cluster the week before its first."""
    first = alert["first_day"]
    if alert["kind"] == "repeat_cluster":
        first = first - timedelta(days=parameters.cluster_days - 1)
    return first, alert["last_day"]


def link_query(alert, language: str) -> str:
    """The query string that opens a staff page filtered to the alert (components/filters.py reads it on a session's
    first run): its area, its category when it has one, and its days."""
    first, last = link_window(alert)
    params = {"area": alert["area_code"], "period": "custom", "from": first.isoformat(), "to": last.isoformat(),
              "lang": language}
    if alert["kind"] != "backlog" and _present(alert["category_l1"]):
        params["categories"] = alert["category_l1"]
    return urlencode(params, safe=",")


def link_url(page_path: str, alert, language: str) -> str:
    """A link relative to the current staff page (they share one directory), so it works under any base path."""
    return f"./{page_path}?{link_query(alert, language)}"


def select_label(alert, language: str) -> str:
    """One line naming an alert in a picker: "#12 突增 · 松林社区 · 北亭街道 · 环境保护"."""
    parts = [kind_label(alert["kind"], language), area_label(alert, language), category_label(alert, language)]
    return f"#{int(alert['alert_id'])} " + " · ".join(part for part in parts if part)


def task_state_label(state: str | None, language: str) -> str:
    """A 督办 task's state in words, or that the alert has none."""
    return code_label(codes.TASK_STATES, state, language) if state else translate("alerts.no_task", language)


def task_summary(alert, language: str) -> str:
    """What a task dispatched from the alert says it is about: the alert's number, kind, place, category, days
    and evidence."""
    parts = [kind_label(alert["kind"], language), area_label(alert, language), category_label(alert, language)]
    return (f"#{int(alert['alert_id'])} " + " · ".join(part for part in parts if part)
            + f" ({days_label(alert)}): " + evidence_text(alert, language))


def build_alert_table(alerts: pd.DataFrame, language: str, states: dict[int, str] | None = None) -> pd.DataFrame:
    """The list as shown and exported: ALERT_LIST_COLUMNS rows to text and figures (`kind_text`, `area_text`,
    `level_text`, `category_text`, `first`, `last`, `observed`, `expected_text`, `upper_text`), the state of each
    alert's 督办 task (`task_text`; `states`: {alert_id: state}) and the links (`map_link`, `requests_link`)."""
    rows = [alert for _, alert in alerts.iterrows()]
    states = states or {}
    return pd.DataFrame({
        "alert_id": alerts["alert_id"].astype("int64").tolist(),
        "kind_text": [kind_label(alert["kind"], language) for alert in rows],
        "area_text": [area_label(alert, language) for alert in rows],
        "area_code": alerts["area_code"].tolist(),
        "level_text": [translate(f"level.{alert['area_level']}", language) for alert in rows],
        "category_text": [category_label(alert, language) for alert in rows],
        "first": [alert["first_day"].isoformat() for alert in rows],
        "last": [alert["last_day"].isoformat() for alert in rows],
        "observed": alerts["observed"].astype("int64").tolist(),
        "expected_text": [format_level(alert["expected"]) for alert in rows],
        "upper_text": [format_figure(alert["upper"]) for alert in rows],
        "task_text": [task_state_label(states.get(int(alert["alert_id"])), language) for alert in rows],
        "map_link": [link_url("grid-map", alert, language) for alert in rows],
        "requests_link": [link_url("requests", alert, language) for alert in rows],
    }, columns=["alert_id", "kind_text", "area_text", "area_code", "level_text", "category_text", "first", "last",
                "observed", "expected_text", "upper_text", "task_text", "map_link", "requests_link"])


def map_label(alert, language: str) -> str:
    """A map tooltip's line for an alert: kind, place, category and "observed / line"."""
    figures = f"{format_figure(alert['observed'])} / {format_figure(alert['upper'])}"
    parts = [kind_label(alert["kind"], language), area_label(alert, language), category_label(alert, language)]
    return " · ".join(part for part in parts if part) + f": {figures}"


def build_alert_points(alerts: pd.DataFrame, language: str) -> pd.DataFrame:
    """Each alert's dot on a map (alert_id, kind, lon, lat, label): a repeat cluster at its centre, an area's alert
    at its area's inner point; an alert with neither is left off."""
    rows = []
    for _, alert in alerts.iterrows():
        lon, lat = alert["centre_lon"], alert["centre_lat"]
        if not (_present(lon) and _present(lat)):
            lon, lat = alert["area_lon"], alert["area_lat"]
        if _present(lon) and _present(lat):
            rows.append({"alert_id": int(alert["alert_id"]), "kind": alert["kind"], "lon": float(lon),
                         "lat": float(lat), "label": map_label(alert, language)})
    return pd.DataFrame(rows, columns=["alert_id", "kind", "lon", "lat", "label"])


def build_flagged_areas(areas, alerts: pd.DataFrame, language: str):
    """The areas flagged by the listed alerts of the kinds that flag an area, each coloured by its most pressing
    alert (a surge before a backlog jump, which a surge often causes), with that alert's id and every alert's line
    as its `label`."""
    flagging = alerts[alerts["kind"].isin(AREA_ALERT_KINDS)]
    if flagging.empty or areas.empty:
        return areas.iloc[0:0].assign(kind=[], alert_id=[], label=[])
    labels = flagging.assign(line=[map_label(alert, language) for _, alert in flagging.iterrows()],
                             rank=flagging["kind"].map(AREA_ALERT_KINDS.index))
    labels = labels.sort_values("rank", kind="stable")
    grouped = labels.groupby("area_code", sort=False).agg(kind=("kind", "first"), alert_id=("alert_id", "first"),
                                                          label=("line", " | ".join))
    shown = areas[areas["code"].isin(grouped.index)]
    return shown.assign(kind=shown["code"].map(grouped["kind"]),
                        alert_id=shown["code"].map(grouped["alert_id"]).astype("int64"),
                        label=shown["code"].map(grouped["label"]))


def order_numbers(alert) -> list[str]:
    """A repeat cluster's work-order numbers (its evidence); [] for other alerts."""
    text = alert.get("order_nos")
    return sorted(json.loads(text)) if _present(text) and text else []


def picked_alert_id(selection) -> int | None:
    """The alert a map click picked (st.pydeck_chart's selection state: objects per layer id), or None."""
    try:
        objects = dict(selection["selection"]["objects"] or {})
    except (KeyError, TypeError, AttributeError):
        return None
    for layer in ("alerts", "alert-areas"):
        for picked in objects.get(layer) or []:
            record = (picked.get("properties") or picked) if isinstance(picked, dict) else {}
            if record.get("alert_id") is not None:
                return int(record["alert_id"])
    return None


def build_legend_items(language: str) -> list[tuple[str, str]]:
    """(colour, kind) for a map legend."""
    return [(hex_colour(ALERT_KIND_COLOURS[kind]), kind_label(kind, language)) for kind in ALERT_KINDS]
