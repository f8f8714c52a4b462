"""Each member activity's previous activity of any kind in the same district, street, community and grid: an
area's distinct members active become a plain count (a district's member figures counted DISTINCT four ways over
a fifth of the city's 14 days of activities: 0.27 s on SQLite at city scale; issue 12).

Adds `previous_any_in_<level>` for the four area levels, fills them from the activities, and covers a district's,
a street's and a grid's 14-day read with an index each (a community's reads its few rows by the community index).

Revision ID: 0010_member_area_history
Revises: 0009_member_active_days
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_member_area_history"
down_revision = "0009_member_active_days"
branch_labels = None
depends_on = None

LEVELS = ("district", "street", "community", "grid")
COVERED = ("district", "street", "grid")


def upgrade() -> None:
    bind = op.get_bind()
    have = {column["name"] for column in sa.inspect(bind).get_columns("member_activities")}
    for level in LEVELS:
        if f"previous_any_in_{level}" not in have:
            op.add_column("member_activities", sa.Column(f"previous_any_in_{level}", sa.Date(), nullable=True))
    # A database loaded before this revision keeps its activities: the previous dates are computed from them.
    lags = ", ".join(f"LAG(activity_date) OVER (PARTITION BY member_id, {level}_code "
                     f"ORDER BY activity_date, activity_id) AS in_{level}" for level in LEVELS)
    sets = ", ".join(f"previous_any_in_{level} = history.in_{level}" for level in LEVELS)
    op.execute(f"UPDATE member_activities SET {sets} "
               f"FROM (SELECT activity_id, {lags} FROM member_activities) AS history "
               "WHERE member_activities.activity_id = history.activity_id")
    for level in COVERED:
        op.create_index(f"ix_member_activities_{level}_date", "member_activities",
                        [f"{level}_code", "activity_date", f"previous_any_in_{level}", "kind", "hours"], unique=False)


def downgrade() -> None:
    for level in COVERED:
        op.drop_index(f"ix_member_activities_{level}_date", table_name="member_activities")
    with op.batch_alter_table("member_activities") as batch:
        for level in LEVELS:
            batch.drop_column(f"previous_any_in_{level}")
