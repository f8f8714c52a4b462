"""Early warning: the alerts found per day and each alert's flagged days (issue 14).

Revision ID: 0003_alerts
Revises: 0002_access
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_alerts"
down_revision = "0002_access"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alerts",
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True,
                  nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("area_code", sa.String(length=15), nullable=False),
        sa.Column("area_level", sa.String(length=12), nullable=False),
        sa.Column("category_l1", sa.String(length=32), nullable=True),
        sa.Column("category_l2", sa.Text(), nullable=True),
        sa.Column("measure", sa.String(length=16), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("centre_lon", sa.Float(), nullable=True),
        sa.Column("centre_lat", sa.Float(), nullable=True),
        sa.Column("order_nos", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id"),
    )
    op.create_index("ix_alerts_status_last_day", "alerts", ["status", "last_day"], unique=False)
    op.create_index("ix_alerts_area_code", "alerts", ["area_code"], unique=False)
    op.create_table(
        "alert_days",
        sa.Column("alert_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=False,
                  nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("observed", sa.Integer(), nullable=False),
        sa.Column("expected", sa.Float(), nullable=True),
        sa.Column("upper", sa.Float(), nullable=True),
        sa.Column("order_nos", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("alert_id", "day"),
    )
    op.create_index("ix_alert_days_day", "alert_days", ["day"], unique=False)


def downgrade() -> None:
    op.drop_table("alert_days")
    op.drop_table("alerts")
