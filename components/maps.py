"""Map building blocks: pure `build_*` functions returning pydeck layers and decks (no Streamlit calls)."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pydeck as pdk
import shapely
from pydeck.bindings.json_tools import default_serialize

from components.colours import (
    ALERT_KIND_COLOURS,
    LABEL,
    NO_DATA,
    OUTLINE,
    SELECTED,
    STATION_COLOURS,
    WATER,
    ColourClasses,
    heat_classes,
)

# Simplification per level, in degrees (~1 m ≈ 1e-5°): enough for a screen, small for the browser.
SIMPLIFY_DEGREES = {"district": 4e-4, "street": 2e-4, "community": 6e-5, "grid": 2e-5}
COORDINATE_DECIMALS = 5


def _round_coordinates(geometries: np.ndarray) -> np.ndarray:
    """Round coordinates to ~1 m so the JSON sent to the browser stays small."""
    return shapely.set_precision(geometries, 10 ** -COORDINATE_DECIMALS, mode="pointwise")


# A column of ready GeoJSON geometries (see with_screen_shapes): build_area_features uses it instead of simplifying.
SCREEN_SHAPE = "screen_shape"


def build_screen_shapes(areas: gpd.GeoDataFrame, level: str) -> list[dict]:
    """Each area's geometry simplified for the screen and rounded to ~1 m, as a GeoJSON geometry."""
    geometries = shapely.simplify(areas.geometry.to_numpy(), SIMPLIFY_DEGREES.get(level, 1e-4),
                                  preserve_topology=True)
    return [shapely.geometry.mapping(geometry) for geometry in _round_coordinates(geometries)]


def with_screen_shapes(areas: gpd.GeoDataFrame, level: str) -> gpd.GeoDataFrame:
    """The areas with their screen shapes in SCREEN_SHAPE (done once where the frame is shared by every session)."""
    return areas.assign(**{SCREEN_SHAPE: build_screen_shapes(areas, level) if len(areas) else []})


def build_area_features(areas: gpd.GeoDataFrame, level: str, properties: list[str]) -> dict:
    """GeoJSON FeatureCollection of simplified areas carrying only the listed properties."""
    shapes = areas[SCREEN_SHAPE].tolist() if SCREEN_SHAPE in areas else build_screen_shapes(areas, level)
    features = []
    records = areas[properties].to_dict("records")
    for shape, record in zip(shapes, records, strict=True):
        clean = {key: _plain(value) for key, value in record.items()}
        features.append({"type": "Feature", "geometry": shape, "properties": clean})
    return {"type": "FeatureCollection", "features": features}


def _plain(value):
    """JSON-safe scalar: numpy numbers to Python, NaN to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def build_choropleth_layer(areas: gpd.GeoDataFrame, level: str, value_column: str, classes: ColourClasses,
                           label_column: str, layer_id: str = "areas", alpha: int = 200,
                           extra_properties: tuple[str, ...] = ()) -> pdk.Layer:
    """Areas filled by the class of `value_column` (colours.target_classes or average_classes; tooltip fields:
    label, value and any extra properties)."""
    frame = areas.copy()
    frame["fill"] = classes.colours([_plain(value) for value in frame[value_column]], alpha)
    frame["value"] = frame[value_column]
    frame["label"] = frame[label_column]
    data = build_area_features(frame, level, ["code", "label", "value", "fill", *extra_properties])
    return pdk.Layer(
        "GeoJsonLayer", data, id=layer_id, pickable=True, stroked=True, filled=True,
        get_fill_color="properties.fill", get_line_color=[*OUTLINE, 160], line_width_min_pixels=1,
        auto_highlight=True, highlight_color=[255, 255, 255, 60],
    )


def build_highlight_layer(areas: gpd.GeoDataFrame, level: str, colour: tuple[int, int, int], layer_id: str,
                          name_column: str = "name_zh", alpha: int = 150) -> pdk.Layer:
    """Areas filled in one flag colour (e.g. under-served grids), with their names for the tooltip."""
    data = build_area_features(areas.assign(name=areas[name_column]), level, ["code", "name"])
    return pdk.Layer("GeoJsonLayer", data, id=layer_id, stroked=True, filled=True, pickable=True,
                     get_fill_color=[*colour, alpha], get_line_color=[*colour, 255], line_width_min_pixels=1)


def build_outline_layer(areas: gpd.GeoDataFrame, level: str, layer_id: str = "outlines",
                        width_pixels: float = 1.5) -> pdk.Layer:
    """Unfilled area outlines (the offline base map's boundaries)."""
    data = build_area_features(areas, level, ["code"])
    return pdk.Layer("GeoJsonLayer", data, id=layer_id, stroked=True, filled=False, pickable=False,
                     get_line_color=[*OUTLINE, 200], line_width_min_pixels=width_pixels)


def build_flag_outline_layer(areas: gpd.GeoDataFrame, level: str, colour: tuple[int, int, int], layer_id: str,
                             width_pixels: float = 3) -> pdk.Layer:
    """Unfilled outlines in one flag colour (e.g. areas with overdue tasks), over the fills; not pickable, so the
    fill's tooltip still answers."""
    data = build_area_features(areas, level, ["code"])
    return pdk.Layer("GeoJsonLayer", data, id=layer_id, stroked=True, filled=False, pickable=False,
                     get_line_color=[*colour, 255], line_width_min_pixels=width_pixels)


def build_selected_layers(areas: gpd.GeoDataFrame, level: str) -> list[pdk.Layer]:
    """A bold outline around the selected area among its siblings (`selected` column); none when none is."""
    chosen = areas[areas["selected"]] if "selected" in areas else areas.iloc[0:0]
    if chosen.empty:
        return []
    data = build_area_features(chosen, level, ["code"])
    return [pdk.Layer("GeoJsonLayer", data, id="selected-area", stroked=True, filled=False, pickable=False,
                      get_line_color=[*SELECTED, 255], line_width_min_pixels=3)]


def build_water_layer(water: gpd.GeoDataFrame, layer_id: str = "water") -> pdk.Layer:
    """Rivers and lakes, drawn under everything else."""
    data = build_area_features(water, "district", ["name_zh"]) if len(water) else {"type": "FeatureCollection",
                                                                                    "features": []}
    return pdk.Layer("GeoJsonLayer", data, id=layer_id, stroked=False, filled=True, pickable=False,
                     get_fill_color=[*WATER, 255])


def build_label_layer(labels: pd.DataFrame, layer_id: str = "labels", size: int = 14) -> pdk.Layer:
    """Text labels at points; `labels` has columns lon, lat, text (any script: the atlas is built on demand)."""
    # pydeck turns bare strings into JS expressions; a quoted string stays a constant ('auto': glyphs from data).
    return pdk.Layer("TextLayer", labels[["lon", "lat", "text"]].to_dict("records"), id=layer_id,
                     get_position="[lon, lat]", get_text="text", get_size=size, get_color=[*LABEL, 230],
                     character_set="'auto'", font_family='"Noto Sans CJK SC, Microsoft YaHei, sans-serif"',
                     outline_width=2, outline_color=[0, 0, 0, 200], font_settings={"sdf": True},
                     get_text_anchor="'middle'", get_alignment_baseline="'center'", pickable=False)


def build_station_layers(stations: pd.DataFrame, name_column: str, radius_m: float = 60) -> list[pdk.Layer]:
    """Stations as dots, one layer per type in its colour (so each dot carries only position and name)."""
    layers = []
    for station_type, group in stations.groupby("station_type", sort=True):
        records = pd.DataFrame({
            "lon": group["lon"].round(COORDINATE_DECIMALS),
            "lat": group["lat"].round(COORDINATE_DECIMALS),
            "name": group[name_column].fillna(group["name_zh"]),
        }).to_dict("records")
        layers.append(pdk.Layer(
            "ScatterplotLayer", records, id=f"stations-{station_type}", pickable=True,
            get_position="[lon, lat]", get_fill_color=[*STATION_COLOURS.get(station_type, (200, 200, 200)), 230],
            get_radius=radius_m, radius_min_pixels=3, radius_max_pixels=14, stroked=True,
            get_line_color=[10, 18, 32, 255], line_width_min_pixels=1,
        ))
    return layers


def build_station_features(stations: pd.DataFrame) -> dict:
    """GeoJSON FeatureCollection of stations as points (id, type, Chinese name), for export."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [_plain(lon), _plain(lat)]},
         "properties": {"station_id": station_id, "type": station_type, "name": name}}
        for station_id, station_type, name, lon, lat in zip(
            stations["station_id"], stations["station_type"], stations["name_zh"], stations["lon"], stations["lat"],
            strict=True)]}


def build_h3_features(heat: pd.DataFrame, value_column: str = "received") -> dict:
    """GeoJSON FeatureCollection of H3 cells (hexagon polygons) with their counts, for export."""
    import h3

    features = []
    for cell, value in zip(heat["h3"], heat[value_column], strict=True):
        ring = [[round(lng, COORDINATE_DECIMALS), round(lat, COORDINATE_DECIMALS)]
                for lat, lng in h3.cell_to_boundary(cell)]
        features.append({"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                         "properties": {"h3": cell, value_column: _plain(value)}})
    return {"type": "FeatureCollection", "features": features}


def build_h3_layer(heat: pd.DataFrame, layer_id: str = "heat", value_column: str = "received",
                   extruded: bool = False) -> tuple[pdk.Layer, ColourClasses]:
    """Server-aggregated H3 cells coloured by their count's class against the median cell (colours.heat_classes,
    returned for the legend); `heat` has columns h3 and value_column."""
    classes = heat_classes(heat[value_column].tolist())
    frame = heat[["h3", value_column]].rename(columns={value_column: "value"}).copy()
    frame["fill"] = classes.colours(frame["value"].tolist(), 170)
    layer = pdk.Layer("H3HexagonLayer", frame.to_dict("records"), id=layer_id, pickable=True, stroked=False,
                      filled=True, extruded=extruded, get_hexagon="h3", get_fill_color="fill",
                      get_elevation="value", elevation_scale=20)
    return layer, classes


def build_view_state(min_lon: float, min_lat: float, max_lon: float, max_lat: float,
                     width_px: int = 1000, height_px: int = 600) -> pdk.ViewState:
    """A view that fits the bounding box into a viewport of the given size (deck.gl: the world is 512 px at zoom 0)."""
    lon_span = max(max_lon - min_lon, 1e-4)
    lat_mid = math.radians((min_lat + max_lat) / 2)
    lat_span = max(max_lat - min_lat, 1e-4)
    zoom_lon = math.log2(360 * width_px / (512 * lon_span))
    zoom_lat = math.log2(360 * height_px / (512 * lat_span / math.cos(lat_mid)))
    zoom = max(0.0, min(zoom_lon, zoom_lat) - 0.15)
    return pdk.ViewState(longitude=(min_lon + max_lon) / 2, latitude=(min_lat + max_lat) / 2, zoom=round(zoom, 2),
                         pitch=0, bearing=0)


class CompactDeck(pdk.Deck):
    """A deck whose JSON is compact UTF-8: pydeck's own is indented and ASCII-escaped, which triples a Chinese
    name and makes json use its pure-Python encoder (the biggest cost of a map page's run)."""

    def to_json(self) -> str:
        return json.dumps(self, sort_keys=True, default=default_serialize, separators=(",", ":"), ensure_ascii=False)


def build_deck(layers: list[pdk.Layer], view_state: pdk.ViewState, tooltip: dict | None = None,
               map_style: str | None = None) -> pdk.Deck:
    """A deck with no external basemap (offline), or the intranet style when `map_style` is a URL."""
    if map_style:
        return CompactDeck(layers=layers, initial_view_state=view_state, tooltip=tooltip, map_style=map_style,
                           map_provider="mapbox")
    return CompactDeck(layers=layers, initial_view_state=view_state, tooltip=tooltip, map_provider=None)


# Approximate width of one H3 hexagon (km) at the stored resolutions.
H3_CELL_WIDTH_KM = {7: 2.4, 8: 0.9, 9: 0.35}
MAX_CELLS_ACROSS = 70


def h3_resolution_for(min_lon: float, min_lat: float, max_lon: float, max_lat: float) -> int:
    """The finest stored H3 resolution that keeps at most ~70 hexagons across the area on screen."""
    width_km = max((max_lon - min_lon) * 111.32 * math.cos(math.radians((min_lat + max_lat) / 2)),
                   (max_lat - min_lat) * 110.57)
    for resolution in sorted(H3_CELL_WIDTH_KM, reverse=True):
        if width_km / H3_CELL_WIDTH_KM[resolution] <= MAX_CELLS_ACROSS:
            return resolution
    return min(H3_CELL_WIDTH_KM)


# Where a Chinese area name may end: the part of a child's name that repeats its parent's stops here.
ZH_NAME_ENDS = ("社区", "街道", "村", "镇", "乡", "区")


def short_names(names: list[str], language: str) -> list[str]:
    """Names without the leading words every one of them shares (a community's grids: "Shuntang Community Grid 3"
    → "Grid 3", "顺塘社区第3网格" → "第3网格"), so labels side by side do not run into each other; unchanged when
    nothing is shared or one name would be left as a bare number."""
    if len(names) < 2:
        return names
    if language == "en":
        words = [name.split(" ") for name in names]
        shared = 0
        while all(len(parts) > shared + 1 and parts[shared] == words[0][shared] for parts in words):
            shared += 1
        if shared and any(len(parts) == shared + 1 and parts[-1].isdigit() for parts in words):
            shared -= 1  # keep "Grid" before the number
        return [" ".join(parts[shared:]) for parts in words] if shared else names
    common = names[0]
    for name in names[1:]:
        while not name.startswith(common):
            common = common[:-1]
    cut = max((common.rfind(end) + len(end) for end in ZH_NAME_ENDS if end in common), default=0)
    if cut == 0 or any(len(name) <= cut for name in names):
        return names
    return [name[cut:] for name in names]


def build_area_labels(areas: gpd.GeoDataFrame | pd.DataFrame, language: str) -> pd.DataFrame:
    """Label points (lon, lat, text) at each area's inner point, in the page's language, without the words all
    the labels share (short_names)."""
    names = areas["name_en" if language == "en" else "name_zh"].astype(str).tolist()
    return pd.DataFrame({
        "lon": areas["centroid_lon"].round(COORDINATE_DECIMALS),
        "lat": areas["centroid_lat"].round(COORDINATE_DECIMALS),
        "text": short_names(names, language),
    })


def build_base_layers(water: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> list[pdk.Layer]:
    """The offline base map: water and district boundaries, drawn over area fills (labels are added per view)."""
    return [build_water_layer(water), build_outline_layer(districts, "district", "district-outlines", 2.0)]


def bounds_of(areas: gpd.GeoDataFrame | pd.DataFrame) -> tuple[float, float, float, float]:
    """(min_lon, min_lat, max_lon, max_lat) covering all rows (uses the stored bounding boxes)."""
    return (float(areas["min_lon"].min()), float(areas["min_lat"].min()),
            float(areas["max_lon"].max()), float(areas["max_lat"].max()))


def build_alert_layers(points: pd.DataFrame, flagged_areas: gpd.GeoDataFrame, selected: int | None = None,
                       radius_m: float = 90, min_pixels: int = 5) -> list[pdk.Layer]:
    """Early warning on a map: the flagged areas filled in their alert kind's colour (`flagged_areas`: code, kind,
    label, geometry), and every alert as a dot (`points`: alert_id, kind, lon, lat, label — a repeat cluster at its
    centre, an area's alert at its inner point) so a small grid shows at any zoom; the `selected` alert ringed in
    white; dots never smaller than `min_pixels`. Tooltip field: label."""
    layers = []
    if len(flagged_areas):
        frame = flagged_areas.assign(fill=[[*ALERT_KIND_COLOURS.get(kind, NO_DATA), 110]
                                           for kind in flagged_areas["kind"]],
                                     line=[[*ALERT_KIND_COLOURS.get(kind, NO_DATA), 255]
                                           for kind in flagged_areas["kind"]])
        data = build_area_features(frame, "grid", ["code", "alert_id", "label", "fill", "line"])
        layers.append(pdk.Layer("GeoJsonLayer", data, id="alert-areas", pickable=True, stroked=True, filled=True,
                                get_fill_color="properties.fill", get_line_color="properties.line",
                                line_width_min_pixels=2))
    if len(points):
        records = pd.DataFrame({
            "alert_id": points["alert_id"].astype("int64"),
            "lon": points["lon"].astype(float).round(COORDINATE_DECIMALS),
            "lat": points["lat"].astype(float).round(COORDINATE_DECIMALS),
            "label": points["label"].astype(str),
            "fill": [[*ALERT_KIND_COLOURS.get(kind, NO_DATA), 235] for kind in points["kind"]],
        })
        layers.append(pdk.Layer("ScatterplotLayer", records.to_dict("records"), id="alerts", pickable=True,
                                get_position="[lon, lat]", get_fill_color="fill", get_radius=radius_m,
                                radius_min_pixels=min_pixels, radius_max_pixels=max(16, 3 * min_pixels), stroked=True,
                                get_line_color=[10, 18, 32, 255], line_width_min_pixels=1))
        chosen = records[records["alert_id"] == selected]
        if len(chosen):
            layers.append(pdk.Layer("ScatterplotLayer", chosen[["lon", "lat"]].to_dict("records"), id="selected-alert",
                                    pickable=False, get_position="[lon, lat]", get_radius=radius_m * 2.2,
                                    radius_min_pixels=11, radius_max_pixels=30, stroked=True, filled=False,
                                    get_line_color=[*SELECTED, 255], line_width_min_pixels=3))
    return layers
