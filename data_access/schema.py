"""The database schema (SQLAlchemy Core), portable between SQLite and PostgreSQL.

Long module: it is the one definition of every table, index and rollup the migrations are checked against
(tests/data_access/test_migrate.py); split, the tables' foreign keys and the rollups' shared columns would cross
files.
"""

from __future__ import annotations

from sqlalchemy import (
    DDL,
    BigInteger,
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    event,
)

from data_access.city_time import DAY_SECONDS
from data_access.codes import AREA_LEVELS
from data_access.measures import MEASURE_NAMES

metadata = MetaData()

# Key/value facts about the loaded data: city name, synthetic flag, data as-of time.
meta = Table(
    "meta",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

# One table for all four levels: codes nest by prefix, so a level is just the code length.
areas = Table(
    "areas",
    metadata,
    Column("code", String(15), primary_key=True),
    Column("level", String(12), nullable=False),
    Column("parent_code", String(15)),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("population", Integer, nullable=False),
    Column("households", Integer, nullable=False),
    Column("member_target", Integer),
    Column("centroid_lon", Float, nullable=False),
    Column("centroid_lat", Float, nullable=False),
    Column("min_lon", Float, nullable=False),
    Column("min_lat", Float, nullable=False),
    Column("max_lon", Float, nullable=False),
    Column("max_lat", Float, nullable=False),
    Column("area_m2", Float, nullable=False),
    # WKB, WGS-84 (EPSG:4326): plain bytes need neither SpatiaLite nor PostGIS.
    Column("geometry_wkb", LargeBinary, nullable=False),
    Index("ix_areas_level_parent", "level", "parent_code"),
)

water = Table(
    "water",
    metadata,
    Column("water_id", Integer, primary_key=True),
    Column("kind", String(12), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text, nullable=False),
    Column("geometry_wkb", LargeBinary, nullable=False),
)


def _area_columns(grid_nullable: bool = False) -> list[Column]:
    """Denormalised area codes so any level filters and groups through an index."""
    return [
        Column("district_code", String(6), nullable=False),
        Column("street_code", String(9), nullable=False),
        Column("community_code", String(12), nullable=False),
        Column("grid_code", String(15), nullable=grid_nullable),
    ]


stations = Table(
    "stations",
    metadata,
    Column("station_id", String(64), primary_key=True),
    Column("station_type", String(32), nullable=False),
    Column("name_zh", Text, nullable=False),
    Column("name_en", Text),
    Column("address", Text),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("source_coord_system", String(8), nullable=False),
    Column("opening_hours", Text),
    Column("services", Text),
    Column("status", String(24), nullable=False),
    Column("opened_date", Date),
    *_area_columns(),
    Index("ix_stations_grid", "grid_code"),
    Index("ix_stations_type", "station_type"),
)

# Timestamps are UTC epoch seconds: integer maths buckets days and hours the same on both backends.
work_orders = Table(
    "work_orders",
    metadata,
    Column("order_no", String(64), primary_key=True),
    Column("channel", String(24), nullable=False),
    Column("appeal_type", String(16), nullable=False),
    Column("category_l1", String(32), nullable=False),
    Column("category_l2", Text, nullable=False),
    Column("category_l3", Text),
    Column("title", Text, nullable=False),
    Column("description", Text),
    Column("caller_name", Text),
    Column("caller_phone", String(32)),
    Column("lon", Float, nullable=False),
    Column("lat", Float, nullable=False),
    Column("source_coord_system", String(8), nullable=False),
    *_area_columns(),
    Column("status", String(16), nullable=False),
    Column("is_open", Boolean, nullable=False),
    Column("received_at", BigInteger, nullable=False),
    Column("dispatched_at", BigInteger),
    Column("accepted_at", BigInteger),
    Column("resolved_at", BigInteger),
    Column("called_back_at", BigInteger),
    Column("closed_at", BigInteger),
    Column("returned_at", BigInteger),
    Column("extended_at", BigInteger),
    Column("due_at", BigInteger, nullable=False),
    Column("department", Text),
    Column("resolution", String(16)),
    Column("satisfaction", String(24)),
    Column("repeat_of", String(64)),
    Column("whistle", Boolean, nullable=False),
    Column("whistled_at", BigInteger),
    Column("whistle_departments", Text),
    Column("h3_r7", BigInteger, nullable=False),
    Column("h3_r8", BigInteger, nullable=False),
    Column("h3_r9", BigInteger, nullable=False),
    # Any area filter is a range of grid codes (codes nest by prefix), so one area index serves all levels.
    Index("ix_work_orders_received", "received_at"),
    Index("ix_work_orders_grid_received", "grid_code", "received_at"),
    # Covering what a past moment's backlog asks of the orders resolved since (work_orders.read_backlog), and
    # what the KPIs count of a partial day's orders by each basis (resolved, called back, due: revision 0011).
    Index("ix_work_orders_resolved", "resolved_at", "is_open", "received_at", "due_at", "grid_code", "resolution",
          "called_back_at"),
    Index("ix_work_orders_called_back", "called_back_at", "satisfaction", "grid_code"),
    Index("ix_work_orders_due", "due_at", "status", "resolved_at", "grid_code"),
    # Covering the backlog's open orders (work_orders.read_backlog) on SQLite too, where `is_open = 1` does not
    # select the partial index below.
    Index("ix_work_orders_open", "is_open", "due_at", "received_at", "grid_code"),
)
# The open orders alone (about 1 % of them), by area: backlog and overdue reads of any area and window touch only
# these entries instead of intersecting the open orders with a year of the area's orders. The keys the overdue
# counts group and filter by ride along, so PostgreSQL counts them from the index alone (a year's overdue orders
# per H3 cell fetched 35 k rows one by one).
OPEN_AREA_COLUMNS = ("grid_code", "due_at", "received_at", "district_code", "street_code", "community_code",
                     "category_l1", "channel", "h3_r7", "h3_r8", "h3_r9")
Index("ix_work_orders_open_area", *(work_orders.c[name] for name in OPEN_AREA_COLUMNS),
      postgresql_where=work_orders.c.is_open, sqlite_where=work_orders.c.is_open)

members = Table(
    "members",
    metadata,
    Column("member_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("phone", String(32), nullable=False),
    Column("work_unit", Text, nullable=False),
    Column("unit_type", String(32), nullable=False),
    Column("residence_community_code", String(12)),
    Column("district_code", String(6), nullable=False),
    Column("street_code", String(9), nullable=False),
    Column("community_code", String(12), nullable=False),
    Column("grid_code", String(15)),
    Column("checkin_date", Date, nullable=False),
    Column("skills", Text),
    Column("claimed_posts", Text),
    Column("status", String(16), nullable=False),
    # With the status: active members per community are counted from the index alone (member coverage).
    Index("ix_members_community", "community_code", "status"),
    Index("ix_members_street", "street_code"),
    Index("ix_members_district", "district_code"),
)

# "city" (no area filter) and every area level: what a member's previous activity is looked up within.
MEMBER_HISTORY_LEVELS = ("city", *AREA_LEVELS)

member_activities = Table(
    "member_activities",
    metadata,
    Column("activity_id", String(64), primary_key=True),
    Column("member_id", String(64), nullable=False),
    Column("activity_date", Date, nullable=False),
    Column("kind", String(24), nullable=False),
    Column("hours", Float, nullable=False),
    *_area_columns(grid_nullable=True),
    Column("work_order_no", String(64)),
    Column("note", Text),
    # The member's previous activity date of the same kind in the same city, district… (data_access.member_history).
    *(Column(f"previous_in_{level}", Date) for level in MEMBER_HISTORY_LEVELS),
    # The member's previous activity date of any kind in the city, district… (member_history): member_active_days
    # counts by the city's; an area's distinct members active are a plain count by its level's.
    *(Column(f"previous_any_in_{level}", Date) for level in MEMBER_HISTORY_LEVELS),
    # Covers the city-wide activity-by-kind read (count, hours, distinct members) without touching the rows.
    Index("ix_member_activities_date_kind", "activity_date", "kind", "previous_in_city", "hours"),
    # SQLite counts a window's activities per kind through this one, kind by kind in order, with no sort
    # (docs/benchmarks.md); PostgreSQL has no skip scan to use it and does well with the other.
    Index("ix_member_activities_kind_date", "kind", "activity_date", "previous_in_city", "hours").ddl_if(
        dialect="sqlite"),
    Index("ix_member_activities_community_date", "community_code", "activity_date"),
    # Cover a district's, a street's or a grid's member figures (active, hours, whistle responses over 14 days):
    # a fifth of the city's activities for the busiest district, read without touching the rows (docs/benchmarks.md).
    # A community's are few enough for the community index above.
    *(Index(f"ix_member_activities_{level}_date", f"{level}_code", "activity_date", f"previous_any_in_{level}",
            "kind", "hours") for level in ("district", "street", "grid")),
    Index("ix_member_activities_member", "member_id"),
)

# Member activities per day, kind and previous date in the city (member_history): a window's activities, hours and
# distinct members per kind, city-wide, in a few hundred rows a day (data_access.member_history keeps it exact).
member_activity_days = Table(
    "member_activity_days",
    metadata,
    Column("day", Date, nullable=False),
    Column("kind", String(24), nullable=False),
    # previous_in_city of the activities counted; NULL: each one is its member's first of the kind.
    Column("previous_day", Date),
    Column("activities", Integer, nullable=False),
    Column("hours", Float, nullable=False),
    Index("ix_member_activity_days_day", "day", "kind", "previous_day", "activities", "hours"),
)

# Member activities per day and previous date of any kind in the city (member_history): a window's distinct members
# active across all kinds, city-wide, are its rows' activities whose previous day is before the window or none.
member_active_days = Table(
    "member_active_days",
    metadata,
    Column("day", Date, nullable=False),
    # previous_any_in_city of the activities counted; NULL: each one is its member's first activity of any kind.
    Column("previous_day", Date),
    Column("activities", Integer, nullable=False),
    Index("ix_member_active_days_day", "day", "previous_day", "activities"),
)

grid_workers = Table(
    "grid_workers",
    metadata,
    Column("worker_id", String(64), primary_key=True),
    Column("name", Text, nullable=False),
    Column("phone", String(32)),
    *_area_columns(),
    Column("role", String(24), nullable=False),
    Column("on_duty", Boolean, nullable=False),
    Index("ix_grid_workers_grid", "grid_code"),
)



# Types of the rollups' extra dimensions; "hour" is the local hour of each measure's own timestamp.
ROLLUP_DIMENSION_TYPES = {"category_l1": String(32), "channel": String(24), "status": String(16),
                          "appeal_type": String(16), "hour": Integer, "h3_r7": BigInteger, "h3_r8": BigInteger}


def _rollup_table(name: str, area_level: str, dimensions: tuple[str, ...] = (),
                  measures: tuple[str, ...] = MEASURE_NAMES, area_index_covers: tuple[str, ...] = (),
                  period: str = "day") -> Table:
    """A per-day rollup of work orders: one row per local day × area × dimensions, one count per measure.

    `area_index_covers`: measures the (area, day) index also holds, for reads that need no other column.
    `period` "month": the same per local calendar month, in a column `month` holding the month's first day number.

    Each measure counts by the local day of its own basis timestamp (see data_access.measures). The loader keeps
    these exact inside every load's transaction; data_access.rollups reads them.
    """
    area_columns = [f"{level}_code" for level in AREA_LEVELS][:list(AREA_LEVELS).index(area_level) + 1]
    finest = area_columns[-1]
    return Table(
        name,
        metadata,
        Column(period, Integer, primary_key=True, autoincrement=False),
        *(Column(column, String(AREA_LEVELS[column.removesuffix("_code")]), nullable=False,
                 primary_key=column == finest)
          for column in area_columns),
        *(Column(dimension, ROLLUP_DIMENSION_TYPES[dimension], primary_key=True, autoincrement=False)
          for dimension in dimensions),
        *(Column(measure, Integer, nullable=False) for measure in measures),
        # Area filters are a range over the finest code (codes nest by prefix), like work orders' grid codes.
        Index(f"ix_{name}_area_{period}", finest, period, *area_index_covers),
    )


def _monthly_twin(daily: Table, area_index_covers: tuple[str, ...] = ()) -> Table:
    """The per-month rollup of a per-day one: the same areas, dimensions and measures by local calendar month.
    A long window reads its whole months here and only its edge days from the per-day rollup."""
    names = [column.name for column in daily.columns]
    area_level = [name.removesuffix("_code") for name in names if name.endswith("_code")][-1]
    return _rollup_table(daily.name.replace("_day", "_month", 1), area_level,
                         tuple(name for name in names if name in ROLLUP_DIMENSION_TYPES),
                         tuple(name for name in names if name in MEASURE_NAMES), area_index_covers, period="month")


# Smallest first: a read takes the first rollup that can answer it.
work_order_day_hours = _rollup_table("work_order_day_hours", "district", ("hour",), ("received",))
# Current status: the loader moves an order between statuses as it updates it, like every other measure.
work_order_day_channels = _rollup_table("work_order_day_channels", "district", ("channel", "status", "appeal_type"),
                                        ("received",))
work_order_days = _rollup_table("work_order_days", "community")
work_order_day_categories = _rollup_table("work_order_day_categories", "street", ("category_l1",))
work_order_day_cells = _rollup_table("work_order_day_cells", "district", ("h3_r7", "h3_r8"), ("received", "open"))
# About 1.5 orders per grid and day at city scale: little compression, but narrow rows instead of wide orders.
# Its (grid, day) index covers `received`: SQLite reads a year's grid counts by skipping through it, grid by
# grid, with no table lookups and no sort (docs/benchmarks.md).
work_order_day_grids = _rollup_table("work_order_day_grids", "grid", (), (
    "received", "open", "received_resolved", "received_called_back", "received_satisfied"),
    area_index_covers=("received",))
# Covers the city-wide grid hotspots (received per grid over a window): an index-only scan on both backends.
Index("ix_work_order_day_grids_day_received", work_order_day_grids.c.day, work_order_day_grids.c.grid_code,
      work_order_day_grids.c.received)
# Received orders per grid × first-level category (about 11,000 rows a day at city scale): the surges of early
# warning read eight weeks of it a day (data_access.alerts.surges) instead of grouping 800,000 wide orders. Last:
# no other read needs it, and the smaller rollups answer theirs first.
work_order_day_grid_categories = _rollup_table("work_order_day_grid_categories", "grid", ("category_l1",),
                                               ("received",))
DAILY_ROLLUP_TABLES = (work_order_day_hours, work_order_day_channels, work_order_days, work_order_day_categories,
                       work_order_day_cells, work_order_day_grids, work_order_day_grid_categories)
MONTHLY_ROLLUP_TABLES = tuple(_monthly_twin(table, ("received",) if table is work_order_day_grids else ())
                              for table in DAILY_ROLLUP_TABLES)
ROLLUP_TABLES = DAILY_ROLLUP_TABLES + MONTHLY_ROLLUP_TABLES
work_order_month_grids = MONTHLY_ROLLUP_TABLES[DAILY_ROLLUP_TABLES.index(work_order_day_grids)]
Index("ix_work_order_month_grids_month_received", work_order_month_grids.c.month, work_order_month_grids.c.grid_code,
      work_order_month_grids.c.received)

# Load order: parents before children, so references resolve.
TABLES_IN_LOAD_ORDER = (meta, areas, water, stations, work_orders, members, member_activities, grid_workers)

# ---------------------------------------------------------------- early warning (data_access.alerts)

# One row per alert: a surge, a repeat cluster or a backlog jump, from its first flagged day to its last. The
# figures are those of its last flagged day; alert_days keeps each day's, so a day's recomputation replaces
# exactly that day's findings (docs/alerts.md).
alerts = Table(
    "alerts",
    metadata,
    Column("alert_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("area_code", String(15), nullable=False),
    Column("area_level", String(12), nullable=False),
    Column("category_l1", String(32)),
    Column("category_l2", Text),
    # What `observed` counts: received (surges), requests (clusters), open or overdue (backlog).
    Column("measure", String(16), nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    Column("observed", Integer, nullable=False),
    Column("expected", Float),
    Column("upper", Float),
    Column("status", String(8), nullable=False),
    # A cluster's centre and its requests' order numbers (a JSON list); NULL for area alerts.
    Column("centre_lon", Float),
    Column("centre_lat", Float),
    Column("order_nos", Text),
    Column("computed_at", BigInteger, nullable=False),
    Index("ix_alerts_status_last_day", "status", "last_day"),
    Index("ix_alerts_area_code", "area_code"),
)

alert_days = Table(
    "alert_days",
    metadata,
    Column("alert_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False),
    Column("day", Date, primary_key=True),
    Column("observed", Integer, nullable=False),
    Column("expected", Float),
    Column("upper", Float),
    Column("order_nos", Text),
    Column("computed_at", BigInteger, nullable=False),
    Index("ix_alert_days_day", "day"),
)

# ---------------------------------------------------------------- access: who may see what, and the audit of it

# A signed-in person's role and area, keyed by the identity provider's subject (data_access.access).
app_users = Table(
    "app_users",
    metadata,
    Column("subject", String(255), primary_key=True),
    Column("display_name", Text),
    Column("role", String(16), nullable=False),
    # None: the whole city (leaders, guests, administrators).
    Column("area_code", String(15)),
    Column("updated_at", BigInteger, nullable=False),
    Column("updated_by", String(255), nullable=False),
)

# A wall display's revocable link: only a hash of its secret is kept.
wall_keys = Table(
    "wall_keys",
    metadata,
    Column("key_id", String(32), primary_key=True),
    Column("secret_sha256", String(64), nullable=False),
    Column("label", Text, nullable=False),
    Column("area_code", String(15)),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("revoked_at", BigInteger),
    Column("revoked_by", String(255)),
)

# Append-only: the database itself refuses updates, and deletes of records younger than the retention.
audit_log = Table(
    "audit_log",
    metadata,
    Column("audit_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("subject", String(255)),
    Column("role", String(16)),
    Column("action", String(32), nullable=False),
    Column("page", String(64)),
    Column("area_code", String(15)),
    Column("target", Text),
    Column("reason", Text),
    Column("detail", Text),
    Index("ix_audit_log_at", "at"),
    Index("ix_audit_log_subject_at", "subject", "at"),
)
# PIPL art. 54 audits; Cybersecurity Law art. 21 keeps access logs at least six months.
AUDIT_RETENTION_DAYS = 180

# The statements that make audit_log append-only, per backend (also run by migration 0002_access).
AUDIT_APPEND_ONLY_DDL = {
    "sqlite": (
        "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log "
        "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
        "CREATE TRIGGER audit_log_keep BEFORE DELETE ON audit_log "
        f"WHEN old.at > CAST(strftime('%%s', 'now') AS INTEGER) - {AUDIT_RETENTION_DAYS} * {DAY_SECONDS} "
        f"BEGIN SELECT RAISE(ABORT, 'audit_log keeps records for {AUDIT_RETENTION_DAYS} days'); END",
    ),
    "postgresql": (
        "CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "IF TG_OP = 'UPDATE' THEN RAISE EXCEPTION 'audit_log is append-only'; END IF; "
        f"IF OLD.at > extract(epoch FROM now())::bigint - {AUDIT_RETENTION_DAYS} * {DAY_SECONDS} THEN "
        f"RAISE EXCEPTION 'audit_log keeps records for {AUDIT_RETENTION_DAYS} days'; END IF; "
        "RETURN OLD; END $$",
        "CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_guard()",
    ),
}
for _dialect, _statements in AUDIT_APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(audit_log, "after_create", DDL(_statement).execute_if(dialect=_dialect))
event.listen(audit_log, "after_drop", DDL("DROP FUNCTION IF EXISTS audit_log_guard()").execute_if(
    dialect="postgresql"))


# ---------------------------------------------------------------- 督办: supervision tasks (data_access.tasks)

# A task dispatched from an alert, a hotspot or an area to a street office or a department, and followed
# through open → accepted → resolved → verified (or returned with a reason). Times are on the data's clock.
supervision_tasks = Table(
    "supervision_tasks",
    metadata,
    Column("task_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("source_kind", String(8), nullable=False),
    # The alert's id (no foreign key: alerts are recomputed per day) and a text summary of what was flagged.
    Column("alert_id", BigInteger),
    Column("source_summary", Text),
    Column("area_code", String(15), nullable=False),
    Column("area_level", String(12), nullable=False),
    # The area's codes at each level down to its own (finer ones NULL): AreaScope.condition reads them.
    Column("district_code", String(6), nullable=False),
    Column("street_code", String(9)),
    Column("community_code", String(12)),
    Column("grid_code", String(15)),
    Column("category_l1", String(32)),
    # A street's 9-digit code (its street office) or a department code (data_access.codes.DEPARTMENTS).
    Column("assignee", String(32), nullable=False),
    Column("assignee_kind", String(12), nullable=False),
    Column("deadline", BigInteger, nullable=False),
    Column("instruction", Text, nullable=False),
    Column("state", String(12), nullable=False),
    Column("created_by", String(255), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Index("ix_supervision_tasks_state_deadline", "state", "deadline"),
    Index("ix_supervision_tasks_district_street", "district_code", "street_code"),
    Index("ix_supervision_tasks_alert", "alert_id"),
)

# Every step of every task: who (subject, name, role), when, from which state to which, and the note or reason.
task_events = Table(
    "task_events",
    metadata,
    Column("event_id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("task_id", BigInteger().with_variant(Integer, "sqlite"), ForeignKey("supervision_tasks.task_id"),
           nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("action", String(12), nullable=False),
    Column("from_state", String(12)),
    Column("to_state", String(12), nullable=False),
    Column("subject", String(255), nullable=False),
    Column("display_name", Text),
    Column("role", String(16), nullable=False),
    Column("note", Text),
    Index("ix_task_events_task", "task_id", "event_id"),
)
