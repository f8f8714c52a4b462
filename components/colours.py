"""Colours: one place for the palette, per-type station colours and sequential scales."""

from __future__ import annotations

import math

import numpy as np

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
# Low → high. "load" for volumes and backlogs (more is worse), "good" for rates where more is better.
SCALES: dict[str, list[RGB]] = {
    "load": [(255, 245, 200), (254, 204, 92), (253, 141, 60), (240, 59, 32), (189, 0, 38)],
    "good": [(215, 48, 39), (252, 141, 89), (254, 224, 139), (145, 207, 96), (26, 152, 80)],
    "heat": [(65, 182, 196), (127, 205, 187), (255, 255, 178), (254, 178, 76), (240, 59, 32)],
}


def hex_colour(rgb: RGB) -> str:
    """(232, 71, 60) → '#e8473c'."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def scale_breaks(values, classes: int = 5) -> list[float]:
    """Quantile class breaks (upper bounds of the first classes-1 classes) of the finite values."""
    finite = np.asarray([value for value in values if value is not None and math.isfinite(value)], dtype=float)
    if np.unique(finite).size < 2:  # one value has no rank among others: drawn in the neutral middle colour
        return []
    return list(np.unique(np.quantile(finite, np.linspace(0, 1, classes + 1)[1:-1])))


def colour_for(value, breaks: list[float], scale: str, alpha: int = 200) -> list[int]:
    """[r, g, b, a] of the class the value falls in; the no-data grey for missing values."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return [*NO_DATA, 120]
    palette = SCALES[scale]
    if not breaks:
        return [*palette[len(palette) // 2], alpha]
    klass = int(np.searchsorted(breaks, value, side="left"))
    # Fewer classes than colours (few distinct values): spread them over the whole palette.
    index = round(klass * (len(palette) - 1) / len(breaks))
    return [*palette[index], alpha]
