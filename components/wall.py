"""The wall display's building blocks: page CSS and layout, the title bar, big KPI tiles with their change,
the side panels and the ticker, as escaped HTML."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pydeck as pdk

from components import alerts as alert_text
from components import charts, maps
from components.areas import measure_classes
from components.colours import ALERT_KIND_COLOURS, CHANGE_HEX, heat_classes, hex_colour
from components.i18n import translate
from components.tiles import format_change, format_figure
from data_access.city_time import local_text
from data_access.figures import Figure
from data_access.wall import AlertsView, MembersView, OverviewView, StationsView, WallBase, WallSnapshot, WallView

# The alerts view lists this many open alerts (newest first; what fits above the ticker) and counts the rest.
LISTED_ALERTS = 7

# The wall's vertical budget in % of the screen's height, bottom up: the ticker, then the main row of panels
# (map, trend, ranking) above it, under the title bar and the tiles. The map's pixel size (the zoom that fits the
# area into it) is computed from the same numbers (map_pixels).
TICKER_VH = 5.0
TICKER_GAP_VH = 1.0
MAIN_VH = 70.0
PANEL_TITLE_VH = 3.2
BLOCK_GAP_VH = 0.8
SIDE_PADDING_VW = 1.2
CENTRE_SHARE = 2.3 / 4.3  # st.columns([1, 2.3, 1])
# Streamlit's gap between columns (gap="small": 1rem); widened, the columns would wrap on a 4K screen.
COLUMN_GAP_PX = 16

# Fixed CSS (no data inside): no Streamlit chrome, no scrollbars, every size a share of the screen, so the wall
# looks the same at 1920×1080 and 3840×2160.
WALL_CSS = """
<style>
[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stSidebar"],
[data-testid="stSidebarCollapsedControl"], [data-testid="stDecoration"], footer { display: none !important; }
html, body, [data-testid="stApp"], [data-testid="stAppViewContainer"], [data-testid="stMain"] {
  overflow: hidden !important; background: #070d1a !important; }
[data-testid="stMainBlockContainer"], .block-container {
  max-width: 100vw !important; padding: 1.2vh __SIDE__vw 0 __SIDE__vw !important; }
[data-testid="stMain"] [data-testid="stVerticalBlock"] { gap: __GAP__vh !important; }
.st-key-wall-viewport { display: none !important; }
::-webkit-scrollbar { display: none; }
[data-testid="stDeckGlJsonChart"] { height: calc(__MAIN__vh - __TITLE__vh - __GAP__vh) !important; }
[data-testid="stDeckGlJsonChart"] > div { height: 100% !important; }
.wall-bar { display: flex; justify-content: space-between; align-items: baseline; color: #e6ebf5;
  border-bottom: 0.2vh solid #1f2c47; padding-bottom: 0.6vh; }
.wall-title { font-size: 3.4vh; font-weight: 700; letter-spacing: 0.1em; }
.wall-meta { font-size: 1.9vh; color: #9fb0cf; }
.wall-clock { font-size: 2.6vh; font-variant-numeric: tabular-nums; color: #e6ebf5; margin-left: 1.2vw; }
.wall-mark { font-size: 1.6vh; color: #ffb454; border: 0.15vh solid #ffb454; border-radius: 0.6vh;
  padding: 0.1vh 0.6vw; margin-left: 1vw; }
.wall-stale { font-size: 1.8vh; color: #0b1220; background: #ffb454; border-radius: 0.6vh; padding: 0.2vh 0.8vw;
  margin-left: 1vw; }
.wall-alert-count { font-size: 2vh; font-weight: 700; color: #9fb0cf; border: 0.15vh solid #3a4a6b;
  border-radius: 0.6vh; padding: 0.1vh 0.7vw; margin-left: 1vw; font-variant-numeric: tabular-nums; }
.wall-alert-count.on { color: #ffffff; background: #c0392b; border-color: #ff6b5e; }
.wall-alerts { display: flex; flex-direction: column; gap: 0.7vh; max-height: 60vh; overflow: hidden; }
.wall-alert { background: #0f1a30; border-left: 0.6vh solid #e8473c; border-radius: 0.6vh; padding: 0.5vh 0.6vw; }
.wall-alert-head { font-size: 1.9vh; color: #ffffff; font-weight: 600; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.wall-alert-kind { font-weight: 700; margin-right: 0.5vw; }
.wall-alert-sub { font-size: 1.6vh; color: #9fb0cf; white-space: nowrap; overflow: hidden; text-overflow: ellipsis;
  font-variant-numeric: tabular-nums; }
.wall-alert-more { font-size: 1.7vh; color: #9fb0cf; padding: 0.3vh 0.6vw; }
.wall-tiles { display: grid; grid-template-columns: repeat(6, 1fr); gap: 0.8vw; }
.wall-tile { background: #0f1a30; border: 0.15vh solid #1f2c47; border-radius: 1vh; padding: 0.9vh 1vw;
  min-width: 0; }
.wall-tile-label { font-size: 1.8vh; color: #9fb0cf; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-tile-value { font-size: 5.6vh; font-weight: 700; color: #ffffff; line-height: 1.15;
  font-variant-numeric: tabular-nums; white-space: nowrap; }
.wall-tile-value.alert { color: #ff6b5e; }
.wall-tile-change { font-size: 1.8vh; display: flex; flex-wrap: wrap; column-gap: 0.5vw; overflow: hidden;
  font-variant-numeric: tabular-nums; }
.wall-tile-change > span { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 100%; }
.wall-tile-previous { color: #9fb0cf; }
.wall-empty { font-size: 2.2vh; color: #9fb0cf; padding: 2vh 0.6vw; }
.wall-note { font-size: 1.9vh; color: #9fd3ff; margin: 0.2vh 0 0.4vh 0; }
.wall-calm { font-size: 3.4vh; color: #9fb0cf; margin-top: 30vh; text-align: center; }
.wall-panel-title { font-size: 2.1vh; color: #e6ebf5; font-weight: 600; height: __TITLE__vh;
  line-height: __TITLE__vh; margin: 0; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.wall-side { height: __MAIN__vh; display: flex; flex-direction: column; gap: __GAP__vh; overflow: hidden; }
.wall-trend-box { flex: 1 1 auto; min-height: 12vh; display: flex; flex-direction: column; }
.wall-trend-bars { flex: 1 1 auto; display: flex; align-items: flex-end; border-bottom: 0.15vh solid #1f2c47; }
.wall-trend-days { display: flex; justify-content: space-between; font-size: 1.5vh; color: #9fb0cf; }
.wall-ranking { flex: 1 1 auto; display: flex; flex-direction: column; min-height: 0; }
.wall-rank-row { flex: 1 1 0; max-height: 7vh; display: flex; align-items: center; font-size: 2vh; color: #e6ebf5; }
.wall-legend { flex: 0 0 auto; font-size: 1.6vh; color: #c9d3e6; border-top: 0.15vh solid #1f2c47; padding-top: 0.6vh; }
.wall-legend-title { color: #9fb0cf; margin-bottom: 0.3vh; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; }
.wall-legend-row { display: flex; align-items: center; line-height: 2.3vh; white-space: nowrap; overflow: hidden;
  text-overflow: ellipsis; font-variant-numeric: tabular-nums; }
.wall-legend-swatch { flex: 0 0 auto; width: 1.4vh; height: 1.4vh; border-radius: 0.3vh; margin-right: 0.5vw; }
.wall-ticker { overflow: hidden; white-space: nowrap; background: #0f1a30; border: 0.15vh solid #1f2c47;
  border-radius: 1vh; height: __TICKER__vh; box-sizing: border-box; display: flex; align-items: center;
  font-size: 2.1vh; color: #e6ebf5; position: fixed; left: __SIDE__vw; right: __SIDE__vw;
  bottom: __TICKER_GAP__vh; z-index: 10; }
.wall-ticker-track { display: inline-block; padding-left: 100%; animation: wall-scroll 90s linear infinite; }
.wall-ticker-item { margin-right: 4vw; }
.wall-ticker-item b { color: #ffb454; font-weight: 600; margin-right: 0.6vw; }
@keyframes wall-scroll { from { transform: translateX(0); } to { transform: translateX(-100%); } }
</style>
"""
for _name, _value in (("SIDE", SIDE_PADDING_VW), ("GAP", BLOCK_GAP_VH),
                      ("MAIN", MAIN_VH), ("TITLE", PANEL_TITLE_VH), ("TICKER", TICKER_VH),
                      ("TICKER_GAP", TICKER_GAP_VH)):
    WALL_CSS = WALL_CSS.replace(f"__{_name}__", f"{_value:g}")


def map_pixels(screen_width: int, screen_height: int) -> tuple[int, int]:
    """The centre map's size in pixels on a screen of this size (the layout above)."""
    content = screen_width * (1 - 2 * SIDE_PADDING_VW / 100) - 2 * COLUMN_GAP_PX
    height = screen_height * (MAIN_VH - PANEL_TITLE_VH - BLOCK_GAP_VH) / 100
    return int(content * CENTRE_SHARE), int(height)


@dataclass(frozen=True)
class WallTile:
    """A big tile: label, value, whether to show it in the alert colour, and its change line (None: no line)."""

    label: str
    value: str
    alert: bool = False
    change: str | None = None
    change_colour: str = CHANGE_HEX[None]
    previous: str | None = None


def figure_tile(label: str, figure: Figure, language: str, alert: bool = False) -> WallTile:
    """A tile of a figure with its change against the previous period and the previous value, in words."""
    text, arrow, _ = format_change(figure, language)
    arrow_mark = {"up": "▲ ", "down": "▼ "}.get(arrow, "")
    previous = None
    if figure.previous is not None and (figure.is_rate or figure.previous):  # "up from 0" says it already
        previous = translate("wall.previous", language, value=format_figure(figure, figure.previous))
    return WallTile(label, format_figure(figure, figure.value), alert, arrow_mark + text,
                    CHANGE_HEX[figure.verdict], previous)


def build_title_bar(city: str, title: str, data_time_label: str, data_time: int, clock: str,
                    synthetic_mark: str | None, stale_label: str | None,
                    alerts: tuple[str, int] | None = None) -> str:
    """The top bar: city and title, data-as-of time, the open alerts' count (`alerts`: its words and the count,
    highlighted when any is open), a clock (text), the demo-data mark and a stale badge."""
    as_of = local_text(data_time)
    parts = [f'<span class="wall-meta">{html.escape(data_time_label)} {html.escape(as_of)}</span>']
    if alerts is not None:
        words, count = alerts
        parts.append(f'<span class="wall-alert-count{" on" if count else ""}" data-testid="wall-alert-count" '
                     f'data-count="{int(count)}">{html.escape(words)}</span>')
    if synthetic_mark:
        parts.append(f'<span class="wall-mark">{html.escape(synthetic_mark)}</span>')
    if stale_label:
        parts.append(f'<span class="wall-stale" data-testid="wall-stale">{html.escape(stale_label)}</span>')
    parts.append(f'<span class="wall-clock">{html.escape(clock)}</span>')
    return (f'<div class="wall-bar"><span class="wall-title">{html.escape(city)} · {html.escape(title)}</span>'
            f'<span>{"".join(parts)}</span></div>')


def build_tiles(tiles: list[WallTile], columns: int = 6) -> str:
    """Big KPI tiles in a row of `columns`: label, value and the change line (every text escaped)."""
    cells = []
    for tile in tiles:
        change = ""
        if tile.change is not None:
            previous = (f'<span class="wall-tile-previous">{html.escape(tile.previous)}</span>'
                        if tile.previous else "")
            change = (f'<div class="wall-tile-change" data-testid="wall-change" style="color:{tile.change_colour}">'
                      f"<span>{html.escape(tile.change)}</span>{previous}</div>")
        cells.append(f'<div class="wall-tile" data-testid="wall-tile"><div class="wall-tile-label">'
                     f'{html.escape(tile.label)}</div><div class="wall-tile-value{" alert" if tile.alert else ""}">'
                     f"{html.escape(tile.value)}</div>{change}</div>")
    return f'<div class="wall-tiles" style="grid-template-columns:repeat({int(columns)}, 1fr)">{"".join(cells)}</div>'


def build_empty(text: str, css_class: str = "wall-empty") -> str:
    """A panel's words when it has nothing to show (never an empty box)."""
    return f'<div class="{css_class}" data-testid="wall-empty">{html.escape(text)}</div>'


def build_note(text: str) -> str:
    """A one-line remark under a panel title."""
    return f'<div class="wall-note" data-testid="wall-note">{html.escape(text)}</div>'


def build_ticker(items: list[tuple[str, str]], empty_text: str) -> str:
    """A scrolling line of (lead, text) items; every text escaped, so a citizen's markup stays text."""
    if not items:
        return (f'<div class="wall-ticker" data-testid="wall-ticker"><span class="wall-ticker-item" '
                f'data-testid="wall-empty">{html.escape(empty_text)}</span></div>')
    spans = "".join(f'<span class="wall-ticker-item"><b>{html.escape(lead)}</b>{html.escape(text)}</span>'
                    for lead, text in items)
    return f'<div class="wall-ticker" data-testid="wall-ticker"><div class="wall-ticker-track">{spans}</div></div>'


def build_panel_title(text: str, test_id: str | None = None) -> str:
    """A panel's title line."""
    marker = f' data-testid="{test_id}"' if test_id else ""
    return f'<div class="wall-panel-title"{marker}>{html.escape(text)}</div>'


def build_side(parts: list[str], test_id: str) -> str:
    """A side panel: its parts (already built, escaped HTML) stacked to fill the main row's height."""
    return f'<div class="wall-side" data-testid="{test_id}">{"".join(parts)}</div>'


def build_trend_bars(values: list[int], labels: tuple[str, str], empty_text: str, colour: str = "#4cc9f0") -> str:
    """Daily counts as columns sized in % of the box, which grows to fill its panel."""
    if not values:
        return build_empty(empty_text)
    top = max(max(values), 1)
    columns = "".join(
        f'<span title="{value:,}" style="flex:1;margin:0 0.08vw;background:{colour};border-radius:0.3vh 0.3vh 0 0;'
        f'height:{max(value * 100 / top, 1):.1f}%"></span>'
        for value in values
    )
    first, last = (html.escape(text) for text in labels)
    return (f'<div class="wall-trend-box"><div class="wall-trend-bars" data-testid="wall-trend">{columns}</div>'
            f'<div class="wall-trend-days"><span>{first}</span><span>{last}</span></div></div>')


def build_ranking(rows: list[tuple[str, int]], empty_text: str, colour: str = "#e8473c") -> str:
    """Horizontal bars of (name, count), widths relative to the largest, rows sharing the panel's height; the
    words `empty_text` when all are 0."""
    if not any(count for _, count in rows):
        return f'<div data-testid="wall-ranking">{build_empty(empty_text)}</div>'
    top = max(max(count for _, count in rows), 1)
    bars = "".join(
        '<div class="wall-rank-row">'
        f'<span style="width:42%;white-space:nowrap;overflow:hidden;text-overflow:ellipsis;padding-right:0.4vw">'
        f'{html.escape(name)}</span>'
        f'<span style="flex:1;background:#14213d;border-radius:0.4vh;height:2vh">'
        f'<span style="display:block;height:100%;width:{count * 100 / top:.1f}%;background:{colour};'
        'border-radius:0.4vh"></span></span>'
        f'<span style="width:18%;text-align:right;font-variant-numeric:tabular-nums">{count:,}</span></div>'
        for name, count in rows
    )
    return f'<div class="wall-ranking" data-testid="wall-ranking">{bars}</div>'


def build_legend(title: str, items: list[tuple[str, str]]) -> str:
    """A map's colour legend under a side panel: its title, then one row per class (colour hex, text); every text
    escaped."""
    rows = "".join(f'<div class="wall-legend-row"><span class="wall-legend-swatch" '
                   f'style="background:{html.escape(colour)}"></span>{html.escape(text)}</div>'
                   for colour, text in items)
    return (f'<div class="wall-legend" data-testid="wall-legend"><div class="wall-legend-title">'
            f'{html.escape(title)}</div>{rows}</div>')


def build_heat_legend(snapshot: WallSnapshot, language: str) -> str:
    """The legend of the request heat the map draws for this snapshot (the classes maps.build_h3_layer colours its
    cells by); nothing when no cell is drawn."""
    if not len(snapshot.heat):
        return ""
    return build_legend(*charts.build_heat_legend(heat_classes(snapshot.heat["received"].tolist()), language))


def build_alert_list(alerts, language: str, figures: str, empty_text: str, more_text: str | None) -> str:
    """The open alerts, newest first (alerts.read_alert_list rows), each as its kind and place over its category, its
    figures (`figures`: a template with {observed} and {upper}, maybe {expected}) and last day, edged in its kind's
    colour; `more_text` below when some are left off. Every text escaped."""
    if alerts.empty:
        return f'<div data-testid="wall-alerts">{build_empty(empty_text)}</div>'
    items = []
    for _, alert in alerts.iterrows():
        colour = hex_colour(ALERT_KIND_COLOURS.get(alert["kind"], (159, 176, 207)))
        numbers = figures.format(observed=alert_text.format_figure(alert["observed"]),
                                 upper=alert_text.format_figure(alert["upper"]),
                                 expected=alert_text.format_level(alert["expected"]))
        # The category first (what it is about), the date last (every open alert is recent): an ellipsis takes it.
        sub = " · ".join(part for part in (alert_text.category_label(alert, language), numbers,
                                           alert["last_day"].strftime("%m-%d")) if part)
        items.append(
            f'<div class="wall-alert" data-testid="wall-alert" data-kind="{html.escape(str(alert["kind"]))}" '
            f'data-area="{html.escape(str(alert["area_code"]))}" style="border-left-color:{colour}">'
            f'<div class="wall-alert-head"><span class="wall-alert-kind" style="color:{colour}">'
            f'{html.escape(alert_text.kind_label(alert["kind"], language))}</span>'
            f'{html.escape(alert_text.area_label(alert, language))}</div>'
            f'<div class="wall-alert-sub">{html.escape(sub)}</div></div>')
    more = (f'<div class="wall-alert-more" data-testid="wall-alert-more">{html.escape(more_text)}</div>'
            if more_text else "")
    return f'<div class="wall-alerts" data-testid="wall-alerts">{"".join(items)}{more}</div>'


def build_view_layers(view: WallView, snapshot: WallSnapshot, base: WallBase, language: str, label_size: int,
                      ) -> list[pdk.Layer]:
    """The centre map's layers for a carousel view, over the areas the wall draws (base.shapes)."""
    name_column = "name_en" if language == "en" else "name_zh"
    shapes = base.shapes.assign(name=base.shapes[name_column], selected=base.shapes["code"] == base.scope.code)
    level = base.scope.child_level
    layers = maps.build_base_layers(base.water, base.districts)
    labels = maps.build_label_layer(maps.build_area_labels(shapes, language), size=label_size)
    if isinstance(view, MembersView):
        digits = len(view.coverage["code"].iloc[0]) if len(view.coverage) else 0
        coverage = view.coverage.set_index("code")["coverage"]
        member_shapes = shapes.assign(coverage=shapes["code"].str[:digits].map(coverage))
        layer = maps.build_choropleth_layer(member_shapes, level, "coverage", measure_classes("member_coverage",
                                            member_shapes), "name", alpha=170)
        return [layer, *layers, *maps.build_selected_layers(shapes, level), labels]
    if isinstance(view, StationsView):
        return [*layers, maps.build_outline_layer(shapes, level, "area-outlines", 1.0),
                *maps.build_selected_layers(shapes, level),
                *maps.build_station_layers(view.stations, name_column, radius_m=70)]
    if isinstance(view, AlertsView):
        flagged = alert_text.build_flagged_areas(view.areas, view.alerts, language)
        points = alert_text.build_alert_points(view.alerts, language)
        return [*layers, maps.build_outline_layer(shapes, level, "area-outlines", 1.0),
                *maps.build_selected_layers(shapes, level),
                *maps.build_alert_layers(points, flagged, min_pixels=round(label_size / 2)), labels]
    counts = snapshot.ranking.set_index("code")["received"]
    area_data = shapes.assign(received=shapes["code"].map(counts).fillna(0))
    choropleth = maps.build_choropleth_layer(area_data, level, "received", measure_classes("received", area_data),
                                             "name", alpha=90 if isinstance(view, OverviewView) else 30)
    heat = [maps.build_h3_layer(snapshot.heat)[0]] if len(snapshot.heat) else []
    return [choropleth, *layers, *heat, *maps.build_selected_layers(shapes, level), labels]


def water_grid(base: WallBase) -> bool:
    """True when the wall is about a grid lying wholly in water (no residents): its map is all river."""
    return base.grid_population == 0

