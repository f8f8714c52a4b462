"""Chart building blocks: pure `build_*` functions returning Altair charts with localised titles."""

from __future__ import annotations

import altair as alt
import pandas as pd

from components.colours import (
    ALERT_BAND,
    ALERT_EXPECTED,
    ALERT_OBSERVED,
    ALERT_UPPER,
    SCALES,
    ColourClass,
    ColourClasses,
    hex_colour,
)
from components.i18n import translate

ACCENT = "#e8473c"
SECOND = "#4cc9f0"
HEAT = [hex_colour(rgb) for rgb in SCALES["heat"]]
TREND_COLOURS = [ACCENT, SECOND, "#ffd166"]


class Chart(alt.Chart):
    """An Altair chart whose spec is not checked against the Vega-Lite schema each time a page draws it (4 ms of a
    run's CPU per chart, for the same few specs every time); tests/components/test_charts.py checks every chart
    this module builds against the schema."""

    def to_dict(self, validate: bool = False, **kwargs) -> dict:
        return super().to_dict(validate=validate, **kwargs)


class LayerChart(alt.LayerChart):
    """Layers drawn as Chart is: no schema check per run."""

    def to_dict(self, validate: bool = False, **kwargs) -> dict:
        return super().to_dict(validate=validate, **kwargs)


def layer(*charts: alt.Chart) -> LayerChart:
    return LayerChart(layer=list(charts))


def build_trend_chart(daily: pd.DataFrame, day_title: str, series: dict[str, str], height: int = 240) -> alt.Chart:
    """Lines over days: `daily` has a `day` column and the columns named in `series` ({column: title})."""
    frame = daily[["day", *series]].copy()
    frame["day"] = pd.to_datetime(frame["day"])
    long = frame.melt("day", var_name="series", value_name="value")
    long["series"] = long["series"].map(series)
    return (
        Chart(long, height=height)
        .mark_line(point=alt.OverlayMarkDef(size=18), strokeWidth=2)
        .encode(
            x=alt.X("day:T", title=day_title, axis=alt.Axis(format="%m-%d")),
            y=alt.Y("value:Q", title=None),
            # Each series keeps its colour in either language (a scale without a domain sorts the titles).
            color=alt.Color("series:N", title=None, legend=alt.Legend(orient="top"),
                            scale=alt.Scale(domain=list(series.values()),
                                            range=TREND_COLOURS[:len(series)])),
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
        Chart(rows, height=height or alt.Step(30))
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
        Chart(frame, height=height)
        .mark_rect()
        .encode(
            x=alt.X("hour:O", title=hour_title),
            y=alt.Y("day_name:N", title=None, sort=weekday_names),
            color=alt.Color("received:Q", title=count_title, scale=alt.Scale(range=HEAT)),
            tooltip=[alt.Tooltip("day_name:N", title=" "), alt.Tooltip("hour:O", title=hour_title),
                     alt.Tooltip("received:Q", title=count_title, format=",")],
        )
    )


def _class_values(klass: ColourClass, number_format: str) -> dict[str, str]:
    """A class's meaning values as text: targets in the measure's format, spreads in per cent, gaps in points."""
    shown = {}
    for name, value in klass.values:
        if name == "target":
            shown[name] = number_format.format(value)
        elif klass.meaning.startswith("legend.heat_"):  # multiples of the median cell
            shown[name] = f"{value:g}"
        elif name == "points" or klass.meaning.startswith("legend.below_target"):
            shown[name] = f"{value * 100:g}"
        else:
            shown[name] = f"{value * 100:g}%"
    return shown


def build_class_legend(classes: ColourClasses, language: str, number_format: str, reference_name: str = "",
                       whole: bool = False) -> list[tuple[str, str]]:
    """(colour hex, text) per class, lowest first: the class's bounds in the measure's format and what it means
    ("≥ 18.4 · ≥ 20% above the city average"); `whole`: the values are whole numbers and the bounds too, shown as
    the first and last number a class holds ("4 – 6", "≤ 2")."""
    items = []
    for klass in classes.classes:
        last = None if klass.high is None else klass.high - 1 if whole else klass.high
        low = None if klass.low is None else number_format.format(klass.low)
        high = None if last is None else number_format.format(last)
        if low is None and high is None:
            bounds = ""
        elif low is None:
            bounds = f"≤ {high}" if whole else f"< {high}"
        elif high is None:
            bounds = f"≥ {low}"
        elif low == high:
            bounds = low
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


def build_legend_title(title: str, against: str, language: str) -> str:
    """A classed legend's title with what its classes are set against: "每万人诉求量（全市平均 15.3）"."""
    if not against:
        return title
    return f"{title}（{against}）" if language == "zh" else f"{title} ({against})"


# Cell counts are whole requests (and so are the heat classes' bounds and the median cell).
HEAT_FORMAT = "{:,.0f}"


def build_heat_legend(classes: ColourClasses, language: str) -> tuple[str, list[tuple[str, str]]]:
    """The request heat's legend (colours.heat_classes): its title with the median cell, and each class's bounds
    and meaning ("10 – 19 · 2–4× the median cell")."""
    reference = translate("legend.median_cell", language)
    against = build_legend_reference(classes, language, HEAT_FORMAT, reference)
    return (build_legend_title(translate("legend.heat", language), against, language),
            build_class_legend(classes, language, HEAT_FORMAT, reference, whole=True))


def build_alert_chart(series: pd.DataFrame, titles: dict[str, str], height: int = 220) -> LayerChart:
    """An alert's days (data_access.alerts.read_alert_series: day, observed, expected, upper, flagged): each day's
    count as a bar (flagged days in the alert colour) against the usual range — a band from the expected count up
    to the alert line, with both lines — where the rule has one per day. `titles`: day, count, observed, expected,
    upper, flagged."""
    frame = series[["day", "observed", "expected", "upper", "flagged"]].copy()
    frame["day"] = pd.to_datetime(frame["day"])
    for column in ("observed", "expected", "upper"):
        frame[column] = pd.to_numeric(frame[column], errors="coerce")
    frame["state"] = [titles["flagged"] if flagged else titles["observed"] for flagged in frame["flagged"]]
    # Each day a band on the time axis: its bar fills it, and the lines and the range step across it.
    x = alt.X("yearmonthdate(day):T", title=titles["day"], axis=alt.Axis(format="%m-%d"))
    tooltip = [alt.Tooltip("yearmonthdate(day):T", title=titles["day"], format="%Y-%m-%d"),
               alt.Tooltip("observed:Q", title=titles["observed"], format=","),
               alt.Tooltip("expected:Q", title=titles["expected"], format=",.1f"),
               alt.Tooltip("upper:Q", title=titles["upper"], format=",")]
    bars = Chart(frame).mark_bar(opacity=0.9).encode(
        x=x, y=alt.Y("observed:Q", title=titles["count"]),
        color=alt.Color("state:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=[titles["observed"], titles["flagged"]],
                                        range=[hex_colour(ALERT_OBSERVED), hex_colour(ALERT_UPPER)])),
        tooltip=tooltip)
    if frame["upper"].isna().all():
        return layer(bars).properties(height=height)
    ranged = frame.dropna(subset=["expected", "upper"])
    # The last day's values once more at the next day's start, so the steps cover the last day's band too.
    ranged = pd.concat([ranged, ranged.tail(1).assign(day=ranged["day"].tail(1) + pd.Timedelta(days=1))])
    long = ranged.melt("day", ["expected", "upper"], var_name="line", value_name="value")
    long["line"] = long["line"].map({"expected": titles["expected"], "upper": titles["upper"]})
    band = Chart(ranged).mark_area(opacity=0.22, color=hex_colour(ALERT_BAND), interpolate="step-after").encode(
        x=x, y="expected:Q", y2="upper:Q")
    lines = Chart(long).mark_line(strokeWidth=2, interpolate="step-after").encode(
        x=x, y="value:Q",
        color=alt.Color("line:N", title=None, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=[titles["expected"], titles["upper"]],
                                        range=[hex_colour(ALERT_EXPECTED), hex_colour(ALERT_UPPER)])),
        strokeDash=alt.StrokeDash("line:N", title=None, legend=None,
                                  scale=alt.Scale(domain=[titles["expected"], titles["upper"]],
                                                  range=[[5, 3], [2, 2]])))
    return layer(band, bars, lines).resolve_scale(color="independent").properties(height=height)
