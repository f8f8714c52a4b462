"""Chart building blocks: pure `build_*` functions returning Altair charts with localised titles."""

from __future__ import annotations

import altair as alt
import pandas as pd

from components.colours import SCALES, ColourClass, ColourClasses, hex_colour
from components.i18n import translate

ACCENT = "#e8473c"
SECOND = "#4cc9f0"
HEAT = [hex_colour(rgb) for rgb in SCALES["heat"]]


def build_trend_chart(daily: pd.DataFrame, day_title: str, series: dict[str, str], height: int = 240) -> alt.Chart:
    """Lines over days: `daily` has a `day` column and the columns named in `series` ({column: title})."""
    frame = daily[["day", *series]].copy()
    frame["day"] = pd.to_datetime(frame["day"])
    long = frame.melt("day", var_name="series", value_name="value")
    long["series"] = long["series"].map(series)
    return (
        alt.Chart(long, height=height)
        .mark_line(point=alt.OverlayMarkDef(size=18), strokeWidth=2)
        .encode(
            x=alt.X("day:T", title=day_title, axis=alt.Axis(format="%m-%d")),
            y=alt.Y("value:Q", title=None),
            color=alt.Color("series:N", title=None, scale=alt.Scale(range=[ACCENT, SECOND, "#ffd166"]),
                            legend=alt.Legend(orient="top")),
            tooltip=[alt.Tooltip("day:T", title=day_title, format="%Y-%m-%d"), alt.Tooltip("series:N", title=" "),
                     alt.Tooltip("value:Q", title=" ", format=",")],
        )
    )


def build_bar_chart(frame: pd.DataFrame, label_column: str, value_column: str, label_title: str,
                    value_title: str, height: int | None = None, colour: str = ACCENT) -> alt.Chart:
    """Horizontal bars, largest on top."""
    rows = frame[[label_column, value_column]].copy()
    # A fixed step per bar: short lists keep readable rows instead of squeezing into a fixed box.
    return (
        alt.Chart(rows, height=height or alt.Step(30))
        .mark_bar(color=colour, cornerRadiusEnd=3)
        .encode(
            y=alt.Y(f"{label_column}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=220, labelOverlap=False)),
            x=alt.X(f"{value_column}:Q", title=value_title),
            tooltip=[alt.Tooltip(f"{label_column}:N", title=label_title),
                     alt.Tooltip(f"{value_column}:Q", title=value_title, format=",")],
        )
    )


def build_hour_heatmap(profile: pd.DataFrame, weekday_names: list[str], hour_title: str, count_title: str,
                       height: int = 220) -> alt.Chart:
    """Weekday × hour grid of received requests; `profile` has weekday (0 = Monday), hour, received."""
    frame = profile.copy()
    frame["day_name"] = [weekday_names[int(day)] for day in frame["weekday"]]
    return (
        alt.Chart(frame, height=height)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=hour_title),
            y=alt.Y("day_name:N", title=None, sort=weekday_names),
            color=alt.Color("received:Q", title=count_title, scale=alt.Scale(range=HEAT)),
            tooltip=[alt.Tooltip("day_name:N", title=" "), alt.Tooltip("hour:O", title=hour_title),
                     alt.Tooltip("received:Q", title=count_title, format=",")],
        )
    )


def build_legend_items(breaks: list[float], scale: str, number_format: str = "{:,.0f}") -> list[tuple[str, str]]:
    """(colour hex, range text) per class of a choropleth, for a legend."""
    palette = SCALES[scale]
    if not breaks:
        return []
    edges = [None, *breaks, None]
    items = []
    for klass in range(len(breaks) + 1):
        index = round(klass * (len(palette) - 1) / len(breaks))
        low, high = edges[klass], edges[klass + 1]
        if low is None:
            text = f"≤ {number_format.format(high)}"
        elif high is None:
            text = f"> {number_format.format(low)}"
        else:
            text = f"{number_format.format(low)} – {number_format.format(high)}"
        items.append((hex_colour(palette[index]), text))
    return items


def _class_values(klass: ColourClass, number_format: str) -> dict[str, str]:
    """A class's meaning values as text: targets in the measure's format, spreads in per cent, gaps in points."""
    shown = {}
    for name, value in klass.values:
        if name == "target":
            shown[name] = number_format.format(value)
        elif name == "points" or klass.meaning.startswith("legend.below_target"):
            shown[name] = f"{value * 100:g}"
        else:
            shown[name] = f"{value * 100:g}%"
    return shown


def build_class_legend(classes: ColourClasses, language: str, number_format: str, reference_name: str = ""
                       ) -> list[tuple[str, str]]:
    """(colour hex, text) per class, lowest first: the class's bounds in the measure's format and what it means
    ("≥ 18.4 · ≥ 20% above the city average")."""
    items = []
    for klass in classes.classes:
        low = None if klass.low is None else number_format.format(klass.low)
        high = None if klass.high is None else number_format.format(klass.high)
        if low is None and high is None:
            bounds = ""
        elif low is None:
            bounds = f"< {high}"
        elif high is None:
            bounds = f"≥ {low}"
        else:
            bounds = f"{low} – {high}"
        meaning = translate(klass.meaning, language, reference=reference_name, **_class_values(klass, number_format))
        items.append((hex_colour(klass.rgb), f"{bounds} · {meaning}" if bounds else meaning))
    return items


def build_legend_reference(classes: ColourClasses, language: str, number_format: str, reference_name: str = ""
                           ) -> str:
    """What the classes are set against, for the legend's title: "the city average 15.3" or "target 95%"."""
    if classes.reference is None:
        return ""
    value = number_format.format(classes.reference)
    if classes.kind == "target":
        return translate("legend.target", language, value=value)
    return f"{reference_name} {value}"
