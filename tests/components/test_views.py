"""Text shown through Streamlit's Markdown stays text: no formatting, no HTML, no address turned into a link."""

from __future__ import annotations

import re

from components.views import WORD_JOINER, escape_markdown


def test_escaped_text_has_nothing_markdown_would_format_or_link():
    text = "![x](http://203.0.113.7/t.png) <b>www.example.cn</b> HTTPS://a.b 写信 me@example.cn"
    escaped = escape_markdown(text)
    # What Markdown's GFM autolinks look for in the text it shows: none is left whole.
    assert not re.search(r"(?i)https?://|www\.|@[\w-]+\.", escaped.replace("\\", ""))
    # Every special character is escaped, and taking the escapes and joiners out gives the text back.
    assert not re.search(r"(?<!\\)[\[\]()<>!*_#]", escaped)
    assert re.sub(r"\\(.)", r"\1", escaped).replace(WORD_JOINER, "") == text


def test_a_duration_reads_in_days_hours_and_minutes_in_either_language():
    from components.views import format_duration

    seconds = 2 * 86_400 + 3 * 3_600 + 5 * 60 + 59
    assert format_duration(seconds) == "2d 3h 5m" and format_duration(seconds, "zh") == "2天3小时5分钟"
    assert format_duration(3 * 3_600, "en") == "3h 0m" and format_duration(3 * 3_600, "zh") == "3小时0分钟"
    assert format_duration(45 * 60) == "45m" and format_duration(45 * 60, "zh") == "45分钟"
