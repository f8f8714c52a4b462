"""KPI tiles: big figures with their change against the previous period, and their definition one hover away."""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass

import streamlit as st

from components.colours import CHANGE_COLOURS
from components.i18n import translate
from data_access.city_time import DAY_SECONDS, local_text
from data_access.figures import BEFORE_DATA, EMPTY, IN_PROGRESS, NOT_RECORDED, Figure

# A figure's size follows its tile's width (container query units) and the longest figure of its row, so
# "13,786 / 15,000" fits a fifth of a 1280-pixel page and "595" beside it is no bigger; at most Streamlit's
# 2.25rem. A figure's characters are about 0.5 em wide on average. Fixed CSS, no data inside.
LONGEST_SIZED = 30
TILE_CSS = "<style>\n" + "\n".join(
    [
        '[data-testid="stMetric"] { container-type: inline-size; }',
        '[data-testid="stMetricValue"] > div { overflow: visible !important; text-overflow: clip !important; }',
        *(f'[class*="-chars{length}-"] [data-testid="stMetricValue"] {{ font-size: clamp(0.9rem, '
          f'{100 / (0.5 * length + 0.8):.1f}cqi, 2.25rem) !important; }}' for length in range(1, LONGEST_SIZED + 1)),
    ]) + "\n</style>"
# Which hours a figure counts in tenths (the rest are whole numbers or rates).
DECIMAL_FIGURES = {"service_hours_week"}


@dataclass(frozen=True)
class Tile:
    """One tile: label, value text, help, and the figure whose change against the previous period it shows
    (None: a fact with no period, shown without a change)."""

    label: str
    value: str
    help: str | None = None
    figure: Figure | None = None


def format_count(value: float | int | None) -> str:
    """12345 → '12,345'; None → '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(value):,}"


def format_rate(value: float | None) -> str:
    """0.9234 → '92.3%'; None/NaN → '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.1f}%"


def format_figure(figure: Figure, value: float | None) -> str:
    """A figure's value (or its previous value) as its tile shows it."""
    if figure.is_rate:
        return format_rate(value)
    if figure.key in DECIMAL_FIGURES:
        return "—" if value is None else f"{value:,.1f}"
    return format_count(value)


def format_change(figure: Figure, language: str) -> tuple[str, str, str]:
    """(text, arrow 'up'/'down'/'off', colour name) of the change: a rate's in points, a count's in per cent,
    a count rising from 0 as such; the words "no previous data" when there is nothing to compare."""
    verdict = figure.verdict
    if figure.missing == IN_PROGRESS:
        return translate("change.in_progress", language), "off", CHANGE_COLOURS[None]
    if verdict is None:
        return translate("change.none", language), "off", CHANGE_COLOURS[None]
    if figure.from_zero:
        return translate("change.from_zero", language), "up", CHANGE_COLOURS[verdict]
    if verdict == "same":
        text = translate("change.points", language, value="0.0") if figure.is_rate else "0.0%"
        return text, "off", CHANGE_COLOURS["same"]
    change = figure.change
    number = f"{'+' if change > 0 else '−'}{abs(change) * 100:.1f}"
    text = translate("change.points", language, value=number) if figure.is_rate else f"{number}%"
    return text, "up" if change > 0 else "down", CHANGE_COLOURS[verdict]


def format_window(start: int, end: int) -> str:
    """A period as text: whole days as dates (the last one included), else from–to times, or one moment."""
    if start == end:
        return local_text(start, "%m-%d %H:%M")
    if local_text(start, "%H:%M:%S") == local_text(end, "%H:%M:%S") == "00:00:00":
        first, last = local_text(start, "%m-%d"), local_text(end - DAY_SECONDS, "%m-%d")
        return first if first == last else f"{first} – {last}"
    return f"{local_text(start, '%m-%d %H:%M')} – {local_text(end, '%m-%d %H:%M')}"


def previous_text(figure: Figure, language: str) -> str:
    """One line for the tile's help: the previous period's value (and its parts), or why there is none."""
    if figure.missing == NOT_RECORDED:
        return translate("change.not_recorded", language)
    if figure.missing == BEFORE_DATA or figure.previous_start is None:
        return translate("change.before_data", language)
    window = format_window(figure.previous_start, figure.previous_end)
    key = "change.previous_moment" if figure.previous_start == figure.previous_end else "change.previous"
    value = format_figure(figure, figure.previous)
    if figure.missing == IN_PROGRESS:
        return translate("change.in_progress_previous", language, window=window, value=value)
    if figure.missing == EMPTY:  # a rate of nothing: 0 / 0
        value = f"{value} (0 / 0)"
    if figure.is_rate and figure.previous_denominator:
        value += f" = {figure.previous_numerator:,} / {figure.previous_denominator:,}"
    return translate(key, language, window=window, value=value)


def tile_help(tile: Tile, language: str) -> str | None:
    """The tile's own help, then the previous period's line."""
    if tile.figure is None:
        return tile.help
    return "\n\n".join(part for part in (tile.help, previous_text(tile.figure, language)) if part)


def render_tiles(tiles: list[Tile], language: str, columns: int = 4) -> None:
    """Show tiles in rows of `columns`, each with its change against the previous period where it has a figure."""
    st.html(TILE_CSS)
    for start in range(0, len(tiles), columns):
        shown = tiles[start:start + columns]
        longest = min(max(len(tile.value) for tile in shown), LONGEST_SIZED)
        # The container's key carries the row's longest figure to TILE_CSS (Streamlit adds it as a class).
        labels = hashlib.sha1("|".join(tile.label for tile in shown).encode()).hexdigest()[:8]
        with st.container(key=f"tiles-{labels}-chars{longest}-"):
            row = st.columns(columns)
        for column, tile in zip(row, shown, strict=False):
            if tile.figure is None:
                column.metric(tile.label, tile.value, help=tile_help(tile, language), border=True)
                continue
            text, arrow, colour = format_change(tile.figure, language)
            column.metric(tile.label, tile.value, delta=text, delta_color=colour, delta_arrow=arrow,
                          delta_description=None if tile.figure.verdict is None else translate(
                              "change.vs_previous", language), help=tile_help(tile, language), border=True)
