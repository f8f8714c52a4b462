"""Charts built for the pages (components/charts.py)."""

from __future__ import annotations

import pandas as pd

from components import charts
from components.i18n import translate


def _colours(chart, titles: list[str]) -> dict[str, str]:
    """The colour each series title is drawn in: the scale's domain, or without one Vega-Lite's order for a
    nominal field (its values sorted)."""
    scale = chart.to_dict()["encoding"]["color"]["scale"]
    domain = scale.get("domain", sorted(titles))
    return dict(zip(domain, scale["range"], strict=False))


def test_a_trend_keeps_each_series_colour_in_both_languages():
    daily = pd.DataFrame({"day": ["2026-06-01", "2026-06-02"], "received": [5, 7], "open": [2, 3]})
    colour_of = {}
    for language in ("zh", "en"):
        titles = {"received": translate("chart.received", language), "open": translate("column.open", language)}
        colours = _colours(charts.build_trend_chart(daily, "day", titles), list(titles.values()))
        colour_of[language] = {key: colours[title] for key, title in titles.items()}
    assert colour_of["zh"] == colour_of["en"]
    assert colour_of["en"]["received"] != colour_of["en"]["open"]


def _valid(chart) -> dict:
    """The chart's spec checked against the Vega-Lite schema (the pages skip the check for speed)."""
    return super(type(chart), chart).to_dict(validate=True)


def test_every_chart_the_pages_draw_is_valid_vega_lite_and_drawn_unchecked():
    daily = pd.DataFrame({"day": ["2026-06-01", "2026-06-02"], "received": [5, 7], "open": [2, 3]})
    days = pd.date_range("2026-06-01", periods=6).date
    series = pd.DataFrame({"day": days, "observed": [3, 4, 9, 2, 3, 4], "expected": [3.1, 3.2, 3.0, 3.3, 3.0, 3.1],
                           "upper": [7, 7, 7, 7, 7, 7], "flagged": [False, False, True, False, False, False]})
    titles = {key: key for key in ("day", "count", "observed", "expected", "upper", "flagged")}
    profile = pd.DataFrame({"weekday": [0, 0, 6], "hour": [8, 9, 23], "received": [4, 6, 1]})
    built = [charts.build_trend_chart(daily, "day", {"received": "R", "open": "O"}),
             charts.build_bar_chart(pd.DataFrame({"label": ["a", "b"], "n": [3, 1]}), "label", "n", "L", "N"),
             charts.build_hour_heatmap(profile, list("MTWTFSS"), "hour", "count"),
             charts.build_alert_chart(series, titles),
             charts.build_alert_chart(series.assign(upper=None, expected=None), titles)]
    for chart in built:
        assert isinstance(chart, charts.Chart | charts.LayerChart)
        assert chart.to_dict() == _valid(chart)
