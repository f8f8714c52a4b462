"""Indexes cover their reads (issue 12): the resolved-at and open-orders indexes a past moment's backlog (the
orders resolved since that moment and the open ones received since, counted from the indexes alone: a previous
period's backlog at city scale read ~400 k rows one by one), the members' community index their status (active
members per community for the coverage map), the open orders' area index the keys overdue counts group by.

Revision ID: 0008_covering_indexes
Revises: 0007_member_activity_days
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_covering_indexes"
down_revision = "0007_member_activity_days"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_work_orders_resolved", table_name="work_orders")
    op.create_index("ix_work_orders_resolved", "work_orders",
                    ["resolved_at", "is_open", "received_at", "due_at", "grid_code"], unique=False)
    op.drop_index("ix_work_orders_open", table_name="work_orders")
    op.create_index("ix_work_orders_open", "work_orders", ["is_open", "due_at", "received_at", "grid_code"],
                    unique=False)
    op.drop_index("ix_members_community", table_name="members")
    op.create_index("ix_members_community", "members", ["community_code", "status"], unique=False)
    op.drop_index("ix_work_orders_open_area", table_name="work_orders")
    op.create_index("ix_work_orders_open_area", "work_orders",
                    ["grid_code", "due_at", "received_at", "district_code", "street_code", "community_code",
                     "category_l1", "channel", "h3_r7", "h3_r8", "h3_r9"], unique=False,
                    postgresql_where=sa.text("is_open"), sqlite_where=sa.text("is_open"))


def downgrade() -> None:
    op.drop_index("ix_work_orders_open_area", table_name="work_orders")
    op.create_index("ix_work_orders_open_area", "work_orders", ["grid_code", "due_at", "received_at"], unique=False,
                    postgresql_where=sa.text("is_open"), sqlite_where=sa.text("is_open"))
    op.drop_index("ix_work_orders_open", table_name="work_orders")
    op.create_index("ix_work_orders_open", "work_orders", ["is_open", "due_at"], unique=False)
    op.drop_index("ix_members_community", table_name="members")
    op.create_index("ix_members_community", "members", ["community_code"], unique=False)
    op.drop_index("ix_work_orders_resolved", table_name="work_orders")
    op.create_index("ix_work_orders_resolved", "work_orders", ["resolved_at"], unique=False)
