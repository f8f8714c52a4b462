"""Grid workers (网格员): who serves each grid, masked for display."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, func, select

from data_access.schema import grid_workers
from data_access.scope import CITY, MASKED_PERSONAL, AreaScope
from data_access.sql import count_if, masked_name, masked_phone, read_frame


def read_grid_workers(engine: Engine, scope: AreaScope, limit: int = 200) -> pd.DataFrame:
    """Return grid workers in the area, names and phones masked in SQL (PersonalDataRefused for a viewer who may
    not read names: the scope says).

    Columns: worker_id, name_masked, phone_masked, grid_code, role, on_duty.
    """
    scope.require(MASKED_PERSONAL)
    return read_frame(engine, select(
        grid_workers.c.worker_id, masked_name(grid_workers.c.name).label("name_masked"),
        masked_phone(grid_workers.c.phone).label("phone_masked"), grid_workers.c.grid_code, grid_workers.c.role,
        grid_workers.c.on_duty,
    ).where(*scope.condition(grid_workers)).order_by(grid_workers.c.grid_code, grid_workers.c.worker_id)
        .limit(limit))


def read_grid_worker_counts(engine: Engine, scope: AreaScope = CITY) -> pd.DataFrame:
    """Return grid workers per role in the area: columns role, workers, on_duty."""
    return read_frame(engine, select(grid_workers.c.role, func.count().label("workers"),
                                     count_if(grid_workers.c.on_duty).label("on_duty"))
                      .where(*scope.condition(grid_workers))
                      .group_by(grid_workers.c.role).order_by(grid_workers.c.role))
