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
