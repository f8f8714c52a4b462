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
