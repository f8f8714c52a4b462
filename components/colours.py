"""Colours: one place for the palette, per-type station colours, scales, and the classes a map colours by.

Rates are classed against their target or norm (at or above it is the best colour, the rest by points short of
it); loads against the average of the areas on the map, on a diverging scale whose middle class spans ±10 %,
so areas a few per cent apart share one colour; the request heat's H3 cells by multiples of the median cell drawn
(under half, about it — ±10 %, at least one request —, up to 2×, 2–4×, 4× or more), so one busy cell moves no
other cell's colour. No map keeps quantile classes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

RGB = tuple[int, int, int]

STATION_COLOURS: dict[str, RGB] = {
    "street_center": (232, 71, 60),
    "community_center": (255, 140, 66),
    "compound_post": (255, 209, 102),
    "outdoor_worker_station": (6, 214, 160),
    "mediation_center": (17, 138, 178),
    "elderly_meal_point": (239, 118, 190),
    "villagers_council_hall": (160, 196, 255),
}
WATER: RGB = (38, 84, 124)
OUTLINE: RGB = (200, 210, 230)
LABEL: RGB = (235, 240, 250)
NO_DATA: RGB = (70, 78, 96)
UNDERSERVED: RGB = (220, 38, 70)
# The selected area drawn among its siblings.
SELECTED: RGB = (255, 255, 255)
# Outlines of areas with supervision tasks (督办): unfinished ones, and overdue ones (apart from every fill scale).
TASK_UNFINISHED: RGB = (0, 200, 255)
TASK_OVERDUE: RGB = (255, 64, 255)
# Early warning, per alert kind (data_access.alerts): maps, the wall's list and the chart's flagged days.
ALERT_KIND_COLOURS: dict[str, RGB] = {
    "surge": (232, 71, 60),
    "repeat_cluster": (255, 159, 28),
    "backlog": (157, 78, 221),
}
# An alert's chart: what was counted, the usual level, the line it crossed and the band between them.
ALERT_OBSERVED: RGB = (76, 201, 240)
ALERT_EXPECTED: RGB = (144, 160, 190)
ALERT_UPPER: RGB = (232, 71, 60)
ALERT_BAND: RGB = (144, 160, 190)
# Low → high. "load" for volumes and backlogs against their average (below it cool, near it neutral, above it
# warm), "good" for rates where more is better (worst to best), "heat" for the request heat cells.
SCALES: dict[str, list[RGB]] = {
    "load": [(69, 117, 180), (145, 191, 219), (232, 226, 200), (252, 141, 89), (215, 48, 39)],
    "good": [(215, 48, 39), (252, 141, 89), (254, 224, 139), (145, 207, 96), (26, 152, 80)],
    "heat": [(65, 182, 196), (127, 205, 187), (255, 255, 178), (254, 178, 76), (240, 59, 32), (165, 0, 38)],
}
# A figure's change against the previous period: Streamlit's named colours for st.metric, hex for the wall.
CHANGE_COLOURS: dict[str | None, str] = {"better": "green", "worse": "red", "same": "gray", None: "gray"}
CHANGE_HEX: dict[str | None, str] = {"better": "#4ade80", "worse": "#ff6b5e", "same": "#9fb0cf", None: "#9fb0cf"}
# A rate's classes below its target, in points short of it (0.02 = 2 points): 0–2, 2–5, 5–10, more.
TARGET_GAPS = (0.02, 0.05, 0.10)
# A load's classes around the average: within ±10 %, 10–20 % off, more than 20 % off.
AVERAGE_SPREADS = (0.10, 0.20)
# The request heat's classes in multiples of the median cell: under half, ..., 2×, 4× or more; "about the median"
# spans ±10 % of it and at least one request (counts are whole: 1 against a median of 1 is about the same).
HEAT_MULTIPLES = (0.5, 2.0, 4.0)
HEAT_MIN_SPREAD = 1.0


def hex_colour(rgb: RGB) -> str:
    """(232, 71, 60) → '#e8473c'."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


@dataclass(frozen=True)
class ColourClass:
    """Values in [low, high) (None: unbounded on that side), their colour, and what they mean: a catalog key
    of components/i18n.py with its values (percentages as fractions)."""

    low: float | None
    high: float | None
    rgb: RGB
    meaning: str
    values: tuple[tuple[str, float], ...] = ()

    def holds(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value < self.high)


@dataclass(frozen=True)
class ColourClasses:
    """The classes of a map's measure, lowest values first; `reference` is the target, the average or the median."""

    kind: str  # "target", "average" or "median" (the request heat's cells)
    reference: float | None
    classes: tuple[ColourClass, ...]

    def find(self, value) -> ColourClass | None:
        """The class of a value; None for a missing one."""
        if value is None or (isinstance(value, float) and not math.isfinite(value)):
            return None
        return next(klass for klass in self.classes if klass.holds(float(value)))

    def colour(self, value, alpha: int = 200) -> list[int]:
        """[r, g, b, a] of the value's class; the no-data grey for missing values."""
        klass = self.find(value)
        return [*NO_DATA, 120] if klass is None else [*klass.rgb, alpha]

    def colours(self, values, alpha: int = 200) -> list[list[int]]:
        """colour() of each value, found for all at once by the classes' bounds (a map's thousands of cells: one
        search instead of a scan of the classes per cell). Rows of the same class share one list."""
        lows = [klass.low for klass in self.classes]
        contiguous = lows[0] is None and all(
            before.high == after.low for before, after in zip(self.classes, self.classes[1:], strict=False))
        if not contiguous:
            return [self.colour(value, alpha) for value in values]
        numbers = pd.to_numeric(pd.Series(values, dtype=object), errors="coerce").to_numpy(dtype=float)
        index = np.searchsorted(np.array(lows[1:], dtype=float), numbers, side="right")
        palette = [[*klass.rgb, alpha] for klass in self.classes]
        missing = [*NO_DATA, 120]
        return [missing if not math.isfinite(number) else palette[position]
                for number, position in zip(numbers.tolist(), index.tolist(), strict=True)]


def _round_up(value: float, decimals: int) -> float:
    """Round a class bound up to the shown precision: the legend's numbers are then the bounds themselves."""
    scale = 10 ** decimals
    return round(math.ceil(round(value * scale, 6)) / scale, decimals)


def target_classes(target: float, gaps: tuple[float, ...] = TARGET_GAPS) -> ColourClasses:
    """Classes of a rate where more is better, against its target: at or above it the best colour, then by
    points short of it (never the worst colour at the target)."""
    palette = SCALES["good"]
    bounds = [round(target - gap, 6) for gap in reversed(gaps)]  # lowest first
    edges = [None, *bounds, round(target, 6), None]
    classes = []
    for index in range(len(edges) - 1):
        low, high = edges[index], edges[index + 1]
        if high is None:
            meaning, values = "legend.target_met", (("target", target),)
        elif index == 0:
            meaning, values = "legend.below_target_far", (("points", gaps[-1]),)
        elif index == len(edges) - 3:
            meaning, values = "legend.below_target_near", (("points", gaps[0]),)
        else:
            meaning, values = "legend.below_target", (("low", gaps[len(gaps) - index - 1]),
                                                      ("high", gaps[len(gaps) - index]))
        classes.append(ColourClass(low, high, palette[round(index * (len(palette) - 1) / (len(edges) - 2))],
                                   meaning, values))
    return ColourClasses("target", target, tuple(classes))


def average_classes(values, average: float | None = None, spreads: tuple[float, float] = AVERAGE_SPREADS,
                    decimals: int = 0) -> ColourClasses:
    """Classes of a load against an average (the mean of `values` unless given): more than spreads[1] below,
    spreads[0]–spreads[1] below, within spreads[0], and the same above; bounds rounded up to `decimals`, classes
    that hold no number at that precision dropped."""
    if average is None:
        finite = [float(value) for value in values if value is not None and math.isfinite(value)]
        average = sum(finite) / len(finite) if finite else None
    palette = SCALES["load"]
    if average is None or not math.isfinite(average) or average <= 0:
        # Nothing to set against: every area alike, in the neutral middle colour.
        return ColourClasses("average", average, (ColourClass(None, None, palette[2], "legend.all_alike"),))
    near, far = spreads
    bounds = [_round_up(average * (1 + factor), decimals) for factor in (-far, -near, near, far)]
    edges = [None, *bounds, None]
    meanings = [("legend.below_far", (("spread", far),)), ("legend.below", (("low", near), ("high", far))),
                ("legend.near", (("spread", near),)), ("legend.above", (("low", near), ("high", far))),
                ("legend.above_far", (("spread", far),))]
    classes = [ColourClass(edges[index], edges[index + 1], palette[index], *meanings[index])
               for index in range(5) if edges[index] is None or edges[index + 1] is None
               or edges[index] < edges[index + 1]]
    return ColourClasses("average", average, tuple(classes))


def median_cell(counts) -> float | None:
    """The count of the middle cell (the lower one of the two middle cells for an even number): a real cell's
    whole count, which one busy cell cannot move; None when there is no cell."""
    finite = sorted(float(count) for count in counts if count is not None and math.isfinite(count))
    return finite[(len(finite) - 1) // 2] if finite else None


def heat_classes(counts, reference: float | None = None, spread: float = AVERAGE_SPREADS[0],
                 min_spread: float = HEAT_MIN_SPREAD, multiples: tuple[float, float, float] = HEAT_MULTIPLES,
                 lowest: float = 1.0) -> ColourClasses:
    """Classes of the request heat's whole cell counts against the median cell (`reference` when given): under
    multiples[0] of it, below it, about it (within ±spread of it, at least ±min_spread, both ends included), above
    it up to multiples[1], multiples[1]–multiples[2], and more; bounds are whole requests, classes that can hold no
    count of at least `lowest` (cells with no request are not drawn) or none at all dropped."""
    reference = median_cell(counts) if reference is None else reference
    palette = SCALES["heat"]
    if reference is None or not math.isfinite(reference) or reference <= 0:
        return ColourClasses("median", reference, (ColourClass(None, None, palette[2], "legend.all_alike"),))
    half, double, quadruple = (_round_up(reference * multiple, 0) for multiple in multiples)
    near = max(reference * spread, min_spread)
    # About the median: every whole count from median − near to median + near, both included.
    near_low, near_high = _round_up(reference - near, 0), math.floor(round(reference + near, 6)) + 1
    # The band about the median wins where it reaches past half or twice it (small counts).
    bounds = [min(half, near_low), near_low, near_high, max(double, near_high), max(quadruple, near_high)]
    edges = [None, *bounds, None]
    meanings = [("legend.heat_below_half", ()), ("legend.heat_below", ()), ("legend.heat_near", ()),
                ("legend.heat_above", (("times", multiples[1]),)),
                ("legend.heat_times", (("low", multiples[1]), ("high", multiples[2]))),
                ("legend.heat_times_far", (("times", multiples[2]),))]
    kept = [index for index in range(len(meanings))
            if (edges[index + 1] is None or edges[index + 1] > lowest) and
            (edges[index] is None or edges[index + 1] is None or edges[index] < edges[index + 1])]
    classes = [ColourClass(None if position == 0 else edges[index], edges[index + 1], palette[index],
                           *meanings[index]) for position, index in enumerate(kept)]
    return ColourClasses("median", reference, tuple(classes))
