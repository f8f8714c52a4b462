"""CSV exports cannot carry formulas into a spreadsheet, and numbers survive as numbers."""

from __future__ import annotations

import csv
import io

import pandas as pd

from components.exports import FORMULA_STARTS, spreadsheet_csv

PLANTED = ["=HYPERLINK(\"http://x\",\"点我\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1+1",
           "\r=1+1", "正常文本", "a=b", ""]


def test_no_text_cell_starts_a_formula_and_numbers_keep_their_sign():
    frame = pd.DataFrame({"title": PLANTED, "delta": [-5, 3, -1, 0, 2, -7, 8, 1, -2],
                          "growth": [-0.5, 1.25, None, 0.0, -2.0, 3.0, -1.0, 0.5, 0.1],
                          "note": [None, "-负数说明", "ok", None, None, None, None, None, None]})
    rows = list(csv.reader(io.StringIO(spreadsheet_csv(frame).decode("utf-8-sig"), newline="")))
    header, body = rows[0], rows[1:]
    for row in body:
        for name, cell in zip(header, row, strict=True):
            if name in ("title", "note"):
                assert not cell.startswith(FORMULA_STARTS), cell
    assert [row[0] for row in body] == ["'" + text if text.startswith(FORMULA_STARTS) else text for text in PLANTED]
    assert [int(row[1]) for row in body] == list(frame["delta"])
    assert [row[2] for row in body][:2] == ["-0.5", "1.25"]
    assert body[1][3] == "'-负数说明" and body[0][3] == ""


def test_the_input_frame_is_not_changed():
    frame = pd.DataFrame({"title": ["=1+1"]})
    spreadsheet_csv(frame)
    assert frame["title"].iloc[0] == "=1+1"
