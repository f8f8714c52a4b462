"""How far behind its primary a streaming replica is, so a page dates its figures by what the replica holds."""

from __future__ import annotations

from sqlalchemy import Engine

# On a standby: nothing behind while it streams and has replayed all it received; otherwise the time since
# the last commit it replayed (replay paused or slow, or the primary out of reach). pg_stat_wal_receiver's
# status needs pg_read_all_stats (docs/deploy.md); without it only received against replayed is compared.
LAG_SQL = """
SELECT CASE
    WHEN NOT pg_is_in_recovery() THEN 0
    WHEN pg_last_wal_receive_lsn() <= pg_last_wal_replay_lsn()
         AND coalesce((SELECT status FROM pg_stat_wal_receiver), 'streaming') = 'streaming'
         AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver) THEN 0
    ELSE greatest(0, coalesce(extract(epoch FROM clock_timestamp() - pg_last_xact_replay_timestamp()), 0))
END
"""


def read_lag_seconds(engine: Engine) -> float:
    """Seconds the database's data is known to be behind its primary: 0 on a primary, on SQLite, and on a
    standby that streams and has replayed everything it received."""
    if engine.dialect.name != "postgresql":
        return 0.0
    with engine.connect() as connection:
        return float(connection.exec_driver_sql(LAG_SQL).scalar_one())
