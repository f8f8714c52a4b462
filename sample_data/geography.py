"""Synthetic geography of Linjiang: outline, water and exactly nested Voronoi areas from district to grid."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import shapely

from sample_data.names import build_roads_and_compounds, pinyin_of, place_stems

CITY_CENTER = (113.2, 30.4)
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CITY_CENTER[1]))
KM_PER_DEG_LAT = 110.95
# Every written vertex sits on this lattice (≈0.1 m), so shared edges and nesting are exact.
GRID_SIZE = 1e-6
# People-equivalents per km² added to population when sizing areas, so rural areas still get split.
AREA_WEIGHT_PER_KM2 = 1700.0


@dataclass(frozen=True)
class GeographySpec:
    """Size of the synthetic city: outline, number of areas per level and population."""

    half_width_km: float
    half_height_km: float
    districts: int
    streets: int
    communities: int
    households_per_grid: float
    grids_min: int
    grids_max: int
    population: int
    lakes: int
    subcentres: int
    min_streets_per_district: int
    min_communities_per_street: int


@dataclass
class AreaTree:
    """The float (km) partition before snapping: one row per grid with its ancestors' indices."""

    grid_cells: list
    grid_community: list
    community_street: list
    street_district: list
    grid_people: list


def km_to_degrees(coords: np.ndarray) -> np.ndarray:
    """Convert local km offsets from the city centre to lon/lat degrees."""
    return np.column_stack(
        [CITY_CENTER[0] + coords[:, 0] / KM_PER_DEG_LON, CITY_CENTER[1] + coords[:, 1] / KM_PER_DEG_LAT]
    )


def degrees_to_km(coords: np.ndarray) -> np.ndarray:
    """Convert lon/lat degrees to local km offsets from the city centre."""
    return np.column_stack(
        [(coords[:, 0] - CITY_CENTER[0]) * KM_PER_DEG_LON, (coords[:, 1] - CITY_CENTER[1]) * KM_PER_DEG_LAT]
    )


def blob(
    rng: np.random.Generator, cx: float, cy: float, rx: float, ry: float, roughness: float, vertices: int = 96
) -> shapely.Polygon:
    """A smooth star-shaped polygon: an ellipse whose radius wobbles with a few random harmonics."""
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    radius = np.ones_like(theta)
    for harmonic in range(2, 7):
        radius += roughness / harmonic * rng.normal() * np.sin(harmonic * theta + rng.uniform(0, 2 * np.pi))
    radius = np.clip(radius, 0.55, None)
    return shapely.Polygon(
        np.column_stack([cx + rx * radius * np.cos(theta), cy + ry * radius * np.sin(theta)])
    )


def river_band(
    rng: np.random.Generator, start: tuple, end: tuple, width_km: tuple, waviness_km: float, steps: int = 160
) -> shapely.Polygon:
    """A wavy band of varying width between two points (km), built from offsets of its centre line."""
    t = np.linspace(0, 1, steps)
    start_xy, end_xy = np.asarray(start, float), np.asarray(end, float)
    direction = end_xy - start_xy
    normal = np.array([-direction[1], direction[0]]) / np.linalg.norm(direction)
    wave = np.zeros_like(t)
    for harmonic, amplitude in ((1, 1.0), (2, 0.5), (3, 0.25)):
        wave += waviness_km * amplitude * rng.normal() * np.sin(np.pi * harmonic * t + rng.uniform(0, 0.6))
    centre = start_xy + t[:, None] * direction + wave[:, None] * normal
    tangent = np.gradient(centre, axis=0)
    tangent /= np.linalg.norm(tangent, axis=1)[:, None]
    side = np.column_stack([-tangent[:, 1], tangent[:, 0]])
    half = (width_km[0] + (width_km[1] - width_km[0]) * (0.5 + 0.5 * np.sin(5 * t + rng.uniform(0, 6)))) / 2
    left, right = centre + side * half[:, None], centre - side * half[:, None]
    return shapely.make_valid(shapely.Polygon(np.vstack([left, right[::-1]]))).buffer(0)


class DensityModel:
    """Residents per km² as a function of position (km): a dense core, sub-centres and a rural floor."""

    def __init__(self, rng: np.random.Generator, spec: GeographySpec, water: shapely.Geometry):
        self.water = water
        shapely.prepare(self.water)
        angles = rng.uniform(0, 2 * np.pi, spec.subcentres)
        distances = rng.uniform(0.35, 0.7, spec.subcentres)
        self.subcentres = np.column_stack(
            [
                np.cos(angles) * distances * spec.half_width_km,
                np.sin(angles) * distances * spec.half_height_km,
            ]
        )
        self.subcentre_peaks = rng.uniform(5000, 10000, spec.subcentres)
        self.waves = rng.normal(0, 1, (3, 4))
        self.scale = spec.half_width_km / 22.5

    def residents(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Residents per km² at the given km coordinates (zero on water)."""
        core = 22000 * np.exp(-np.hypot(x, y) / (4.2 * self.scale))
        subs = np.zeros_like(x)
        for (sx, sy), peak in zip(self.subcentres, self.subcentre_peaks, strict=True):
            subs += peak * np.exp(-np.hypot(x - sx, y - sy) / (1.8 * self.scale))
        ripple = np.ones_like(x)
        for a, b, c, d in self.waves:
            ripple += 0.12 * a * np.sin(0.35 * b * x / self.scale + c) * np.cos(0.35 * d * y / self.scale)
        density = (core + subs + 150) * np.clip(ripple, 0.3, None)
        return np.where(shapely.contains_xy(self.water, x, y), 0.0, density)


def sample_inside(rng: np.random.Generator, area: shapely.Geometry, count: int) -> np.ndarray:
    """Uniform random points (km) inside a polygon, by rejection from its bounding box."""
    shapely.prepare(area)
    x0, y0, x1, y1 = area.bounds
    fill = max(area.area / ((x1 - x0) * (y1 - y0)), 0.05)
    points = np.empty((0, 2))
    while len(points) < count:
        batch = int((count - len(points)) / fill * 1.3) + 16
        candidates = np.column_stack([rng.uniform(x0, x1, batch), rng.uniform(y0, y1, batch)])
        points = np.vstack(
            [points, candidates[shapely.contains_xy(area, candidates[:, 0], candidates[:, 1])]]
        )
    return points[:count]


def weighted_kmeans_seeds(
    rng: np.random.Generator, points: np.ndarray, weights: np.ndarray, clusters: int, iterations: int = 8
) -> np.ndarray:
    """Seeds (chosen among `points`) whose Voronoi cells hold about equal weight."""
    probabilities = weights / weights.sum()
    centres = points[rng.choice(len(points), clusters, replace=False, p=probabilities)]
    x, y = points[:, :1], points[:, 1:]
    for _ in range(iterations):
        labels = ((x - centres[:, 0]) ** 2 + (y - centres[:, 1]) ** 2).argmin(1)
        mass = np.bincount(labels, weights, clusters)
        filled = mass > 0
        centres[filled, 0] = np.bincount(labels, weights * points[:, 0], clusters)[filled] / mass[filled]
        centres[filled, 1] = np.bincount(labels, weights * points[:, 1], clusters)[filled] / mass[filled]
    # Snapping each centre to its nearest sample keeps seeds inside the (possibly concave) parent.
    nearest = ((x - centres[:, 0]) ** 2 + (y - centres[:, 1]) ** 2).argmin(0)
    return points[np.unique(nearest)]


def polygon_parts(geometry: shapely.Geometry) -> shapely.Geometry | None:
    """Keep only the polygonal parts of an overlay result, as a Polygon or MultiPolygon (or None)."""
    polygons = [
        part
        for part in shapely.get_parts(shapely.get_parts(geometry))
        if part.geom_type == "Polygon" and not part.is_empty
    ]
    if not polygons:
        return None
    return polygons[0] if len(polygons) == 1 else shapely.MultiPolygon(polygons)


def split_area(
    rng: np.random.Generator,
    area: shapely.Geometry,
    clusters: int,
    density: DensityModel,
    samples_per_cluster: int = 40,
) -> tuple[list, np.ndarray, np.ndarray]:
    """Split an area into about `clusters` Voronoi cells of equal weight; return cells, samples, labels."""
    points = sample_inside(rng, area, max(240, samples_per_cluster * clusters))
    residents = density.residents(points[:, 0], points[:, 1])
    if clusters <= 1:
        return [area], residents, np.zeros(len(points), dtype=int)
    seeds = weighted_kmeans_seeds(rng, points, residents + AREA_WEIGHT_PER_KM2, clusters)
    envelope = shapely.box(*area.buffer(1.0).bounds)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=envelope, ordered=True)
    )
    clipped = [polygon_parts(cell) for cell in shapely.intersection(cells, area)]
    keep = [index for index, cell in enumerate(clipped) if cell is not None]
    seeds = seeds[keep]
    labels = ((points[:, :1] - seeds[:, 0]) ** 2 + (points[:, 1:] - seeds[:, 1]) ** 2).argmin(1)
    return [clipped[index] for index in keep], residents, labels


def allocate(total: int, weights: np.ndarray, minimum: int) -> np.ndarray:
    """Split an integer total in proportion to weights (largest remainder), at least `minimum` each."""
    share = np.asarray(weights, float) / np.sum(weights)
    raw = np.maximum(share * total, minimum)
    counts = np.floor(raw).astype(int)
    remainder = max(total - counts.sum(), 0)
    counts[np.argsort(-(raw - counts), kind="stable")[:remainder]] += 1
    return counts


def build_outline_and_water(rng: np.random.Generator, spec: GeographySpec) -> tuple:
    """The city outline and its water features (km), as (outline, [(name_zh, name_en, kind, polygon)])."""
    outline = blob(rng, 0, 0, spec.half_width_km, spec.half_height_km, 0.12, vertices=180)
    w, h = spec.half_width_km, spec.half_height_km
    river = river_band(rng, (-1.2 * w, -0.55 * h), (1.2 * w, 0.5 * h), (0.6, 1.0), 0.12 * h)
    features = [("沧江", "Cangjiang River", "river", river)]
    if spec.lakes >= 3:
        tributary = river_band(rng, (-0.9 * w, 0.95 * h), (0.02 * w, 0.03 * h), (0.22, 0.35), 0.08 * h)
        features.append(("澴河", "Huanhe River", "river", tributary))
    lake_names = [
        ("镜湖", "Jinghu Lake"),
        ("白鹭湖", "Bailuhu Lake"),
        ("莲花湖", "Lianhuahu Lake"),
        ("梅子湖", "Meizihu Lake"),
        ("青菱湖", "Qinglinghu Lake"),
        ("月湖", "Yuehu Lake"),
        ("鸭儿湖", "Ya'erhu Lake"),
        ("南湖", "Nanhu Lake"),
    ]
    placed: list[shapely.Geometry] = [river.buffer(0.8)]
    for zh, en in lake_names[: spec.lakes]:
        for _attempt in range(200):
            cx, cy = rng.uniform(-0.75 * w, 0.75 * w), rng.uniform(-0.75 * h, 0.75 * h)
            radius = rng.uniform(0.5, 2.4) * min(1.0, w / 22.5 * 1.6)
            if math.hypot(cx, cy) < 2.5 * w / 22.5:
                continue
            lake = blob(rng, cx, cy, radius * rng.uniform(0.8, 1.4), radius, 0.35)
            if lake.is_valid and not any(lake.buffer(0.5).intersects(other) for other in placed):
                placed.append(lake)
                features.append((zh, en, "lake", lake))
                break
    features = [(zh, en, kind, shapely.intersection(poly, outline)) for zh, en, kind, poly in features]
    return outline, [feature for feature in features if not feature[3].is_empty]


def child_weights(area: shapely.Geometry, residents: np.ndarray, labels: np.ndarray, children: int) -> tuple:
    """Residents and people-equivalent weight of each child, from the parent's Monte Carlo samples."""
    per_sample = area.area / len(residents)
    people = np.bincount(labels, residents, children) * per_sample
    return people, people + np.bincount(labels, minlength=children) * per_sample * AREA_WEIGHT_PER_KM2


def build_area_tree(
    rng: np.random.Generator, spec: GeographySpec, outline, density: DensityModel
) -> AreaTree:
    """Nested Voronoi partitions in km: districts, streets, communities, then grids."""
    districts, residents, labels = split_area(rng, outline, spec.districts, density, samples_per_cluster=400)
    district_weights = child_weights(outline, residents, labels, len(districts))[1]
    street_counts = allocate(spec.streets, district_weights, spec.min_streets_per_district)
    streets, street_district, street_weights = [], [], []
    for district_index, (district, count) in enumerate(zip(districts, street_counts, strict=True)):
        cells, residents, labels = split_area(rng, district, count, density, samples_per_cluster=120)
        streets += cells
        street_district += [district_index] * len(cells)
        street_weights += list(child_weights(district, residents, labels, len(cells))[1])
    community_counts = allocate(spec.communities, np.array(street_weights), spec.min_communities_per_street)
    communities, community_street, community_people = [], [], []
    for street_index, (street, count) in enumerate(zip(streets, community_counts, strict=True)):
        cells, residents, labels = split_area(rng, street, count, density, samples_per_cluster=80)
        communities += cells
        community_street += [street_index] * len(cells)
        community_people += list(child_weights(street, residents, labels, len(cells))[0])
    community_households = np.array(community_people) * spec.population / np.sum(community_people) / 2.7
    grid_cells, grid_community, grid_people = [], [], []
    for community_index, community in enumerate(communities):
        count = round(community_households[community_index] / spec.households_per_grid)
        count = int(np.clip(count, spec.grids_min, spec.grids_max))
        cells, residents, labels = split_area(rng, community, count, density, samples_per_cluster=40)
        grid_cells += cells
        grid_community += [community_index] * len(cells)
        grid_people += list(child_weights(community, residents, labels, len(cells))[0])
    return AreaTree(grid_cells, grid_community, community_street, street_district, grid_people)


def snap_to_lattice(cells_km: list) -> list:
    """Node all grid boundaries on the GRID_SIZE lattice and rebuild each grid from the resulting faces."""
    cells = shapely.transform(np.array(cells_km, dtype=object), km_to_degrees)
    noded = shapely.union_all(shapely.boundary(cells), grid_size=GRID_SIZE)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    tree = shapely.STRtree(cells)
    probes = shapely.point_on_surface(faces)
    owner = np.full(len(faces), -1)
    face_index, cell_index = tree.query(probes, predicate="within")
    owner[face_index[::-1]] = cell_index[::-1]
    orphans = np.flatnonzero(owner < 0)
    if len(orphans):
        owner[orphans] = tree.query_nearest(probes[orphans], all_matches=False)[1]
    snapped = []
    for index in range(len(cells)):
        parts = faces[owner == index]
        snapped.append(
            None
            if len(parts) == 0
            else parts[0]
            if len(parts) == 1
            else polygon_parts(shapely.coverage_union_all(parts))
        )
    return snapped


def merge_children(children: np.ndarray) -> shapely.Geometry:
    """Union of areas that share exact edges (a coverage): exact, no new vertices."""
    return polygon_parts(shapely.coverage_union_all(children)) if len(children) > 1 else children[0]


@dataclass
class CityGeography:
    """The generated city in WGS-84: one DataFrame per level (with a `geometry` column) plus water."""

    outline: shapely.Geometry
    water: pd.DataFrame
    districts: pd.DataFrame
    streets: pd.DataFrame
    communities: pd.DataFrame
    grids: pd.DataFrame
    roads: pd.DataFrame
    compounds: pd.DataFrame


def order_by_distance(geometries: np.ndarray) -> np.ndarray:
    """Indices ordering areas from the city centre outwards (real codes roughly count outwards too)."""
    points = shapely.get_coordinates(shapely.point_on_surface(geometries))
    return np.argsort(np.hypot(*degrees_to_km(points).T), kind="stable")


def name_children(
    rng: np.random.Generator,
    table: pd.DataFrame,
    parent_column: str,
    kind_column: str,
    code_digits: tuple,
    suffixes: dict,
    taken: set[str],
    village_share: dict,
) -> pd.DataFrame:
    """Give each area of a level its code (parent code + 3 digits by kind) and unique names."""
    codes, names_zh, names_en = {}, {}, {}
    for parent_code, siblings in table.groupby(parent_column, sort=True):
        order = siblings.index[order_by_distance(siblings["geometry"].to_numpy())]
        next_number = dict(code_digits)
        for index in order:
            kind = table.at[index, kind_column]
            stem = place_stems(rng, 1, taken, village_share[kind])[0]
            codes[index] = f"{parent_code}{next_number[kind]:03d}"
            next_number[kind] += 1
            names_zh[index] = stem + suffixes[kind][0]
            names_en[index] = f"{pinyin_of(stem)} {suffixes[kind][1]}"
    return table.assign(code=pd.Series(codes), name_zh=pd.Series(names_zh), name_en=pd.Series(names_en))


def aggregate_level(children: pd.DataFrame, parent_index_column: str) -> pd.DataFrame:
    """Parent rows from children: summed population/households, exact coverage union of geometries."""
    grouped = children.groupby(parent_index_column, sort=True)
    parents = grouped[["population", "households", "land_km2"]].sum()
    parents["geometry"] = [merge_children(group["geometry"].to_numpy()) for _, group in grouped]
    return parents


def build_geography(rng: np.random.Generator, spec: GeographySpec, first_district_code: int) -> CityGeography:
    """Generate the whole city: water, districts, streets, communities and grids with names and codes."""
    outline_km, water_km = build_outline_and_water(rng, spec)
    density = DensityModel(rng, spec, shapely.union_all([feature[3] for feature in water_km]))
    tree = build_area_tree(rng, spec, outline_km, density)
    snapped = snap_to_lattice(tree.grid_cells)
    water = pd.DataFrame(
        [
            (zh, en, kind, shapely.set_precision(shapely.transform(polygon, km_to_degrees), GRID_SIZE))
            for zh, en, kind, polygon in water_km
        ],
        columns=["name_zh", "name_en", "kind", "geometry"],
    )
    water_union = shapely.union_all(water["geometry"].to_numpy())
    grid_community = np.array(tree.grid_community)
    keep = np.array([geometry is not None for geometry in snapped])
    grids = pd.DataFrame(
        {"community_index": grid_community[keep], "geometry": np.array(snapped, dtype=object)[keep]}
    )
    grids["land"] = shapely.difference(grids["geometry"].to_numpy(), water_union)
    grids["land_km2"] = shapely.area(grids["land"].to_numpy()) * KM_PER_DEG_LON * KM_PER_DEG_LAT
    people = np.array(tree.grid_people)[keep] * rng.lognormal(0, 0.2, keep.sum())
    people = np.where(grids["land_km2"] < 0.002, 0.0, people)
    grids["population"] = np.round(people * spec.population / people.sum()).astype(np.int64)

    communities = aggregate_level(grids.assign(households=0), "community_index")
    communities["street_index"] = np.array(tree.community_street)[communities.index]
    community_density = communities["population"] / communities["land_km2"].clip(lower=0.05)
    communities["is_village"] = community_density < 1800
    streets = aggregate_level(communities, "street_index")
    streets["district_index"] = np.array(tree.street_district)[streets.index]
    streets["is_town"] = (streets["population"] / streets["land_km2"].clip(lower=0.05)) < 2600
    # A town keeps its densest community as the town-seat residents' committee; streets have no villages.
    communities["is_village"] &= communities["street_index"].map(streets["is_town"]).to_numpy()
    seat = community_density.groupby(communities["street_index"]).idxmax()
    communities.loc[seat.to_numpy(), "is_village"] = False

    village_grid = grids["community_index"].map(communities["is_village"]).to_numpy()
    household_size = np.where(
        village_grid, rng.uniform(2.9, 3.4, len(grids)), rng.uniform(2.45, 2.85, len(grids))
    )
    grids["households"] = np.round(grids["population"] / household_size).astype(np.int64)
    communities[["households"]] = grids.groupby("community_index")[["households"]].sum()
    streets[["households"]] = communities.groupby("street_index")[["households"]].sum()
    districts = aggregate_level(streets, "district_index")

    taken: set[str] = set()
    districts["kind"] = "district"
    districts["city"] = ""
    order = order_by_distance(districts["geometry"].to_numpy())
    district_stems = place_stems(rng, len(districts), taken)
    districts.loc[districts.index[order], "code"] = [
        str(first_district_code + rank) for rank in range(len(order))
    ]
    districts.loc[districts.index[order], "name_zh"] = [stem + "区" for stem in district_stems]
    districts.loc[districts.index[order], "name_en"] = [
        f"{pinyin_of(stem)} District" for stem in district_stems
    ]

    streets["parent_code"] = streets["district_index"].map(districts["code"])
    streets["kind"] = np.where(streets["is_town"], "town", "street")
    streets = name_children(
        rng,
        streets,
        "parent_code",
        "kind",
        (("street", 1), ("town", 101)),
        {"street": ("街道", "Street"), "town": ("镇", "Town")},
        taken,
        {"street": 0, "town": 0.2},
    )
    communities["parent_code"] = communities["street_index"].map(streets["code"])
    communities["kind"] = np.where(communities["is_village"], "village", "community")
    communities = name_children(
        rng,
        communities,
        "parent_code",
        "kind",
        (("community", 1), ("village", 201)),
        {"community": ("社区", "Community"), "village": ("村", "Village")},
        set(),
        {"community": 0.05, "village": 0.5},
    )
    grids = name_grids(grids, communities)
    outline = merge_children(districts["geometry"].to_numpy())
    roads, compounds = build_roads_and_compounds(rng, streets, communities)
    return CityGeography(
        outline,
        water,
        finish(districts, None),
        finish(streets, "parent_code"),
        finish(communities, "parent_code"),
        finish(grids, "parent_code"),
        roads,
        compounds,
    )


def name_grids(grids: pd.DataFrame, communities: pd.DataFrame) -> pd.DataFrame:
    """Number grids in each community north-west to south-east: 桃园社区第3网格 / Taoyuan Community Grid 3."""
    points = shapely.get_coordinates(shapely.point_on_surface(grids["geometry"].to_numpy()))
    grids = grids.assign(
        sort_key=-points[:, 1] * 3 + points[:, 0],
        parent_code=grids["community_index"].map(communities["code"]),
    )
    grids = grids.sort_values(["parent_code", "sort_key"], kind="stable")
    sequence = grids.groupby("parent_code").cumcount() + 1
    community_zh = grids["community_index"].map(communities["name_zh"])
    community_en = grids["community_index"].map(communities["name_en"])
    grids["code"] = grids["parent_code"] + sequence.map("{:03d}".format)
    grids["name_zh"] = community_zh + "第" + sequence.astype(str) + "网格"
    grids["name_en"] = community_en + " Grid " + sequence.astype(str)
    return grids.drop(columns="sort_key")


def finish(table: pd.DataFrame, parent_column: str | None) -> pd.DataFrame:
    """Sort a level by code and reset its index; add `parent_code` (None for districts)."""
    table = table.sort_values("code").reset_index(drop=True)
    if parent_column is None:
        table["parent_code"] = None
    table["population"] = table["population"].astype(np.int64)
    table["households"] = table["households"].astype(np.int64)
    return table
