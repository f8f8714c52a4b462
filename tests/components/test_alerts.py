"""How an alert reads on screen: words, links that the filters read back, the chart's layers, the map's layers and
the wall's list, with hostile area names kept as text."""

from __future__ import annotations

import html
import json
from datetime import date
from urllib.parse import parse_qs, urlsplit

import geopandas as gpd
import pandas as pd
import shapely

from components import alerts as alert_text
from components import charts, maps, wall
from components.colours import ALERT_KIND_COLOURS, hex_colour
from components.i18n import translate
from data_access import codes
from data_access.alerts import ALERT_LIST_COLUMNS, DEFAULT_PARAMETERS

HOSTILE = '<img src=x onerror="alert(1)">**松林**'


def alert(**values) -> pd.Series:
    row = dict.fromkeys(ALERT_LIST_COLUMNS)
    row.update(alert_id=7, kind="surge", area_code="429902001001", area_level="community", category_l1="environment",
               measure="received", first_day=date(2026, 6, 29), last_day=date(2026, 6, 30), observed=14,
               expected=1.969849, upper=9.0, status="open", area_name_zh="松林社区", area_name_en="Songlin Community",
               parent_name_zh="北亭街道", parent_name_en="Beiting Street", area_lon=113.2, area_lat=30.39)
    row.update(values)
    return pd.Series(row)


def cluster(**values) -> pd.Series:
    return alert(**{"alert_id": 8, "kind": "repeat_cluster", "area_code": "429902102001001", "area_level": "grid",
                    "category_l1": "utilities", "category_l2": "停水", "measure": "requests", "observed": 3,
                    "expected": 0.0, "upper": 2.0, "centre_lon": 113.177, "centre_lat": 30.393,
                    "area_name_zh": "云渡社区第1网格", "area_name_en": "Yundu Community Grid 1",
                    "parent_name_zh": "云渡社区", "parent_name_en": "Yundu Community",
                    "order_nos": json.dumps(["T2", "T1", "T3"]), **values})


def backlog(**values) -> pd.Series:
    return alert(**{"alert_id": 9, "kind": "backlog", "category_l1": None, "measure": "open", "observed": 20,
                    "expected": 3.43, "upper": 13.0, **values})


def test_an_alert_in_words_in_both_languages():
    assert alert_text.area_label(alert(), "zh") == "松林社区 · 北亭街道"
    assert alert_text.area_label(alert(), "en") == "Songlin Community · Beiting Street"
    # A grid's name already says its community: not said twice.
    assert alert_text.area_label(cluster(), "en") == "Yundu Community Grid 1"
    assert alert_text.area_label(alert(area_name_zh=None), "zh") == "429902001001"
    assert alert_text.category_label(alert(), "en") == codes.CATEGORIES_L1["environment"][1]
    assert alert_text.category_label(cluster(), "zh") == "水电气 · 停水"
    assert alert_text.category_label(backlog(), "zh") == translate("alert.measure.open", "zh")
    assert alert_text.evidence_text(alert(), "zh") == "当日受理 14 件，通常约 2.0 件，预警线 9 件。"
    assert alert_text.evidence_text(cluster(), "en").startswith(
        f"3 requests of one kind within {DEFAULT_PARAMETERS.cluster_radius_m:,.0f} m and "
        f"{DEFAULT_PARAMETERS.cluster_days} days")
    assert "20" in alert_text.evidence_text(backlog(), "en") and "13" in alert_text.evidence_text(backlog(), "en")
    assert alert_text.format_figure(None) == alert_text.format_level(float("nan")) == "—"
    assert alert_text.days_label(alert()) == "2026-06-29 – 2026-06-30"
    assert alert_text.order_numbers(cluster()) == ["T1", "T2", "T3"] and alert_text.order_numbers(alert()) == []


def test_links_carry_what_the_filters_read():
    def params(row, language="zh"):
        url = urlsplit(alert_text.link_url("requests", row, language))
        assert url.path == "./requests"
        return {key: values[0] for key, values in parse_qs(url.query).items()}

    assert params(alert()) == {"area": "429902001001", "period": "custom", "from": "2026-06-29", "to": "2026-06-30",
                               "categories": "environment", "lang": "zh"}
    # A cluster's requests reach back over the rule's days before its first flagged day.
    assert params(cluster(first_day=date(2026, 6, 30)), "en")["from"] == "2026-06-24"
    # A backlog jump is about every category.
    assert "categories" not in params(backlog())
    assert alert_text.link_url("grid-map", alert(), "en").startswith("./grid-map?area=429902001001&")


def test_the_table_keeps_names_as_text_and_links_apart():
    frame = pd.DataFrame([alert(area_name_zh=HOSTILE), cluster(), backlog()])
    table = alert_text.build_alert_table(frame, "zh")
    assert list(table["alert_id"]) == [7, 8, 9]
    assert table.loc[0, "area_text"] == f"{HOSTILE} · 北亭街道"
    assert list(table["observed"]) == [14, 3, 20]
    assert list(table["expected_text"]) == ["2.0", "0.0", "3.4"] and list(table["upper_text"]) == ["9", "2", "13"]
    assert list(table["kind_text"]) == [translate(f"alert.kind.{kind}", "zh")
                                        for kind in ("surge", "repeat_cluster", "backlog")]
    assert table.loc[1, "map_link"].startswith("./grid-map?area=429902102001001")


def test_the_chart_draws_the_usual_range_only_where_the_rule_has_one():
    titles = {"day": "Day", "count": "Count", "observed": "Observed", "expected": "Usual", "upper": "Line",
              "flagged": "Flagged"}
    days = pd.date_range("2026-06-25", periods=6).date
    series = pd.DataFrame({"day": days, "observed": [2, 1, 3, 2, 2, 14], "expected": [2.0] * 6, "upper": [9.0] * 6,
                           "flagged": [False] * 5 + [True]})
    chart = charts.build_alert_chart(series, titles).to_dict()
    marks = [layer["mark"]["type"] for layer in chart["layer"]]
    assert marks == ["area", "bar", "line"]
    bars = chart["layer"][1]
    values = chart["datasets"][bars["data"]["name"]]
    assert [row["state"] for row in values] == ["Observed"] * 5 + ["Flagged"]
    assert [row["observed"] for row in values] == [2, 1, 3, 2, 2, 14]
    # The range covers the last day too: its values once more at the next day's start.
    band = chart["datasets"][chart["layer"][0]["data"]["name"]]
    assert len(band) == 7 and band[-1]["upper"] == 9.0
    clustered = series.assign(expected=None, upper=None)
    assert [layer["mark"]["type"] for layer in charts.build_alert_chart(clustered, titles).to_dict()["layer"]] == [
        "bar"]


def test_the_map_colours_areas_by_kind_and_dots_every_alert():
    frame = pd.DataFrame([alert(), cluster(), backlog()])
    points = alert_text.build_alert_points(frame, "en")
    assert list(points["alert_id"]) == [7, 8, 9]
    # A cluster at its centre; an area's alert at its area's inner point.
    assert (points.loc[1, "lon"], points.loc[1, "lat"]) == (113.177, 30.393)
    assert (points.loc[0, "lon"], points.loc[2, "lon"]) == (113.2, 113.2)
    shapes = gpd.GeoDataFrame({"code": ["429902001001", "429902102001001"]},
                              geometry=[shapely.box(113.19, 30.38, 113.21, 30.40), shapely.box(113.17, 30.39,
                                                                                                113.18, 30.40)],
                              crs="EPSG:4326")
    # Only areas flagged as a whole; a surge colours its area before a backlog jump listed ahead of it, and every
    # alert is in the area's tooltip.
    flagged = alert_text.build_flagged_areas(shapes, frame.iloc[[2, 0, 1]], "en")
    assert list(flagged["code"]) == ["429902001001"]
    assert flagged["kind"].iloc[0] == "surge" and flagged["alert_id"].iloc[0] == 7
    assert "Surge" in flagged["label"].iloc[0] and "Backlog jump" in flagged["label"].iloc[0]
    layers = maps.build_alert_layers(points, flagged, selected=8, min_pixels=9)
    assert [layer.id for layer in layers] == ["alert-areas", "alerts", "selected-alert"]
    areas_layer, dots, ring = layers
    assert areas_layer.data["features"][0]["properties"]["fill"][:3] == list(ALERT_KIND_COLOURS["surge"])
    assert set(dots.data[0]) == {"alert_id", "lon", "lat", "label", "fill"}
    assert [dot["fill"][:3] for dot in dots.data] == [list(ALERT_KIND_COLOURS[kind])
                                                      for kind in ("surge", "repeat_cluster", "backlog")]
    assert dots.radius_min_pixels == 9
    assert ring.data == [{"lon": 113.177, "lat": 30.393}]
    assert [layer.id for layer in maps.build_alert_layers(points.iloc[0:0], flagged.iloc[0:0])] == []


def test_a_map_click_picks_an_alert():
    assert alert_text.picked_alert_id({"selection": {"objects": {"alerts": [{"alert_id": 8, "label": "x"}]}}}) == 8
    assert alert_text.picked_alert_id({"selection": {"objects": {"alert-areas": [
        {"properties": {"alert_id": 7}}]}}}) == 7
    assert alert_text.picked_alert_id({"selection": {"objects": {}}}) is None
    assert alert_text.picked_alert_id(None) is None


def test_the_walls_list_and_count_escape_every_text():
    frame = pd.DataFrame([alert(area_name_zh=HOSTILE), cluster(category_l2="<b>停水</b>")])
    body = wall.build_alert_list(frame, "zh", translate("wall.alert_figures", "zh"), "none", "2 more")
    assert "<img" not in body and "<b>停水" not in body
    assert html.escape(HOSTILE) in body and "&lt;b&gt;停水&lt;/b&gt;" in body
    assert body.count('data-testid="wall-alert"') == 2 and "2 more" in body
    assert hex_colour(ALERT_KIND_COLOURS["repeat_cluster"]) in body
    assert "14 件 / 预警线 9" in body
    assert 'data-testid="wall-empty"' in wall.build_alert_list(frame.iloc[0:0], "zh", "{observed}", "none", None)
    bar = wall.build_title_bar("城", "标题", "数据截至", 0, "10:00", None, None, ("预警 3", 3))
    assert 'class="wall-alert-count on"' in bar and 'data-count="3"' in bar and ">预警 3<" in bar
    calm = wall.build_title_bar("城", "标题", "数据截至", 0, "10:00", None, None, ("<i>0</i>", 0))
    assert 'class="wall-alert-count"' in calm and "&lt;i&gt;0&lt;/i&gt;" in calm
