"""Streamlit render helpers shared by pages: header, legend, maps, tables, empty and error states."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable

import pandas as pd
import pydeck as pdk
import streamlit as st

from components import cached
from components.context import AREA_KEY, VIEWER_KEY, PageContext
from components.exports import spreadsheet_csv
from components.i18n import translate
from data_access import audit
from data_access.city_time import local_text


def render_legend(title: str, items: list[tuple[str, str]]) -> None:
    """A small colour legend; every text is escaped before it becomes HTML."""
    if not items:
        return
    swatches = "".join(
        f'<span style="display:inline-flex;align-items:center;margin-right:12px;white-space:nowrap">'
        f'<span style="width:14px;height:14px;border-radius:3px;background:{html.escape(colour)};'
        f'display:inline-block;margin-right:5px"></span>{html.escape(text)}</span>'
        for colour, text in items
    )
    st.html(f'<div style="font-size:0.85rem;line-height:1.9"><b>{html.escape(title)}</b>&nbsp; {swatches}</div>')


def build_text_table(frame: pd.DataFrame, show_header: bool = True) -> str:
    """A short static table as HTML whose every header and cell is escaped text: data reads exactly as typed
    (st.table would render Markdown, and GitHub-flavoured Markdown links a bare URL even when escaped)."""
    cell = "padding:0.35rem 0.6rem;border-bottom:1px solid rgba(230,235,245,0.12);text-align:left;vertical-align:top"
    head = "".join(f'<th style="{cell};font-weight:600;color:#9fb0cf">{html.escape(str(name))}</th>'
                   for name in frame.columns) if show_header else ""
    rows = "".join("<tr>" + "".join(f'<td style="{cell};white-space:pre-wrap">'
                                    f'{html.escape("" if value is None or value != value else str(value))}</td>'
                                    for value in record) + "</tr>"
                   for record in frame.itertuples(index=False, name=None))
    return ('<table data-testid="text-table" style="width:100%;border-collapse:collapse;font-size:0.9rem;'
            f'border:1px solid rgba(230,235,245,0.12)">{f"<thead><tr>{head}</tr></thead>" if head else ""}'
            f"<tbody>{rows}</tbody></table>")


def render_map(deck: pdk.Deck, key: str, height: int = 520, selectable: bool = False):
    """Draw a deck; with `selectable`, return the picked objects per layer id ({} when none)."""
    if not selectable:
        st.pydeck_chart(deck, height=height, key=key)
        return {}
    state = st.pydeck_chart(deck, height=height, key=key, on_select="rerun", selection_mode="single-object")
    try:
        return dict(state.selection.get("objects", {}) or {})
    except AttributeError:
        return {}


def render_geojson_download(build_collection: Callable[[], dict], file_name: str, label: str, key: str) -> None:
    """A download button for a map layer as GeoJSON, built only when clicked (not on every rerun); no rerun."""
    st.download_button(label, lambda: json.dumps(build_collection(), ensure_ascii=False), file_name=file_name,
                       mime="application/geo+json", icon=":material/map:", key=key, on_click="ignore")


def render_empty(context: PageContext) -> None:
    """The plain "nothing matches" state."""
    st.info(translate("app.empty", context.language), icon=":material/filter_alt_off:")


# Rows a table sends the browser; a longer one shows its first rows and says so (the CSV keeps every row).
TABLE_ROWS_SHOWN = 500


def render_table(frame: pd.DataFrame, columns: dict[str, str], key: str, height: int | None = None,
                 download_name: str | None = None, download_label: str = "CSV", *, language: str,
                 text_colours: dict[str, list[str]] | None = None, links: dict[str, str] | None = None) -> None:
    """A read-only table with localised headers (cells render as text, never HTML) and a CSV download of every row;
    past TABLE_ROWS_SHOWN rows only the first are sent to the browser, with a note saying so. `text_colours` gives
    some columns a text colour per row (e.g. a change coloured by whether it is better); `links` ({column: the
    words each link shows}) draws those columns (URLs) as links and leaves them out of the CSV."""
    shown = frame[list(columns)].rename(columns=columns)
    sent = shown.head(TABLE_ROWS_SHOWN)
    styled = sent
    if text_colours:
        styled = sent.style
        for column, row_colours in text_colours.items():
            colours = [f"color: {colour}" for colour in row_colours[:len(sent)]]
            styled = styled.apply(lambda _values, colours=colours: colours, subset=[columns[column]])
    config = {columns[column]: st.column_config.LinkColumn(columns[column], display_text=text)
              for column, text in (links or {}).items()}
    st.dataframe(styled, hide_index=True, width="stretch", height=height or "auto", key=key,
                 column_config=config or None)
    if len(shown) > TABLE_ROWS_SHOWN:
        st.caption(translate("table.first_rows", language, shown=TABLE_ROWS_SHOWN, total=len(shown)))
    if download_name:
        exported = shown.drop(columns=list(config))
        # Deferred: the CSV is written (and the export audited) when the button is clicked, not on every rerun.
        st.download_button(download_label, lambda: audited_export(exported, download_name),
                           file_name=download_name, mime="text/csv", key=f"{key}-csv",
                           icon=":material/download:", on_click="ignore")


def audited_export(frame: pd.DataFrame, file_name: str, action: str = "export") -> bytes:
    """A spreadsheet-safe CSV of the table, after its audit record is written (no record, no export)."""
    viewer, area = st.session_state.get(VIEWER_KEY), st.session_state.get(AREA_KEY)
    audit.record(cached.get_engine(), viewer, action, area_code=area, target=file_name,
                 detail=f"{len(frame)} rows")
    return spreadsheet_csv(frame)


MARKDOWN_SPECIALS = set("\\`*_{}[]()#+-.!|<>~$:")
# Streamlit's Markdown turns a bare web or e-mail address in text into a link (GFM autolink literals, found in the
# text after escapes are resolved): an invisible word joiner inside "://", "www." and after "@" keeps it text.
WORD_JOINER = "\u2060"
AUTOLINK_TRIGGERS = re.compile(r"(?i)(?<=:)(?=//)|(?<=\bwww)(?=\.)|(?<=@)")


def escape_markdown(text: str) -> str:
    """Citizen text made inert inside st.markdown: every markdown/HTML special character backslash-escaped, and no
    address left for Markdown to turn into a link."""
    text = AUTOLINK_TRIGGERS.sub(WORD_JOINER, str(text))
    return "".join(f"\\{character}" if character in MARKDOWN_SPECIALS else character for character in text)


DURATION_UNITS = {"en": ("d ", "h ", "m"), "zh": ("天", "小时", "分钟")}


def format_duration(seconds: int, language: str = "en") -> str:
    """Elapsed time in days, hours and minutes ("2d 3h 5m", "3h 0m", "45m"; in Chinese "2天3小时5分钟")."""
    day, hour, minute = DURATION_UNITS["zh" if language == "zh" else "en"]
    days, rest = divmod(int(seconds), 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    return (f"{days}{day}" if days else "") + (f"{hours}{hour}" if hours or days else "") + f"{minutes}{minute}"


def format_time(epoch: int | None, pattern: str = "%m-%d %H:%M") -> str:
    """Local time text of an epoch, or '' when missing."""
    if epoch is None or pd.isna(epoch):
        return ""
    return local_text(int(epoch), pattern)
