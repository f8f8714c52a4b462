"""Grid × first-level category rollups: received orders per day (and calendar month), for early warning's surges
(issue 14: a full day of alerts at city scale reads eight weeks of these instead of grouping the orders).

Revision ID: 0006_grid_category_rollups
Revises: 0005_tasks
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_grid_category_rollups"
down_revision = "0005_tasks"
branch_labels = None
depends_on = None

# As data_access.city_time at this revision: Asia/Shanghai, no daylight saving.
CITY_UTC_OFFSET_SECONDS = 8 * 3600
DAY_SECONDS = 86_400


def _month_of(day: str) -> str:
    """SQL for the first day number of the calendar month holding a day number (as data_access.sql here)."""
    if op.get_bind().dialect.name == "postgresql":
        return f"(CAST(date_trunc('month', DATE '1970-01-01' + CAST({day} AS INTEGER)) AS DATE) - DATE '1970-01-01')"
    return f"CAST(julianday(date({day} * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"


def upgrade() -> None:
    op.create_table('work_order_day_grid_categories',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('category_l1', sa.String(length=32), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'grid_code', 'category_l1')
    )
    op.create_index('ix_work_order_day_grid_categories_area_day', 'work_order_day_grid_categories', ['grid_code', 'day'], unique=False)
    op.create_table('work_order_month_grid_categories',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('category_l1', sa.String(length=32), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'grid_code', 'category_l1')
    )
    op.create_index('ix_work_order_month_grid_categories_area_month', 'work_order_month_grid_categories', ['grid_code', 'month'], unique=False)
    # A database loaded before this revision keeps its orders: the days are counted from them (every order by
    # its local received day), the months are the sums of the days.
    day = f"(received_at + {CITY_UTC_OFFSET_SECONDS}) / {DAY_SECONDS}"
    op.execute("INSERT INTO work_order_day_grid_categories (day, district_code, street_code, community_code, "
               "grid_code, category_l1, received) "
               f"SELECT {day}, substr(grid_code, 1, 6), substr(grid_code, 1, 9), substr(grid_code, 1, 12), grid_code, "
               f"category_l1, COUNT(*) FROM work_orders GROUP BY {day}, grid_code, category_l1")
    op.execute("INSERT INTO work_order_month_grid_categories (month, district_code, street_code, community_code, "
               "grid_code, category_l1, received) "
               f"SELECT {_month_of('day')}, district_code, street_code, community_code, grid_code, category_l1, "
               f"SUM(received) FROM work_order_day_grid_categories GROUP BY {_month_of('day')}, district_code, "
               "street_code, community_code, grid_code, category_l1")


def downgrade() -> None:
    op.drop_table("work_order_month_grid_categories")
    op.drop_table("work_order_day_grid_categories")
