"""KPI tiles: big figures with their definition one hover away."""

from __future__ import annotations

import math

import streamlit as st


def format_count(value: float | int | None) -> str:
    """12345 → '12,345'; None → '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{int(value):,}"


def format_rate(value: float | None) -> str:
    """0.9234 → '92.3%'; None/NaN → '—'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value * 100:.1f}%"


def render_tiles(tiles: list[tuple[str, str, str | None]], columns: int = 4) -> None:
    """Show (label, value, help) tiles in rows of `columns`."""
    for start in range(0, len(tiles), columns):
        row = st.columns(columns)
        for column, (label, value, help_text) in zip(row, tiles[start:start + columns], strict=False):
            column.metric(label, value, help=help_text, border=True)
