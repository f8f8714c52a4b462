"""Random points inside grids and on land, vectorised over many points at once."""

from __future__ import annotations

import numpy as np
import shapely

from sample_data.geography import KM_PER_DEG_LAT, KM_PER_DEG_LON

COORDINATE_DECIMALS = 6


class LandSampler:
    """Draws points that lie strictly inside a given grid and outside all water, at written precision."""

    def __init__(self, grid_geometries: np.ndarray, land: np.ndarray, water: shapely.Geometry):
        self.grids = np.asarray(grid_geometries, dtype=object)
        shapely.prepare(self.grids)
        self.water = water
        shapely.prepare(self.water)
        land = np.where(shapely.is_empty(land), self.grids, land)
        self.bounds = shapely.bounds(land)
        # Fallback for a grid almost all water: a point chosen once, checked like any other.
        self.fallback = shapely.get_coordinates(shapely.point_on_surface(land))

    def accepted(self, grid_index: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """True where a point is strictly inside its grid and not in or on water."""
        inside = shapely.contains_xy(self.grids[grid_index], lon, lat)
        inside[inside] &= ~shapely.intersects_xy(self.water, lon[inside], lat[inside])
        return inside

    def uniform(self, rng: np.random.Generator, grid_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One uniform random land point per entry of `grid_index` (rejection sampling in bounding boxes)."""
        return self.around(rng, grid_index, None, None, 0.0)

    def around(
        self,
        rng: np.random.Generator,
        grid_index: np.ndarray,
        centre_lon: np.ndarray | None,
        centre_lat: np.ndarray | None,
        spread_m: float,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Points near given centres (normal, `spread_m` metres) inside their grids; uniform if no centre."""
        grid_index = np.asarray(grid_index)
        lon = np.zeros(len(grid_index))
        lat = np.zeros(len(grid_index))
        pending = np.arange(len(grid_index))
        for attempt in range(60):
            if len(pending) == 0:
                break
            cells = grid_index[pending]
            if centre_lon is not None and attempt < 20:
                x = centre_lon[pending] + rng.normal(0, spread_m / 1000 / KM_PER_DEG_LON, len(pending))
                y = centre_lat[pending] + rng.normal(0, spread_m / 1000 / KM_PER_DEG_LAT, len(pending))
            else:
                box = self.bounds[cells]
                x = box[:, 0] + rng.random(len(pending)) * (box[:, 2] - box[:, 0])
                y = box[:, 1] + rng.random(len(pending)) * (box[:, 3] - box[:, 1])
            x, y = np.round(x, COORDINATE_DECIMALS), np.round(y, COORDINATE_DECIMALS)
            ok = self.accepted(cells, x, y)
            lon[pending[ok]], lat[pending[ok]] = x[ok], y[ok]
            pending = pending[~ok]
        if len(pending):
            fallback = np.round(self.fallback[grid_index[pending]], COORDINATE_DECIMALS)
            lon[pending], lat[pending] = fallback[:, 0], fallback[:, 1]
        return lon, lat
