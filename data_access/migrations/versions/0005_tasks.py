"""督办: supervision tasks and every step of their history (issue 14).

Self-contained (it builds its tables without schema.py), so chaining it after another revision changes only
`down_revision`.

Revision ID: 0005_tasks
Revises: 0004_monthly_rollups
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_tasks"
down_revision = "0004_monthly_rollups"
branch_labels = None
depends_on = None


def _key() -> sa.types.TypeEngine:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "supervision_tasks",
        sa.Column("task_id", _key(), autoincrement=True, nullable=False),
        sa.Column("source_kind", sa.String(length=8), nullable=False),
        sa.Column("alert_id", sa.BigInteger(), nullable=True),
        sa.Column("source_summary", sa.Text(), nullable=True),
        sa.Column("area_code", sa.String(length=15), nullable=False),
        sa.Column("area_level", sa.String(length=12), nullable=False),
        sa.Column("district_code", sa.String(length=6), nullable=False),
        sa.Column("street_code", sa.String(length=9), nullable=True),
        sa.Column("community_code", sa.String(length=12), nullable=True),
        sa.Column("grid_code", sa.String(length=15), nullable=True),
        sa.Column("category_l1", sa.String(length=32), nullable=True),
        sa.Column("assignee", sa.String(length=32), nullable=False),
        sa.Column("assignee_kind", sa.String(length=12), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("instruction", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=12), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("task_id"),
    )
    op.create_index("ix_supervision_tasks_state_deadline", "supervision_tasks", ["state", "deadline"], unique=False)
    op.create_index("ix_supervision_tasks_district_street", "supervision_tasks", ["district_code", "street_code"],
                    unique=False)
    op.create_index("ix_supervision_tasks_alert", "supervision_tasks", ["alert_id"], unique=False)
    op.create_table(
        "task_events",
        sa.Column("event_id", _key(), autoincrement=True, nullable=False),
        sa.Column("task_id", _key(), nullable=False),
        sa.Column("at", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("from_state", sa.String(length=12), nullable=True),
        sa.Column("to_state", sa.String(length=12), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("display_name", sa.Text(), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["task_id"], ["supervision_tasks.task_id"]),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_index("ix_task_events_task", "task_events", ["task_id", "event_id"], unique=False)


def downgrade() -> None:
    op.drop_table("task_events")
    op.drop_table("supervision_tasks")
