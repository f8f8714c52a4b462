"""Upgrading a database loaded by an older version: its rollups and what the loader now keeps beside them."""

from __future__ import annotations

from sqlalchemy import Engine

from data_access.db import lift_statement_timeout
from data_access.member_history import add_previous_date_columns
from data_access.rollup_build import rebuild_rollups, vacuum_rollups
from data_access.rollups import ALL_ROLLUPS


def upgrade_rollups(engine: Engine) -> None:
    """Create and fill the rollups of a database loaded before they existed (or under older measures).

    Also adds and fills member activities' previous dates (data_access.member_history), new in version 4.
    """
    with engine.begin() as connection:
        lift_statement_timeout(connection)
        add_previous_date_columns(connection)
        for rollup in ALL_ROLLUPS:
            # Recreated, not reused: an older version's table may have other columns or indexes.
            rollup.table.drop(connection, checkfirst=True)
            rollup.table.create(connection)
        rebuild_rollups(connection)
    vacuum_rollups(engine)
