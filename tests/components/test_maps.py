"""Pure map builders: layers carry only what they draw, views fit their area, no external basemap by default."""

from __future__ import annotations

import json
import math

import geopandas as gpd
import pandas as pd
import pydeck as pdk
import shapely

from components import colours, maps


def squares() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({
        "code": ["429902", "429903", "429904"], "name": ["甲区", "乙区", "丙区"], "value": [1.0, 5.0, None],
    }, geometry=[shapely.box(113.0, 30.0, 113.1, 30.1), shapely.box(113.1, 30.0, 113.2, 30.1),
                 shapely.box(113.2, 30.0, 113.3, 30.1)], crs="EPSG:4326")


def test_choropleth_fills_by_class_and_no_data_colour():
    areas = squares()
    classes = colours.average_classes(areas["value"].tolist())
    layer = maps.build_choropleth_layer(areas, "district", "value", classes, "name")
    features = layer.data["features"]
    assert [feature["properties"]["code"] for feature in features] == ["429902", "429903", "429904"]
    fills = [feature["properties"]["fill"] for feature in features]
    assert fills[0] == classes.colour(1.0) != fills[1] == classes.colour(5.0)
    assert fills[2][:3] == list(colours.NO_DATA)
    assert set(features[0]["properties"]) == {"code", "label", "value", "fill"}


def test_labels_leave_out_the_words_every_name_shares():
    assert maps.short_names(["Shuntang Community Grid 1", "Shuntang Community Grid 12"], "en") == ["Grid 1",
                                                                                                   "Grid 12"]
    assert maps.short_names(["顺塘社区第1网格", "顺塘社区第12网格"], "zh") == ["第1网格", "第12网格"]
    assert maps.short_names(["Xincheng District", "Baihu District"], "en") == ["Xincheng District", "Baihu District"]
    assert maps.short_names(["新城区", "兴园区"], "zh") == ["新城区", "兴园区"]
    assert maps.short_names(["Grid 1", "Grid 10"], "en") == ["Grid 1", "Grid 10"]
    assert maps.short_names(["Shuntang Community Grid 1"], "en") == ["Shuntang Community Grid 1"]


def test_view_state_fits_the_box_in_deck_gl_pixels():
    view = maps.build_view_state(113.0, 30.0, 113.4, 30.3, width_px=600, height_px=400)
    pixels_per_degree = 512 * 2 ** view.zoom / 360
    assert 0.4 * pixels_per_degree <= 600
    assert 0.3 * pixels_per_degree / math.cos(math.radians(30.15)) <= 400
    assert 0.4 * pixels_per_degree > 600 * 0.6  # and it is not needlessly far out


def test_no_external_basemap_unless_an_intranet_style_is_given():
    view = maps.build_view_state(113.0, 30.0, 113.4, 30.3)
    offline = json.loads(maps.build_deck([], view).to_json())
    assert offline.get("mapProvider") in (None, "") and "carto" not in json.dumps(offline).lower()
    intranet = json.loads(maps.build_deck([], view, map_style="http://tiles.intranet/style.json").to_json())
    assert intranet["mapStyle"] == "http://tiles.intranet/style.json"


def test_a_deck_is_sent_as_compact_utf8_json_with_the_same_content_as_pydecks():
    stations = pd.DataFrame({"station_type": ["compound_post", "street_center"], "lon": [113.1, 113.2],
                             "lat": [30.1, 30.2], "name_zh": ["东湖社区党群服务中心", "乙"], "name_en": [None, "B"]})
    view = maps.build_view_state(113.0, 30.0, 113.4, 30.3)
    deck = maps.build_deck(maps.build_station_layers(stations, "name_zh"), view, {"html": "<b>{name}</b>"})
    compact = deck.to_json()
    assert json.loads(compact) == json.loads(pdk.Deck.to_json(deck))
    assert "东湖社区党群服务中心" in compact and "\\u" not in compact and "\n" not in compact
    assert len(compact.encode()) < 0.7 * len(pdk.Deck.to_json(deck).encode())


def test_h3_resolution_follows_the_area_size():
    assert maps.h3_resolution_for(112.9, 30.2, 113.5, 30.6) == 8      # a 57 km city
    assert maps.h3_resolution_for(113.0, 30.0, 113.05, 30.04) == 9    # a street
    assert maps.h3_resolution_for(110.0, 28.0, 116.0, 33.0) == 7      # a province


def test_station_layers_one_per_type_with_position_and_name_only():
    stations = pd.DataFrame({"station_type": ["compound_post", "compound_post", "street_center"],
                             "lon": [113.123456789, 113.2, 113.3], "lat": [30.1, 30.2, 30.3],
                             "name_zh": ["甲", "乙", "丙"], "name_en": [None, "B", "C"]})
    layers = maps.build_station_layers(stations, "name_en")
    assert [layer.id for layer in layers] == ["stations-compound_post", "stations-street_center"]
    assert layers[0].data[0] == {"lon": 113.12346, "lat": 30.1, "name": "甲"}


def test_h3_layer_sends_cells_not_points():
    heat = pd.DataFrame({"h3": ["88309a4c01fffff", "88309a4c03fffff"], "received": [3, 40]})
    layer, classes = maps.build_h3_layer(heat)
    assert [row["h3"] for row in layer.data] == list(heat["h3"])
    assert set(layer.data[0]) == {"h3", "value", "fill"}
    # Each cell in the colour of its count's class against the median cell (the lower middle: 3).
    assert classes.reference == 3
    assert [row["fill"] for row in layer.data] == [[*colours.SCALES["heat"][2], 170], [*colours.SCALES["heat"][5], 170]]


def test_h3_export_is_closed_hexagons_around_their_cells():
    import h3

    heat = pd.DataFrame({"h3": ["88309a4c01fffff"], "received": [7]})
    feature = maps.build_h3_features(heat)["features"][0]
    ring = feature["geometry"]["coordinates"][0]
    assert len(ring) == 7 and ring[0] == ring[-1]
    lat, lng = h3.cell_to_latlng("88309a4c01fffff")
    assert shapely.Polygon(ring).contains(shapely.Point(lng, lat))
    assert feature["properties"] == {"h3": "88309a4c01fffff", "received": 7}


def test_escape_markdown_makes_citizen_text_inert():
    from components.views import escape_markdown

    hostile = '<img src=x onerror="alert(1)"> **bold** [link](javascript:alert(1))'
    escaped = escape_markdown(hostile)
    assert "<" not in escaped.replace("\\<", "") and "[" not in escaped.replace("\\[", "")
    assert escaped.replace("\\", "") == hostile


def test_station_export_is_one_point_per_station():
    stations = pd.DataFrame({"station_id": ["S1", "S2"], "station_type": ["compound_post", "street_center"],
                             "lon": [113.1, 113.2], "lat": [30.1, 30.2], "name_zh": ["甲驿站", "乙中心"]})
    collection = json.loads(json.dumps(maps.build_station_features(stations), ensure_ascii=False))
    assert [feature["geometry"] for feature in collection["features"]] == [
        {"type": "Point", "coordinates": [113.1, 30.1]}, {"type": "Point", "coordinates": [113.2, 30.2]}]
    assert collection["features"][1]["properties"] == {"station_id": "S2", "type": "street_center", "name": "乙中心"}
