"""Colour classes a leader can act on: rates against their target, loads against the average with a minimum
spread, and legends that say what each class means."""

from __future__ import annotations

import re
import statistics
from pathlib import Path

import numpy as np
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


# The request heat's H3 cells: classed by multiples of the median cell (colours.heat_classes).

def expected_heat_meaning(count: int, counts: list[int]) -> str:
    """The class a whole count belongs in, from the rule as docs/architecture.md states it (independent of the
    rounding colours.heat_classes does): the median is the lower middle cell; "about" spans ±10 % of it, at least
    ±1 request, both ends included, and wins where it reaches past half or twice it."""
    median = statistics.median_low(counts)
    near = max(0.1 * median, 1)
    if count < min(median / 2, median - near):
        return "legend.heat_below_half"
    if count < median - near:
        return "legend.heat_below"
    if count <= median + near:
        return "legend.heat_near"
    if count < 2 * median:
        return "legend.heat_above"
    if count < 4 * median:
        return "legend.heat_times"
    return "legend.heat_times_far"


def skewed_counts(seed: int, size: int, scale: float) -> list[int]:
    """Cell counts like a city's (a dense core, sparse outskirts): whole, at least 1."""
    rng = np.random.default_rng(seed)
    return [int(value) for value in np.maximum(1, np.round(rng.lognormal(np.log(scale), 1.1, size)))]


@pytest.mark.parametrize(("seed", "size", "scale"), [(1, 300, 5), (2, 1700, 1.2), (3, 60, 40), (4, 7, 2),
                                                     (5, 2, 1), (6, 1, 3), (7, 500, 300)])
def test_heat_cells_are_classed_by_multiples_of_the_median_cell(seed, size, scale):
    counts = skewed_counts(seed, size, scale)
    classes = colours.heat_classes(counts)
    assert classes.reference == statistics.median_low(counts)
    for count in sorted(set(counts)) + list(range(1, 4 * max(counts) + 2)):
        assert classes.find(count).meaning == expected_heat_meaning(count, counts), count
    # Each meaning keeps its colour whatever the counts: a colour reads the same on every map.
    palette = dict(zip(["legend.heat_below_half", "legend.heat_below", "legend.heat_near", "legend.heat_above",
                        "legend.heat_times", "legend.heat_times_far"], colours.SCALES["heat"], strict=True))
    assert all(klass.rgb == palette[klass.meaning] for klass in classes.classes)


def test_near_equal_heat_counts_share_one_class():
    counts = [48, 50, 51, 52, 49, 50, 53, 47]  # within ±10 % of the median cell (50)
    classes = colours.heat_classes(counts)
    assert {classes.find(count).meaning for count in counts} == {"legend.heat_near"}
    sparse = [1, 1, 2, 1, 1, 2, 1]  # a quiet day: one request more is not a hotter place
    assert {colours.heat_classes(sparse).find(count).rgb for count in sparse} == {colours.SCALES["heat"][2]}


@pytest.mark.parametrize("counts", [[5] * 9, [1, 2, 3, 5, 8, 13, 21, 34, 55, 89], [1] * 50 + [400],
                                    skewed_counts(8, 1000, 3), [2, 1000], [7]])
def test_a_cell_at_the_median_is_never_the_hottest_colour(counts):
    classes = colours.heat_classes(counts)
    hottest = colours.SCALES["heat"][-1]
    at_median = classes.find(classes.reference)
    assert at_median.meaning == "legend.heat_near" and at_median.rgb != hottest
    assert classes.find(classes.reference * 1.05).rgb != hottest


def test_one_outlier_moves_no_other_cell():
    # Thirty quiet cells at 10 and five busier ones at 30, then one cell with 1,000 requests. Asserted: every
    # other cell keeps the class it had without the outlier — the quiet ones one class "about the median cell",
    # not the coolest (a mean of 40 would have called them under half of it), the busier ones 2–4× it — and the
    # outlier alone is in the hottest class.
    cells = [10] * 30 + [30] * 5
    before, after = colours.heat_classes(cells), colours.heat_classes([*cells, 1000])
    for count in cells:
        assert after.find(count) == before.find(count)
    assert after.find(10).meaning == "legend.heat_near" and after.find(10) is not after.classes[0]
    assert after.find(30).meaning == "legend.heat_times"
    assert [count for count in [*cells, 1000] if after.find(count) is after.classes[-1]] == [1000]


def test_a_handful_of_busy_cells_does_not_paint_the_map_red():
    # Quantile classes paint the top fifth of the cells in the hottest colour whatever their counts: here the
    # cells differ by one request or two, and none is hot.
    counts = [4, 4, 5, 5, 5, 5, 6, 6, 5, 4, 7, 7]
    classes = colours.heat_classes(counts)
    hot = {colours.SCALES["heat"][-1], colours.SCALES["heat"][-2]}
    assert not [count for count in counts if classes.find(count).rgb in hot]


@pytest.mark.parametrize(("language", "expected_title", "expected"), [
    ("en", "Requests per cell (the median cell 5)",
     ["≤ 2 · under half the median cell", "3 · below the median cell (half or more)",
      "4 – 6 · about the median cell", "7 – 9 · above the median cell, under 2×", "10 – 19 · 2–4× the median cell",
      "≥ 20 · 4× the median cell or more"]),
    ("zh", "每格诉求数（各格中位数 5）",
     ["≤ 2 · 不到各格中位数的一半", "3 · 低于各格中位数（一半以上）", "4 – 6 · 与各格中位数相当",
      "7 – 9 · 高于各格中位数，不到 2 倍", "10 – 19 · 各格中位数的 2–4 倍", "≥ 20 · 各格中位数的 4 倍以上"]),
])
def test_the_heat_legend_says_what_each_class_means(language, expected_title, expected):
    # Median cell 5: half is 2.5 (counts up to 2), about it 4–6 (±1 request), twice it 10, four times 20.
    counts = [1, 2, 3, 5, 5, 7, 12, 40, 90]
    classes = colours.heat_classes(counts)
    title, items = charts.build_heat_legend(classes, language)
    assert title == expected_title
    assert [text for _, text in items] == expected
    assert [colour for colour, _ in items] == [colours.hex_colour(rgb) for rgb in colours.SCALES["heat"]]
    # The numbers shown are the first and last count of each class.
    shown = [text.split(" · ")[0] for _, text in items]
    for count in range(1, 30):
        first, *rest = shown[classes.classes.index(classes.find(count))].replace("≤ ", "1 – ").split(" – ")
        assert int(first.replace("≥ ", "")) <= count and (not rest or count <= int(rest[0])), count


def test_small_counts_drop_the_classes_no_count_can_fill():
    classes = colours.heat_classes([1, 1, 1, 2, 5])  # median 1: "about" is 1 and 2 (±1 request), 3 is 2–4×
    assert [klass.meaning for klass in classes.classes] == ["legend.heat_near", "legend.heat_times",
                                                            "legend.heat_times_far"]
    items = charts.build_heat_legend(classes, "en")[1]
    assert [text for _, text in items] == ["≤ 2 · about the median cell", "3 · 2–4× the median cell",
                                           "≥ 4 · 4× the median cell or more"]


def test_the_kpi_norms_are_read_from_their_definitions_and_the_readme_says_them():
    # One place: the satisfaction map is classed against the definition's norm, and its legend says it.
    norm = KPI_DEFINITIONS["satisfaction_rate"].norm
    classes = areas.measure_classes("satisfaction", pd.DataFrame({"satisfaction_rate": [0.8, 0.93]}))
    assert classes.kind == "target" and classes.reference == norm
    assert charts.build_legend_reference(classes, "en", "{:.0%}") == f"target {norm:.0%}"
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## What the map colours mean")[1].split("\n## ")[0]
    assert f"satisfaction against its norm of {norm * 100:g} %" in section
    assert f"on-time closure's norm is {KPI_DEFINITIONS['on_time_closure_rate'].norm * 100:g} %" in section
    assert "`norm=`" in section and "`data_access/kpis.py`" in section


def test_colours_of_many_values_are_each_value_s_colour():
    import random

    from components.colours import average_classes, heat_classes, target_classes

    rng = random.Random(3)
    sets = [heat_classes([rng.randrange(0, 40) for _ in range(300)]), heat_classes([0, 0, 1]),
            target_classes(0.9), average_classes([rng.uniform(0, 30) for _ in range(50)], decimals=1)]
    for classes in sets:
        bounds = [bound for klass in classes.classes for bound in (klass.low, klass.high) if bound is not None]
        values = [*bounds, *(bound - 1e-9 for bound in bounds), *(rng.uniform(-5, 60) for _ in range(200)),
                  None, float("nan"), 0, 0.0]
        assert classes.colours(values, 170) == [classes.colour(value, 170) for value in values]
