"""Monthly rollups: each per-day rollup gets a per-calendar-month twin, filled from it, and an index of the open
orders by area (issue 12: any window fast).

Revision ID: 0004_monthly_rollups
Revises: 0003_alerts
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_monthly_rollups"
down_revision = "0003_alerts"
branch_labels = None
depends_on = None

# (monthly table, its per-day rollup, key columns after the period, measures) as they were at this revision.
TWINS = (
    ("work_order_month_hours", "work_order_day_hours", ("district_code", "hour"), ("received",)),
    ("work_order_month_channels", "work_order_day_channels", ("district_code", "channel", "status", "appeal_type"),
     ("received",)),
    ("work_order_months", "work_order_days", ("district_code", "street_code", "community_code"), None),
    ("work_order_month_categories", "work_order_day_categories", ("district_code", "street_code", "category_l1"),
     None),
    ("work_order_month_cells", "work_order_day_cells", ("district_code", "h3_r7", "h3_r8"), ("received", "open")),
    ("work_order_month_grids", "work_order_day_grids", ("district_code", "street_code", "community_code",
                                                        "grid_code"),
     ("received", "open", "received_resolved", "received_called_back", "received_satisfied")),
)
ALL_MEASURES = ("received", "handled", "responded", "repeats", "returned", "open", "received_resolved",
                "received_called_back", "received_satisfied", "whistles", "whistles_resolved", "whistles_open", "due",
                "due_on_time", "resolved", "solved", "resolved_called_back", "resolved_on_time", "called_back",
                "satisfied")


def _month_of(day: str) -> str:
    """SQL for the first day number of the calendar month holding a day number (as data_access.sql at this
    revision)."""
    if op.get_bind().dialect.name == "postgresql":
        return f"(CAST(date_trunc('month', DATE '1970-01-01' + CAST({day} AS INTEGER)) AS DATE) - DATE '1970-01-01')"
    return f"CAST(julianday(date({day} * 86400, 'unixepoch', 'start of month')) - 2440587.5 AS INTEGER)"


def upgrade() -> None:
    op.create_table('work_order_month_categories',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('category_l1', sa.String(length=32), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('received_resolved', sa.Integer(), nullable=False),
    sa.Column('received_called_back', sa.Integer(), nullable=False),
    sa.Column('received_satisfied', sa.Integer(), nullable=False),
    sa.Column('whistles', sa.Integer(), nullable=False),
    sa.Column('whistles_resolved', sa.Integer(), nullable=False),
    sa.Column('whistles_open', sa.Integer(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('due_on_time', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('solved', sa.Integer(), nullable=False),
    sa.Column('resolved_called_back', sa.Integer(), nullable=False),
    sa.Column('resolved_on_time', sa.Integer(), nullable=False),
    sa.Column('called_back', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'street_code', 'category_l1')
    )
    op.create_index('ix_work_order_month_categories_area_month', 'work_order_month_categories', ['street_code', 'month'], unique=False)
    op.create_table('work_order_month_cells',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('h3_r7', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('h3_r8', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'district_code', 'h3_r7', 'h3_r8')
    )
    op.create_index('ix_work_order_month_cells_area_month', 'work_order_month_cells', ['district_code', 'month'], unique=False)
    op.create_table('work_order_month_channels',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('channel', sa.String(length=24), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), autoincrement=False, nullable=False),
    sa.Column('appeal_type', sa.String(length=16), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'district_code', 'channel', 'status', 'appeal_type')
    )
    op.create_index('ix_work_order_month_channels_area_month', 'work_order_month_channels', ['district_code', 'month'], unique=False)
    op.create_table('work_order_month_grids',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('received_resolved', sa.Integer(), nullable=False),
    sa.Column('received_called_back', sa.Integer(), nullable=False),
    sa.Column('received_satisfied', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'grid_code')
    )
    op.create_index('ix_work_order_month_grids_area_month', 'work_order_month_grids', ['grid_code', 'month', 'received'], unique=False)
    op.create_index('ix_work_order_month_grids_month_received', 'work_order_month_grids', ['month', 'grid_code', 'received'], unique=False)
    op.create_table('work_order_month_hours',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('hour', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'district_code', 'hour')
    )
    op.create_index('ix_work_order_month_hours_area_month', 'work_order_month_hours', ['district_code', 'month'], unique=False)
    op.create_table('work_order_months',
    sa.Column('month', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('handled', sa.Integer(), nullable=False),
    sa.Column('responded', sa.Integer(), nullable=False),
    sa.Column('repeats', sa.Integer(), nullable=False),
    sa.Column('returned', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('received_resolved', sa.Integer(), nullable=False),
    sa.Column('received_called_back', sa.Integer(), nullable=False),
    sa.Column('received_satisfied', sa.Integer(), nullable=False),
    sa.Column('whistles', sa.Integer(), nullable=False),
    sa.Column('whistles_resolved', sa.Integer(), nullable=False),
    sa.Column('whistles_open', sa.Integer(), nullable=False),
    sa.Column('due', sa.Integer(), nullable=False),
    sa.Column('due_on_time', sa.Integer(), nullable=False),
    sa.Column('resolved', sa.Integer(), nullable=False),
    sa.Column('solved', sa.Integer(), nullable=False),
    sa.Column('resolved_called_back', sa.Integer(), nullable=False),
    sa.Column('resolved_on_time', sa.Integer(), nullable=False),
    sa.Column('called_back', sa.Integer(), nullable=False),
    sa.Column('satisfied', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('month', 'community_code')
    )
    op.create_index('ix_work_order_months_area_month', 'work_order_months', ['community_code', 'month'], unique=False)
    op.create_index("ix_work_orders_open_area", "work_orders", ["grid_code", "due_at", "received_at"], unique=False,
                    postgresql_where=sa.text("is_open"), sqlite_where=sa.text("is_open"))
    # A database loaded before this revision keeps its orders: the months are the sums of its per-day rollups.
    for monthly, daily, keys, measures in TWINS:
        names = ", ".join(keys)
        sums = ", ".join(f"SUM({measure})" for measure in measures or ALL_MEASURES)
        op.execute(f"INSERT INTO {monthly} (month, {names}, {', '.join(measures or ALL_MEASURES)}) "
                   f"SELECT {_month_of('day')}, {names}, {sums} FROM {daily} GROUP BY {_month_of('day')}, {names}")
        # Statistics now, so the planner knows the new tables' sizes before the first read.
        op.execute(f"ANALYZE {monthly}")


def downgrade() -> None:
    op.drop_index("ix_work_orders_open_area", table_name="work_orders")
    for monthly, *_rest in TWINS:
        op.drop_table(monthly)
