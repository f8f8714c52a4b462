"""Colour classes a leader can act on: rates against their target, loads against the average with a minimum
spread, and legends that say what each class means."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from components import areas, charts, colours
from components.i18n import translate
from data_access.kpis import KPI_DEFINITIONS

TARGETS = (1.0, KPI_DEFINITIONS["on_time_closure_rate"].norm, KPI_DEFINITIONS["satisfaction_rate"].norm)


def test_near_equal_loads_share_one_class():
    # A ±3 % spread between districts in requests per 10,000 residents: one colour, not red against beige.
    loads = [15.2, 15.4, 15.6, 15.9, 15.45, 15.7]
    classes = colours.average_classes(loads, decimals=1)
    assert len({classes.find(value).rgb for value in loads}) == 1
    assert classes.find(loads[0]).meaning == "legend.near"


def test_loads_far_from_the_average_are_told_apart():
    classes = colours.average_classes([50, 85, 100, 115, 150])  # mean 100
    meanings = [classes.find(value).meaning for value in (50, 85, 100, 115, 150)]
    assert meanings == ["legend.below_far", "legend.below", "legend.near", "legend.above", "legend.above_far"]
    assert classes.find(120).meaning == "legend.above_far" and classes.find(119).meaning == "legend.above"


@pytest.mark.parametrize("target", TARGETS)
def test_a_value_at_target_is_never_the_worst_colour(target):
    classes = colours.target_classes(target)
    worst, best = classes.classes[0], classes.classes[-1]
    for value in (target, target + 0.001, 1.5):
        assert classes.find(value) is best is not worst
    assert classes.find(target - 0.2) is worst


def test_coverage_of_98_to_99_per_cent_is_not_painted_deep_red():
    classes = areas.measure_classes("member_coverage", pd.DataFrame({"coverage": [0.98, 0.985, 0.99, 1.0, 1.03]}))
    near = {classes.find(value).rgb for value in (0.98, 0.985, 0.99)}
    assert len(near) == 1 and near != {colours.SCALES["good"][0]}
    assert classes.find(0.985).meaning == "legend.below_target_near"


def test_near_equal_rates_share_one_class():
    classes = colours.target_classes(KPI_DEFINITIONS["satisfaction_rate"].norm)
    assert classes.find(0.923).rgb == classes.find(0.941).rgb  # both above the 90 % norm
    assert classes.find(0.885).rgb == classes.find(0.895).rgb  # both under 2 points short


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize(("classes", "number_format"), [
    (colours.average_classes([12.3, 15.1, 17.8, 21.0, 9.4], decimals=1), "{:,.1f}"),
    (colours.average_classes([0, 1, 2, 3, 5, 8]), "{:,.0f}"),
    (colours.target_classes(0.95), "{:.0%}"),
])
def test_legend_text_matches_the_class_bounds(classes, number_format, language):
    reference = translate("legend.city_average", language)
    items = charts.build_class_legend(classes, language, number_format, reference)
    assert len(items) == len(classes.classes)
    for (colour, text), klass in zip(items, classes.classes, strict=True):
        assert colour == colours.hex_colour(klass.rgb)
        bounds = re.findall(r"[\d,.]+%?", text.split(" · ")[0])
        shown = [number_format.format(bound) for bound in (klass.low, klass.high) if bound is not None]
        assert bounds == shown, text
        # The numbers shown are the bounds themselves: a value at a lower bound is in its class.
        if klass.low is not None:
            assert classes.find(klass.low) is klass
            assert classes.find(klass.low - 1e-9) is not klass
    if classes.kind == "average":
        assert items[-1][1].endswith(translate("legend.above_far", language, reference=reference, spread="20%"))


def test_the_legend_says_what_the_classes_mean_in_both_languages():
    classes = colours.average_classes([100.0], average=100.0, decimals=1)
    top = charts.build_class_legend(classes, "en", "{:,.1f}", translate("legend.city_average", "en"))[-1][1]
    assert top == "≥ 120.0 · ≥ 20% above the city average"
    top_zh = charts.build_class_legend(classes, "zh", "{:,.1f}", translate("legend.city_average", "zh"))[-1][1]
    assert top_zh == "≥ 120.0 · 高于全市平均 20% 以上"
    met = charts.build_class_legend(colours.target_classes(1.0), "en", "{:.0%}")[-1][1]
    assert met == "≥ 100% · target 100% met"


def test_per_resident_loads_are_set_against_the_areas_total_rate():
    data = pd.DataFrame({"received": [10, 30], "population": [10_000, 10_000], "per_10k": [10.0, 30.0]})
    assert areas.measure_classes("per_10k", data).reference == pytest.approx(20.0)
    weighted = pd.DataFrame({"received": [10, 90], "population": [10_000, 30_000], "per_10k": [10.0, 30.0]})
    assert areas.measure_classes("per_10k", weighted).reference == pytest.approx(25.0)  # 100 per 40,000


def test_no_average_means_one_neutral_class():
    classes = colours.average_classes([0, 0, 0])
    assert len(classes.classes) == 1 and classes.find(0).rgb == colours.SCALES["load"][2]
