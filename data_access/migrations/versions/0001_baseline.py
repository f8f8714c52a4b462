"""Baseline: the schema as the code on main built it before migrations existed (commit 48ffe0c).

A database built then has these tables and no alembic_version; data_access.migrate stamps it with this
revision and upgrades it from here. Frozen: later changes are new revisions, never edits here.

Revision ID: 0001_baseline
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_baseline"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('areas',
    sa.Column('code', sa.String(length=15), nullable=False),
    sa.Column('level', sa.String(length=12), nullable=False),
    sa.Column('parent_code', sa.String(length=15), nullable=True),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('population', sa.Integer(), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('member_target', sa.Integer(), nullable=True),
    sa.Column('centroid_lon', sa.Float(), nullable=False),
    sa.Column('centroid_lat', sa.Float(), nullable=False),
    sa.Column('min_lon', sa.Float(), nullable=False),
    sa.Column('min_lat', sa.Float(), nullable=False),
    sa.Column('max_lon', sa.Float(), nullable=False),
    sa.Column('max_lat', sa.Float(), nullable=False),
    sa.Column('area_m2', sa.Float(), nullable=False),
    sa.Column('geometry_wkb', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_index('ix_areas_level_parent', 'areas', ['level', 'parent_code'], unique=False)
    op.create_table('grid_workers',
    sa.Column('worker_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('worker_id')
    )
    op.create_index('ix_grid_workers_grid', 'grid_workers', ['grid_code'], unique=False)
    op.create_table('member_activities',
    sa.Column('activity_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('activity_date', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('hours', sa.Float(), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('work_order_no', sa.String(length=64), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('previous_in_city', sa.Date(), nullable=True),
    sa.Column('previous_in_district', sa.Date(), nullable=True),
    sa.Column('previous_in_street', sa.Date(), nullable=True),
    sa.Column('previous_in_community', sa.Date(), nullable=True),
    sa.Column('previous_in_grid', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('activity_id')
    )
    op.create_index('ix_member_activities_community_date', 'member_activities', ['community_code', 'activity_date'], unique=False)
    op.create_index('ix_member_activities_date_kind', 'member_activities', ['activity_date', 'kind', 'previous_in_city', 'hours'], unique=False)
    # SQLite only: PostgreSQL has no skip scan to use it (schema.py).
    if op.get_bind().dialect.name == "sqlite":
        op.create_index('ix_member_activities_kind_date', 'member_activities', ['kind', 'activity_date', 'previous_in_city', 'hours'], unique=False)
    op.create_index('ix_member_activities_member', 'member_activities', ['member_id'], unique=False)
    op.create_table('members',
    sa.Column('member_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('phone', sa.String(length=32), nullable=False),
    sa.Column('work_unit', sa.Text(), nullable=False),
    sa.Column('unit_type', sa.String(length=32), nullable=False),
    sa.Column('residence_community_code', sa.String(length=12), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=True),
    sa.Column('checkin_date', sa.Date(), nullable=False),
    sa.Column('skills', sa.Text(), nullable=True),
    sa.Column('claimed_posts', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('member_id')
    )
    op.create_index('ix_members_community', 'members', ['community_code'], unique=False)
    op.create_index('ix_members_district', 'members', ['district_code'], unique=False)
    op.create_index('ix_members_street', 'members', ['street_code'], unique=False)
    op.create_table('meta',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('stations',
    sa.Column('station_id', sa.String(length=64), nullable=False),
    sa.Column('station_type', sa.String(length=32), nullable=False),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('source_coord_system', sa.String(length=8), nullable=False),
    sa.Column('opening_hours', sa.Text(), nullable=True),
    sa.Column('services', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('opened_date', sa.Date(), nullable=True),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.PrimaryKeyConstraint('station_id')
    )
    op.create_index('ix_stations_grid', 'stations', ['grid_code'], unique=False)
    op.create_index('ix_stations_type', 'stations', ['station_type'], unique=False)
    op.create_table('water',
    sa.Column('water_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('name_zh', sa.Text(), nullable=False),
    sa.Column('name_en', sa.Text(), nullable=False),
    sa.Column('geometry_wkb', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('water_id')
    )
    op.create_table('work_order_day_categories',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
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
    sa.PrimaryKeyConstraint('day', 'street_code', 'category_l1')
    )
    op.create_index('ix_work_order_day_categories_area_day', 'work_order_day_categories', ['street_code', 'day'], unique=False)
    op.create_table('work_order_day_cells',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('h3_r7', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('h3_r8', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'district_code', 'h3_r7', 'h3_r8')
    )
    op.create_index('ix_work_order_day_cells_area_day', 'work_order_day_cells', ['district_code', 'day'], unique=False)
    op.create_table('work_order_day_channels',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('channel', sa.String(length=24), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), autoincrement=False, nullable=False),
    sa.Column('appeal_type', sa.String(length=16), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'district_code', 'channel', 'status', 'appeal_type')
    )
    op.create_index('ix_work_order_day_channels_area_day', 'work_order_day_channels', ['district_code', 'day'], unique=False)
    op.create_table('work_order_day_grids',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.Column('open', sa.Integer(), nullable=False),
    sa.Column('received_resolved', sa.Integer(), nullable=False),
    sa.Column('received_called_back', sa.Integer(), nullable=False),
    sa.Column('received_satisfied', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'grid_code')
    )
    op.create_index('ix_work_order_day_grids_area_day', 'work_order_day_grids', ['grid_code', 'day', 'received'], unique=False)
    op.create_index('ix_work_order_day_grids_day_received', 'work_order_day_grids', ['day', 'grid_code', 'received'], unique=False)
    op.create_table('work_order_day_hours',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('hour', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('received', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'district_code', 'hour')
    )
    op.create_index('ix_work_order_day_hours_area_day', 'work_order_day_hours', ['district_code', 'day'], unique=False)
    op.create_table('work_order_days',
    sa.Column('day', sa.Integer(), autoincrement=False, nullable=False),
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
    sa.PrimaryKeyConstraint('day', 'community_code')
    )
    op.create_index('ix_work_order_days_area_day', 'work_order_days', ['community_code', 'day'], unique=False)
    op.create_table('work_orders',
    sa.Column('order_no', sa.String(length=64), nullable=False),
    sa.Column('channel', sa.String(length=24), nullable=False),
    sa.Column('appeal_type', sa.String(length=16), nullable=False),
    sa.Column('category_l1', sa.String(length=32), nullable=False),
    sa.Column('category_l2', sa.Text(), nullable=False),
    sa.Column('category_l3', sa.Text(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('caller_name', sa.Text(), nullable=True),
    sa.Column('caller_phone', sa.String(length=32), nullable=True),
    sa.Column('lon', sa.Float(), nullable=False),
    sa.Column('lat', sa.Float(), nullable=False),
    sa.Column('source_coord_system', sa.String(length=8), nullable=False),
    sa.Column('district_code', sa.String(length=6), nullable=False),
    sa.Column('street_code', sa.String(length=9), nullable=False),
    sa.Column('community_code', sa.String(length=12), nullable=False),
    sa.Column('grid_code', sa.String(length=15), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('is_open', sa.Boolean(), nullable=False),
    sa.Column('received_at', sa.BigInteger(), nullable=False),
    sa.Column('dispatched_at', sa.BigInteger(), nullable=True),
    sa.Column('accepted_at', sa.BigInteger(), nullable=True),
    sa.Column('resolved_at', sa.BigInteger(), nullable=True),
    sa.Column('called_back_at', sa.BigInteger(), nullable=True),
    sa.Column('closed_at', sa.BigInteger(), nullable=True),
    sa.Column('returned_at', sa.BigInteger(), nullable=True),
    sa.Column('extended_at', sa.BigInteger(), nullable=True),
    sa.Column('due_at', sa.BigInteger(), nullable=False),
    sa.Column('department', sa.Text(), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.Column('satisfaction', sa.String(length=24), nullable=True),
    sa.Column('repeat_of', sa.String(length=64), nullable=True),
    sa.Column('whistle', sa.Boolean(), nullable=False),
    sa.Column('whistled_at', sa.BigInteger(), nullable=True),
    sa.Column('whistle_departments', sa.Text(), nullable=True),
    sa.Column('h3_r7', sa.BigInteger(), nullable=False),
    sa.Column('h3_r8', sa.BigInteger(), nullable=False),
    sa.Column('h3_r9', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('order_no')
    )
    op.create_index('ix_work_orders_called_back', 'work_orders', ['called_back_at'], unique=False)
    op.create_index('ix_work_orders_due', 'work_orders', ['due_at'], unique=False)
    op.create_index('ix_work_orders_grid_received', 'work_orders', ['grid_code', 'received_at'], unique=False)
    op.create_index('ix_work_orders_open', 'work_orders', ['is_open', 'due_at'], unique=False)
    op.create_index('ix_work_orders_received', 'work_orders', ['received_at'], unique=False)
    op.create_index('ix_work_orders_resolved', 'work_orders', ['resolved_at'], unique=False)


def downgrade() -> None:
    raise NotImplementedError("the baseline is not undone: drop the database instead")
