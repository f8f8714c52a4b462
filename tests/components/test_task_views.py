"""The 督办 building blocks: tables of tasks and of a task's history, labelled, with people's text kept as text."""

from __future__ import annotations

import pandas as pd

from components.tasks import build_history_table, build_task_table
from components.views import build_text_table

HOSTILE = '<img src=x onerror="alert(1)"> **粗** http://x.test'


def test_a_text_table_escapes_every_header_and_cell():
    table = build_text_table(pd.DataFrame({"<b>说明</b>": [HOSTILE, None]}))
    assert "<img" not in table and "<b>说明" not in table
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; **粗** http://x.test" in table
    assert table.count("<tr>") == 3 and "<td" in table
    assert "<th" not in build_text_table(pd.DataFrame({"a": [1]}), show_header=False)


def test_the_history_reads_in_the_pages_language():
    history = pd.DataFrame({"at": [1782835199, 1782835260], "action": ["create", "return"],
                            "from_state": [None, "resolved"], "to_state": ["open", "returned"],
                            "subject": ["sub-l", "sub-l"], "display_name": ["王领导", None],
                            "role": ["leader", "leader"], "note": [None, HOSTILE]})
    zh = build_history_table(history, "zh")
    assert list(zh["step"]) == ["交办", "退回"]
    assert list(zh["change"]) == ["— → 待签收", "待核验 → 退回重办"]
    assert list(zh["who"]) == ["王领导 · 领导", "sub-l · 领导"]
    assert list(zh["note_text"]) == ["", HOSTILE]
    en = build_history_table(history, "en")
    assert list(en["change"]) == ["— → Awaiting acceptance", "Awaiting verification → Returned"]
    assert list(en["time"]) == ["2026-06-30 23:59", "2026-07-01 00:01"]


def test_the_task_table_labels_states_departments_and_overdue():
    frame = pd.DataFrame({"task_id": [4], "area_code": ["429902001"], "area_name_zh": ["北亭街道"],
                          "area_name_en": ["Beiting Street"], "assignee": ["water_affairs"],
                          "assignee_name_zh": ["市水务局"], "assignee_name_en": ["Water Affairs Bureau"],
                          "state": ["returned"], "source_kind": ["hotspot"], "category_l1": [None],
                          "deadline": [1782835199], "overdue": [True]})
    en = build_task_table(frame, "en").iloc[0]
    assert (en["number"], en["area"], en["assignee_name"], en["state_label"], en["source_label"], en["category"],
            en["overdue_text"]) == ("#4", "Beiting Street", "Water Affairs Bureau", "Returned", "Hotspot", "", "yes")
    zh = build_task_table(frame, "zh").iloc[0]
    assert (zh["area"], zh["state_label"], zh["overdue_text"], zh["deadline_text"]) == (
        "北亭街道", "退回重办", "是", "2026-06-30 23:59")
