"""Early warning (问题发现): surges, repeat clusters and backlog jumps found per day, stored in `alerts`.

Public functions (the alerts page and the wall call these):
- compute_alerts(engine, as_of=None) — compute and store a day's alerts, return them;
- compute_alert_days(engine, days, as_of=None) — the same for several days in order (a backfill);
- refresh_current_day(engine) — the live feed's update after a batch (earlier days' inputs cached, rolled on to
  the next day at midnight); forget_inputs(engine) — drop them (a load that changed earlier days),
  cached_inputs_start(engine) — the start of their day;
- read_alerts(engine, scope, status=None, day=None, kinds=()), read_open_alerts(engine, scope, kinds=()),
  read_open_alert_count(engine, scope), read_alert(engine, alert_id, scope) — stored alerts inside a scope;
- read_alert_series(engine, alert_id, scope) — observed against expected per day, for an alert's chart;
- read_alert_list(engine, scope, kinds=(), status="open", limit=None, alert_ids=()) — alerts with their area's
  and its parent's names (the alerts page, the wall, the tour's task); read_alert_areas(engine, scope, kinds=(),
  status="open") — their areas' shapes.
The rules and their parameters: docs/alerts.md.
"""

from data_access.alerts.compute import (
    AlertDayError,
    cached_inputs_start,
    compute_alert_days,
    compute_alerts,
    forget_inputs,
    read_alert_series,
    refresh_current_day,
)
from data_access.alerts.listing import ALERT_LIST_COLUMNS, read_alert_areas, read_alert_list
from data_access.alerts.model import DEFAULT_PARAMETERS, AlertParameters
from data_access.alerts.store import (
    ALERT_COLUMNS,
    read_alert,
    read_alerts,
    read_open_alert_count,
    read_open_alerts,
    read_through,
)

ALERT_KINDS = ("surge", "repeat_cluster", "backlog")
# The kinds that flag a whole area, the more pressing first; a repeat cluster flags a spot (its centre) in a grid.
AREA_ALERT_KINDS = ("surge", "backlog")

__all__ = ["ALERT_COLUMNS", "ALERT_KINDS", "ALERT_LIST_COLUMNS", "AREA_ALERT_KINDS", "DEFAULT_PARAMETERS",
           "AlertDayError", "AlertParameters", "cached_inputs_start", "compute_alert_days", "compute_alerts",
           "forget_inputs", "read_alert", "read_alert_areas", "read_alert_list", "read_alert_series", "read_alerts",
           "read_open_alert_count", "read_open_alerts", "read_through", "refresh_current_day"]
