"""Cityscreen: the frame — page config, theme and navigation over pages/."""

from __future__ import annotations

import streamlit as st


def main() -> None:
    """Configure the page and run the selected view."""
    st.set_page_config(page_title="城市一屏 Cityscreen", page_icon=":material/location_city:", layout="wide")
    pages = [
        st.Page("pages/overview.py", title="一屏总览 Overview", icon=":material/dashboard:", url_path="overview",
                default=True),
    ]
    st.navigation(pages).run()


main()
