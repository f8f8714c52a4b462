"""Cityscreen: the entry point — the staff pages in a menu, or the wall (?mode=wall) or the tour (?mode=tour)."""

from __future__ import annotations

import streamlit as st

from components.frame import StaffPage, run_alone, run_staff
from pages import admin, alerts, grid_map, members, overview, requests, stations, tasks, tour, wall

STAFF_PAGES = (
    StaffPage("overview", "page.overview", ":material/dashboard:", overview.render),
    StaffPage("grid-map", "page.grid_map", ":material/grid_on:", grid_map.render),
    StaffPage("stations", "page.stations", ":material/home_pin:", stations.render),
    StaffPage("requests", "page.requests", ":material/support_agent:", requests.render),
    # Early warning is for those who act on it: not guests (aggregates only), and walls have their own view.
    StaffPage("alerts", "page.alerts", ":material/notifications_active:", alerts.render,
              roles=("leader", "staff", "case_handler", "admin")),
    StaffPage("members", "page.members", ":material/groups:", members.render),
    # Instructions and notes are free text: not for guests (data_access.tasks refuses them too).
    StaffPage("tasks", "page.tasks", ":material/assignment_turned_in:", tasks.render,
              roles=("leader", "staff", "case_handler", "admin")),
    StaffPage("admin", "page.admin", ":material/admin_panel_settings:", admin.render, roles=("admin",)),
)


def main() -> None:
    """Run the view the URL asks for."""
    mode = st.query_params.get("mode")
    if mode == "wall":
        run_alone(wall.render, "wall")
    elif mode == "tour":
        run_alone(tour.render, "tour")
    else:
        run_staff(STAFF_PAGES)


if __name__ == "__main__":  # Streamlit runs this file as __main__; tests import STAFF_PAGES
    main()
