"""Page benchmark: each page's server run time (cold and warm) and map payload, against the naive heat map.

Usage: python benchmarks/pages_bench.py --db URL [--naive-points 1000000] [--runs 3]
Cold = one run of frame and page right after every data cache is emptied; warm = the same with caches filled.
The naive way reads every work order's point and ships it to a pydeck HeatmapLayer, as the
Streamlit Uber-pickups demo does; it is measured here only, never used by the app.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PAGES = ["pages/overview.py", "pages/grid_map.py", "pages/stations.py", "pages/requests.py", "pages/members.py"]


def run_page(app_test_class, page: str, cold: bool):
    """Open a session, then time one whole run of the frame and the page (after emptying every data cache when
    `cold`); return (seconds, map payload bytes)."""
    import streamlit as st

    app = app_test_class.from_file(str(ROOT / "app.py"), default_timeout=300)
    app.query_params["lang"] = "zh"
    app.run()  # a session on the default page; AppTest can only switch pages from there
    if cold:
        st.cache_data.clear()
    started = time.perf_counter()
    (app.run() if page == "pages/overview.py" else app.switch_page(page).run())
    seconds = time.perf_counter() - started
    if app.exception:
        raise RuntimeError(f"{page}: {app.exception[0].message}")
    payload = sum(len(element.proto.json) for element in app.get("deck_gl_json_chart"))
    return seconds, payload


def naive_heatmap(url: str, points: int) -> tuple[float, int]:
    """Read `points` work-order points and build the Uber-pickups style HeatmapLayer spec; (seconds, bytes)."""
    import pandas as pd
    import pydeck as pdk

    from data_access.db import create_db_engine

    engine = create_db_engine(url)
    started = time.perf_counter()
    with engine.connect() as connection:
        frame = pd.read_sql_query(f"SELECT lon, lat FROM work_orders ORDER BY received_at DESC LIMIT {int(points)}",
                                  connection)
    deck = pdk.Deck(layers=[pdk.Layer("HeatmapLayer", data=frame, get_position="[lon, lat]", id="naive")],
                    initial_view_state=pdk.ViewState(longitude=113.2, latitude=30.4, zoom=9), map_provider=None)
    spec = deck.to_json()
    seconds = time.perf_counter() - started
    engine.dispose()
    return seconds, len(spec.encode("utf-8")), len(frame)


def main() -> int:
    """Measure every page and the naive heat map, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database URL holding the city (e.g. the city-scale bench db)")
    parser.add_argument("--runs", type=int, default=3, help="warm runs per page")
    parser.add_argument("--naive-points", type=int, default=1_000_000)
    arguments = parser.parse_args()
    os.environ["CITYSCREEN_DB_URL"] = arguments.db
    from streamlit.testing.v1 import AppTest

    print(f"{'page':24}{'cold s':>9}{'warm s':>9}{'map payload':>14}")
    largest_payload = 0
    for page in PAGES:
        cold, payload = run_page(AppTest, page, cold=True)
        warm = statistics.median(run_page(AppTest, page, cold=False)[0] for _ in range(arguments.runs))
        largest_payload = max(largest_payload, payload)
        print(f"{page:24}{cold:9.2f}{warm:9.2f}{payload / 1e6:11.2f} MB")
    seconds, size, count = naive_heatmap(arguments.db, arguments.naive_points)
    print(f"\nnaive HeatmapLayer of {count:,} raw points: {seconds:.2f} s to read and serialise, "
          f"{size / 1e6:.1f} MB to the browser")
    print(f"aggregated pages: largest map payload {largest_payload / 1e6:.2f} MB → naive/aggregated = "
          f"{size / max(largest_payload, 1):.0f}× the bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
