"""The KPIs' reads of a partial day cover their columns (issue 12): a window that starts or ends inside a day (today,
and the previous period of a window still running) counts that day's orders by each basis from work_orders, and at
city scale each read looked up ~14 k orders one by one in the table (15–25 ms a read on SQLite, four reads a
period): the resolved-at index also carries the resolution and the call-back time, the call-back index the
satisfaction and the grid, the due index the status, the resolution time and the grid.

Revision ID: 0011_partial_day_indexes
Revises: 0010_member_area_history
"""

from __future__ import annotations

from alembic import op

revision = "0011_partial_day_indexes"
down_revision = "0010_member_area_history"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_work_orders_resolved": (["resolved_at", "is_open", "received_at", "due_at", "grid_code"],
                                ["resolved_at", "is_open", "received_at", "due_at", "grid_code", "resolution",
                                 "called_back_at"]),
    "ix_work_orders_called_back": (["called_back_at"], ["called_back_at", "satisfaction", "grid_code"]),
    "ix_work_orders_due": (["due_at"], ["due_at", "status", "resolved_at", "grid_code"]),
}


def _rebuild(which: int) -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="work_orders")
        op.create_index(name, "work_orders", columns[which], unique=False)


def upgrade() -> None:
    _rebuild(1)


def downgrade() -> None:
    _rebuild(0)
