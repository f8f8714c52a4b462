"""The browser window's size in CSS pixels, reported by a few lines of the page's own JavaScript.

Streamlit 1.67 tells a script the browser's locale and time zone (st.context) but not its window size, which the
wall needs to fit its map to the screen it is on. A components.v2 element with no HTML reports
window.innerWidth × innerHeight once mounted and again after a resize; a new size reruns the script.
"""

from __future__ import annotations

import streamlit as st

# Reports only a size the session does not know yet (`data`: the size Python last heard), so the rerun a report
# causes does not report again, and a new session (a restarted server) is told at once.
_REPORT_SIZE = """
export default function(component) {
  const { setStateValue, data } = component;
  let timer = null;
  const report = () => {
    const size = Math.round(window.innerWidth) + "x" + Math.round(window.innerHeight);
    if (size !== data) {
      setStateValue("size", size);
    }
  };
  const later = () => { clearTimeout(timer); timer = setTimeout(report, 400); };
  report();
  window.addEventListener("resize", later);
  return () => { clearTimeout(timer); window.removeEventListener("resize", later); };
}
"""
_VIEWPORT = st.components.v2.component("cityscreen_viewport", js=_REPORT_SIZE)


def read_viewport(key: str) -> tuple[int, int] | None:
    """(width, height) of the browser window, or None until the browser has said (first run, AppTest)."""
    known = st.session_state.get(f"{key}-known")
    result = _VIEWPORT(key=key, data=known, on_size_change=lambda: None)
    text = getattr(result, "size", None) if result is not None else None
    st.session_state[f"{key}-known"] = text
    try:
        width, height = (int(part) for part in str(text).split("x"))
    except ValueError:
        return None
    return (width, height) if width > 0 and height > 0 else None
